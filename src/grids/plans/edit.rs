//! A plan's grids and parcels in memory, and the planner's edits on them. Pure: the store loads a
//! [`State`], applies an [`Edit`] here, and writes the new state back with the edit kept for
//! undo/redo.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::grids::partition::{BuildingId, ParcelId, Part};

/// Most parcels one edit may name.
pub const MAX_PARCELS_PER_EDIT: usize = 20_000;
/// Longest grid name, in characters.
pub const MAX_NAME_CHARS: usize = 60;

/// A grid of a plan, without its figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridEntry {
    pub number: u32,
    pub code: String,
    pub name: String,
    pub locked: bool,
}

/// A building or a part of one, and its grid (`None`: left out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParcelEntry {
    pub building: BuildingId,
    pub part: PartKey,
    pub households: u32,
    pub grid: Option<u32>,
}

/// [`Part`] as stored: `whole`, `units` first..=last, or `virtual` part `first` of `last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PartKey {
    pub kind: PartKind,
    pub first: u32,
    pub last: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PartKind {
    Whole,
    Units,
    Virtual,
}

impl PartKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PartKind::Whole => "whole",
            PartKind::Units => "units",
            PartKind::Virtual => "virtual",
        }
    }

    pub fn parse(s: &str) -> Option<PartKind> {
        [PartKind::Whole, PartKind::Units, PartKind::Virtual].into_iter().find(|k| k.as_str() == s)
    }
}

impl From<Part> for PartKey {
    fn from(part: Part) -> Self {
        match part {
            Part::Whole => PartKey { kind: PartKind::Whole, first: 0, last: 0 },
            Part::Units { first, last } => PartKey { kind: PartKind::Units, first, last },
            Part::Virtual { index, of } => PartKey { kind: PartKind::Virtual, first: index, last: of },
        }
    }
}

impl From<PartKey> for Part {
    fn from(key: PartKey) -> Self {
        match key.kind {
            PartKind::Whole => Part::Whole,
            PartKind::Units => Part::Units { first: key.first, last: key.last },
            PartKind::Virtual => Part::Virtual { index: key.first, of: key.last },
        }
    }
}

impl ParcelEntry {
    pub fn id(&self) -> ParcelId {
        ParcelId { building: self.building, part: self.part.into() }
    }
}

/// A plan's grids (by number) and parcels.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct State {
    pub grids: Vec<GridEntry>,
    pub parcels: Vec<ParcelEntry>,
}

/// Parcels named in an edit: `{"building": 12}` (every part of it), `{"building": 12, "units":
/// [1, 3]}` or `{"building": 12, "virtual": [2, 4]}` (one part).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    pub building: BuildingId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units: Option<[u32; 2]>,
    #[serde(default, rename = "virtual", skip_serializing_if = "Option::is_none")]
    pub virtual_part: Option<[u32; 2]>,
}

/// One planner's edit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Edit {
    /// The parcels join grid `to`.
    Move {
        parcels: Vec<Selector>,
        to: u32,
    },
    /// The parcels, all of one grid, become a new grid.
    Split {
        parcels: Vec<Selector>,
    },
    /// The second grid's parcels join the first; the second is gone.
    Merge {
        grids: Vec<u32>,
    },
    Rename {
        grid: u32,
        name: String,
    },
    /// Locks or unlocks one grid, or every grid when `grid` is absent.
    Lock {
        #[serde(default)]
        grid: Option<u32>,
        locked: bool,
    },
}

/// Why an edit is refused: the request field at fault, a stable code a page can translate
/// (`unknown_building`, `unknown_part`, `unknown_grid`, `grid_locked`, `would_empty_grid`,
/// `mixed_grids`, `not_in_a_grid`, `no_codes_left`, `invalid_merge`, `invalid_name`,
/// `invalid_parcels`) and a sentence for the planner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct EditError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, code: &'static str, message: impl Into<String>) -> EditError {
    EditError { field, code, message: message.into() }
}

/// What an edit did: the new state and the buildings whose grid changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub state: State,
    pub changed_buildings: Vec<BuildingId>,
}

impl State {
    fn grid(&self, number: u32, field: &'static str) -> Result<&GridEntry, EditError> {
        self.grids
            .iter()
            .find(|g| g.number == number)
            .ok_or_else(|| refuse(field, "unknown_grid", format!("this plan has no grid {number}")))
    }

    /// Indices of the parcels the selectors name, each once, in order.
    fn select(&self, selectors: &[Selector]) -> Result<Vec<usize>, EditError> {
        if selectors.is_empty() {
            return Err(refuse("parcels", "invalid_parcels", "name at least one building"));
        }
        if selectors.len() > MAX_PARCELS_PER_EDIT {
            return Err(refuse(
                "parcels",
                "invalid_parcels",
                format!("at most {MAX_PARCELS_PER_EDIT} parcels per edit"),
            ));
        }
        let mut chosen = BTreeSet::new();
        for selector in selectors {
            let part = match (selector.units, selector.virtual_part) {
                (None, None) => None,
                (Some([first, last]), None) => Some(PartKey { kind: PartKind::Units, first, last }),
                (None, Some([first, last])) => Some(PartKey { kind: PartKind::Virtual, first, last }),
                (Some(_), Some(_)) => {
                    return Err(refuse("parcels", "invalid_parcels", "a parcel has units or a virtual part, not both"));
                }
            };
            let mut found = false;
            for (i, parcel) in self.parcels.iter().enumerate() {
                if parcel.building == selector.building && part.is_none_or(|p| p == parcel.part) {
                    found = true;
                    chosen.insert(i);
                }
            }
            if !found {
                let (code, what) = match part {
                    None => {
                        ("unknown_building", format!("building {} is not in this plan's community", selector.building))
                    }
                    Some(p) => (
                        "unknown_part",
                        format!(
                            "building {} has no part {} {}–{} in this plan",
                            selector.building,
                            p.kind.as_str(),
                            p.first,
                            p.last
                        ),
                    ),
                };
                return Err(refuse("parcels", code, what));
            }
        }
        Ok(chosen.into_iter().collect())
    }

    fn parcels_in(&self, grid: u32) -> usize {
        self.parcels.iter().filter(|p| p.grid == Some(grid)).count()
    }

    /// The next grid number (one above the largest).
    fn next_number(&self) -> u32 {
        self.grids.iter().map(|g| g.number).max().unwrap_or(0) + 1
    }

    /// Applies an edit. `new_code` gives the code of a grid a split creates.
    pub fn apply(&self, edit: &Edit, new_code: impl FnOnce() -> Option<String>) -> Result<Applied, EditError> {
        let mut next = self.clone();
        let mut changed = BTreeSet::new();
        match edit {
            Edit::Move { parcels, to } => {
                self.grid(*to, "to")?;
                let chosen = self.select(parcels)?;
                self.take(&chosen, Some(*to))?;
                for &i in &chosen {
                    if next.parcels[i].grid != Some(*to) {
                        next.parcels[i].grid = Some(*to);
                        changed.insert(next.parcels[i].building);
                    }
                }
            }
            Edit::Split { parcels } => {
                let chosen = self.select(parcels)?;
                let grids: BTreeSet<Option<u32>> = chosen.iter().map(|&i| self.parcels[i].grid).collect();
                match grids.into_iter().collect::<Vec<_>>()[..] {
                    [Some(_)] => {}
                    [None] => {
                        return Err(refuse(
                            "parcels",
                            "not_in_a_grid",
                            "these buildings are in no grid; move them into one",
                        ));
                    }
                    _ => {
                        return Err(refuse(
                            "parcels",
                            "mixed_grids",
                            "a split takes buildings of one grid; these are in several",
                        ));
                    }
                }
                self.take(&chosen, None)?;
                let number = next.next_number();
                let code = new_code()
                    .ok_or_else(|| refuse("parcels", "no_codes_left", "the community has used all 999 grid codes"))?;
                // Named after its code's sequence, as generated grids are.
                let name = format!("第{}网格", crate::grids::codes::sequence(&code).unwrap_or(number));
                next.grids.push(GridEntry { number, code, name, locked: false });
                for &i in &chosen {
                    next.parcels[i].grid = Some(number);
                    changed.insert(next.parcels[i].building);
                }
            }
            Edit::Merge { grids } => {
                let [into, gone] = grids[..] else {
                    return Err(refuse(
                        "grids",
                        "invalid_merge",
                        "a merge names two grids: the one that stays and the one that joins it",
                    ));
                };
                self.grid(into, "grids")?;
                let joining = self.grid(gone, "grids")?;
                if into == gone {
                    return Err(refuse("grids", "invalid_merge", "a grid cannot merge with itself"));
                }
                if joining.locked {
                    return Err(refuse(
                        "grids",
                        "grid_locked",
                        format!("{} is locked; unlock it before merging it away", joining.name),
                    ));
                }
                for parcel in next.parcels.iter_mut().filter(|p| p.grid == Some(gone)) {
                    parcel.grid = Some(into);
                    changed.insert(parcel.building);
                }
                next.grids.retain(|g| g.number != gone);
            }
            Edit::Rename { grid, name } => {
                self.grid(*grid, "grid")?;
                let name = name.trim();
                if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
                    return Err(refuse(
                        "name",
                        "invalid_name",
                        format!("a grid's name has 1 to {MAX_NAME_CHARS} characters"),
                    ));
                }
                if self.grids.iter().any(|g| g.number != *grid && g.name == name) {
                    return Err(refuse(
                        "name",
                        "invalid_name",
                        format!("another grid of this plan is already named «{name}»"),
                    ));
                }
                for g in next.grids.iter_mut().filter(|g| g.number == *grid) {
                    g.name = name.to_owned();
                }
            }
            Edit::Lock { grid, locked } => {
                if let Some(grid) = grid {
                    self.grid(*grid, "grid")?;
                }
                for g in next.grids.iter_mut().filter(|g| grid.is_none_or(|n| n == g.number)) {
                    g.locked = *locked;
                }
            }
        }
        Ok(Applied { state: next, changed_buildings: changed.into_iter().collect() })
    }

    /// Checks that the chosen parcels may leave their grids for `to` (`None`: a new grid): none
    /// in a locked grid other than `to`, and no grid left empty.
    fn take(&self, chosen: &[usize], to: Option<u32>) -> Result<(), EditError> {
        let mut leaving: BTreeMap<u32, usize> = BTreeMap::new();
        for &i in chosen {
            if let Some(grid) = self.parcels[i].grid.filter(|&g| Some(g) != to) {
                *leaving.entry(grid).or_default() += 1;
            }
        }
        for (&grid, &count) in &leaving {
            let entry = self.grid(grid, "parcels")?;
            if entry.locked {
                return Err(refuse(
                    "parcels",
                    "grid_locked",
                    format!("{} is locked: its buildings cannot be taken", entry.name),
                ));
            }
            if count == self.parcels_in(grid) {
                return Err(refuse(
                    "parcels",
                    "would_empty_grid",
                    format!("this would leave {} empty; merge it into another grid instead", entry.name),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(building: BuildingId, households: u32, grid: u32) -> ParcelEntry {
        ParcelEntry { building, part: Part::Whole.into(), households, grid: Some(grid) }
    }

    fn grid(number: u32) -> GridEntry {
        GridEntry {
            number, code: format!("420111006001{number:03}"), name: format!("第{number}网格"), locked: false
        }
    }

    fn state() -> State {
        let tower = |first, last, households, grid| ParcelEntry {
            building: 9,
            part: Part::Units { first, last }.into(),
            households,
            grid: Some(grid),
        };
        State {
            grids: vec![grid(1), grid(2)],
            parcels: vec![
                whole(1, 200, 1),
                whole(2, 150, 1),
                whole(3, 300, 2),
                tower(1, 2, 100, 1),
                tower(3, 4, 120, 2),
            ],
        }
    }

    fn sel(building: BuildingId) -> Selector {
        Selector { building, units: None, virtual_part: None }
    }

    fn no_code() -> Option<String> {
        None
    }

    #[test]
    fn a_move_changes_the_grid_of_every_part_of_a_building() {
        let applied = state().apply(&Edit::Move { parcels: vec![sel(9)], to: 1 }, no_code).unwrap();
        let grids: Vec<_> = applied.state.parcels.iter().map(|p| p.grid).collect();
        assert_eq!(grids, vec![Some(1), Some(1), Some(2), Some(1), Some(1)]);
        assert_eq!(applied.changed_buildings, vec![9]);
    }

    #[test]
    fn a_move_of_one_unit_run_leaves_the_rest_of_the_tower() {
        let one = Selector { building: 9, units: Some([3, 4]), virtual_part: None };
        let applied = state().apply(&Edit::Move { parcels: vec![one], to: 1 }, no_code).unwrap();
        assert_eq!(applied.state.parcels[4].grid, Some(1));
        let missing = Selector { building: 9, units: Some([5, 6]), virtual_part: None };
        let err = state().apply(&Edit::Move { parcels: vec![missing], to: 1 }, no_code).unwrap_err();
        assert!(err.message.contains("no part units 5–6"), "{err}");
    }

    #[test]
    fn moves_that_empty_a_grid_or_take_from_a_locked_one_are_refused() {
        let err = state().apply(&Edit::Move { parcels: vec![sel(3), sel(9)], to: 1 }, no_code).unwrap_err();
        assert_eq!((err.field, err.code), ("parcels", "would_empty_grid"));
        assert!(err.message.contains("leave 第2网格 empty"), "{err}");
        let mut locked = state();
        locked.grids[0].locked = true;
        let err = locked.apply(&Edit::Move { parcels: vec![sel(1)], to: 2 }, no_code).unwrap_err();
        assert!(err.message.contains("locked"), "{err}");
        // A locked grid can still grow.
        assert!(locked.apply(&Edit::Move { parcels: vec![sel(3)], to: 1 }, no_code).is_ok());
    }

    #[test]
    fn unknown_buildings_and_grids_are_named_in_the_error() {
        let err = state().apply(&Edit::Move { parcels: vec![sel(77)], to: 1 }, no_code).unwrap_err();
        assert_eq!(err.message, "building 77 is not in this plan's community");
        let err = state().apply(&Edit::Move { parcels: vec![sel(1)], to: 5 }, no_code).unwrap_err();
        assert_eq!((err.field, err.message.as_str()), ("to", "this plan has no grid 5"));
        let err = state().apply(&Edit::Move { parcels: vec![], to: 1 }, no_code).unwrap_err();
        assert_eq!(err.field, "parcels");
    }

    #[test]
    fn a_split_makes_a_new_grid_with_a_fresh_code() {
        let applied = state().apply(&Edit::Split { parcels: vec![sel(2)] }, || Some("420111006001007".into())).unwrap();
        assert_eq!(
            applied.state.grids.last(),
            Some(&GridEntry { number: 3, code: "420111006001007".into(), name: "第7网格".into(), locked: false })
        );
        assert_eq!(applied.state.parcels[1].grid, Some(3));
        let err = state().apply(&Edit::Split { parcels: vec![sel(1), sel(3)] }, no_code).unwrap_err();
        assert!(err.message.contains("one grid"), "{err}");
        let err = state().apply(&Edit::Split { parcels: vec![sel(2)] }, no_code).unwrap_err();
        assert!(err.message.contains("999"), "{err}");
    }

    #[test]
    fn a_merge_moves_everything_and_drops_the_grid() {
        let applied = state().apply(&Edit::Merge { grids: vec![1, 2] }, no_code).unwrap();
        assert!(applied.state.parcels.iter().all(|p| p.grid == Some(1)));
        assert_eq!(applied.state.grids.len(), 1);
        assert_eq!(applied.changed_buildings, vec![3, 9]);
        assert!(state().apply(&Edit::Merge { grids: vec![1, 1] }, no_code).is_err());
        assert!(state().apply(&Edit::Merge { grids: vec![1] }, no_code).is_err());
    }

    #[test]
    fn rename_and_lock() {
        let renamed = state().apply(&Edit::Rename { grid: 2, name: " 东区 ".into() }, no_code).unwrap().state;
        assert_eq!(renamed.grids[1].name, "东区");
        assert!(renamed.apply(&Edit::Rename { grid: 1, name: "东区".into() }, no_code).is_err());
        assert!(state().apply(&Edit::Rename { grid: 1, name: "  ".into() }, no_code).is_err());
        let locked = state().apply(&Edit::Lock { grid: None, locked: true }, no_code).unwrap().state;
        assert!(locked.grids.iter().all(|g| g.locked));
        let one = locked.apply(&Edit::Lock { grid: Some(2), locked: false }, no_code).unwrap().state;
        assert_eq!(one.grids.iter().map(|g| g.locked).collect::<Vec<_>>(), vec![true, false]);
    }

    #[test]
    fn edits_read_from_json() {
        let edit: Edit =
            serde_json::from_str(r#"{"op":"move","parcels":[{"building":1},{"building":9,"units":[3,4]}],"to":2}"#)
                .unwrap();
        assert_eq!(
            edit,
            Edit::Move {
                parcels: vec![sel(1), Selector { building: 9, units: Some([3, 4]), virtual_part: None }],
                to: 2
            }
        );
        assert!(serde_json::from_str::<Edit>(r#"{"op":"move","parcels":[{"building":1,"floor":3}],"to":2}"#).is_err());
        assert!(serde_json::from_str::<Edit>(r#"{"op":"explode"}"#).is_err());
    }
}

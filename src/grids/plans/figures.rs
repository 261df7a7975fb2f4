//! A plan's figures and violations: the partition engine's [`evaluate`] of its state, read as
//! per-grid tallies and sentences a planner can act on.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use utoipa::ToSchema;

use super::edit::State;
use crate::grids::partition::{self, Bounds, PartitionError, Request, Status, evaluate};

/// Figures of one grid of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GridFigures {
    pub number: u32,
    pub households: u32,
    pub buildings: usize,
    pub parcels: usize,
    pub connected: bool,
    pub polsby_popper: f64,
    /// `under`, `within` or `over` the bounds.
    pub status: &'static str,
}

/// What is wrong with a plan, grid by grid.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Violation {
    pub grid: Option<u32>,
    pub code: Option<String>,
    /// `under`, `over`, `detached` or `unassigned`.
    pub kind: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub grids: Vec<GridFigures>,
    pub violations: Vec<Violation>,
    pub households: u32,
    pub unassigned_households: u32,
}

pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Under => "under",
        Status::Within => "within",
        Status::Over => "over",
    }
}

/// Scores `state` against the community's buildings. Buildings of the request that the state
/// does not hold, and parcels in no grid, count as unassigned.
pub fn figures(request: &Request, state: &State) -> Result<Figures, PartitionError> {
    let numbers: Vec<u32> = state.grids.iter().map(|g| g.number).collect();
    let index: BTreeMap<u32, usize> = numbers.iter().enumerate().map(|(i, &n)| (n, i)).collect();
    let known: HashSet<i64> = request.buildings.iter().map(|b| b.id).collect();
    let assignment: Vec<_> = state
        .parcels
        .iter()
        .filter(|p| known.contains(&p.building))
        .filter_map(|p| p.grid.and_then(|g| index.get(&g)).map(|&i| (p.id(), i)))
        .collect();
    let plan = evaluate(request, &assignment)?;
    Ok(read(&plan, state, request.bounds, request))
}

fn read(plan: &partition::Plan, state: &State, bounds: Bounds, request: &Request) -> Figures {
    let households: u32 = request.buildings.iter().map(|b| b.households).sum();
    let assigned: u32 = plan.parcels.iter().filter(|p| p.grid.is_some()).map(|p| p.households).sum();
    let mut grids = Vec::with_capacity(state.grids.len());
    let mut violations = Vec::new();
    for (entry, metrics) in state.grids.iter().zip(&plan.grids) {
        let name = &entry.name;
        let status = status_name(metrics.status);
        let mut violation = |kind, message| {
            violations.push(Violation { grid: Some(entry.number), code: Some(entry.code.clone()), kind, message })
        };
        match metrics.status {
            Status::Under => violation(
                "under",
                format!("{name} has {} households, below the minimum of {}", metrics.households, bounds.min),
            ),
            Status::Over => violation(
                "over",
                format!("{name} has {} households, above the maximum of {}", metrics.households, bounds.max),
            ),
            Status::Within => {}
        }
        if !metrics.connected {
            violation("detached", format!("{name} is broken into detached parts"));
        }
        grids.push(GridFigures {
            number: entry.number,
            households: metrics.households,
            buildings: metrics.buildings,
            parcels: metrics.parcels,
            connected: metrics.connected,
            polsby_popper: metrics.polsby_popper,
            status,
        });
    }
    let unassigned = households.saturating_sub(assigned);
    if unassigned > 0 {
        violations.push(Violation {
            grid: None,
            code: None,
            kind: "unassigned",
            message: format!("{unassigned} households are in no grid"),
        });
    }
    Figures { grids, violations, households, unassigned_households: unassigned }
}

#[cfg(test)]
mod tests {
    use geo::{MultiPolygon, polygon};

    use super::*;
    use crate::grids::partition::{Building, Part};
    use crate::grids::plans::edit::{GridEntry, ParcelEntry};

    fn building(id: i64, households: u32, x: f64) -> Building {
        let x = 114.4 + x * 0.0003;
        let footprint = MultiPolygon(vec![polygon![
            (x: x, y: 30.5), (x: x + 0.0002, y: 30.5), (x: x + 0.0002, y: 30.5002), (x: x, y: 30.5002), (x: x, y: 30.5)
        ]]);
        Building { id, households, footprint, estate: None, units: vec![] }
    }

    #[test]
    fn out_of_range_detached_and_unassigned_households_are_violations() {
        let request = Request { buildings: (0..6).map(|i| building(i, 150, i as f64)).collect(), ..Default::default() };
        let parcel = |building, grid| ParcelEntry { building, part: Part::Whole.into(), households: 150, grid };
        let grid = |number: u32| GridEntry {
            number,
            code: format!("420111006001{number:03}"),
            name: format!("第{number}网格"),
            locked: false,
        };
        // Grid 1 holds buildings 0, 1 and 3 (450 households, but 3 is cut off by 2); grid 2 holds 2
        // (150, under); building 4 is in no grid and building 5 is missing from the plan.
        let state = State {
            grids: vec![grid(1), grid(2)],
            parcels: vec![
                parcel(0, Some(1)),
                parcel(1, Some(1)),
                parcel(2, Some(2)),
                parcel(3, Some(1)),
                parcel(4, None),
            ],
        };
        let figures = figures(&request, &state).unwrap();
        assert_eq!(figures.households, 900);
        assert_eq!(figures.unassigned_households, 300);
        assert_eq!(figures.grids[0].households, 450);
        assert_eq!(figures.grids[1].status, "under");
        let kinds: Vec<_> = figures.violations.iter().map(|v| (v.grid, v.kind)).collect();
        assert_eq!(kinds, vec![(Some(1), "detached"), (Some(2), "under"), (None, "unassigned")]);
        assert_eq!(figures.violations[1].message, "第2网格 has 150 households, below the minimum of 300");
    }
}

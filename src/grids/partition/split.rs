//! Parcels, the things assigned to grids: whole buildings, and parts of buildings above `max`.
//!
//! A building with `h > max` households becomes `p = max(ceil(h / max), round(h / target))`
//! parts, so no part exceeds `max` and parts sit near `target` (a 1,300-household tower gives
//! three parts of about 433, not two of 650). With units (单元) whose households add up to `h`,
//! each part is a run of consecutive whole units, chosen by dynamic programming to be as even as
//! possible; `p` grows until every run fits under `max` (a single unit above `max`, or units
//! that do not add up, fall back to virtual parts). Without units the parts are virtual and
//! equal, the first ones taking the remainder.

use super::{Bounds, Building, BuildingId, ParcelId, Part, PartitionError, Unit};

/// One parcel: an index into the request's buildings and its households.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parcel {
    pub id: ParcelId,
    pub building: usize,
    pub households: u32,
}

/// The parcels of `buildings`, in building order.
pub(crate) fn split(buildings: &[Building], bounds: &Bounds) -> Vec<Parcel> {
    let mut parcels = Vec::with_capacity(buildings.len());
    for (index, building) in buildings.iter().enumerate() {
        let parcel =
            |part, households| Parcel { id: ParcelId { building: building.id, part }, building: index, households };
        if building.households <= bounds.max {
            parcels.push(parcel(Part::Whole, building.households));
            continue;
        }
        let parts = part_count(building.households, bounds);
        match unit_runs(building, parts, bounds.max) {
            Some(runs) => parcels.extend(
                runs.into_iter().map(|(first, last, households)| parcel(Part::Units { first, last }, households)),
            ),
            None => {
                let shares = virtual_shares(building.households, parts);
                parcels.extend(
                    (1..).zip(shares).map(|(index, households)| parcel(Part::Virtual { index, of: parts }, households)),
                );
            }
        }
    }
    parcels
}

/// Parcels named by ids (a given plan), with households worked out from the buildings.
pub(crate) fn from_ids(
    buildings: &[Building],
    ids: impl Iterator<Item = ParcelId> + Clone,
) -> Result<Vec<Parcel>, PartitionError> {
    check_disjoint(ids.clone())?;
    let by_id: std::collections::HashMap<BuildingId, usize> =
        buildings.iter().enumerate().map(|(index, building)| (building.id, index)).collect();
    ids.map(|id| {
        let unknown = PartitionError::UnknownParcel(id);
        let &index = by_id.get(&id.building).ok_or(unknown.clone())?;
        let building = &buildings[index];
        let households = match id.part {
            Part::Whole => building.households,
            Part::Units { first, last } => {
                let run = building.units.iter().filter(|unit| (first..=last).contains(&unit.number));
                run.map(|unit| unit.households).sum()
            }
            Part::Virtual { index, of } => {
                let shares = virtual_shares(building.households, of);
                *shares.get((index as usize).wrapping_sub(1)).ok_or(unknown)?
            }
        };
        Ok(Parcel { id, building: index, households })
    })
    .collect()
}

/// Refuses a building given twice, whole and in part, in overlapping unit runs, or split
/// both into unit runs and virtual parts (or into different numbers of virtual parts).
fn check_disjoint(ids: impl Iterator<Item = ParcelId>) -> Result<(), PartitionError> {
    let mut parts: std::collections::HashMap<BuildingId, Vec<Part>> = std::collections::HashMap::new();
    for id in ids {
        let seen = parts.entry(id.building).or_default();
        let clash = seen.iter().any(|&other| match (other, id.part) {
            (Part::Units { first: a, last: b }, Part::Units { first: c, last: d }) => a.max(c) <= b.min(d),
            (Part::Virtual { index: i, of: n }, Part::Virtual { index: j, of: m }) => n != m || i == j,
            _ => true,
        });
        if clash {
            return Err(PartitionError::OverlappingParts(id.building));
        }
        seen.push(id.part);
    }
    Ok(())
}

/// How many parts a building of `households > max` is cut into.
fn part_count(households: u32, bounds: &Bounds) -> u32 {
    let at_least = households.div_ceil(bounds.max);
    let near_target = ((f64::from(households) / f64::from(bounds.target)).round()) as u32;
    at_least.max(near_target).max(1)
}

/// `households` in `parts` equal shares, the first taking the remainder.
fn virtual_shares(households: u32, parts: u32) -> Vec<u32> {
    if parts == 0 {
        return Vec::new();
    }
    let (base, rest) = (households / parts, households % parts);
    (0..parts).map(|i| base + u32::from(i < rest)).collect()
}

/// Runs of consecutive units `(first, last, households)`, at least `parts` of them, each at
/// most `max`; `None` when the units are missing, do not add up, or one alone is above `max`.
fn unit_runs(building: &Building, parts: u32, max: u32) -> Option<Vec<(u32, u32, u32)>> {
    let mut units: Vec<Unit> = building.units.clone();
    units.sort_by_key(|unit| unit.number);
    let total: u64 = units.iter().map(|unit| u64::from(unit.households)).sum();
    if units.is_empty() || total != u64::from(building.households) || units.iter().any(|unit| unit.households > max) {
        return None;
    }
    (parts as usize..=units.len()).find_map(|p| even_runs(&units, p, max))
}

/// Cuts `units` into exactly `p` runs, each at most `max`, minimising the squared deviation
/// from the mean run: `O(p · u²)` for `u` units, a few dozen at most.
fn even_runs(units: &[Unit], p: usize, max: u32) -> Option<Vec<(u32, u32, u32)>> {
    let n = units.len();
    let mut prefix = vec![0u64; n + 1];
    for (i, unit) in units.iter().enumerate() {
        prefix[i + 1] = prefix[i] + u64::from(unit.households);
    }
    let mean = prefix[n] as f64 / p as f64;
    let cost = |a: usize, b: usize| {
        let sum = prefix[b] - prefix[a];
        (sum <= u64::from(max)).then(|| (sum as f64 - mean).powi(2))
    };
    // best[j][i]: least cost of cutting the first i units into j runs; from[j][i]: last cut.
    let mut best = vec![vec![f64::INFINITY; n + 1]; p + 1];
    let mut from = vec![vec![0usize; n + 1]; p + 1];
    best[0][0] = 0.0;
    for j in 1..=p {
        for i in j..=n {
            for a in (j - 1)..i {
                if let Some(c) = cost(a, i) {
                    let total = best[j - 1][a] + c;
                    if total < best[j][i] {
                        best[j][i] = total;
                        from[j][i] = a;
                    }
                }
            }
        }
    }
    if !best[p][n].is_finite() {
        return None;
    }
    let mut runs = Vec::with_capacity(p);
    let mut end = n;
    for j in (1..=p).rev() {
        let start = from[j][end];
        let households = (prefix[end] - prefix[start]) as u32;
        runs.push((units[start].number, units[end - 1].number, households));
        end = start;
    }
    runs.reverse();
    Some(runs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPolygon, polygon};

    fn building(households: u32, units: &[u32]) -> Building {
        Building {
            id: 7,
            households,
            footprint: MultiPolygon::new(vec![polygon![(x: 0.0, y: 0.0), (x: 0.001, y: 0.0), (x: 0.001, y: 0.001)]]),
            estate: None,
            units: (1..).zip(units).map(|(number, &households)| Unit { number, households }).collect(),
        }
    }

    #[test]
    fn building_within_max_is_one_whole_parcel() {
        let parcels = split(&[building(700, &[])], &Bounds::default());
        assert_eq!(parcels.len(), 1);
        assert_eq!(parcels[0].id.part, Part::Whole);
    }

    #[test]
    fn tower_above_max_is_cut_into_even_runs_of_whole_units() {
        // 8 units of 120 = 960 households: two runs of 480.
        let parcels = split(&[building(960, &[120; 8])], &Bounds::default());
        let parts: Vec<_> = parcels.iter().map(|p| (p.id.part, p.households)).collect();
        assert_eq!(parts, vec![(Part::Units { first: 1, last: 4 }, 480), (Part::Units { first: 5, last: 8 }, 480)]);
    }

    #[test]
    fn uneven_units_still_fit_under_max() {
        // p = 2 cannot fit 650 + 650 + 100 under 700 with whole units → three runs.
        let parcels = split(&[building(1400, &[650, 650, 100])], &Bounds::default());
        assert!(parcels.iter().all(|p| p.households <= 700), "{parcels:?}");
        assert_eq!(parcels.iter().map(|p| p.households).sum::<u32>(), 1400);
    }

    #[test]
    fn units_that_do_not_add_up_give_virtual_parts() {
        let parcels = split(&[building(1000, &[100, 100])], &Bounds::default());
        let parts: Vec<_> = parcels.iter().map(|p| (p.id.part, p.households)).collect();
        assert_eq!(parts, vec![(Part::Virtual { index: 1, of: 2 }, 500), (Part::Virtual { index: 2, of: 2 }, 500)]);
    }

    #[test]
    fn huge_tower_without_units_is_cut_near_target() {
        let parcels = split(&[building(3001, &[])], &Bounds::default());
        assert_eq!(parcels.len(), 6);
        assert_eq!(parcels.iter().map(|p| p.households).collect::<Vec<_>>(), vec![501, 500, 500, 500, 500, 500]);
    }

    #[test]
    fn from_ids_reads_households_of_each_part() {
        let with_units = building(960, &[120; 8]);
        let without = Building { id: 8, ..building(960, &[]) };
        let ids = [
            ParcelId { building: 7, part: Part::Units { first: 1, last: 3 } },
            ParcelId { building: 8, part: Part::Virtual { index: 2, of: 3 } },
        ];
        let parcels = from_ids(&[with_units, without], ids.into_iter()).expect("known parcels");
        assert_eq!(parcels.iter().map(|p| p.households).collect::<Vec<_>>(), vec![360, 320]);
        let unknown = ParcelId { building: 9, part: Part::Whole };
        assert_eq!(from_ids(&[building(1, &[])], [unknown].into_iter()), Err(PartitionError::UnknownParcel(unknown)));
    }

    #[test]
    fn from_ids_refuses_overlapping_parts() {
        let b = || building(960, &[120; 8]);
        let id = |part| ParcelId { building: 7, part };
        let clashes = [
            [id(Part::Whole), id(Part::Whole)],
            [id(Part::Whole), id(Part::Units { first: 1, last: 2 })],
            [id(Part::Units { first: 1, last: 3 }), id(Part::Units { first: 3, last: 5 })],
            [id(Part::Virtual { index: 1, of: 2 }), id(Part::Virtual { index: 1, of: 3 })],
        ];
        for ids in clashes {
            assert_eq!(from_ids(&[b()], ids.into_iter()), Err(PartitionError::OverlappingParts(7)), "{ids:?}");
        }
        let fine = [id(Part::Units { first: 1, last: 3 }), id(Part::Units { first: 4, last: 8 })];
        assert!(from_ids(&[b()], fine.into_iter()).is_ok());
    }
}

//! Grid codes (网格编码) in the 15 digits of Beijing's DB11/T 2157 (built on GB/T 30428.1): the
//! sub-district's 9 digits (6-digit county-level division + 3-digit sub-district), the community's
//! 3 and a 3-digit sequence. A fresh plan numbers its grids west→east in rows from north to south;
//! a re-generated plan keeps the code of each old grid whose households are more than half in one
//! new grid, and the other grids take sequences never used before in the community.

use std::collections::HashMap;

use super::partition::{BuildingId, ParcelId};

/// The largest sequence three digits hold.
pub const MAX_SEQUENCE: u32 = 999;

/// The first 12 digits of a community's grid codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix(String);

impl Prefix {
    /// From the sub-district's 9-digit and the community's 3-digit codes.
    pub fn new(district_code: &str, community_code: &str) -> Option<Prefix> {
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        (digits(district_code, 9) && digits(community_code, 3))
            .then(|| Prefix(format!("{district_code}{community_code}")))
    }

    /// The code of sequence `sequence` (1..=999).
    pub fn code(&self, sequence: u32) -> Option<String> {
        (1..=MAX_SEQUENCE).contains(&sequence).then(|| format!("{}{sequence:03}", self.0))
    }
}

/// A 15-digit code's sequence, its last three digits.
pub fn sequence(code: &str) -> Option<u32> {
    if code.len() != 15 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    code[12..].parse().ok()
}

/// Reading order of points (lon, lat): rows from north to south, west→east within a row. The
/// number of rows follows the points' extent, so a square of `k` grids gets about `√k` rows.
pub fn reading_order(points: &[(f64, f64)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    if points.is_empty() {
        return order;
    }
    let (mut west, mut east, mut south, mut north) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in points {
        west = west.min(x);
        east = east.max(x);
        south = south.min(y);
        north = north.max(y);
    }
    let width = (east - west) * ((north + south) / 2.0).to_radians().cos();
    let height = north - south;
    let rows = if height <= 0.0 {
        1
    } else if width <= 0.0 {
        points.len()
    } else {
        ((points.len() as f64 * height / width).sqrt().round() as usize).clamp(1, points.len())
    };
    let band = height / rows as f64;
    let row = |y: f64| if band > 0.0 { (((north - y) / band) as usize).min(rows - 1) } else { 0 };
    order.sort_by(|&a, &b| {
        let (pa, pb) = (points[a], points[b]);
        row(pa.1).cmp(&row(pb.1)).then(pa.0.total_cmp(&pb.0)).then(pb.1.total_cmp(&pa.1)).then(a.cmp(&b))
    });
    order
}

/// Households of a parcel (a building or a part of a tower) in a grid.
pub type Holding<G> = (ParcelId, G, u32);

/// For each new grid (`0..grids`), the old grid it continues, if any: an old grid continues in the
/// new grid that holds more than half of its households. Parcels are matched by id; an old part
/// of a tower that the new plan splits differently counts in proportion to where the tower's
/// households went. When two old grids both continue in one new grid (a merge), the larger share
/// wins, then the smaller key.
pub fn inherit<G: Copy + Ord + std::hash::Hash>(
    old: &[Holding<G>],
    new: &[Holding<usize>],
    grids: usize,
) -> Vec<Option<G>> {
    let by_parcel: HashMap<ParcelId, usize> = new.iter().map(|&(id, grid, _)| (id, grid)).collect();
    let mut by_building: HashMap<BuildingId, Vec<(usize, u32)>> = HashMap::new();
    for &(id, grid, households) in new {
        by_building.entry(id.building).or_default().push((grid, households));
    }
    let mut old_total: HashMap<G, f64> = HashMap::new();
    let mut overlap: HashMap<(G, usize), f64> = HashMap::new();
    for &(id, old_grid, households) in old {
        let households = f64::from(households);
        *old_total.entry(old_grid).or_default() += households;
        if let Some(&grid) = by_parcel.get(&id) {
            *overlap.entry((old_grid, grid)).or_default() += households;
            continue;
        }
        let parts = by_building.get(&id.building).map(Vec::as_slice).unwrap_or_default();
        let total: u32 = parts.iter().map(|p| p.1).sum();
        for &(grid, share) in parts.iter().filter(|_| total > 0) {
            *overlap.entry((old_grid, grid)).or_default() += households * f64::from(share) / f64::from(total);
        }
    }
    let mut best: Vec<Option<(G, f64)>> = vec![None; grids];
    let mut claims: Vec<((G, usize), f64)> = overlap.into_iter().collect();
    claims.sort_by_key(|claim| claim.0);
    for ((old_grid, grid), shared) in claims {
        let total = old_total[&old_grid];
        if grid >= grids || total <= 0.0 || shared * 2.0 <= total {
            continue;
        }
        let slot = &mut best[grid];
        if slot.is_none_or(|(_, held)| shared > held) {
            *slot = Some((old_grid, shared));
        }
    }
    best.into_iter().map(|slot| slot.map(|(grid, _)| grid)).collect()
}

/// Sequences for new grids: inherited ones as given, the others in reading order from `next`.
/// `None` when more than 999 would be needed.
pub fn sequences(inherited: &[Option<u32>], order: &[usize], mut next: u32) -> Option<Vec<u32>> {
    let mut out: Vec<u32> = inherited.iter().map(|s| s.unwrap_or(0)).collect();
    for &grid in order {
        if inherited[grid].is_none() {
            if next > MAX_SEQUENCE {
                return None;
            }
            out[grid] = next;
            next += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grids::partition::Part;

    #[test]
    fn codes_are_fifteen_digits_with_a_three_digit_sequence() {
        let prefix = Prefix::new("420111006", "003").unwrap();
        assert_eq!(prefix.code(7).as_deref(), Some("420111006003007"));
        assert_eq!(prefix.code(0), None);
        assert_eq!(prefix.code(1000), None);
        assert_eq!(sequence("420111006003007"), Some(7));
        assert_eq!(sequence("42011100600300x"), None);
        assert_eq!(Prefix::new("42011100", "003"), None);
        assert_eq!(Prefix::new("420111006", "03a"), None);
    }

    #[test]
    fn reading_order_goes_west_to_east_in_rows_from_north_to_south() {
        // A 3 × 3 lattice given in scrambled order; about 100 m apart.
        let mut points = Vec::new();
        for (row, lat) in [30.502, 30.501, 30.500].into_iter().enumerate() {
            for (col, lon) in [114.400, 114.401, 114.402].into_iter().enumerate() {
                points.push(((row * 3 + col) as u32, (lon, lat + 0.0001 * col as f64 / 3.0)));
            }
        }
        points.reverse();
        let order = reading_order(&points.iter().map(|p| p.1).collect::<Vec<_>>());
        let labels: Vec<u32> = order.iter().map(|&i| points[i].0).collect();
        assert_eq!(labels, vec![0, 1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn reading_order_of_a_single_row_or_column() {
        assert_eq!(reading_order(&[(2.0, 0.0), (1.0, 0.0), (3.0, 0.0)]), vec![1, 0, 2]);
        assert_eq!(reading_order(&[(0.0, 1.0), (0.0, 3.0), (0.0, 2.0)]), vec![1, 2, 0]);
        assert!(reading_order(&[]).is_empty());
    }

    fn whole(building: BuildingId) -> ParcelId {
        ParcelId { building, part: Part::Whole }
    }

    fn units(building: BuildingId, first: u32, last: u32) -> ParcelId {
        ParcelId { building, part: Part::Units { first, last } }
    }

    #[test]
    fn an_old_grid_continues_where_more_than_half_its_households_went() {
        // Old grid 10: buildings 1 (300) and 2 (200); old grid 20: buildings 3 (250), 4 (250).
        let old = [(whole(1), 10, 300), (whole(2), 10, 200), (whole(3), 20, 250), (whole(4), 20, 250)];
        // New grid 0 keeps building 1 (> half of 10); new grid 1 gets 2 and 3; new grid 2 gets 4.
        let new = [(whole(1), 0, 300), (whole(2), 1, 200), (whole(3), 1, 250), (whole(4), 2, 250)];
        assert_eq!(inherit(&old, &new, 3), vec![Some(10), None, None]);
    }

    #[test]
    fn a_merge_keeps_the_larger_share_and_split_towers_count_in_proportion() {
        let old = [(whole(1), 10, 400), (whole(2), 20, 600)];
        assert_eq!(inherit(&old, &[(whole(1), 0, 400), (whole(2), 0, 600)], 1), vec![Some(20)]);
        // Building 5 (600) was whole in grid 30; now 2/3 of it is in grid 1.
        let old = [(whole(5), 30, 600)];
        let new = [(units(5, 1, 2), 0, 200), (units(5, 3, 6), 1, 400)];
        assert_eq!(inherit(&old, &new, 2), vec![None, Some(30)]);
        // Matching parts of a tower split alike count where they are.
        let old = [(units(5, 1, 3), 30, 300), (units(5, 4, 6), 31, 300)];
        let new = [(units(5, 1, 3), 0, 300), (units(5, 4, 6), 1, 300)];
        assert_eq!(inherit(&old, &new, 2), vec![Some(30), Some(31)]);
    }

    #[test]
    fn new_grids_take_fresh_sequences_in_reading_order() {
        let inherited = [None, Some(2), None];
        assert_eq!(sequences(&inherited, &[2, 1, 0], 5), Some(vec![6, 2, 5]));
        assert_eq!(sequences(&[None, None], &[0, 1], 999), None);
    }
}

//! Per-grid figures of an assignment, and the [`Plan`] returned to callers.
//!
//! Compactness is the Polsby-Popper score 4πA/P² of the convex hull of the grid's footprints in
//! the local metric projection (1 for a disc, 0.785 for a square, about 0.5 for a 1:4 strip).
//! The hull, not the union of footprints: a union of separate buildings has a huge perimeter
//! and scores near 0 whatever the grid's shape. Grid polygons (cells of the buildings) come
//! later and may be scored the same way.

use geo::{Area, ConvexHull, Coord, Euclidean, Length, MultiPoint, MultiPolygon, Point};

use super::current::{Current, match_keys, moved_households};
use super::graph::Graph;
use super::search::Outcome;
use super::split::Parcel;
use super::{Assigned, GridMetrics, Plan, Request, Status, explain};

/// Builds the plan: assignment, figures per grid, feasibility and explanation.
pub(crate) fn plan(
    request: &Request,
    parcels: &[Parcel],
    graph: &Graph,
    outcome: &Outcome,
    current: Option<&Current>,
) -> Plan {
    let k = outcome.grids;
    let bounds = request.bounds;
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (p, grid) in outcome.grid_of.iter().enumerate() {
        if let Some(g) = *grid {
            members[g].push(p);
        }
    }
    // Which current grid each grid continues, and households moved.
    let labels: Vec<usize> = outcome.grid_of.iter().map(|g| g.unwrap_or(k)).collect();
    let weights: Vec<i64> = parcels.iter().map(|p| i64::from(p.households)).collect();
    let (continues, moved) = match current {
        Some(current) => {
            let keys = match_keys(&current.home, &weights, &labels, k + 1);
            let moved = moved_households(&current.home, &weights, &labels, &keys[..k]);
            let continues: Vec<_> = keys[..k].iter().map(|key| key.map(|i| current.keys[i])).collect();
            (continues, u32::try_from(moved).unwrap_or(u32::MAX))
        }
        None => (vec![None; k], 0),
    };
    let grids: Vec<GridMetrics> = members
        .iter()
        .enumerate()
        .map(|(g, list)| {
            let households: u32 = list.iter().map(|&p| parcels[p].households).sum();
            let mut buildings: Vec<usize> = list.iter().map(|&p| parcels[p].building).collect();
            buildings.sort_unstable();
            buildings.dedup();
            let status = if households < bounds.min {
                Status::Under
            } else if households > bounds.max {
                Status::Over
            } else {
                Status::Within
            };
            GridMetrics {
                households,
                parcels: list.len(),
                buildings: buildings.len(),
                connected: pieces(graph, &outcome.grid_of, list, g) <= 1,
                polsby_popper: hull_polsby_popper(buildings.iter().map(|&b| &graph.footprints[b])),
                status,
                current: continues[g],
            }
        })
        .collect();
    let assigned: Vec<Assigned> = parcels
        .iter()
        .zip(&outcome.grid_of)
        .map(|(parcel, &grid)| Assigned { id: parcel.id, households: parcel.households, grid })
        .collect();
    let explanation = explain::explain(request, parcels, graph, &outcome.grid_of, &grids);
    Plan { parcels: assigned, feasible: explanation.is_none(), grids, explanation, moved_households: moved }
}

/// Number of connected pieces of grid `g` (its parcels `list`) in the neighbour graph.
pub(crate) fn pieces(graph: &Graph, grid_of: &[Option<usize>], list: &[usize], g: usize) -> usize {
    let mut seen = std::collections::HashSet::with_capacity(list.len());
    let mut count = 0;
    for &start in list {
        if !seen.insert(start) {
            continue;
        }
        count += 1;
        let mut stack = vec![start];
        while let Some(p) = stack.pop() {
            for edge in &graph.adjacency[p] {
                if grid_of[edge.to] == Some(g) && seen.insert(edge.to) {
                    stack.push(edge.to);
                }
            }
        }
    }
    count
}

/// Polsby-Popper of the convex hull of footprints given in metres; 0 for a degenerate hull.
pub(crate) fn hull_polsby_popper<'a>(footprints: impl Iterator<Item = &'a MultiPolygon<f64>>) -> f64 {
    let points: Vec<Point<f64>> = footprints
        .flat_map(|footprint| footprint.0.iter().flat_map(|polygon| polygon.exterior().0.iter()))
        .map(|&c: &Coord<f64>| Point::from(c))
        .collect();
    let hull = MultiPoint::from(points).convex_hull();
    let perimeter = Euclidean.length(hull.exterior());
    if perimeter <= 0.0 {
        return 0.0;
    }
    4.0 * std::f64::consts::PI * hull.unsigned_area() / (perimeter * perimeter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn square_scores_pi_over_four_and_strip_scores_less() {
        let square = MultiPolygon::new(vec![
            polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)],
        ]);
        let pp = hull_polsby_popper([&square].into_iter());
        assert!((pp - std::f64::consts::FRAC_PI_4).abs() < 1e-9, "{pp}");
        let strip = MultiPolygon::new(vec![
            polygon![(x: 0.0, y: 0.0), (x: 40.0, y: 0.0), (x: 40.0, y: 10.0), (x: 0.0, y: 10.0)],
        ]);
        assert!(hull_polsby_popper([&strip].into_iter()) < 0.51);
        assert_eq!(hull_polsby_popper(std::iter::empty()), 0.0);
    }
}

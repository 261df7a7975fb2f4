//! Why a plan is not within bounds, in words a planner can act on: which piece of the
//! community (located by its centre and largest buildings) or which grid fails, by how much,
//! and what blocks the fix (a major road, too few households for a whole grid, no pair of grid
//! counts fitting the bounds, neighbours with nothing to spare). Grids are named by their
//! index in `Plan::grids`, buildings by their ids.

use std::collections::BTreeMap;

use super::graph::Graph;
use super::split::Parcel;
use super::{GridMetrics, Request, Status};

/// `None` when every household is in a grid, every grid is connected and within bounds.
pub(crate) fn explain(
    request: &Request,
    parcels: &[Parcel],
    graph: &Graph,
    grid_of: &[Option<usize>],
    grids: &[GridMetrics],
) -> Option<String> {
    let bounds = request.bounds;
    let (min, max) = (u64::from(bounds.min), u64::from(bounds.max));
    let mut lines: Vec<String> = Vec::new();

    // Households in no grid (possible in a given plan).
    let mut covered = vec![0u64; request.buildings.len()];
    for (parcel, grid) in parcels.iter().zip(grid_of) {
        if grid.is_some() {
            covered[parcel.building] += u64::from(parcel.households);
        }
    }
    for (building, &done) in request.buildings.iter().zip(&covered) {
        if done < u64::from(building.households) {
            lines.push(format!(
                "building {} has {} of its {} households in no grid",
                building.id,
                u64::from(building.households) - done,
                building.households
            ));
        }
    }

    let total: u64 = parcels.iter().map(|p| u64::from(p.households)).sum();
    if total > 0 && total < min {
        lines.push(format!(
            "the community has only {total} households, fewer than the minimum {min}: it is one grid, flagged undersized"
        ));
        return Some(lines.join("\n"));
    }

    // Pieces the major roads leave that cannot make grids within bounds (said only where a
    // grid there is indeed out of bounds: a planner may have joined the piece across the road).
    let mut troubled = vec![false; graph.components.len()];
    for (p, grid) in grid_of.iter().enumerate() {
        if grid.and_then(|g| grids.get(g)).is_some_and(|g| g.status != Status::Within) {
            troubled[graph.component[p]] = true;
        }
    }
    let describe = Describer { request, parcels, graph };
    let mut reported_component = vec![false; graph.components.len()];
    for (c, members) in graph.components.iter().enumerate() {
        let households: u64 = members.iter().map(|&p| u64::from(parcels[p].households)).sum();
        if households == 0 || !troubled[c] {
            continue;
        }
        let (lo, hi) = (households.div_ceil(max), households / min);
        let piece = describe.piece(c);
        if households < min {
            let why = match describe.severed_from(c) {
                Some(across) => format!("major roads separate it from the rest of the community ({across})"),
                None => "nothing connects it to the rest of the community".to_owned(),
            };
            lines.push(format!(
                "{piece} holds {households} households, fewer than the minimum {min}, and {why}: it is one undersized grid; join it to a grid across the road by hand, or mark that road as a minor barrier"
            ));
            reported_component[c] = true;
        } else if lo > hi {
            lines.push(format!(
                "{piece} holds {households} households: keeping every grid at or below {max} takes at least {lo} grids, but only {hi} grid(s) can reach the minimum {min}"
            ));
            reported_component[c] = true;
        }
    }

    // Grids out of bounds or broken apart.
    let borders = grid_borders(graph, parcels, grid_of, grids.len());
    for (g, grid) in grids.iter().enumerate() {
        let component = parcels.iter().zip(grid_of).position(|(_, &x)| x == Some(g)).map(|p| graph.component[p]);
        if !grid.connected {
            lines.push(format!("grid {g} falls apart: its buildings do not form one piece of the neighbour graph"));
        }
        if grid.status == Status::Within || component.is_some_and(|c| reported_component[c]) {
            continue;
        }
        let h = u64::from(grid.households);
        let neighbours: Vec<String> = borders[g]
            .iter()
            .map(|(&n, &theirs)| {
                let hn = u64::from(grids[n].households);
                // An under grid needs a parcel of n; an over grid must hand one of its own to n.
                let smallest =
                    if grid.status == Status::Under { theirs } else { borders[n].get(&g).copied().unwrap_or(0) };
                let blocked = match grid.status {
                    Status::Under if hn.saturating_sub(smallest) < min => {
                        format!("giving its smallest bordering parcel ({smallest}) would take it below {min}")
                    }
                    Status::Over if hn + smallest > max => {
                        format!("taking the smallest bordering parcel ({smallest}) would take it above {max}")
                    }
                    _ => "its bordering parcels hold it together or are too big".to_owned(),
                };
                format!("grid {n} with {hn} ({blocked})")
            })
            .collect();
        let neighbours = if neighbours.is_empty() {
            "it has no neighbouring grid".to_owned()
        } else {
            format!("its neighbours: {}", neighbours.join("; "))
        };
        let largest =
            parcels.iter().zip(grid_of).filter(|(_, x)| **x == Some(g)).map(|(p, _)| p.households).max().unwrap_or(0);
        let (side, bound) =
            if grid.status == Status::Under { ("fewer than the minimum", min) } else { ("more than the maximum", max) };
        lines.push(format!(
            "grid {g} has {h} households, {side} {bound} (its largest parcel holds {largest}); {neighbours}"
        ));
    }
    if lines.is_empty() { None } else { Some(lines.join("\n")) }
}

/// `borders[a][b]`: the households of the smallest parcel of grid `b` that borders grid `a`
/// (what `b` could give `a` at least).
fn grid_borders(graph: &Graph, parcels: &[Parcel], grid_of: &[Option<usize>], k: usize) -> Vec<BTreeMap<usize, u64>> {
    let mut borders: Vec<BTreeMap<usize, u64>> = vec![BTreeMap::new(); k];
    for (p, edges) in graph.adjacency.iter().enumerate() {
        let Some(b) = grid_of[p] else { continue };
        for edge in edges {
            match grid_of[edge.to] {
                Some(a) if a != b && a < k && b < k => {
                    let entry = borders[a].entry(b).or_insert(u64::MAX);
                    *entry = (*entry).min(u64::from(parcels[p].households));
                }
                _ => {}
            }
        }
    }
    borders
}

/// Names pieces of the community so a planner can find them on the map.
struct Describer<'a> {
    request: &'a Request,
    parcels: &'a [Parcel],
    graph: &'a Graph,
}

impl Describer<'_> {
    /// "the piece of 4 buildings around 114.41012 E, 30.50231 N (buildings 12, 15, 9)".
    fn piece(&self, c: usize) -> String {
        let members = &self.graph.components[c];
        let mut buildings: Vec<usize> = members.iter().map(|&p| self.parcels[p].building).collect();
        buildings.sort_unstable();
        buildings.dedup();
        let (mut x, mut y) = (0.0, 0.0);
        for &b in &buildings {
            x += self.graph.points[b][0];
            y += self.graph.points[b][1];
        }
        let n = buildings.len().max(1) as f64;
        let (lon, lat) = self.graph.projection.to_lonlat(x / n, y / n);
        buildings.sort_by_key(|&b| std::cmp::Reverse(self.request.buildings[b].households));
        let ids: Vec<String> = buildings.iter().take(3).map(|&b| self.request.buildings[b].id.to_string()).collect();
        let more = if buildings.len() > 3 { ", …" } else { "" };
        format!(
            "the piece of {} building(s) around {lon:.5} E, {lat:.5} N (buildings {}{more})",
            buildings.len(),
            ids.join(", ")
        )
    }

    /// "building 12 faces building 40 across one" when a major barrier severs component `c`.
    fn severed_from(&self, c: usize) -> Option<String> {
        let mut component_of = vec![None; self.request.buildings.len()];
        for (p, parcel) in self.parcels.iter().enumerate() {
            component_of[parcel.building] = Some(self.graph.component[p]);
        }
        self.graph.severed.iter().find_map(|&(a, b)| {
            let (ca, cb) = (component_of[a], component_of[b]);
            let id = |x: usize| self.request.buildings[x].id;
            match (ca == Some(c), cb == Some(c)) {
                (true, false) => Some(format!("building {} faces building {} across one", id(a), id(b))),
                (false, true) => Some(format!("building {} faces building {} across one", id(b), id(a))),
                _ => None,
            }
        })
    }
}

//! The neighbour graph of parcels, in a local metric projection.
//!
//! Buildings are triangulated (Delaunay, spade) by one representative point each: the footprint
//! centroid, or an interior point when the centroid falls outside (an L- or U-shaped block).
//! A triangulation edge is a neighbour relation unless
//! - the segment between the two points crosses a major barrier (removed for good), or
//! - it is long: footprints more than `max_gap_m` apart for an edge of the convex hull (whose
//!   cells may not meet inside the community), or more than four times that for an interior
//!   edge (whose cells meet across the courtyard or green space between them), and not in the
//!   same estate. A long edge is dropped unless it is among the shortest that reconnect what
//!   the others leave apart (Kruskal), so an isolated estate still belongs to its community.
//!
//! Each edge carries a cut cost, the price of putting its two ends in different grids: the
//! length of the dual Voronoi edge (the boundary the two buildings' cells share in a grid
//! polygon; clamped to 1–100 m because thin hull triangles put circumcentres far away), times
//! 0.3 across a minor barrier, 0.5 between different estates (or an estate and the street),
//! 4 inside an estate small enough for one grid and 1.5 inside a bigger one. Parts of a split
//! building form a chain (consecutive units side by side) and each part touches all parts of
//! the neighbouring buildings, the building's costs shared out among them.

use std::collections::HashMap;

use geo::{BoundingRect, Centroid, Contains, Distance, Euclidean, InteriorPoint, MapCoords, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Line as RLine};
use rstar::{AABB, RTree};
use spade::{DelaunayTriangulation, HasPosition, Point2, Triangulation};

use super::split::Parcel;
use super::{BarrierKind, Request};
use crate::spatial::measure::LocalProjection;

/// One neighbour of a parcel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Edge {
    pub to: usize,
    /// Price of cutting this edge (metres of grid boundary, weighted).
    pub cost: f64,
    /// Crosses a minor barrier, or leaves an estate: growth avoids it.
    pub soft: bool,
}

/// Parcels, their neighbours and the pieces the major barriers leave.
#[derive(Debug, Clone)]
pub(crate) struct Graph {
    pub projection: LocalProjection,
    /// Per building of the request (empty for a building with no parcel): footprint in metres.
    pub footprints: Vec<MultiPolygon<f64>>,
    /// Per building: representative point in metres.
    pub points: Vec<[f64; 2]>,
    /// Per building: footprint area, m².
    pub areas: Vec<f64>,
    /// Per parcel: its neighbours.
    pub adjacency: Vec<Vec<Edge>>,
    /// Per parcel: its component (index into `components`).
    pub component: Vec<usize>,
    /// Parcels of each component, components by households (largest first).
    pub components: Vec<Vec<usize>>,
    /// Building pairs that would be neighbours but for a major barrier between them.
    pub severed: Vec<(usize, usize)>,
}

/// A triangulation vertex: a building's point.
struct Site {
    position: Point2<f64>,
    building: usize,
}

impl HasPosition for Site {
    type Scalar = f64;
    fn position(&self) -> Point2<f64> {
        self.position
    }
}

/// Building-level candidate edge.
struct Candidate {
    a: usize,
    b: usize,
    gap: f64,
    dual: f64,
    /// On the convex hull: its Voronoi edge runs off to infinity, so the two cells may well not
    /// meet inside the community.
    hull: bool,
    minor: bool,
    /// Both in one estate: neighbours however far apart (rows of towers stand 50–90 m apart).
    same_estate: bool,
}

type BarrierSegment = GeomWithData<RLine<[f64; 2]>, BarrierKind>;

/// An interior edge may span this many times `max_gap_m`: its two cells meet in the grid
/// polygons anyway (courtyards, green space between estates), and dropping it leaves the
/// pieces hanging by one bridge.
const INTERIOR_GAP_FACTOR: f64 = 4.0;

impl Graph {
    pub fn build(request: &Request, parcels: &[Parcel]) -> Graph {
        let buildings = &request.buildings;
        let mut used = vec![false; buildings.len()];
        for parcel in parcels {
            used[parcel.building] = true;
        }
        let projection = projection_for(request, &used);
        let footprints: Vec<MultiPolygon<f64>> = buildings
            .iter()
            .zip(&used)
            .map(|(building, &used)| {
                if !used {
                    return MultiPolygon::new(Vec::new());
                }
                building.footprint.map_coords(|c| {
                    let (x, y) = projection.to_xy(c.x, c.y);
                    geo::coord! { x: x, y: y }
                })
            })
            .collect();
        let points: Vec<[f64; 2]> = footprints.iter().map(representative_point).collect();
        let areas: Vec<f64> = footprints.iter().map(geo::Area::unsigned_area).collect();

        let barriers = barrier_index(request, &projection);
        let max_gap = request.tuning.max_gap_m;
        let mut candidates = Vec::new();
        let mut severed = Vec::new();
        for (a, b, dual, hull) in triangulate(&points, &used) {
            match crossing(&barriers, points[a], points[b]) {
                Some(BarrierKind::Major) => severed.push((a.min(b), a.max(b))),
                kind => {
                    let gap = footprint_gap(&footprints[a], &footprints[b], points[a], points[b], max_gap);
                    let (ea, eb) = (buildings[a].estate, buildings[b].estate);
                    let same_estate = ea.is_some() && ea == eb;
                    candidates.push(Candidate {
                        a,
                        b,
                        gap,
                        dual,
                        hull,
                        minor: kind == Some(BarrierKind::Minor),
                        same_estate,
                    });
                }
            }
        }
        let kept = keep_short_and_bridges(candidates, buildings.len(), max_gap);

        let adjacency = parcel_adjacency(request, parcels, &areas, &kept);
        let (component, components) = components(parcels, &adjacency);
        Graph { projection, footprints, points, areas, adjacency, component, components, severed }
    }
}

/// Origin at the middle of the used footprints' extent.
fn projection_for(request: &Request, used: &[bool]) -> LocalProjection {
    let rects =
        request.buildings.iter().zip(used).filter(|(_, used)| **used).filter_map(|(b, _)| b.footprint.bounding_rect());
    let extent = rects.reduce(|a, b| {
        geo::Rect::new(
            geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
            geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
        )
    });
    let centre = extent.map_or((0.0, 0.0), |rect| (rect.center().x, rect.center().y));
    LocalProjection::new(centre.0, centre.1)
}

fn representative_point(footprint: &MultiPolygon<f64>) -> [f64; 2] {
    let inside = footprint.centroid().filter(|c| footprint.contains(c)).or_else(|| footprint.interior_point());
    let point = inside.or_else(|| footprint.0.first().and_then(|p| p.exterior().0.first()).map(|&c| Point::from(c)));
    point.map_or([0.0, 0.0], |p| [p.x(), p.y()])
}

/// Delaunay edges between used buildings `(a, b, dual Voronoi length, on the hull)`. Buildings
/// sharing a point (stacked duplicates) are joined to the first of them and share its
/// neighbours.
fn triangulate(points: &[[f64; 2]], used: &[bool]) -> Vec<(usize, usize, f64, bool)> {
    let mut first_at: HashMap<(u64, u64), usize> = HashMap::new();
    let mut duplicates: Vec<(usize, usize)> = Vec::new();
    let mut sites = Vec::new();
    for (building, point) in points.iter().enumerate().filter(|(b, _)| used[*b]) {
        let key = (point[0].to_bits(), point[1].to_bits());
        match first_at.get(&key) {
            Some(&first) => duplicates.push((first, building)),
            None => {
                first_at.insert(key, building);
                sites.push(Site { position: Point2::new(point[0], point[1]), building });
            }
        }
    }
    let mut edges = Vec::new();
    // Coordinates are finite metres near the origin (validated), so insertion cannot fail; if it
    // somehow did, the buildings would stay unconnected and the plan would say so.
    if sites.len() >= 2
        && let Ok(triangulation) = DelaunayTriangulation::<Site>::bulk_load(sites)
    {
        for edge in triangulation.undirected_edges() {
            let [a, b] = edge.vertices();
            let directed = edge.as_directed();
            let primal = edge.length_2().sqrt();
            let (dual, hull) = match (directed.face().as_inner(), directed.rev().face().as_inner()) {
                (Some(left), Some(right)) => (left.circumcenter().distance_2(right.circumcenter()).sqrt(), false),
                _ => (primal, true),
            };
            edges.push((a.data().building, b.data().building, dual.clamp(1.0, 100.0), hull));
        }
    }
    if !duplicates.is_empty() {
        let mut around: HashMap<usize, Vec<(usize, f64, bool)>> = HashMap::new();
        for &(a, b, dual, hull) in &edges {
            around.entry(a).or_default().push((b, dual, hull));
            around.entry(b).or_default().push((a, dual, hull));
        }
        for &(first, duplicate) in &duplicates {
            edges.push((first, duplicate, 1.0, false));
            for &(other, dual, hull) in around.get(&first).map(Vec::as_slice).unwrap_or_default() {
                edges.push((duplicate, other, dual, hull));
            }
        }
    }
    edges
}

fn barrier_index(request: &Request, projection: &LocalProjection) -> RTree<BarrierSegment> {
    let mut segments = Vec::new();
    for barrier in &request.barriers {
        for line in barrier.line.lines() {
            let (x0, y0) = projection.to_xy(line.start.x, line.start.y);
            let (x1, y1) = projection.to_xy(line.end.x, line.end.y);
            if [x0, y0, x1, y1].iter().all(|v| v.is_finite()) {
                segments.push(GeomWithData::new(RLine::new([x0, y0], [x1, y1]), barrier.kind));
            }
        }
    }
    RTree::bulk_load(segments)
}

/// The strongest barrier the segment `p`–`q` crosses.
fn crossing(barriers: &RTree<BarrierSegment>, p: [f64; 2], q: [f64; 2]) -> Option<BarrierKind> {
    let mut found = None;
    for segment in barriers.locate_in_envelope_intersecting(&AABB::from_corners(p, q)) {
        if segments_cross(p, q, segment.geom().from, segment.geom().to) {
            match segment.data {
                BarrierKind::Major => return Some(BarrierKind::Major),
                BarrierKind::Minor => found = Some(BarrierKind::Minor),
            }
        }
    }
    found
}

/// Proper or touching intersection of two segments (orientation test).
fn segments_cross(p: [f64; 2], q: [f64; 2], r: [f64; 2], s: [f64; 2]) -> bool {
    let orient = |a: [f64; 2], b: [f64; 2], c: [f64; 2]| (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
    let (d1, d2) = (orient(r, s, p), orient(r, s, q));
    let (d3, d4) = (orient(p, q, r), orient(p, q, s));
    (d1 * d2 <= 0.0) && (d3 * d4 <= 0.0) && !(d1 == 0.0 && d2 == 0.0 && d3 == 0.0 && d4 == 0.0)
}

/// Distance between two footprints, exact only where it matters: points inside footprints at
/// most `max_gap` apart bound the gap from above (short for sure), and the distance between
/// bounding boxes bounds it from below (long for sure; good enough to rank long edges).
fn footprint_gap(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>, pa: [f64; 2], pb: [f64; 2], max_gap: f64) -> f64 {
    let centres = ((pa[0] - pb[0]).powi(2) + (pa[1] - pb[1]).powi(2)).sqrt();
    if centres <= max_gap {
        return centres;
    }
    if let (Some(ra), Some(rb)) = (a.bounding_rect(), b.bounding_rect()) {
        let dx = (rb.min().x - ra.max().x).max(ra.min().x - rb.max().x).max(0.0);
        let dy = (rb.min().y - ra.max().y).max(ra.min().y - rb.max().y).max(0.0);
        let boxes = (dx * dx + dy * dy).sqrt();
        if boxes > max_gap {
            return boxes;
        }
    }
    let mut gap = f64::INFINITY;
    for polygon_a in &a.0 {
        for polygon_b in &b.0 {
            gap = gap.min(Euclidean.distance(polygon_a, polygon_b));
        }
    }
    gap
}

/// Short edges, plus the shortest long edges that join what short ones leave apart.
fn keep_short_and_bridges(candidates: Vec<Candidate>, buildings: usize, max_gap: f64) -> Vec<Candidate> {
    let mut sets = UnionFind::new(buildings);
    let (mut kept, mut long): (Vec<Candidate>, Vec<Candidate>) = candidates
        .into_iter()
        .partition(|c| c.same_estate || c.gap <= if c.hull { max_gap } else { INTERIOR_GAP_FACTOR * max_gap });
    for edge in &kept {
        sets.union(edge.a, edge.b);
    }
    long.sort_by(|x, y| x.gap.total_cmp(&y.gap).then((x.a, x.b).cmp(&(y.a, y.b))));
    for edge in long {
        if sets.union(edge.a, edge.b) {
            kept.push(edge);
        }
    }
    kept
}

/// Expands building edges to parcels, with costs.
fn parcel_adjacency(request: &Request, parcels: &[Parcel], areas: &[f64], kept: &[Candidate]) -> Vec<Vec<Edge>> {
    let buildings = &request.buildings;
    let mut parts: Vec<Vec<usize>> = vec![Vec::new(); buildings.len()];
    for (index, parcel) in parcels.iter().enumerate() {
        parts[parcel.building].push(index);
    }
    let mut estate_households: HashMap<i64, u64> = HashMap::new();
    for building in buildings {
        if let Some(estate) = building.estate {
            *estate_households.entry(estate).or_default() += u64::from(building.households);
        }
    }
    let max = u64::from(request.bounds.max);
    let mut adjacency: Vec<Vec<Edge>> = vec![Vec::new(); parcels.len()];
    for edge in kept {
        let (ea, eb) = (buildings[edge.a].estate, buildings[edge.b].estate);
        let estate_factor = match (ea, eb) {
            (Some(x), Some(y)) if x == y => {
                if estate_households.get(&x).copied().unwrap_or(0) <= max {
                    4.0
                } else {
                    1.5
                }
            }
            (None, None) => 1.0,
            _ => 0.5,
        };
        let barrier_factor = if edge.minor { 0.3 } else { 1.0 };
        let (pa, pb) = (&parts[edge.a], &parts[edge.b]);
        let share = (pa.len() * pb.len()).max(1) as f64;
        let cost = edge.dual * estate_factor * barrier_factor / share;
        let soft = edge.minor || ea != eb;
        for &x in pa {
            for &y in pb {
                adjacency[x].push(Edge { to: y, cost, soft });
                adjacency[y].push(Edge { to: x, cost, soft });
            }
        }
    }
    // Parts of one building: a chain, cutting it costs about the building's width.
    for (building, chain) in parts.iter().enumerate() {
        let width = areas[building].sqrt().max(1.0);
        for pair in chain.windows(2) {
            adjacency[pair[0]].push(Edge { to: pair[1], cost: width, soft: false });
            adjacency[pair[1]].push(Edge { to: pair[0], cost: width, soft: false });
        }
    }
    // A fixed neighbour order keeps every later pass deterministic.
    for list in &mut adjacency {
        list.sort_by_key(|edge| edge.to);
        list.dedup_by_key(|edge| edge.to);
    }
    adjacency
}

/// Connected components, largest households first (ties by first parcel).
fn components(parcels: &[Parcel], adjacency: &[Vec<Edge>]) -> (Vec<usize>, Vec<Vec<usize>>) {
    let mut component = vec![usize::MAX; parcels.len()];
    let mut found: Vec<Vec<usize>> = Vec::new();
    for start in 0..parcels.len() {
        if component[start] != usize::MAX {
            continue;
        }
        let id = found.len();
        let mut members = vec![start];
        component[start] = id;
        let mut next = 0;
        while next < members.len() {
            let node = members[next];
            next += 1;
            for edge in &adjacency[node] {
                if component[edge.to] == usize::MAX {
                    component[edge.to] = id;
                    members.push(edge.to);
                }
            }
        }
        members.sort_unstable();
        found.push(members);
    }
    let households = |members: &Vec<usize>| members.iter().map(|&p| u64::from(parcels[p].households)).sum::<u64>();
    let mut order: Vec<usize> = (0..found.len()).collect();
    order.sort_by(|&x, &y| households(&found[y]).cmp(&households(&found[x])).then(found[x][0].cmp(&found[y][0])));
    let mut rank = vec![0; found.len()];
    for (new, &old) in order.iter().enumerate() {
        rank[old] = new;
    }
    for c in &mut component {
        *c = rank[*c];
    }
    let sorted = order.into_iter().map(|old| std::mem::take(&mut found[old])).collect();
    (component, sorted)
}

/// Disjoint sets with path halving.
struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        Self { parent: (0..n).collect() }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    /// Joins the sets of `a` and `b`; false if they were already one.
    fn union(&mut self, a: usize, b: usize) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        self.parent[ra.max(rb)] = ra.min(rb);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossing_segments_are_detected_and_parallel_ones_are_not() {
        assert!(segments_cross([0.0, 0.0], [2.0, 2.0], [0.0, 2.0], [2.0, 0.0]));
        assert!(!segments_cross([0.0, 0.0], [2.0, 0.0], [0.0, 1.0], [2.0, 1.0]));
        assert!(!segments_cross([0.0, 0.0], [1.0, 0.0], [2.0, -1.0], [2.0, 1.0]));
    }

    #[test]
    fn union_find_reports_new_joins_only() {
        let mut sets = UnionFind::new(4);
        assert!(sets.union(0, 1));
        assert!(sets.union(2, 3));
        assert!(!sets.union(1, 0));
        assert!(sets.union(1, 3));
        assert_eq!(sets.find(2), sets.find(0));
    }
}

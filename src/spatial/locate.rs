//! Snapping a WGS84 point to a building: an in-memory R-tree of footprints that answers "which
//! building is this pin in, or else which is nearest within N metres?" without a database trip.
//!
//! Containment is decided in degrees (exact, so a pin on a wall counts as inside). Distances are
//! measured in metres in a local projection centred on the pin, so answers are right at any
//! latitude (Helsinki and Shanghai can share one index).

use std::ops::ControlFlow;

use geo::{BoundingRect, Coord, Distance, Euclidean, Intersects, Line, MultiPolygon, Point, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RStarInsertionStrategy, RTree, RTreeParams};

use super::measure::LocalProjection;

/// A building's footprint in WGS84.
#[derive(Debug, Clone, PartialEq)]
pub struct Footprint {
    pub building_id: i64,
    pub polygon: MultiPolygon<f64>,
}

/// The building a point was snapped to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub building_id: i64,
    /// Metres from the point to the footprint's boundary; 0.0 when the point is inside or on it.
    pub distance_m: f64,
}

/// Whose polygon a tree entry bounds, and where that polygon is in `LocateIndex::parts`.
#[derive(Debug, Clone, Copy)]
struct PartRef {
    building_id: i64,
    part: usize,
}

/// One polygon of a footprint, by its bounding box. Each part of a MultiPolygon has its own
/// entry: boxes stay tight, the building id is at hand without touching the polygon, and the
/// coordinates are two hops from the tree (entry → polygon → ring).
type Entry = GeomWithData<Rectangle<[f64; 2]>, PartRef>;

/// Wider nodes than rstar's default of 6: a million footprints make a tree 5 levels deep instead
/// of 8. Random lookups are bound by cache misses per level, so fewer, longer scans win.
struct WideNodes;

impl RTreeParams for WideNodes {
    const MIN_SIZE: usize = 6;
    const MAX_SIZE: usize = 16;
    const REINSERTION_COUNT: usize = 4;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

/// Footprints' polygons behind an R-tree of their bounding boxes.
pub struct LocateIndex {
    tree: RTree<Entry, WideNodes>,
    parts: Vec<Polygon<f64>>,
    footprints: usize,
}

impl LocateIndex {
    /// Bulk-loads the index. Polygons without a finite bounding box (empty, or with non-finite
    /// coordinates) can never be located and are left out; so is a footprint left with none.
    pub fn new(footprints: Vec<Footprint>) -> Self {
        let mut parts = Vec::with_capacity(footprints.len());
        let mut entries = Vec::with_capacity(footprints.len());
        let mut kept = 0;
        for Footprint { building_id, polygon } in footprints {
            let before = parts.len();
            for part in polygon {
                if let Some(rect) = finite_bounds(&part) {
                    entries.push(GeomWithData::new(rect, PartRef { building_id, part: parts.len() }));
                    parts.push(part);
                }
            }
            kept += usize::from(parts.len() > before);
        }
        Self { tree: RTree::bulk_load_with_params(entries), parts, footprints: kept }
    }

    /// Number of footprints indexed.
    pub fn len(&self) -> usize {
        self.footprints
    }

    pub fn is_empty(&self) -> bool {
        self.footprints == 0
    }

    /// The building containing the point, else the nearest within `max_distance_m` metres,
    /// else None. Among equals (overlapping footprints, equal distances) the lowest
    /// `building_id` wins, so answers do not depend on load order.
    pub fn locate(&self, lon: f64, lat: f64, max_distance_m: f64) -> Option<Hit> {
        if !(lon.is_finite() && lat.is_finite()) {
            return None;
        }
        self.containing(lon, lat).or_else(|| self.nearest(lon, lat, max_distance_m))
    }

    fn containing(&self, lon: f64, lat: f64) -> Option<Hit> {
        let at = Coord { x: lon, y: lat };
        let mut best: Option<i64> = None;
        let _: ControlFlow<()> = self.tree.locate_all_at_point_int(&[lon, lat], |entry| {
            let PartRef { building_id, part } = entry.data;
            // The exact test only for a candidate that could still win.
            if best.is_none_or(|b| building_id < b) && self.parts[part].intersects(&at) {
                best = Some(building_id);
            }
            ControlFlow::Continue(())
        });
        best.map(|building_id| Hit { building_id, distance_m: 0.0 })
    }

    /// Nearest footprint boundary within `max_distance_m`, for a point inside none.
    fn nearest(&self, lon: f64, lat: f64, max_distance_m: f64) -> Option<Hit> {
        if max_distance_m.is_nan() || max_distance_m < 0.0 {
            return None;
        }
        let projection = LocalProjection::new(lon, lat);
        let (dlon, dlat) = projection.degrees_for(max_distance_m);
        let mut best: Option<Hit> = None;
        for (window, shift) in search_windows(lon, lat, dlon, dlat) {
            let _: ControlFlow<()> = self.tree.locate_in_envelope_intersecting_int(&window, |entry| {
                let PartRef { building_id, part } = entry.data;
                // The box is a lower bound for the polygon: skip the exact measure when it
                // cannot win (the window's corners reach farther than the radius).
                let bound = box_distance_m(&projection, entry.geom(), (lon, lat), shift);
                let limit = best.map_or(max_distance_m, |b| b.distance_m);
                if bound <= limit {
                    let distance_m = boundary_distance_m(&projection, &self.parts[part], shift);
                    let candidate = Hit { building_id, distance_m };
                    if distance_m <= max_distance_m && best.is_none_or(|b| beats(candidate, b)) {
                        best = Some(candidate);
                    }
                }
                ControlFlow::Continue(())
            });
        }
        best
    }
}

/// Nearer wins; at equal distance, the lower building id.
fn beats(a: Hit, b: Hit) -> bool {
    a.distance_m < b.distance_m || (a.distance_m == b.distance_m && a.building_id < b.building_id)
}

fn finite_bounds(polygon: &Polygon<f64>) -> Option<Rectangle<[f64; 2]>> {
    let rect = polygon.bounding_rect()?;
    let (min, max) = (rect.min(), rect.max());
    [min.x, min.y, max.x, max.y]
        .iter()
        .all(|v| v.is_finite())
        .then(|| Rectangle::from_corners([min.x, min.y], [max.x, max.y]))
}

/// The degree windows to search around (lon, lat), each with the longitude shift that moves
/// its contents next to the point: one window, or two when the search crosses ±180°.
fn search_windows(lon: f64, lat: f64, dlon: f64, dlat: f64) -> impl Iterator<Item = (AABB<[f64; 2]>, f64)> {
    let (south, north) = ((lat - dlat).max(-90.0), (lat + dlat).min(90.0));
    let window = |west: f64, east: f64| AABB::from_corners([west, south], [east, north]);
    // Near a pole (or for a continental radius) the window is every longitude.
    if dlon >= 180.0 {
        return [Some((window(-180.0, 180.0), 0.0)), None].into_iter().flatten();
    }
    let (west, east) = (lon - dlon, lon + dlon);
    let wrapped = if west < -180.0 {
        Some((window(west + 360.0, 180.0), -360.0))
    } else if east > 180.0 {
        Some((window(-180.0, east - 360.0), 360.0))
    } else {
        None
    };
    [Some((window(west.max(-180.0), east.min(180.0)), 0.0)), wrapped].into_iter().flatten()
}

/// Metres from the point (lon, lat), the projection's origin, to a bounding box that is
/// moved by `shift` degrees of longitude.
fn box_distance_m(projection: &LocalProjection, rect: &Rectangle<[f64; 2]>, (lon, lat): (f64, f64), shift: f64) -> f64 {
    let [x, y] = rect.nearest_point(&[lon - shift, lat]);
    let (dx, dy) = projection.to_xy(x + shift, y);
    (dx * dx + dy * dy).sqrt()
}

/// Metres from the projection's origin to the nearest point of the polygon's boundary
/// (exterior and holes), measuring with geo's Euclidean distance on projected segments so
/// that no projected copy of the polygon is allocated.
fn boundary_distance_m(projection: &LocalProjection, polygon: &Polygon<f64>, shift: f64) -> f64 {
    let origin = Point::new(0.0, 0.0);
    let project = |c: Coord| {
        let (x, y) = projection.to_xy(c.x + shift, c.y);
        Coord { x, y }
    };
    std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .flat_map(|ring| ring.lines())
        .map(|line| Euclidean.distance(&origin, &Line::new(project(line.start), project(line.end))))
        .fold(f64::INFINITY, f64::min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, MapCoords, polygon};
    use proptest::prelude::*;

    /// A polygon drawn in metres around `origin` (exterior, then holes), returned in WGS84.
    fn drawn(origin: (f64, f64), rings: &[&[(f64, f64)]]) -> MultiPolygon<f64> {
        let projection = LocalProjection::new(origin.0, origin.1);
        let ring = |corners: &[(f64, f64)]| {
            LineString::from(corners.iter().map(|&(x, y)| projection.to_lonlat(x, y)).collect::<Vec<_>>())
        };
        let holes = rings[1..].iter().map(|r| ring(r)).collect();
        MultiPolygon::new(vec![Polygon::new(ring(rings[0]), holes)])
    }

    /// An axis-aligned rectangle in metres, corners (x0, y0) and (x1, y1).
    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<(f64, f64)> {
        vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    }

    fn footprint(building_id: i64, origin: (f64, f64), rings: &[&[(f64, f64)]]) -> Footprint {
        Footprint { building_id, polygon: drawn(origin, rings) }
    }

    const SHANGHAI: (f64, f64) = (121.47, 31.23);
    const HELSINKI: (f64, f64) = (24.94, 60.17);

    /// The WGS84 position `x`, `y` metres east and north of `origin`.
    fn at(origin: (f64, f64), x: f64, y: f64) -> (f64, f64) {
        LocalProjection::new(origin.0, origin.1).to_lonlat(x, y)
    }

    fn assert_hit(hit: Option<Hit>, building_id: i64, distance_m: f64) {
        let hit = hit.unwrap_or_else(|| panic!("expected building {building_id}, got nothing"));
        assert_eq!(hit.building_id, building_id, "{hit:?}");
        assert!((hit.distance_m - distance_m).abs() < 0.05, "{hit:?}, want {distance_m} m");
    }

    /// Two 20 m × 12 m buildings 30 m apart in Shanghai.
    fn street() -> LocateIndex {
        LocateIndex::new(vec![
            footprint(1, SHANGHAI, &[&rect(0.0, 0.0, 20.0, 12.0)]),
            footprint(2, SHANGHAI, &[&rect(50.0, 0.0, 70.0, 12.0)]),
        ])
    }

    #[test]
    fn point_inside_a_building_returns_it_at_zero_metres() {
        let (lon, lat) = at(SHANGHAI, 10.0, 6.0);
        assert_eq!(street().locate(lon, lat, 30.0), Some(Hit { building_id: 1, distance_m: 0.0 }));
    }

    #[test]
    fn point_on_an_edge_or_vertex_counts_as_inside() {
        // Corners on exact degree values, so the point is on the edge with no rounding.
        let square = polygon![
            (x: 114.0, y: 30.0), (x: 114.001, y: 30.0), (x: 114.001, y: 30.001), (x: 114.0, y: 30.001)
        ];
        let index = LocateIndex::new(vec![Footprint { building_id: 7, polygon: square.into() }]);
        for (lon, lat) in [(114.0005, 30.0), (114.001, 30.0005), (114.0, 30.0), (114.001, 30.001)] {
            assert_eq!(index.locate(lon, lat, 0.0), Some(Hit { building_id: 7, distance_m: 0.0 }));
        }
    }

    #[test]
    fn point_between_buildings_returns_the_nearest_within_the_radius() {
        let (lon, lat) = at(SHANGHAI, 30.0, 6.0);
        assert_hit(street().locate(lon, lat, 30.0), 1, 10.0);
        let (lon, lat) = at(SHANGHAI, 45.0, -3.0);
        assert_hit(street().locate(lon, lat, 30.0), 2, 5.830_951_894_845_301); // hypot(5, 3)
    }

    #[test]
    fn point_with_nothing_within_the_radius_returns_none() {
        let (lon, lat) = at(SHANGHAI, 35.0, 45.0);
        assert_eq!(street().locate(lon, lat, 30.0), None);
        let (lon, lat) = at(SHANGHAI, 30.0, 6.0);
        assert_eq!(street().locate(lon, lat, 9.9), None);
        assert_eq!(street().locate(lon, lat, -1.0), None);
        assert_eq!(street().locate(lon, lat, f64::NAN), None);
    }

    #[test]
    fn point_in_a_courtyard_returns_the_building_at_the_distance_to_the_inner_wall() {
        let courtyard = footprint(3, SHANGHAI, &[&rect(0.0, 0.0, 60.0, 60.0), &rect(10.0, 10.0, 50.0, 50.0)]);
        let index = LocateIndex::new(vec![courtyard]);
        let (lon, lat) = at(SHANGHAI, 30.0, 15.0);
        assert_hit(index.locate(lon, lat, 30.0), 3, 5.0);
        assert_eq!(index.locate(lon, lat, 4.0), None);
        let (lon, lat) = at(SHANGHAI, 5.0, 30.0); // in the wing, not the courtyard
        assert_eq!(index.locate(lon, lat, 30.0), Some(Hit { building_id: 3, distance_m: 0.0 }));
    }

    #[test]
    fn ties_go_to_the_lower_building_id_whatever_the_load_order() {
        // Binary fractions of a degree, so both gaps are exactly equal in floating point.
        let step = 1.0 / 8192.0; // about 14 m of latitude
        let square = |west: f64| -> MultiPolygon<f64> {
            polygon![(x: west, y: 30.0), (x: west + step, y: 30.0), (x: west + step, y: 30.0 + step),
                (x: west, y: 30.0 + step)]
            .into()
        };
        let a = Footprint { building_id: 20, polygon: square(114.0 - 2.0 * step) };
        let b = Footprint { building_id: 10, polygon: square(114.0 - 2.0 * step) }; // same shape
        let c = Footprint { building_id: 15, polygon: square(114.0 + step) }; // mirror of a
        let (inside, midway) = ((114.0 - 1.5 * step, 30.0 + step / 2.0), (114.0, 30.0 + step / 2.0));
        for footprints in [vec![a.clone(), b.clone(), c.clone()], vec![c, b, a]] {
            let index = LocateIndex::new(footprints);
            assert_eq!(index.locate(inside.0, inside.1, 30.0).map(|h| h.building_id), Some(10));
            assert_eq!(index.locate(midway.0, midway.1, 30.0).map(|h| h.building_id), Some(10));
        }
    }

    #[test]
    fn distances_are_metres_at_any_latitude_in_one_index() {
        let index = LocateIndex::new(vec![
            footprint(1, SHANGHAI, &[&rect(0.0, 0.0, 20.0, 12.0)]),
            footprint(2, HELSINKI, &[&rect(0.0, 0.0, 20.0, 12.0)]),
        ]);
        for (origin, id) in [(SHANGHAI, 1), (HELSINKI, 2)] {
            let (lon, lat) = at(origin, 45.0, 6.0); // 25 m east
            assert_hit(index.locate(lon, lat, 30.0), id, 25.0);
            assert_eq!(index.locate(lon, lat, 24.0), None);
            let (lon, lat) = at(origin, 10.0, 37.0); // 25 m north
            assert_hit(index.locate(lon, lat, 30.0), id, 25.0);
        }
    }

    #[test]
    fn search_reaches_across_the_antimeridian() {
        // Fiji: a building just west of 180°, a pin just east of it.
        let square = polygon![(x: 179.9997, y: -16.5001), (x: 179.9999, y: -16.5001),
            (x: 179.9999, y: -16.4999), (x: 179.9997, y: -16.4999)];
        let index = LocateIndex::new(vec![Footprint { building_id: 1, polygon: square.into() }]);
        let (lon, lat) = (-179.9999, -16.5);
        let gap_m = 0.0002 / LocalProjection::new(lon, lat).degrees_for(1.0).0; // about 21 m
        assert_hit(index.locate(lon, lat, 30.0), 1, gap_m);
        assert_eq!(index.locate(-lon, lat, 30.0).map(|h| h.distance_m), Some(0.0));
    }

    #[test]
    fn multi_part_footprint_counts_a_shared_wall_as_inside_and_measures_its_nearest_part() {
        // Two wings sharing the wall x = 20 m, and a detached annex at x = 60..70 m.
        let parts = [rect(0.0, 0.0, 20.0, 12.0), rect(20.0, 0.0, 40.0, 12.0), rect(60.0, 0.0, 70.0, 12.0)];
        let polygon = MultiPolygon::new(parts.iter().flat_map(|r| drawn(SHANGHAI, &[r]).0).collect());
        let index = LocateIndex::new(vec![Footprint { building_id: 4, polygon }]);
        assert_eq!(index.len(), 1);
        let (lon, lat) = at(SHANGHAI, 20.0, 6.0);
        assert_eq!(index.locate(lon, lat, 0.0), Some(Hit { building_id: 4, distance_m: 0.0 }));
        let (lon, lat) = at(SHANGHAI, 80.0, 6.0);
        assert_hit(index.locate(lon, lat, 30.0), 4, 10.0);
    }

    #[test]
    fn empty_or_non_finite_footprints_are_left_out() {
        let nan = polygon![(x: f64::NAN, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)];
        let index = LocateIndex::new(vec![
            Footprint { building_id: 1, polygon: MultiPolygon::new(vec![]) },
            Footprint { building_id: 2, polygon: nan.into() },
        ]);
        assert!(index.is_empty());
        assert_eq!(index.locate(0.5, 0.5, 100.0), None);
        assert_eq!(street().len(), 2);
        assert_eq!(street().locate(f64::NAN, 31.23, 30.0), None);
    }

    /// The answer by scanning every footprint with geo's own whole-geometry predicates.
    fn brute_force(footprints: &[Footprint], lon: f64, lat: f64, max_distance_m: f64) -> Option<Hit> {
        let projection = LocalProjection::new(lon, lat);
        let origin = Point::new(0.0, 0.0);
        footprints
            .iter()
            .map(|f| {
                let inside = f.polygon.0.iter().any(|p| p.intersects(&Coord { x: lon, y: lat }));
                let projected = f.polygon.map_coords(|c| {
                    let (x, y) = projection.to_xy(c.x, c.y);
                    Coord { x, y }
                });
                let distance_m = if inside { 0.0 } else { Euclidean.distance(&origin, &projected) };
                Hit { building_id: f.building_id, distance_m }
            })
            .filter(|hit| hit.distance_m <= max_distance_m)
            .reduce(|best, hit| if beats(hit, best) { hit } else { best })
    }

    /// A rotated rectangle in metres (centre, size, angle), with an optional courtyard.
    fn shape() -> impl Strategy<Value = (f64, f64, f64, f64, f64, bool)> {
        (-150.0..150.0f64, -150.0..150.0f64, 4.0..60.0f64, 4.0..40.0f64, 0.0..std::f64::consts::PI, any::<bool>())
    }

    fn rotated(
        origin: (f64, f64),
        (cx, cy, w, h, angle, courtyard): (f64, f64, f64, f64, f64, bool),
    ) -> MultiPolygon<f64> {
        let corners = |scale: f64| -> Vec<(f64, f64)> {
            [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)]
                .iter()
                .map(|&(sx, sy)| {
                    let (x, y) = (sx * w * scale / 2.0, sy * h * scale / 2.0);
                    (cx + x * angle.cos() - y * angle.sin(), cy + x * angle.sin() + y * angle.cos())
                })
                .collect()
        };
        let (outer, inner) = (corners(1.0), corners(0.5));
        if courtyard { drawn(origin, &[&outer, &inner]) } else { drawn(origin, &[&outer]) }
    }

    proptest! {
        #[test]
        fn locate_agrees_with_a_brute_force_scan(
            lon0 in -170.0..170.0f64,
            lat0 in -70.0..70.0f64,
            shapes in prop::collection::vec((0..40i64, shape()), 1..40),
            points in prop::collection::vec((-200.0..200.0f64, -200.0..200.0f64, 0.0..60.0f64), 1..40),
            on_vertex in any::<prop::sample::Index>(),
        ) {
            let origin = (lon0, lat0);
            let footprints: Vec<Footprint> = shapes
                .into_iter()
                .map(|(building_id, s)| Footprint { building_id, polygon: rotated(origin, s) })
                .collect();
            let index = LocateIndex::new(footprints.clone());
            let vertex = on_vertex.get(&footprints).polygon.0[0].exterior().0[0];
            let queries = points
                .iter()
                .map(|&(x, y, r)| (at(origin, x, y), r))
                .chain([((vertex.x, vertex.y), 0.0)]);
            for ((lon, lat), max_distance_m) in queries {
                let got = index.locate(lon, lat, max_distance_m);
                let want = brute_force(&footprints, lon, lat, max_distance_m);
                match (got, want) {
                    (Some(g), Some(w)) => {
                        let context = format!("at ({lon}, {lat}) r={max_distance_m}: got {g:?}, want {w:?}");
                        prop_assert!((g.distance_m - w.distance_m).abs() < 1e-6, "{context}");
                        // Containment is exact in both; outside, two footprints may tie within rounding.
                        prop_assert!(g.building_id == w.building_id || w.distance_m > 0.0, "{context}");
                    }
                    (None, None) => {}
                    // Only a candidate right at the radius may fall either side of it.
                    (g, w) => {
                        let d = g.or(w).map_or(0.0, |h| h.distance_m);
                        prop_assert!((d - max_distance_m).abs() < 1e-6, "got {g:?}, want {w:?}");
                    }
                }
            }
        }
    }
}

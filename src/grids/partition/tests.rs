//! Engine tests: hand-made communities (a tower, an isolated estate, a road, an infeasible
//! piece, an undersized community, a re-generation), property tests on random communities, and
//! runs on real buildings (`../shared/data`) that print figures (`--nocapture`).

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use geo::{LineString, MultiPolygon, Polygon};
use proptest::prelude::*;

use super::*;
use crate::spatial::measure::LocalProjection;

const ORIGIN: (f64, f64) = (114.40, 30.50);

/// A `w` × `h` m rectangle at (`x`, `y`) m from the origin, in WGS84.
fn rect(x: f64, y: f64, w: f64, h: f64) -> MultiPolygon<f64> {
    let p = LocalProjection::new(ORIGIN.0, ORIGIN.1);
    let ring: Vec<(f64, f64)> =
        [(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)].iter().map(|&(a, b)| p.to_lonlat(a, b)).collect();
    MultiPolygon::new(vec![Polygon::new(LineString::from(ring), vec![])])
}

fn building(id: i64, households: u32, x: f64, y: f64) -> Building {
    Building { id, households, footprint: rect(x, y, 20.0, 12.0), estate: None, units: Vec::new() }
}

fn road(points: &[(f64, f64)], kind: BarrierKind) -> Barrier {
    let p = LocalProjection::new(ORIGIN.0, ORIGIN.1);
    Barrier { line: LineString::from(points.iter().map(|&(x, y)| p.to_lonlat(x, y)).collect::<Vec<_>>()), kind }
}

/// `count` buildings of `households` each on a grid of 30 m × 25 m steps from (`x0`, `y0`).
fn block(first_id: i64, count: usize, households: u32, x0: f64, y0: f64, columns: usize) -> Vec<Building> {
    (0..count)
        .map(|i| {
            building(
                first_id + i as i64,
                households,
                x0 + (i % columns) as f64 * 30.0,
                y0 + (i / columns) as f64 * 25.0,
            )
        })
        .collect()
}

fn request(buildings: Vec<Building>, barriers: Vec<Barrier>) -> Request {
    Request { buildings, barriers, ..Request::default() }
}

fn grid_of(plan: &Plan, building: BuildingId) -> Option<usize> {
    plan.parcels.iter().find(|a| a.id.building == building).and_then(|a| a.grid)
}

fn households(plan: &Plan) -> Vec<u32> {
    let mut h: Vec<u32> = plan.grids.iter().map(|g| g.households).collect();
    h.sort_unstable();
    h
}

#[test]
fn tower_above_max_is_split_by_whole_units_into_grids_within_bounds() {
    let mut tower = building(1, 1200, 0.0, 0.0);
    tower.units = (1..=10).map(|number| Unit { number, households: 120 }).collect();
    let mut buildings = vec![tower];
    buildings.extend(block(10, 6, 50, 40.0, 0.0, 3));
    let plan = partition(&request(buildings, vec![])).expect("valid request");
    assert!(plan.feasible, "{:?}", plan.explanation);
    let parts: Vec<(Part, Option<usize>)> =
        plan.parcels.iter().filter(|a| a.id.building == 1).map(|a| (a.id.part, a.grid)).collect();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].0, Part::Units { first: 1, last: 5 });
    assert_eq!(parts[1].0, Part::Units { first: 6, last: 10 });
    assert_ne!(parts[0].1, parts[1].1, "each half of the tower is its own grid");
    assert_eq!(households(&plan), vec![300, 600, 600]);
}

#[test]
fn tower_without_units_is_split_into_equal_virtual_parts() {
    let plan = partition(&request(vec![building(1, 2100, 0.0, 0.0)], vec![])).expect("valid request");
    assert!(plan.feasible, "{:?}", plan.explanation);
    assert_eq!(households(&plan), vec![525, 525, 525, 525]);
    assert!(plan.parcels.iter().all(|a| matches!(a.id.part, Part::Virtual { of: 4, .. })));
}

#[test]
fn isolated_estate_far_from_the_rest_is_linked_and_kept_whole() {
    let mut buildings = block(1, 24, 40, 0.0, 0.0, 6); // 960 households
    let mut estate = block(100, 8, 45, 600.0, 400.0, 4); // 360 households, 600 m away
    for b in &mut estate {
        b.estate = Some(7);
    }
    buildings.extend(estate);
    let plan = partition(&request(buildings, vec![])).expect("valid request");
    assert!(plan.feasible, "{:?}", plan.explanation);
    assert!(plan.grids.iter().all(|g| g.connected));
    let estate_grids: HashSet<_> = (100..108).map(|id| grid_of(&plan, id)).collect();
    assert_eq!(estate_grids.len(), 1, "the estate is cut: {estate_grids:?}");
}

#[test]
fn major_road_cutting_a_community_gives_two_grids_one_on_each_side() {
    // 450 households west of x = 100 m, 550 east of it, a primary road between.
    let mut buildings = block(1, 9, 50, 0.0, 0.0, 3);
    buildings.extend(block(100, 11, 50, 120.0, 0.0, 3));
    let barriers = vec![road(&[(105.0, -50.0), (105.0, 200.0)], BarrierKind::Major)];
    let plan = partition(&request(buildings, barriers)).expect("valid request");
    assert!(plan.feasible, "{:?}", plan.explanation);
    assert_eq!(households(&plan), vec![450, 550]);
    let west: HashSet<_> = (1..10).map(|id| grid_of(&plan, id)).collect();
    let east: HashSet<_> = (100..111).map(|id| grid_of(&plan, id)).collect();
    assert_eq!((west.len(), east.len()), (1, 1));
    assert!(west.is_disjoint(&east));
}

#[test]
fn minor_road_is_preferred_as_a_grid_boundary() {
    // 20 buildings of 50 in a 5 × 4 block; a minor street splits it 10 | 10.
    let mut buildings = block(1, 10, 50, 0.0, 0.0, 2);
    buildings.extend(block(100, 10, 50, 75.0, 0.0, 2));
    let barriers = vec![road(&[(62.0, -50.0), (62.0, 200.0)], BarrierKind::Minor)];
    let plan = partition(&request(buildings, barriers)).expect("valid request");
    assert!(plan.feasible, "{:?}", plan.explanation);
    let west: HashSet<_> = (1..11).map(|id| grid_of(&plan, id)).collect();
    let east: HashSet<_> = (100..110).map(|id| grid_of(&plan, id)).collect();
    assert_eq!((west.len(), east.len()), (1, 1), "{plan:?}");
}

#[test]
fn infeasible_community_gets_the_best_plan_and_names_the_piece_that_fails() {
    // 200 households west of a trunk road, 900 east of it.
    let mut buildings = block(1, 4, 50, 0.0, 0.0, 2);
    buildings.extend(block(100, 18, 50, 120.0, 0.0, 3));
    let barriers = vec![road(&[(90.0, -50.0), (90.0, 300.0)], BarrierKind::Major)];
    let plan = partition(&request(buildings, barriers)).expect("valid request");
    assert!(!plan.feasible);
    assert_eq!(households(&plan), vec![200, 450, 450]);
    let explanation = plan.explanation.expect("an explanation");
    assert!(explanation.contains("200 households"), "{explanation}");
    assert!(explanation.contains("major roads"), "{explanation}");
    assert!(explanation.contains("building "), "{explanation}");
    let under: Vec<_> = plan.grids.iter().filter(|g| g.status == Status::Under).collect();
    assert_eq!(under.len(), 1);
}

#[test]
fn piece_with_no_grid_count_fitting_the_bounds_is_explained() {
    // 720 households with bounds 400–500: one grid is too big, two are too small.
    let mut r = request(block(1, 12, 60, 0.0, 0.0, 4), vec![]);
    r.bounds = Bounds { min: 400, max: 500, target: 450 };
    let plan = partition(&r).expect("valid request");
    assert!(!plan.feasible);
    let explanation = plan.explanation.expect("an explanation");
    assert!(explanation.contains("720 households"), "{explanation}");
    assert!(explanation.contains("at least 2 grids"), "{explanation}");
}

#[test]
fn community_under_the_minimum_is_one_undersized_grid() {
    let plan = partition(&request(block(1, 5, 50, 0.0, 0.0, 5), vec![])).expect("valid request");
    assert_eq!(plan.grids.len(), 1);
    assert_eq!(plan.grids[0].status, Status::Under);
    assert_eq!(plan.grids[0].households, 250);
    assert!(!plan.feasible);
    assert!(plan.explanation.expect("an explanation").contains("only 250 households"));
}

#[test]
fn buildings_without_households_join_a_neighbouring_grid() {
    let mut buildings = block(1, 12, 50, 0.0, 0.0, 4);
    buildings.push(building(50, 0, 45.0, 90.0)); // a school among the flats
    let plan = partition(&request(buildings, vec![])).expect("valid request");
    assert!(plan.feasible, "{:?}", plan.explanation);
    assert!(grid_of(&plan, 50).is_some());
    // …but a lone one with nothing around it but a major road is left out.
    let mut buildings = block(1, 12, 50, 0.0, 0.0, 4);
    buildings.push(building(60, 0, 400.0, 0.0));
    let plan = partition(&request(buildings, vec![road(&[(300.0, -100.0), (300.0, 200.0)], BarrierKind::Major)]))
        .expect("valid");
    assert!(plan.feasible, "{:?}", plan.explanation);
    assert_eq!(grid_of(&plan, 60), None);
}

#[test]
fn regeneration_after_a_small_change_moves_few_households() {
    let buildings = block(1, 60, 40, 0.0, 0.0, 10); // 2,400 households
    let first = partition(&request(buildings.clone(), vec![])).expect("valid request");
    assert!(first.feasible);
    let current: HashMap<ParcelId, GridKey> =
        first.parcels.iter().filter_map(|a| a.grid.map(|g| (a.id, 1000 + g as GridKey))).collect();
    let mut changed = buildings;
    changed[0].households += 35;
    changed[59].households += 20;
    let mut again = request(changed, vec![]);
    again.current = Some(current);
    again.seed = 99;
    let second = partition(&again).expect("valid request");
    assert!(second.feasible, "{:?}", second.explanation);
    assert!(second.moved_households <= 200, "moved {}", second.moved_households);
    assert!(second.grids.iter().all(|g| g.current.is_some()));
}

#[test]
fn evaluate_reports_a_broken_grid_and_one_out_of_bounds() {
    let buildings = block(1, 12, 50, 0.0, 0.0, 12); // a row of 12
    let r = request(buildings, vec![]);
    // Grid 0: buildings 1–3 and 12 (apart); grid 1: the rest (400 households).
    let assignment: Vec<(ParcelId, usize)> = (1..=12)
        .map(|id| (ParcelId { building: id, part: Part::Whole }, usize::from(!(id <= 3 || id == 12))))
        .collect();
    let plan = evaluate(&r, &assignment).expect("known parcels");
    assert!(!plan.feasible);
    assert!(!plan.grids[0].connected);
    assert_eq!(plan.grids[0].status, Status::Under);
    let explanation = plan.explanation.expect("an explanation");
    assert!(explanation.contains("grid 0 falls apart"), "{explanation}");
    assert!(explanation.contains("grid 0 has 200 households"), "{explanation}");
}

#[test]
fn empty_community_gives_an_empty_plan() {
    let plan = partition(&Request::default()).expect("valid request");
    assert!(plan.parcels.is_empty() && plan.grids.is_empty() && plan.feasible);
    let plan = partition(&request(vec![building(1, 0, 0.0, 0.0)], vec![])).expect("valid request");
    assert_eq!((plan.grids.len(), grid_of(&plan, 1)), (0, None));
}

#[test]
fn bad_bounds_and_duplicate_buildings_are_refused() {
    let mut r = request(block(1, 2, 50, 0.0, 0.0, 2), vec![]);
    r.bounds = Bounds { min: 500, max: 400, target: 450 };
    assert!(matches!(partition(&r), Err(PartitionError::Bounds { .. })));
    let r = request(vec![building(1, 5, 0.0, 0.0), building(1, 5, 50.0, 0.0)], vec![]);
    assert_eq!(partition(&r), Err(PartitionError::DuplicateBuilding(1)));
}

// ── Property tests ────────────────────────────────────────────────────────────────────────

/// A random community: buildings on a jittered 40 m lattice (as estates are laid out; stacked
/// or coincident footprints would make feasibility a matter of luck), 20–60 households each,
/// estates of 150 m blocks, and a seed.
fn random_community() -> impl Strategy<Value = (Vec<Building>, u64)> {
    let one = (0.0..12.0f64, 0.0..12.0f64, 10.0..24.0f64, 8.0..20.0f64, 20u32..=60, any::<bool>());
    (2usize..=12, prop::collection::vec(one, 10..100), any::<u64>()).prop_map(|(columns, specs, seed)| {
        let buildings = specs
            .into_iter()
            .enumerate()
            .map(|(i, (dx, dy, w, h, households, _))| {
                let (x, y) = ((i % columns) as f64 * 40.0 + dx, (i / columns) as f64 * 40.0 + dy);
                Building {
                    id: i as i64,
                    households,
                    footprint: rect(x, y, w, h),
                    estate: Some((x / 150.0) as i64 + 10 * (y / 150.0) as i64),
                    units: Vec::new(),
                }
            })
            .collect();
        (buildings, seed)
    })
}

proptest! {
    // No regression file: the crate keeps none, and failures print their minimal input.
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_communities_are_partitioned_within_bounds_and_connected((buildings, seed) in random_community()) {
        let total: u32 = buildings.iter().map(|b| b.households).sum();
        let mut r = request(buildings, vec![]);
        r.seed = seed;
        let plan = partition(&r).expect("valid request");
        // Every household-bearing parcel exactly once (ids are unique, each has a grid).
        let ids: HashSet<ParcelId> = plan.parcels.iter().map(|a| a.id).collect();
        prop_assert_eq!(ids.len(), plan.parcels.len());
        prop_assert!(plan.parcels.iter().all(|a| a.grid.is_some()));
        prop_assert_eq!(plan.grids.iter().map(|g| g.households).sum::<u32>(), total);
        prop_assert!(plan.grids.iter().all(|g| g.connected));
        if total >= 300 {
            prop_assert!(plan.feasible, "{:?} {:?}", plan.explanation, households(&plan));
            prop_assert!(plan.grids.iter().all(|g| (300..=700).contains(&g.households)));
        } else {
            prop_assert_eq!(plan.grids.len(), 1);
        }
        // Deterministic for a seed.
        prop_assert_eq!(partition(&r).expect("valid request"), plan);
    }
}

// ── Real data (© OpenStreetMap contributors, ODbL) ───────────────────────────────────────

/// Buildings of one of the GeoJSON files in `../shared/data`: polygons and `households`.
fn read_geojson(name: &str) -> Option<Vec<Building>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data").join(name);
    let text = std::fs::read_to_string(&path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let features = json["features"].as_array().expect("a FeatureCollection");
    let ring = |value: &serde_json::Value| -> LineString<f64> {
        let coords = value.as_array().map(Vec::as_slice).unwrap_or_default();
        LineString::from(coords.iter().filter_map(|c| Some((c[0].as_f64()?, c[1].as_f64()?))).collect::<Vec<_>>())
    };
    let polygon = |value: &serde_json::Value| -> Option<Polygon<f64>> {
        let rings = value.as_array()?;
        let (outer, inner) = rings.split_first()?;
        Some(Polygon::new(ring(outer), inner.iter().map(ring).collect()))
    };
    fn polygons(
        geometry: &serde_json::Value,
        polygon: &dyn Fn(&serde_json::Value) -> Option<Polygon<f64>>,
    ) -> Vec<Polygon<f64>> {
        match geometry["type"].as_str() {
            Some("Polygon") => polygon(&geometry["coordinates"]).into_iter().collect(),
            Some("MultiPolygon") => {
                geometry["coordinates"].as_array().into_iter().flatten().filter_map(polygon).collect()
            }
            Some("GeometryCollection") => {
                geometry["geometries"].as_array().into_iter().flatten().flat_map(|g| polygons(g, polygon)).collect()
            }
            _ => Vec::new(),
        }
    }
    let buildings = features
        .iter()
        .enumerate()
        .filter_map(|(i, feature)| {
            let footprint = MultiPolygon::new(polygons(&feature["geometry"], &polygon));
            (!footprint.0.is_empty()).then(|| Building {
                id: i as i64,
                households: feature["properties"]["households"].as_u64().unwrap_or(0) as u32,
                footprint,
                estate: None,
                units: Vec::new(),
            })
        })
        .collect();
    Some(buildings)
}

/// Prints grid count, households min/median/max, mean Polsby-Popper and time.
fn report(name: &str, request: &Request) -> Plan {
    let started = Instant::now();
    let plan = partition(request).expect("valid request");
    let elapsed = started.elapsed();
    let mut h = households(&plan);
    h.sort_unstable();
    let within = plan.grids.iter().filter(|g| g.status == Status::Within).count();
    let pp = plan.grids.iter().map(|g| g.polsby_popper).sum::<f64>() / plan.grids.len().max(1) as f64;
    println!(
        "{name}: {} buildings, {} parcels, {} households → {} grids ({within} within bounds), households min {} / median {} / max {}, mean Polsby-Popper {pp:.3}, feasible {}, {:.1} ms",
        request.buildings.len(),
        plan.parcels.len(),
        h.iter().sum::<u32>(),
        plan.grids.len(),
        h.first().copied().unwrap_or(0),
        h.get(h.len() / 2).copied().unwrap_or(0),
        h.last().copied().unwrap_or(0),
        plan.feasible,
        elapsed.as_secs_f64() * 1e3,
    );
    if let Some(explanation) = &plan.explanation {
        println!("  explanation: {}", explanation.lines().take(3).collect::<Vec<_>>().join(" | "));
    }
    plan
}

#[test]
fn wuhan_optics_valley_buildings_are_partitioned() {
    let Some(buildings) = read_geojson("wuhan-optics-valley-buildings.geojson") else {
        eprintln!("skipped: ../shared/data not found");
        return;
    };
    let r = request(buildings, vec![]);
    let plan = report("Wuhan Optics Valley", &r);
    assert!(plan.grids.iter().all(|g| g.connected));
    assert!(plan.grids.iter().all(|g| g.households <= 700));
    // Validating the plan as a planner's edit gives the same figures (timed for a ~50-grid plan).
    let assignment: Vec<(ParcelId, usize)> = plan.parcels.iter().filter_map(|a| a.grid.map(|g| (a.id, g))).collect();
    let started = Instant::now();
    let checked = evaluate(&r, &assignment).expect("known parcels");
    println!("  evaluate of its {} grids: {:.1} ms", plan.grids.len(), started.elapsed().as_secs_f64() * 1e3);
    assert_eq!(checked.grids, plan.grids);
    assert!(checked.feasible);
}

#[test]
fn lujiazui_towers_are_split_and_partitioned() {
    let Some(buildings) = read_geojson("shanghai-lujiazui-buildings.geojson") else {
        eprintln!("skipped: ../shared/data not found");
        return;
    };
    let towers = buildings.iter().filter(|b| b.households > 700).count();
    let plan = report("Shanghai Lujiazui", &request(buildings, vec![]));
    println!("  {towers} buildings above 700 households, split into virtual parts");
    assert!(plan.parcels.iter().all(|a| a.households <= 700));
    assert!(plan.grids.iter().all(|g| g.connected));
    assert!(plan.grids.iter().all(|g| g.households <= 700));
}

/// Helsinki's OSM extract as one community, with the importer's residential rule.
#[test]
fn helsinki_residential_buildings_are_partitioned() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/helsinki.osm.pbf");
    if !path.exists() {
        eprintln!("skipped: {} not found", path.display());
        return;
    }
    let options = crate::import::osm::OsmOptions { admin_level: None, estimate: Default::default() };
    let data =
        crate::import::osm::read_osm(&path, &options, &indicatif::ProgressBar::hidden()).expect("readable extract");
    let mut requests = dataset::requests(&data, Bounds::default(), 1);
    assert_eq!(requests.len(), 1, "no community boundaries: one request");
    let mut all = requests.remove(0).request;
    let plan = report("Helsinki, all buildings and roads", &all);
    assert!(plan.grids.iter().all(|g| g.connected));
    // What spopt was given: the residential buildings only, no barriers.
    all.buildings.retain(|b| b.households > 0);
    all.barriers.clear();
    let plan = report("Helsinki, residential buildings only", &all);
    assert!(plan.grids.iter().all(|g| g.connected));
}

/// The demo city: every community partitioned within bounds; figures printed.
#[test]
fn demo_communities_are_partitioned_within_bounds() {
    let data = crate::demo::generate(&crate::demo::DemoOptions { communities: 6, seed: 42 });
    let requests = dataset::requests(&data, Bounds::default(), 7);
    assert_eq!(requests.len(), 6);
    for community in &requests {
        let plan = report(&format!("demo {}", community.community), &community.request);
        assert!(plan.feasible, "{}: {:?}", community.community, plan.explanation);
    }
}

/// Re-generation on the demo city after households change in one building in twenty: the
/// current plan is kept where it can be, and far fewer households move than in a fresh plan.
#[test]
fn regeneration_of_demo_communities_moves_fewer_households_than_a_fresh_plan() {
    let data = crate::demo::generate(&crate::demo::DemoOptions { communities: 12, seed: 5 });
    let (mut moved, mut fresh_moved, mut total) = (0, 0, 0);
    for community in dataset::requests(&data, Bounds::default(), 7) {
        let first = partition(&community.request).expect("valid request");
        let current: HashMap<ParcelId, GridKey> =
            first.parcels.iter().filter_map(|a| a.grid.map(|g| (a.id, g as GridKey))).collect();
        let mut changed = community.request.clone();
        for building in changed.buildings.iter_mut().step_by(20).filter(|b| b.households > 0) {
            building.households += 12;
            building.units.clear();
        }
        let fresh = partition(&changed).expect("valid request");
        changed.current = Some(current);
        let again = partition(&changed).expect("valid request");
        assert!(again.feasible, "{}: {:?}", community.community, again.explanation);
        let fresh_assignment: Vec<(ParcelId, usize)> =
            fresh.parcels.iter().filter_map(|a| a.grid.map(|g| (a.id, g))).collect();
        fresh_moved += evaluate(&changed, &fresh_assignment).expect("known parcels").moved_households;
        moved += again.moved_households;
        total += again.grids.iter().map(|g| g.households).sum::<u32>();
    }
    println!("re-generation moved {moved} of {total} households; a fresh plan would move {fresh_moved}");
    assert!(moved * 4 <= fresh_moved, "moved {moved}, fresh {fresh_moved}");
}

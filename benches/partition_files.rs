//! Partitions the buildings of real map files with the grid engine and prints, per file, the
//! figures of the comparison with PySAL spopt (`scripts/compare-spopt`):
//! `cargo bench --bench partition_files -- FILE... [--crs wgs84|gcj02|bd09] [--ignore-roads]
//! [--export-dir DIR] [--json]`.
//!
//! Files are read as `wangge import` reads them: `.pbf` with the OSM importer and the default
//! household estimate, anything else as a GeoJSON FeatureCollection (`--crs` as `wangge import
//! geojson`). `dataset::requests` makes one request per community (bounds 300/700/500, seed 1);
//! each is partitioned on one thread. The engine's time is the wall time of partitioning every
//! community of the file (not reading it, not building the requests), the best of at least
//! three runs repeated for at least a second. Households per grid: min / median (the upper
//! middle for an even count) / max. `--ignore-roads` drops every barrier from the requests, so
//! that the engine knows no more than a tool given only the buildings (spopt).
//!
//! `--export-dir DIR` writes `DIR/<name>.geojson`: one feature per household-bearing parcel (a
//! building, or a part of a tower split by units) with its footprint in WGS84, `households`,
//! `building` (index in the file), `source_id`, `part`, `community` and `grid` (the engine's
//! grid, numbered across the file), and in the foreign member `wangge` the projection origin of
//! each community, so that another tool can partition exactly the same parcels and be scored
//! by the same code. Buildings without households take part in the engine's grids but are not
//! exported; `pp_households` is the mean Polsby-Popper of grids over the exported footprints
//! only, which is what the comparison measures for both tools.
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use geo::{Area, BoundingRect, ConvexHull, Euclidean, Length, MultiPoint, MultiPolygon, Point, Rect};
use serde_json::{Value, json};
use wangge::grids::partition::{Bounds, Part, Plan, Status, dataset, partition};
use wangge::import::dataset::Dataset;
use wangge::import::geojson::{self, GeojsonOptions};
use wangge::import::osm::{self, OsmOptions};
use wangge::spatial::datum::Crs;
use wangge::spatial::measure::LocalProjection;

/// The seed `benches/partition.rs` uses too.
const SEED: u64 = 1;
const MIN_RUNS: usize = 3;
const MAX_RUNS: usize = 1000;
const MIN_TIMED: Duration = Duration::from_secs(1);

struct Options {
    files: Vec<PathBuf>,
    crs: Crs,
    export_dir: Option<PathBuf>,
    json: bool,
    ignore_roads: bool,
}

fn main() {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("partition_files: {message}");
            eprintln!(
                "usage: cargo bench --bench partition_files -- FILE... [--crs wgs84|gcj02|bd09] [--ignore-roads] [--export-dir DIR] [--json]"
            );
            std::process::exit(2);
        }
    };
    if let Some(dir) = &options.export_dir
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        fail(&format!("cannot create {}: {e}", dir.display()));
    }
    let mut reports = Vec::new();
    for file in &options.files {
        let report = run(file, &options).unwrap_or_else(|message| fail(&message));
        if !options.json {
            print_report(&report);
        }
        reports.push(report.json);
    }
    if options.json {
        println!("{}", json!({ "files": reports }));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("partition_files: {message}");
    std::process::exit(1);
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options =
        Options { files: Vec::new(), crs: Crs::default(), export_dir: None, json: false, ignore_roads: false };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            // `cargo bench` passes `--bench` to every bench binary.
            "--bench" => {}
            "--json" => options.json = true,
            "--ignore-roads" => options.ignore_roads = true,
            "--export-dir" => options.export_dir = Some(args.next().ok_or("--export-dir needs a directory")?.into()),
            "--crs" => {
                let value = args.next().ok_or("--crs needs wgs84, gcj02 or bd09")?;
                options.crs = value.parse().map_err(|e| format!("--crs {value}: {e}"))?;
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            file => options.files.push(file.into()),
        }
    }
    if options.files.is_empty() {
        return Err("no file given".into());
    }
    Ok(options)
}

/// What one file gave: the figures as JSON, and the lines printed for it.
struct Report {
    json: Value,
    text: Vec<String>,
}

fn run(file: &Path, options: &Options) -> Result<Report, String> {
    let started = Instant::now();
    let data = read(file, options.crs)?;
    let read_time = started.elapsed();
    let started = Instant::now();
    let mut requests = dataset::requests(&data, Bounds::default(), SEED);
    if options.ignore_roads {
        requests.iter_mut().for_each(|c| c.request.barriers.clear());
    }
    let requests_time = started.elapsed();

    let (plans, times) = timed_runs(&requests)?;
    let best = times.iter().copied().fold(f64::INFINITY, f64::min);
    let median = median_f64(&times);

    let buildings = data.buildings.len();
    let barriers: usize = requests.iter().map(|c| c.request.barriers.len()).sum();
    let with_households = data.buildings.iter().filter(|b| b.households > 0).count();
    let households: i64 = data.buildings.iter().map(|b| i64::from(b.households.max(0))).sum();
    let grids: Vec<_> = plans.iter().flat_map(|plan| plan.grids.iter()).collect();
    let within = grids.iter().filter(|g| g.status == Status::Within).count();
    let connected = grids.iter().filter(|g| g.connected).count();
    let feasible = plans.iter().filter(|plan| plan.feasible).count();
    let grid_households: Vec<u32> = grids.iter().map(|g| g.households).collect();
    let (min, mid, max) = spread(&grid_households);
    let pp = mean(grids.iter().map(|g| g.polsby_popper));
    let parcels: usize = plans.iter().map(|plan| plan.parcels.len()).sum();
    let split = plans
        .iter()
        .flat_map(|plan| plan.parcels.iter())
        .filter(|p| !matches!(p.id.part, Part::Whole))
        .map(|p| p.id.building)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let unassigned: u32 =
        plans.iter().flat_map(|plan| plan.parcels.iter()).filter(|p| p.grid.is_none()).map(|p| p.households).sum();

    let origins: Vec<Option<(f64, f64)>> = requests.iter().map(|c| projection_origin(&c.request.buildings)).collect();
    let pp_households = mean(plans.iter().zip(&origins).flat_map(|(plan, origin)| {
        let projection = origin.map(|(lon, lat)| LocalProjection::new(lon, lat));
        household_hull_scores(plan, &data, projection)
    }));

    let exported = match &options.export_dir {
        Some(dir) => Some(export(dir, file, &data, &requests, &plans, &origins, options.ignore_roads)?),
        None => None,
    };

    let name = file.display().to_string();
    let share = 100.0 * within as f64 / grids.len().max(1) as f64;
    let mut text = vec![
        format!(
            "{name}: {buildings} buildings ({with_households} with households), {households} households, {} {}, {}",
            requests.len(),
            if requests.len() == 1 { "community" } else { "communities" },
            if options.ignore_roads {
                "roads ignored".to_owned()
            } else {
                format!("{barriers} road lines as barriers")
            }
        ),
        format!(
            "  engine: best {:.2} ms, median {:.2} ms of {} runs on 1 thread (file read in {:.0} ms, requests built in {:.1} ms)",
            best,
            median,
            times.len(),
            read_time.as_secs_f64() * 1e3,
            requests_time.as_secs_f64() * 1e3
        ),
        format!(
            "  {} grids: {within} within {}–{} ({share:.1} %), {connected} connected; households per grid min {min} / median {mid} / max {max}; {feasible} of {} communities feasible",
            grids.len(),
            Bounds::default().min,
            Bounds::default().max,
            plans.len()
        ),
        format!(
            "  mean Polsby-Popper {pp:.3} (hull of all footprints of a grid), {pp_households:.3} (household-bearing footprints only)"
        ),
        format!(
            "  {parcels} parcels; {split} buildings above {} households split into parts; {unassigned} households in no grid",
            Bounds::default().max
        ),
    ];
    if let Some(path) = &exported {
        text.push(format!("  exported {}", path.display()));
    }
    let infeasible: Vec<(&str, &str)> = requests
        .iter()
        .zip(&plans)
        .filter(|(_, plan)| !plan.feasible)
        .map(|(c, plan)| {
            (c.community.as_str(), plan.explanation.as_deref().and_then(|e| e.lines().next()).unwrap_or(""))
        })
        .collect();
    for (community, why) in infeasible.iter().take(5) {
        text.push(format!("  not feasible: {community}: {why}"));
    }
    let json = json!({
        "file": name,
        "ignore_roads": options.ignore_roads,
        "buildings": buildings,
        "buildings_with_households": with_households,
        "households": households,
        "communities": requests.len(),
        "barriers": barriers,
        "parcels": parcels,
        "split_buildings": split,
        "unassigned_households": unassigned,
        "grids": grids.len(),
        "within": within,
        "within_share": within as f64 / grids.len().max(1) as f64,
        "connected": connected,
        "feasible_communities": feasible,
        "infeasible": infeasible.iter().map(|(c, why)| json!({ "community": c, "explanation": why })).collect::<Vec<_>>(),
        "households_min": min,
        "households_median": mid,
        "households_max": max,
        "grid_households": grid_households,
        "polsby_popper": pp,
        "pp_households": pp_households,
        "engine_ms_best": best,
        "engine_ms_median": median,
        "runs": times.len(),
        "read_ms": read_time.as_secs_f64() * 1e3,
        "requests_ms": requests_time.as_secs_f64() * 1e3,
        "export": exported.map(|p| p.display().to_string()),
    });
    Ok(Report { json, text })
}

fn print_report(report: &Report) {
    for line in &report.text {
        println!("{line}");
    }
}

/// Reads a file as `wangge import osm` (`.pbf`) or `wangge import geojson` (anything else) does.
fn read(file: &Path, crs: Crs) -> Result<Dataset, String> {
    let is_pbf = file.extension().is_some_and(|e| e.eq_ignore_ascii_case("pbf"));
    if is_pbf {
        osm::read_osm(file, &OsmOptions::default(), &indicatif::ProgressBar::hidden()).map_err(|e| e.to_string())
    } else {
        geojson::read_file(file, &GeojsonOptions { crs, only: None }).map_err(|e| e.to_string())
    }
}

/// Partitions every community once per run, at least `MIN_RUNS` times and for at least
/// `MIN_TIMED`; returns the first run's plans and every run's milliseconds.
fn timed_runs(requests: &[dataset::CommunityRequest]) -> Result<(Vec<Plan>, Vec<f64>), String> {
    let mut first: Option<Vec<Plan>> = None;
    let mut times = Vec::new();
    let started = Instant::now();
    while times.len() < MIN_RUNS || (started.elapsed() < MIN_TIMED && times.len() < MAX_RUNS) {
        let one = Instant::now();
        let plans = requests
            .iter()
            .map(|c| partition(&c.request).map_err(|e| format!("{}: {e}", c.community)))
            .collect::<Result<Vec<_>, _>>()?;
        times.push(one.elapsed().as_secs_f64() * 1e3);
        match &first {
            None => first = Some(plans),
            Some(first) if *first != plans => return Err("the engine gave different plans for the same seed".into()),
            Some(_) => {}
        }
    }
    Ok((first.unwrap_or_default(), times))
}

/// The engine's local projection origin for a community: the middle of its footprints' extent
/// (every building of a request is a parcel, with or without households).
fn projection_origin(buildings: &[wangge::grids::partition::Building]) -> Option<(f64, f64)> {
    let extent = buildings.iter().filter_map(|b| b.footprint.bounding_rect()).reduce(|a, b| {
        Rect::new(
            geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
            geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
        )
    })?;
    Some((extent.center().x, extent.center().y))
}

/// Polsby-Popper of each grid of `plan` over the footprints of its household-bearing parcels,
/// as the engine scores a grid (`metrics::hull_polsby_popper`): the convex hull of every
/// exterior vertex, in the local projection.
fn household_hull_scores(plan: &Plan, data: &Dataset, projection: Option<LocalProjection>) -> Vec<f64> {
    let Some(projection) = projection else { return Vec::new() };
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); plan.grids.len()];
    for parcel in plan.parcels.iter().filter(|p| p.households > 0) {
        if let Some(grid) = parcel.grid {
            members[grid].push(parcel.id.building as usize);
        }
    }
    members
        .into_iter()
        .map(|mut buildings| {
            buildings.sort_unstable();
            buildings.dedup();
            let points: Vec<Point<f64>> = buildings
                .iter()
                .flat_map(|&b| data.buildings[b].footprint.0.iter().flat_map(|p| p.exterior().0.iter()))
                .map(|c| projection.to_xy(c.x, c.y).into())
                .collect();
            hull_polsby_popper(points)
        })
        .collect()
}

fn hull_polsby_popper(points: Vec<Point<f64>>) -> f64 {
    let hull = MultiPoint::from(points).convex_hull();
    let perimeter = Euclidean.length(hull.exterior());
    if perimeter <= 0.0 {
        return 0.0;
    }
    4.0 * std::f64::consts::PI * hull.unsigned_area() / (perimeter * perimeter)
}

/// Writes the household-bearing parcels and their grids (see the module documentation).
fn export(
    dir: &Path,
    file: &Path,
    data: &Dataset,
    requests: &[dataset::CommunityRequest],
    plans: &[Plan],
    origins: &[Option<(f64, f64)>],
    ignore_roads: bool,
) -> Result<PathBuf, String> {
    let mut features = Vec::new();
    let mut communities = Vec::new();
    let mut offset = 0;
    for (index, ((community, plan), origin)) in requests.iter().zip(plans).zip(origins).enumerate() {
        for parcel in plan.parcels.iter().filter(|p| p.households > 0) {
            let building = &data.buildings[parcel.id.building as usize];
            features.push(json!({
                "type": "Feature",
                "properties": {
                    "building": parcel.id.building,
                    "source_id": building.source_id,
                    "part": part_name(parcel.id.part),
                    "households": parcel.households,
                    "community": index,
                    "grid": parcel.grid.map(|g| g + offset),
                },
                "geometry": multipolygon(&building.footprint),
            }));
        }
        communities.push(json!({
            "name": community.community,
            "origin": origin.map(|(lon, lat)| [lon, lat]),
            "grids": plan.grids.len(),
            "first_grid": offset,
        }));
        offset += plan.grids.len();
    }
    let bounds = Bounds::default();
    let document = json!({
        "type": "FeatureCollection",
        "wangge": {
            "file": file.display().to_string(),
            "source": data.source,
            "bounds": { "min": bounds.min, "max": bounds.max, "target": bounds.target },
            "seed": SEED,
            "ignore_roads": ignore_roads,
            "communities": communities,
        },
        "features": features,
    });
    let path = dir.join(format!("{}.geojson", short_name(file)));
    let text = serde_json::to_string(&document).map_err(|e| e.to_string())?;
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// `helsinki.osm.pbf` → `helsinki`, `wuhan-optics-valley-buildings.geojson` → `wuhan-optics-valley-buildings`.
fn short_name(file: &Path) -> String {
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    name.split('.').next().filter(|s| !s.is_empty()).unwrap_or("export").to_owned()
}

fn part_name(part: Part) -> String {
    match part {
        Part::Whole => "whole".into(),
        Part::Units { first, last } => format!("units {first}-{last}"),
        Part::Virtual { index, of } => format!("virtual {index}/{of}"),
    }
}

fn multipolygon(footprint: &MultiPolygon<f64>) -> Value {
    let ring = |line: &geo::LineString<f64>| line.0.iter().map(|c| [c.x, c.y]).collect::<Vec<_>>();
    let polygons: Vec<Vec<Vec<[f64; 2]>>> =
        footprint.0.iter().map(|p| std::iter::once(p.exterior()).chain(p.interiors()).map(ring).collect()).collect();
    json!({ "type": "MultiPolygon", "coordinates": polygons })
}

/// Min, median (upper middle for an even count, as `benches/partition.rs`) and max.
fn spread(values: &[u32]) -> (u32, u32, u32) {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let at = |i: usize| sorted.get(i).copied().unwrap_or(0);
    (at(0), at(sorted.len() / 2), at(sorted.len().saturating_sub(1)))
}

fn median_f64(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(0.0)
}

fn mean(values: impl IntoIterator<Item = f64>) -> f64 {
    let (sum, n) = values.into_iter().fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

//! The partition engine: a community's buildings (or units of towers) → grids (网格) of
//! `min..=max` households (default 300–700), contiguous and compact, that keep small estates
//! (小区) whole and do not cross major roads. Pure: plain data in, a [`Plan`] out; no database,
//! no I/O, deterministic for a given seed. [`evaluate`] scores a given plan the same way (for a
//! planner's edits), and [`dataset`] turns an import `Dataset` into one request per community.
//!
//! # Method
//! 1. **Parcels** (`split`): a building with at most `max` households is one parcel; a bigger
//!    one is cut into runs of whole units (单元), or into equal virtual parts when its units are
//!    unknown, so every part holds at most `max` (and about `target`). Buildings with 0
//!    households are parcels too: they join a grid (so grid polygons can tile the community
//!    later) but weigh nothing; those in a piece of the community without households are left
//!    out (`grid: None`).
//! 2. **Neighbour graph** (`graph`): a Delaunay triangulation (spade) of one representative
//!    point per footprint, in a local metric projection. Edges crossing a major road are
//!    removed; long edges (footprints more than [`Tuning::max_gap_m`] apart on the convex hull,
//!    four times that inside it, not in one estate) are dropped unless they are the shortest
//!    way to keep the rest connected. Each edge has a *cut cost*: the length of its dual
//!    Voronoi edge (the boundary the two cells would share in a grid polygon), cheaper across
//!    minor roads and estate walls, dearer inside a small estate. The pieces major roads leave
//!    ("components") are partitioned independently.
//! 3. **Grid count** per component of `T` households: `k = round(T / target)` clamped to
//!    `[ceil(T / max), floor(T / min)]`; the next nearest counts only if `k` gives no plan
//!    within bounds. Splits and merges in the repair adapt the count to lumpy households.
//! 4. **Growth** (`grow`): `k` seeds by farthest-point sampling and weighted Lloyd steps; the
//!    lightest region takes its nearest frontier parcel, penalised for crossing a minor road or
//!    an estate wall, never above `max`; parcels no region can take seed regions of their own.
//! 5. **Repair and polish** (`repair`, `recombine`): local search moving boundary parcels
//!    (and the pieces they hold together) between adjacent grids, never disconnecting one. It
//!    minimises, lexicographically, the households outside bounds, then a weighted sum of cut
//!    cost, spread (moment of inertia), imbalance toward `target` and, with a current plan,
//!    households moved. When moves stall out of bounds: ejection chains, recombination of two
//!    grids along a random spanning tree (as GerryChain's ReCom), splits and merges.
//! 6. **Starts** (`search`, `current`): [`Tuning::restarts`] seeded growths (up to four times
//!    as many while none is within bounds); with a current plan, also that plan brought to a
//!    feasible grid count (and to `round(T / target)` grids). The best by the objective wins.
//! 7. **Figures and explanation** (`metrics`, `explain`): per grid households, parcels,
//!    connectivity, Polsby-Popper of the convex hull of its footprints, status; when the plan is
//!    not within bounds, which piece of the community or which grid fails, and why.
//!
//! # Complexity
//! `n` parcels, `b` barrier segments, `k` grids of about `g = n / k` parcels, `R` starts.
//! Graph: `O(n log n)` triangulation, `O(n log b)` barrier tests, footprint gaps `O(v²)` only
//! for the few edges where bounding boxes do not decide. Growth: `O(n (k + log n))`. One
//! local-search pass costs `O(n · d)` for degree `d`, plus a BFS of `O(g)` per accepted or
//! bound-improving move; passes are bounded by a constant plus two per structural repair.
//! Overall about `O(n log n + R · n · g)`, i.e. `O(R · n² / k)`, linear in `n` for fixed grid
//! size. Measured in release builds on this project's 2-core machine: demo communities of
//! 500–1,500 buildings take 2–25 ms each (p50 about 4 ms); Wuhan Optics Valley's 236 buildings
//! (24,966 households, 51 grids) about 20 ms; see `tests.rs` for the figures it prints.

mod current;
pub mod dataset;
mod explain;
mod graph;
mod grow;
mod metrics;
mod recombine;
mod repair;
mod search;
mod split;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use geo::{LineString, MultiPolygon};

/// A building's id as the caller knows it (e.g. its database id).
pub type BuildingId = i64;
/// An estate's (小区) id as the caller knows it.
pub type EstateId = i64;
/// A grid of the current plan, as the caller knows it (e.g. its database id).
pub type GridKey = i64;

/// A building (楼栋), in WGS84.
#[derive(Debug, Clone, PartialEq)]
pub struct Building {
    pub id: BuildingId,
    /// Households (户数); 0 for buildings nobody lives in.
    pub households: u32,
    pub footprint: MultiPolygon<f64>,
    pub estate: Option<EstateId>,
    /// Its units (单元), when known: used to split a building above `max`. Their households
    /// should add up to `households`; if they do not, the building is split into virtual parts.
    pub units: Vec<Unit>,
}

/// A unit / stairwell (单元) of a building.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unit {
    pub number: u32,
    pub households: u32,
}

/// How a barrier line separates buildings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarrierKind {
    /// Never crossed inside a grid: arterial roads, rivers, railways.
    Major,
    /// Crossed reluctantly: community streets, estate walls. Grid boundaries prefer them.
    Minor,
}

impl BarrierKind {
    /// The usual reading of an OSM `highway=*` class: trunk, primary and secondary roads (and
    /// motorways) cut; tertiary, residential and unclassified roads are minor barriers; service
    /// roads, paths and the rest (estate lanes) are no barrier.
    pub fn from_highway(class: &str) -> Option<BarrierKind> {
        let class = class.strip_suffix("_link").unwrap_or(class);
        match class {
            "motorway" | "trunk" | "primary" | "secondary" => Some(BarrierKind::Major),
            "tertiary" | "residential" | "unclassified" | "living_street" => Some(BarrierKind::Minor),
            _ => None,
        }
    }
}

/// A road, river or wall, in WGS84.
#[derive(Debug, Clone, PartialEq)]
pub struct Barrier {
    pub line: LineString<f64>,
    pub kind: BarrierKind,
}

/// Households per grid: every grid should hold `min..=max`, ideally `target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub min: u32,
    pub max: u32,
    pub target: u32,
}

impl Default for Bounds {
    fn default() -> Self {
        Self { min: 300, max: 700, target: 500 }
    }
}

/// Knobs with sensible defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tuning {
    /// Footprints further apart than this (metres) along the convex hull, or four times this
    /// inside it, are not neighbours, unless they are in one estate or the edge is the shortest
    /// way to keep the community connected.
    pub max_gap_m: f64,
    /// Starts (seedings) tried per grid count; the best result is kept.
    pub restarts: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        Self { max_gap_m: 80.0, restarts: 6 }
    }
}

/// A parcel's identity: which building, and which part of it when it is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParcelId {
    pub building: BuildingId,
    pub part: Part,
}

/// Which part of a building a parcel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// The whole building.
    Whole,
    /// Units numbered `first..=last` (in the order of `Building::units` sorted by number).
    Units { first: u32, last: u32 },
    /// Part `index` (from 1) of `of` equal virtual parts, for a building whose units are unknown;
    /// the first parts take the remainder, as `UnitRecord::split_evenly` does.
    Virtual { index: u32, of: u32 },
}

/// What to partition: one community.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub buildings: Vec<Building>,
    pub barriers: Vec<Barrier>,
    pub bounds: Bounds,
    /// The plan in force, to change as little as possible (fewest households moved). Parcels
    /// are matched by id, else by building (the grid holding most of its households).
    pub current: Option<HashMap<ParcelId, GridKey>>,
    /// Same request and seed, same plan.
    pub seed: u64,
    pub tuning: Tuning,
}

/// A parcel and its grid (an index into `Plan::grids`), or `None` when it is left out: a
/// building with no households in a piece of the community with no households.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assigned {
    pub id: ParcelId,
    pub households: u32,
    pub grid: Option<usize>,
}

/// A grid's households against the bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Under,
    Within,
    Over,
}

/// Figures of one grid.
#[derive(Debug, Clone, PartialEq)]
pub struct GridMetrics {
    pub households: u32,
    pub parcels: usize,
    /// Distinct buildings (a split tower counts in every grid holding a part of it).
    pub buildings: usize,
    /// Whether its parcels form one piece of the neighbour graph.
    pub connected: bool,
    /// Polsby-Popper (4πA/P², 1 for a disc) of the convex hull of its footprints, in metres.
    pub polsby_popper: f64,
    pub status: Status,
    /// The current-plan grid it continues (holds most of its households), if any.
    pub current: Option<GridKey>,
}

/// The result: an assignment, per-grid figures and whether every grid is within bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Every parcel, in the order of `Request::buildings` (parts in order); for [`evaluate`], in
    /// the order given.
    pub parcels: Vec<Assigned>,
    /// Grids numbered west→east within each piece of the community, pieces by households; for
    /// [`evaluate`], as given.
    pub grids: Vec<GridMetrics>,
    /// Every household in a grid, every grid within bounds and connected.
    pub feasible: bool,
    /// Why the plan is not feasible: which piece of the community fails and why.
    pub explanation: Option<String>,
    /// Households whose grid differs from the current plan (0 without one).
    pub moved_households: u32,
}

/// Input the engine refuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PartitionError {
    #[error("bounds must satisfy 0 < min ≤ target ≤ max, got min {min}, target {target}, max {max}")]
    Bounds { min: u32, target: u32, max: u32 },
    #[error("building {0} appears twice")]
    DuplicateBuilding(BuildingId),
    #[error("building {0} has an empty footprint or non-finite coordinates")]
    Footprint(BuildingId),
    #[error("parcel {0:?} names no building of the request, or a part it does not have")]
    UnknownParcel(ParcelId),
    #[error("building {0} is given in overlapping parts (twice, whole and in part, or in clashing splits)")]
    OverlappingParts(BuildingId),
}

/// Partitions one community into grids. See the module documentation for the method.
pub fn partition(request: &Request) -> Result<Plan, PartitionError> {
    validate(request)?;
    let parcels = split::split(&request.buildings, &request.bounds);
    let graph = graph::Graph::build(request, &parcels);
    let current = request.current.as_ref().map(|plan| current::Current::new(plan, &parcels, &request.buildings));
    let outcome = search::solve(request, &parcels, &graph, current.as_ref());
    Ok(metrics::plan(request, &parcels, &graph, &outcome, current.as_ref()))
}

/// Figures and violations of a given assignment (e.g. a planner's edited plan): the same
/// [`Plan`] as [`partition`] returns, with grids numbered as given (`0..=max index`). Parts of
/// one building must not overlap; buildings (or units) missing from it are reported in the
/// explanation as households in no grid.
pub fn evaluate(request: &Request, assignment: &[(ParcelId, usize)]) -> Result<Plan, PartitionError> {
    validate(request)?;
    let parcels = split::from_ids(&request.buildings, assignment.iter().map(|(id, _)| *id))?;
    let graph = graph::Graph::build(request, &parcels);
    let current = request.current.as_ref().map(|plan| current::Current::new(plan, &parcels, &request.buildings));
    let outcome = search::given(&parcels, assignment);
    Ok(metrics::plan(request, &parcels, &graph, &outcome, current.as_ref()))
}

fn validate(request: &Request) -> Result<(), PartitionError> {
    let Bounds { min, max, target } = request.bounds;
    if min == 0 || min > target || target > max {
        return Err(PartitionError::Bounds { min, target, max });
    }
    let mut seen = std::collections::HashSet::with_capacity(request.buildings.len());
    for building in &request.buildings {
        if !seen.insert(building.id) {
            return Err(PartitionError::DuplicateBuilding(building.id));
        }
        let coords = building.footprint.0.iter().flat_map(|polygon| polygon.exterior().0.iter());
        let mut any = false;
        for coord in coords {
            if !(coord.x.is_finite() && coord.y.is_finite()) {
                return Err(PartitionError::Footprint(building.id));
            }
            any = true;
        }
        if !any {
            return Err(PartitionError::Footprint(building.id));
        }
    }
    Ok(())
}

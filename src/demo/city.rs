//! The city plan: a lattice of blocks between arterial roads, one community per block, grouped
//! into sub-districts, with each community's household target decided up front.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::names::{self, Namer};
use super::shapes::Frame;
use crate::import::dataset::{DistrictRecord, RoadRecord};

/// Mean households per community, so the 6-community default holds about 20,000.
pub const MEAN_HOUSEHOLDS: f64 = 20_000.0 / 6.0;
/// Communities per sub-district, aimed at.
const PER_DISTRICT: f64 = 15.0;
/// Rows of blocks in one sub-district band (see `assign_districts`).
const BAND_ROWS: usize = 4;
/// Largest shift of a road crossing from the regular lattice, metres: blocks come out as
/// slightly irregular quadrilaterals while staying convex.
const JITTER: f64 = 15.0;

/// What the city plan fixes about one community before its inside is laid out.
#[derive(Debug, Clone)]
pub struct CommunityPlan {
    pub index: usize,
    pub source_id: String,
    pub name: String,
    /// 3-digit number within its sub-district.
    pub code: String,
    /// Index into `City::districts`.
    pub district: usize,
    /// The block between the kerbs of its four arterials, counter-clockwise from south-west.
    pub quad: [(f64, f64); 4],
    pub households: i32,
    pub village: bool,
}

#[derive(Debug)]
pub struct City {
    pub districts: Vec<DistrictRecord>,
    pub communities: Vec<CommunityPlan>,
    pub roads: Vec<RoadRecord>,
}

/// Lattice of `cols` × `rows` blocks; crossings jittered; each line's half-width (road centre to
/// kerb, with its pavement and green belt) by class.
struct Lattice {
    cols: usize,
    rows: usize,
    count: usize,
    /// Crossing positions, `(cols + 1) × (rows + 1)`, row-major.
    nodes: Vec<(f64, f64)>,
}

impl Lattice {
    fn new(rng: &mut ChaCha8Rng, count: usize) -> Self {
        let cols = (count as f64).sqrt().ceil().max(1.0) as usize;
        let rows = count.div_ceil(cols).max(1);
        let xs = offsets(rng, cols, 580.0..800.0);
        let ys = offsets(rng, rows, 560.0..780.0);
        let mut nodes = Vec::with_capacity((cols + 1) * (rows + 1));
        for &y in &ys {
            for &x in &xs {
                nodes.push((x + rng.random_range(-JITTER..JITTER), y + rng.random_range(-JITTER..JITTER)));
            }
        }
        Self { cols, rows, count, nodes }
    }

    fn node(&self, col: usize, row: usize) -> (f64, f64) {
        self.nodes[row * (self.cols + 1) + col]
    }

    fn exists(&self, col: usize, row: usize) -> bool {
        col < self.cols && row * self.cols + col < self.count
    }

    /// The kerb quadrilateral of block (col, row).
    fn block(&self, col: usize, row: usize) -> [(f64, f64); 4] {
        let (w, e) = (half_width(col), half_width(col + 1));
        let (s, n) = (half_width(row), half_width(row + 1));
        let (sw, se) = (self.node(col, row), self.node(col + 1, row));
        let (ne, nw) = (self.node(col + 1, row + 1), self.node(col, row + 1));
        [(sw.0 + w, sw.1 + s), (se.0 - e, se.1 + s), (ne.0 - e, ne.1 - n), (nw.0 + w, nw.1 - n)]
    }

    /// Crossings of north-south line `col` that border some block, south to north.
    fn meridian(&self, col: usize) -> Vec<(f64, f64)> {
        let rows = (0..self.rows).filter(|&r| (col > 0 && self.exists(col - 1, r)) || self.exists(col, r)).count();
        if rows == 0 { Vec::new() } else { (0..=rows).map(|r| self.node(col, r)).collect() }
    }

    /// Crossings of east-west line `row` that border some block, west to east.
    fn parallel(&self, row: usize) -> Vec<(f64, f64)> {
        let cols = (0..self.cols).filter(|&c| (row > 0 && self.exists(c, row - 1)) || self.exists(c, row)).count();
        if cols == 0 { Vec::new() } else { (0..=cols).map(|c| self.node(c, row)).collect() }
    }
}

/// Every third line is a primary arterial (a 大道), the rest secondaries.
fn is_primary(line: usize) -> bool {
    line.is_multiple_of(3)
}

/// Road centre to kerb, metres: carriageway, pavement and green belt.
fn half_width(line: usize) -> f64 {
    if is_primary(line) { 24.0 } else { 15.0 }
}

/// `n + 1` line positions `range` apart, centred on 0.
fn offsets(rng: &mut ChaCha8Rng, n: usize, range: std::ops::Range<f64>) -> Vec<f64> {
    let mut at = vec![0.0];
    for _ in 0..n {
        let last = at.last().copied().unwrap_or(0.0);
        at.push(last + rng.random_range(range.clone()));
    }
    let middle = at.last().copied().unwrap_or(0.0) / 2.0;
    at.iter().map(|x| x - middle).collect()
}

pub fn plan(rng: &mut ChaCha8Rng, frame: &Frame, count: usize) -> City {
    let lattice = Lattice::new(rng, count);
    let (district_of, n_districts) = assign_districts(&lattice);

    let mut district_names = Namer::default();
    let districts: Vec<DistrictRecord> = (0..n_districts)
        .map(|i| {
            let (name, code) = names::district(rng, &mut district_names, i);
            DistrictRecord { source_id: format!("d{:03}", i + 1), name, code: Some(code) }
        })
        .collect();

    let targets = household_targets(rng, count);
    let mut community_names = Namer::default();
    let mut per_district = vec![0usize; n_districts];
    let communities = (0..count)
        .map(|index| {
            let (col, row) = (index % lattice.cols, index / lattice.cols);
            let district = district_of[index];
            per_district[district] += 1;
            CommunityPlan {
                index,
                source_id: format!("c{:04}", index + 1),
                name: names::community(rng, &mut community_names),
                code: format!("{:03}", per_district[district]),
                district,
                quad: lattice.block(col, row),
                households: targets[index].0,
                village: targets[index].1,
            }
        })
        .collect();

    let roads = arterials(rng, frame, &lattice);
    City { districts, communities, roads }
}

/// Sub-district of each block: blocks are walked in bands of `BAND_ROWS` rows, snaking column by
/// column (and back the other way on the next band), and the walk is cut into runs of about
/// `PER_DISTRICT`, so each sub-district is a compact patch of neighbouring blocks.
fn assign_districts(lattice: &Lattice) -> (Vec<usize>, usize) {
    let mut walk = Vec::with_capacity(lattice.count);
    for (band, first_row) in (0..lattice.rows).step_by(BAND_ROWS).enumerate() {
        let rows: Vec<usize> = (first_row..(first_row + BAND_ROWS).min(lattice.rows)).collect();
        let cols: Vec<usize> =
            if band % 2 == 0 { (0..lattice.cols).collect() } else { (0..lattice.cols).rev().collect() };
        for (k, &col) in cols.iter().enumerate() {
            let ordered: Vec<usize> = if k % 2 == 0 { rows.clone() } else { rows.iter().rev().copied().collect() };
            walk.extend(ordered.into_iter().filter(|&r| lattice.exists(col, r)).map(|r| r * lattice.cols + col));
        }
    }
    let groups = if lattice.count == 0 { 0 } else { ((lattice.count as f64 / PER_DISTRICT).round() as usize).max(1) };
    let mut district_of = vec![0; lattice.count];
    for (position, &index) in walk.iter().enumerate() {
        district_of[index] = position * groups / lattice.count;
    }
    (district_of, groups)
}

/// Household target and urban-village flag per community (half of them have an urban village,
/// 城中村). The targets are rescaled to average `MEAN_HOUSEHOLDS`, so totals hold even for a handful of them.
fn household_targets(rng: &mut ChaCha8Rng, count: usize) -> Vec<(i32, bool)> {
    // Exactly one of each pair of neighbours has a village, so the share holds in small demos.
    let mut first_has_village = false;
    let raw: Vec<(f64, bool)> = (0..count)
        .map(|i| {
            if i % 2 == 0 {
                first_has_village = rng.random_bool(0.5);
            }
            let village = (i % 2 == 0) == first_has_village;
            // Skewed like real ones: most near the mean, a few two or three times larger.
            let factor = 0.5 + 1.5 * rng.random::<f64>().powi(2);
            (factor, village)
        })
        .collect();
    let mean = raw.iter().map(|r| r.0).sum::<f64>() / count.max(1) as f64;
    raw.into_iter()
        .map(|(factor, village)| {
            let households = (factor / mean * MEAN_HOUSEHOLDS).clamp(1_800.0, 9_000.0);
            (households.round() as i32, village)
        })
        .collect()
}

/// One road record per lattice line, through its jittered crossings.
fn arterials(rng: &mut ChaCha8Rng, frame: &Frame, lattice: &Lattice) -> Vec<RoadRecord> {
    let mut namer = Namer::default();
    let mut roads = Vec::new();
    let mut named = [0usize; 2];
    let lines = (0..=lattice.cols)
        .map(|c| ("ns", c, lattice.meridian(c)))
        .chain((0..=lattice.rows).map(|r| ("ew", r, lattice.parallel(r))));
    for (axis, line, points) in lines {
        if points.len() < 2 {
            continue;
        }
        let primary = is_primary(line);
        let index = &mut named[usize::from(primary)];
        *index += 1;
        roads.push(RoadRecord {
            source_id: format!("a-{axis}-{line:03}"),
            name: Some(names::arterial(rng, &mut namer, primary, *index - 1)),
            class: if primary { "primary" } else { "secondary" }.to_owned(),
            line: frame.line(&points),
        });
    }
    roads
}

//! Orchestration: each component (piece left by the major barriers) becomes a small problem
//! with local indices; the grid count is chosen; starts (the current plan if any, then seeded
//! growths: `Tuning::restarts` of them, up to four times as many while none is within bounds,
//! a third as many for the next counts) are repaired and polished; the best by the objective
//! is kept, its grids numbered west → east. Seeds derive from the request's seed, the
//! component, the count and the start, so results do not depend on the order of work.

use geo::{ConvexHull, MultiPoint, Point};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::current::Current;
use super::graph::Graph;
use super::split::Parcel;
use super::{Bounds, ParcelId, Request, grow, repair};

/// The assignment found, with global grid numbers.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outcome {
    /// Per parcel: its grid, `None` if left out.
    pub grid_of: Vec<Option<usize>>,
    /// Number of grids.
    pub grids: usize,
}

/// One component as a self-contained problem (local indices `0..len`).
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    /// Global parcel index of each local parcel.
    pub nodes: Vec<usize>,
    pub weight: Vec<i64>,
    /// Local neighbours `(to, cut cost, soft)`.
    pub adjacency: Vec<Vec<(usize, f64, bool)>>,
    pub position: Vec<[f64; 2]>,
    /// Mass of each parcel in the spread (inertia) term: its share of the footprint area, at
    /// least 50 m² so that sheds still count a little.
    pub mass: Vec<f64>,
    pub total: i64,
    pub bounds: Bounds,
    /// Metres in one unit of the cut term: the side of a square grid of this component.
    pub length_scale: f64,
    /// Per local parcel: its grid in the current plan (an index into `Current::keys`).
    pub home: Vec<Option<usize>>,
    /// Groups (two or more) of parcels without households (schools, garages, shops) joined by
    /// edges crossing no road or wall. They move as one in the polish, or a grid could hang on
    /// to a far-flung chain of them.
    pub empty_clusters: Vec<Vec<usize>>,
}

impl Problem {
    fn new(
        component: &[usize],
        graph: &Graph,
        parcels: &[Parcel],
        bounds: Bounds,
        current: Option<&Current>,
    ) -> Problem {
        let mut local = std::collections::HashMap::with_capacity(component.len());
        for (i, &global) in component.iter().enumerate() {
            local.insert(global, i);
        }
        let adjacency = component
            .iter()
            .map(|&g| {
                graph.adjacency[g].iter().filter_map(|e| local.get(&e.to).map(|&to| (to, e.cost, e.soft))).collect()
            })
            .collect();
        let position: Vec<[f64; 2]> = component.iter().map(|&g| graph.points[parcels[g].building]).collect();
        let weight: Vec<i64> = component.iter().map(|&g| i64::from(parcels[g].households)).collect();
        let mut parts = std::collections::HashMap::<usize, f64>::new();
        for &g in component {
            *parts.entry(parcels[g].building).or_default() += 1.0;
        }
        let mass = component
            .iter()
            .map(|&g| {
                let building = parcels[g].building;
                (graph.areas[building] / parts.get(&building).copied().unwrap_or(1.0)).max(50.0)
            })
            .collect();
        let total = weight.iter().sum::<i64>();
        let hull = MultiPoint::from(position.iter().map(|p| Point::new(p[0], p[1])).collect::<Vec<_>>()).convex_hull();
        let area = geo::Area::unsigned_area(&hull).max(1.0);
        let k = (total as f64 / f64::from(bounds.target)).round().max(1.0);
        let home = component.iter().map(|&g| current.and_then(|c| c.home[g])).collect();
        Problem {
            nodes: component.to_vec(),
            weight,
            adjacency,
            position,
            mass,
            total,
            bounds,
            length_scale: (area / k).sqrt().max(10.0),
            home,
            empty_clusters: Vec::new(),
        }
        .with_empty_clusters()
    }

    fn with_empty_clusters(mut self) -> Self {
        let mut seen = vec![false; self.len()];
        for start in 0..self.len() {
            if seen[start] || self.weight[start] != 0 {
                continue;
            }
            seen[start] = true;
            let mut cluster = vec![start];
            let mut head = 0;
            while head < cluster.len() {
                let p = cluster[head];
                head += 1;
                for &(q, _, soft) in &self.adjacency[p] {
                    if !seen[q] && self.weight[q] == 0 && !soft {
                        seen[q] = true;
                        cluster.push(q);
                    }
                }
            }
            if cluster.len() > 1 {
                self.empty_clusters.push(cluster);
            }
        }
        self
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Grid counts to try, best first: `round(T / target)` clamped to the feasible range, then
    /// the rest of the range by distance; an empty range yields its two ends.
    fn grid_counts(&self) -> Vec<usize> {
        let Bounds { min, max, target } = self.bounds;
        let total = self.total as u64;
        let lo = total.div_ceil(u64::from(max)).max(1) as usize;
        let hi = (total / u64::from(min)).max(1) as usize;
        let positives = self.weight.iter().filter(|&&w| w > 0).count().max(1);
        if lo > hi {
            let mut ends = vec![lo.min(positives), hi.min(positives)];
            ends.dedup();
            return ends;
        }
        let ideal = total as f64 / f64::from(target);
        let mut counts: Vec<usize> = (lo..=hi).filter(|&k| k <= positives).collect();
        counts.sort_by(|&a, &b| (a as f64 - ideal).abs().total_cmp(&(b as f64 - ideal).abs()).then(a.cmp(&b)));
        counts.truncate(3);
        if counts.is_empty() {
            counts.push(positives);
        }
        counts
    }
}

/// Partitions every component; see the module documentation of `partition`.
pub(crate) fn solve(request: &Request, parcels: &[Parcel], graph: &Graph, current: Option<&Current>) -> Outcome {
    let bounds = request.bounds;
    let mut grid_of: Vec<Option<usize>> = vec![None; parcels.len()];
    let total: u64 = parcels.iter().map(|p| u64::from(p.households)).sum();
    if total == 0 {
        return Outcome { grid_of, grids: 0 };
    }
    // A community below the minimum is one grid, flagged undersized, whatever separates it.
    if total < u64::from(bounds.min) {
        return Outcome { grid_of: vec![Some(0); parcels.len()], grids: 1 };
    }
    let mut grids = 0;
    for (index, component) in graph.components.iter().enumerate() {
        let problem = Problem::new(component, graph, parcels, bounds, current);
        if problem.total == 0 {
            continue;
        }
        let labels = best_labels(request, &problem, index, current);
        let count = labels.iter().max().map_or(0, |&m| m + 1);
        let order = west_to_east(&problem, &labels, count);
        for (local, &label) in labels.iter().enumerate() {
            grid_of[problem.nodes[local]] = Some(grids + order[label]);
        }
        grids += count;
    }
    Outcome { grid_of, grids }
}

/// A given assignment (for `evaluate`): grids numbered as given.
pub(crate) fn given(parcels: &[Parcel], assignment: &[(ParcelId, usize)]) -> Outcome {
    let grid_of: Vec<Option<usize>> = assignment.iter().map(|&(_, grid)| Some(grid)).collect();
    debug_assert_eq!(grid_of.len(), parcels.len());
    let grids = assignment.iter().map(|&(_, grid)| grid + 1).max().unwrap_or(0);
    Outcome { grid_of, grids }
}

/// The best labelling of one component (labels `0..k`, every label used).
fn best_labels(request: &Request, problem: &Problem, component: usize, current: Option<&Current>) -> Vec<usize> {
    if problem.total < i64::from(problem.bounds.min) {
        return vec![0; problem.len()];
    }
    let mut best: Option<(repair::Score, Vec<usize>)> = None;
    let consider =
        |best: &mut Option<(repair::Score, Vec<usize>)>, labels: Vec<usize>, keys: Vec<Option<usize>>, rng| {
            let (score, labels) = repair::run(problem, labels, keys, rng);
            if best.as_ref().is_none_or(|(b, _)| score.better_than(b)) {
                *best = Some((score, labels));
            }
        };
    let starts = current.map(|current| current.starts(problem)).unwrap_or_default();
    for (i, (labels, keys)) in starts.into_iter().enumerate() {
        let rng = ChaCha8Rng::seed_from_u64(mix(request.seed, component as u64, i as u64, u64::MAX));
        consider(&mut best, labels, keys, rng);
    }
    let feasible =
        |best: &Option<(repair::Score, Vec<usize>)>| best.as_ref().is_some_and(|(score, _)| score.violation == 0);
    let restarts = request.tuning.restarts.max(1);
    for (attempt, k) in problem.grid_counts().into_iter().enumerate() {
        // The preferred count gets up to four times the starts while none is within bounds;
        // splits and merges adapt the count anyway, so other counts get a third.
        let (least, most) =
            if attempt == 0 { (restarts, 4 * restarts) } else { (restarts.div_ceil(3), restarts.div_ceil(3)) };
        for restart in 0..most {
            if restart >= least && feasible(&best) {
                break;
            }
            let mut rng = ChaCha8Rng::seed_from_u64(mix(request.seed, component as u64, k as u64, restart as u64));
            let labels = grow::grow(problem, k, &mut rng);
            consider(&mut best, labels, vec![None; k], rng);
        }
        if feasible(&best) {
            break;
        }
    }
    best.map(|(_, labels)| compact_labels(labels)).unwrap_or_else(|| vec![0; problem.len()])
}

/// Renumbers labels to `0..count` in order of first use (drops grids emptied by the search).
fn compact_labels(mut labels: Vec<usize>) -> Vec<usize> {
    let mut map = std::collections::HashMap::new();
    for label in &mut labels {
        let next = map.len();
        *label = *map.entry(*label).or_insert(next);
    }
    labels
}

/// Rank of each label when grids are ordered by the x of their household-weighted centre.
fn west_to_east(problem: &Problem, labels: &[usize], count: usize) -> Vec<usize> {
    let mut sum = vec![(0.0, 0.0); count];
    for (local, &label) in labels.iter().enumerate() {
        let w = problem.weight[local] as f64 + 1e-3;
        sum[label].0 += w * problem.position[local][0];
        sum[label].1 += w;
    }
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by(|&a, &b| (sum[a].0 / sum[a].1).total_cmp(&(sum[b].0 / sum[b].1)).then(a.cmp(&b)));
    let mut rank = vec![0; count];
    for (r, &label) in order.iter().enumerate() {
        rank[label] = r;
    }
    rank
}

/// A seed per (request seed, component, grid count, restart), well mixed (SplitMix64).
fn mix(seed: u64, component: u64, k: u64, restart: u64) -> u64 {
    let mut z = seed
        ^ component.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ k.wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ restart.rotate_left(40);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

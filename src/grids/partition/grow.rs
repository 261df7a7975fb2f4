//! Initial regions: `k` seeds spread over the component, grown along the graph.
//!
//! Seeds: farthest-point sampling over household-bearing parcels (the first one random), then
//! a few Lloyd steps weighted by households move the centres to the middle of their catchments;
//! each centre snaps to the nearest free household-bearing parcel. Growth: the region with the
//! fewest households takes its cheapest frontier parcel, cost = distance to the region's centre
//! plus a penalty when the parcel is reached over a soft edge (a minor road, an estate wall), so
//! regions fill estates before leaving them. A region never takes a parcel that would lift it
//! above `max`; parcels no region can take seed regions of their own, so towers get enough
//! grids from the start. `O(n (k + log n))`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::search::Problem;

/// Metres added to the growth cost of a parcel reached over a soft edge.
const SOFT_PENALTY_M: f64 = 80.0;
const LLOYD_STEPS: usize = 4;

/// Labels for every parcel of the component: `0..k`, and more if parcels are left over when
/// every region is full (see [`grow_from`]).
pub(crate) fn grow(problem: &Problem, k: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let centres = centres(problem, k, rng);
    let seeds = snap(problem, &centres);
    grow_from(problem, &seeds, &centres, None, Some(i64::from(problem.bounds.max)))
}

/// Grows regions from `seeds` (one parcel each, label = position in `seeds`) toward `centres`;
/// with `allowed`, only those parcels are labelled (the others keep `usize::MAX`). With a
/// `cap`, a region never takes a parcel that would lift it above the cap; parcels no region
/// can take then seed further regions of their own, so lumpy households (towers) get enough
/// grids from the start.
pub(crate) fn grow_from(
    problem: &Problem,
    seeds: &[usize],
    centres: &[[f64; 2]],
    allowed: Option<&[bool]>,
    cap: Option<i64>,
) -> Vec<usize> {
    let n = problem.len();
    let mut label = vec![usize::MAX; n];
    let mut households = vec![0i64; seeds.len()];
    let mut centres = centres.to_vec();
    let mut frontier: Vec<BinaryHeap<Reverse<(Cost, usize)>>> = vec![BinaryHeap::new(); seeds.len()];
    let free = |p: usize, label: &[usize]| label[p] == usize::MAX && allowed.is_none_or(|a| a[p]);
    for (r, &seed) in seeds.iter().enumerate() {
        frontier[r].push(Reverse((Cost(0.0), seed)));
    }
    let mut next_free = 0;
    loop {
        // The lightest region with anything left to take.
        let mut pick: Option<usize> = None;
        for r in 0..frontier.len() {
            while let Some(Reverse((_, p))) = frontier[r].peek() {
                let fits = cap.is_none_or(|cap| households[r] == 0 || households[r] + problem.weight[*p] <= cap);
                if free(*p, &label) && fits {
                    break;
                }
                frontier[r].pop();
            }
            if !frontier[r].is_empty() && pick.is_none_or(|q| households[r] < households[q]) {
                pick = Some(r);
            }
        }
        let Some(r) = pick else {
            // Everyone is full or enclosed: a parcel left over starts a region of its own.
            while next_free < n && !free(next_free, &label) {
                next_free += 1;
            }
            if next_free == n {
                break;
            }
            frontier.push(BinaryHeap::from([Reverse((Cost(0.0), next_free))]));
            households.push(0);
            centres.push(problem.position[next_free]);
            continue;
        };
        let Some(Reverse((_, p))) = frontier[r].pop() else { break };
        label[p] = r;
        households[r] += problem.weight[p];
        for &(q, _, soft) in &problem.adjacency[p] {
            if free(q, &label) {
                let (dx, dy) = (problem.position[q][0] - centres[r][0], problem.position[q][1] - centres[r][1]);
                let cost = (dx * dx + dy * dy).sqrt() + if soft { SOFT_PENALTY_M } else { 0.0 };
                frontier[r].push(Reverse((Cost(cost), q)));
            }
        }
    }
    label
}

/// `k` centres: farthest-point sampling, then weighted Lloyd steps.
fn centres(problem: &Problem, k: usize, rng: &mut ChaCha8Rng) -> Vec<[f64; 2]> {
    let bearing: Vec<usize> = (0..problem.len()).filter(|&p| problem.weight[p] > 0).collect();
    let pool = if bearing.is_empty() { (0..problem.len()).collect() } else { bearing };
    let first = pool[rng.random_range(0..pool.len())];
    let mut centres = vec![problem.position[first]];
    let mut nearest: Vec<f64> = pool.iter().map(|&p| squared(problem.position[p], centres[0])).collect();
    while centres.len() < k {
        let Some((i, _)) = nearest.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0))) else {
            break;
        };
        let next = problem.position[pool[i]];
        centres.push(next);
        for (d, &p) in nearest.iter_mut().zip(&pool) {
            *d = d.min(squared(problem.position[p], next));
        }
    }
    for _ in 0..LLOYD_STEPS {
        let mut sums = vec![(0.0, 0.0, 0.0); centres.len()];
        for &p in &pool {
            let position = problem.position[p];
            let c = closest(&centres, position);
            let w = problem.weight[p].max(1) as f64;
            sums[c].0 += w * position[0];
            sums[c].1 += w * position[1];
            sums[c].2 += w;
        }
        for (centre, sum) in centres.iter_mut().zip(sums) {
            if sum.2 > 0.0 {
                *centre = [sum.0 / sum.2, sum.1 / sum.2];
            }
        }
    }
    centres
}

/// The nearest distinct household-bearing parcel to each centre (any parcel if none is left).
fn snap(problem: &Problem, centres: &[[f64; 2]]) -> Vec<usize> {
    let mut taken = vec![false; problem.len()];
    let mut seeds = Vec::with_capacity(centres.len());
    for &centre in centres {
        let best = (0..problem.len()).filter(|&p| !taken[p]).min_by(|&a, &b| {
            let key = |p: usize| (problem.weight[p] == 0, squared(problem.position[p], centre));
            let (ka, kb) = (key(a), key(b));
            ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(a.cmp(&b))
        });
        if let Some(p) = best {
            taken[p] = true;
            seeds.push(p);
        }
    }
    seeds
}

/// Two far-apart parcels of `members`: the farthest from the first, and the farthest from it
/// (`None` for fewer than two members).
pub(crate) fn farthest_pair(problem: &Problem, members: &[usize]) -> Option<(usize, usize)> {
    let far = |from: usize| {
        let o = problem.position[from];
        members.iter().copied().max_by(|&x, &y| {
            let d = |p: usize| (problem.position[p][0] - o[0]).powi(2) + (problem.position[p][1] - o[1]).powi(2);
            d(x).total_cmp(&d(y)).then(y.cmp(&x))
        })
    };
    let a = far(*members.first()?)?;
    let b = far(a)?;
    // Parts of one tower share a point: any other member will do.
    let b = if b == a { members.iter().copied().find(|&m| m != a)? } else { b };
    Some((a, b))
}

fn closest(centres: &[[f64; 2]], p: [f64; 2]) -> usize {
    let mut best = (0, f64::INFINITY);
    for (i, &c) in centres.iter().enumerate() {
        let d = squared(p, c);
        if d < best.1 {
            best = (i, d);
        }
    }
    best.0
}

fn squared(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)
}

/// A growth cost with a total order (costs are finite).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Cost(f64);

impl Eq for Cost {}

impl PartialOrd for Cost {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Cost {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

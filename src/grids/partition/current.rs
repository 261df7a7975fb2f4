//! The current plan: which grid each new parcel was in, a start built from it, and households
//! moved.
//!
//! A parcel's *home* is the current grid of the parcel with the same id, else the current grid
//! holding most of its building (matching unit runs by overlap), so a tower split differently
//! this time still finds its grids. The start keeps each current grid's largest connected piece
//! in this component; parcels without a home (new buildings, detached pieces) join the grid
//! they first touch in a breadth-first fill; then the lightest grids are dissolved or the
//! heaviest split until their count is in the feasible range (and, as a second start, until it
//! is `round(total / target)`, for when households have grown or shrunk a lot). The local
//! search then repairs each start with a high price on every household moved.

use std::collections::{HashMap, VecDeque};

use super::search::Problem;
use super::split::Parcel;
use super::{Building, BuildingId, GridKey, ParcelId, Part, grow};

/// The current plan, resolved against this request's parcels.
#[derive(Debug, Clone)]
pub(crate) struct Current {
    /// Distinct grid keys, sorted.
    pub keys: Vec<GridKey>,
    /// Per parcel: index into `keys` of its home grid.
    pub home: Vec<Option<usize>>,
}

impl Current {
    pub fn new(plan: &HashMap<ParcelId, GridKey>, parcels: &[Parcel], buildings: &[Building]) -> Current {
        let mut keys: Vec<GridKey> = plan.values().copied().collect();
        keys.sort_unstable();
        keys.dedup();
        let index_of = |key: GridKey| keys.binary_search(&key).ok();
        let mut by_building: HashMap<BuildingId, Vec<(Part, GridKey)>> = HashMap::new();
        for (id, &key) in plan {
            by_building.entry(id.building).or_default().push((id.part, key));
        }
        let home = parcels
            .iter()
            .map(|parcel| {
                if let Some(&key) = plan.get(&parcel.id) {
                    return index_of(key);
                }
                let entries = by_building.get(&parcel.id.building)?;
                let building = &buildings[parcel.building];
                let mut weight: Vec<(GridKey, u64)> = Vec::new();
                for &(part, key) in entries {
                    let w = overlap(building, parcel.id.part, part);
                    match weight.iter_mut().find(|(k, _)| *k == key) {
                        Some(entry) => entry.1 += w,
                        None => weight.push((key, w)),
                    }
                }
                weight.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
                weight.first().and_then(|&(key, _)| index_of(key))
            })
            .collect();
        Current { keys, home }
    }

    /// Starts for `problem` from the current plan (labels and the key each label continues):
    /// its grids brought into the feasible count range, and, when households have grown or
    /// shrunk so much that `round(total / target)` grids differ from that, also the plan with
    /// its heaviest grids split (or lightest dissolved) to that count. Empty when no parcel of
    /// the component has a home.
    pub fn starts(&self, problem: &Problem) -> Vec<(Vec<usize>, Vec<Option<usize>>)> {
        let n = problem.len();
        let mut label = vec![usize::MAX; n];
        let mut keys: Vec<Option<usize>> = Vec::new();
        let mut homes: Vec<usize> = problem.home.iter().flatten().copied().collect();
        homes.sort_unstable();
        homes.dedup();
        for home in homes {
            if let Some(piece) = largest_piece(problem, |p| problem.home[p] == Some(home)) {
                for p in piece {
                    label[p] = keys.len();
                }
                keys.push(Some(home));
            }
        }
        if keys.is_empty() {
            return Vec::new();
        }
        fill(problem, &mut label);
        let total = problem.total.max(0) as u64;
        let bounds = problem.bounds;
        let (lo, hi) =
            (total.div_ceil(u64::from(bounds.max)) as usize, (total / u64::from(bounds.min)).max(1) as usize);
        if lo > hi {
            return vec![(label, keys)];
        }
        let mut starts = Vec::new();
        let ideal = ((total as f64 / f64::from(bounds.target)).round() as usize).clamp(lo, hi);
        for count in [keys.len().clamp(lo, hi), ideal] {
            if starts.iter().any(|(_, k): &(Vec<usize>, Vec<Option<usize>>)| k.len() == count) {
                continue;
            }
            let (mut label, mut keys) = (label.clone(), keys.clone());
            while keys.len() > count {
                dissolve_lightest(problem, &mut label, &mut keys);
            }
            while keys.len() < count && split_heaviest(problem, &mut label, &mut keys) {}
            starts.push((label, keys));
        }
        starts
    }
}

/// Households of `part` (of `building`) that also belong to `other`.
fn overlap(building: &Building, part: Part, other: Part) -> u64 {
    let households_in = |first: u32, last: u32| -> u64 {
        building.units.iter().filter(|u| (first..=last).contains(&u.number)).map(|u| u64::from(u.households)).sum()
    };
    match (part, other) {
        (Part::Units { first, last }, Part::Units { first: f2, last: l2 }) => {
            let (a, b) = (first.max(f2), last.min(l2));
            if a <= b { households_in(a, b) } else { 0 }
        }
        (_, Part::Units { first, last }) => households_in(first, last),
        (_, Part::Whole) => u64::from(building.households),
        (_, Part::Virtual { of, .. }) => u64::from(building.households) / u64::from(of.max(1)),
    }
}

/// The largest (by households, then size, then first parcel) connected piece of the parcels
/// satisfying `inside`.
fn largest_piece(problem: &Problem, inside: impl Fn(usize) -> bool) -> Option<Vec<usize>> {
    let mut seen = vec![false; problem.len()];
    let mut best: Option<(i64, Vec<usize>)> = None;
    for start in 0..problem.len() {
        if seen[start] || !inside(start) {
            continue;
        }
        seen[start] = true;
        let mut piece = vec![start];
        let mut head = 0;
        while head < piece.len() {
            let p = piece[head];
            head += 1;
            for &(q, _, _) in &problem.adjacency[p] {
                if !seen[q] && inside(q) {
                    seen[q] = true;
                    piece.push(q);
                }
            }
        }
        let households: i64 = piece.iter().map(|&p| problem.weight[p]).sum();
        if best.as_ref().is_none_or(|(h, b)| households > *h || (households == *h && piece.len() > b.len())) {
            best = Some((households, piece));
        }
    }
    best.map(|(_, piece)| piece)
}

/// Unlabelled parcels take the label of the first labelled neighbour that reaches them.
fn fill(problem: &Problem, label: &mut [usize]) {
    let mut queue: VecDeque<usize> = (0..problem.len()).filter(|&p| label[p] != usize::MAX).collect();
    while let Some(p) = queue.pop_front() {
        for &(q, _, _) in &problem.adjacency[p] {
            if label[q] == usize::MAX {
                label[q] = label[p];
                queue.push_back(q);
            }
        }
    }
    for l in label.iter_mut() {
        if *l == usize::MAX {
            *l = 0; // unreachable in a connected component; defensive
        }
    }
}

fn households_per_label(problem: &Problem, label: &[usize], k: usize) -> Vec<i64> {
    let mut households = vec![0; k];
    for (p, &l) in label.iter().enumerate() {
        households[l] += problem.weight[p];
    }
    households
}

/// Too many grids: the lightest is shared out among its neighbours.
fn dissolve_lightest(problem: &Problem, label: &mut [usize], keys: &mut Vec<Option<usize>>) {
    let households = households_per_label(problem, label, keys.len());
    let Some(lightest) = (0..keys.len()).min_by_key(|&g| (households[g], g)) else { return };
    let last = keys.len() - 1;
    for l in label.iter_mut() {
        if *l == lightest {
            *l = usize::MAX;
        } else if *l == last {
            *l = lightest;
        }
    }
    keys.swap_remove(lightest);
    fill(problem, label);
}

/// Too few grids: the heaviest is grown anew from its two most distant parcels.
fn split_heaviest(problem: &Problem, label: &mut [usize], keys: &mut Vec<Option<usize>>) -> bool {
    let households = households_per_label(problem, label, keys.len());
    let Some(heaviest) = (0..keys.len()).max_by_key(|&g| (households[g], std::cmp::Reverse(g))) else { return false };
    let members: Vec<usize> = (0..problem.len()).filter(|&p| label[p] == heaviest).collect();
    let Some((a, b)) = grow::farthest_pair(problem, &members) else { return false };
    let allowed: Vec<bool> = (0..problem.len()).map(|p| label[p] == heaviest).collect();
    let grown = grow::grow_from(problem, &[a, b], &[problem.position[a], problem.position[b]], Some(&allowed), None);
    let new = keys.len();
    for (p, &g) in grown.iter().enumerate() {
        if allowed[p] && g == 1 {
            label[p] = new;
        }
    }
    keys.push(None);
    true
}

/// For each of `k` labels, the current grid it continues: greedily by households in common,
/// each current grid continued by at most one label.
pub(crate) fn match_keys(home: &[Option<usize>], weight: &[i64], label: &[usize], k: usize) -> Vec<Option<usize>> {
    let mut overlap: HashMap<(usize, usize), i64> = HashMap::new();
    for (p, &l) in label.iter().enumerate() {
        if let Some(h) = home[p] {
            *overlap.entry((l, h)).or_default() += weight[p];
        }
    }
    let mut pairs: Vec<((usize, usize), i64)> = overlap.into_iter().filter(|&(_, w)| w > 0).collect();
    pairs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut keys = vec![None; k];
    let mut used: Vec<usize> = Vec::new();
    for ((l, h), _) in pairs {
        if l < k && keys[l].is_none() && !used.contains(&h) {
            keys[l] = Some(h);
            used.push(h);
        }
    }
    keys
}

/// Households with a home whose label continues another grid (or none).
pub(crate) fn moved_households(home: &[Option<usize>], weight: &[i64], label: &[usize], keys: &[Option<usize>]) -> i64 {
    label
        .iter()
        .enumerate()
        .filter(|&(p, &l)| home[p].is_some() && keys.get(l).copied().flatten() != home[p])
        .map(|(p, _)| weight[p])
        .sum()
}

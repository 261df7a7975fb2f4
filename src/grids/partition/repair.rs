//! Local search on one component: move boundary parcels between adjacent grids.
//!
//! Objective, compared lexicographically: first the households outside bounds (summed over
//! grids), then a weighted cost: cut cost ÷ the component's length scale `L` (boundaries along
//! roads and estate walls, see `graph`) + `SPREAD` × Σ mean squared distance of footprint area
//! from the grid's centre ÷ L² (roundness) + `BALANCE` × Σ((h − target) / target)² + `MOVED` ×
//! moved households ÷ total (only with a current plan).
//!
//! A move must keep the giving grid connected and non-empty (a BFS inside the grid from one of
//! the parcel's neighbours there, `O(g)`); the receiving grid stays connected because the
//! parcel touches it. A move that would help the bounds but cut its grid apart takes along the
//! pieces it would cut off (they touch the parcel, so both grids stay connected). Clusters of
//! household-less buildings move as one. When no move reduces the violation, the structural
//! repairs of [`structural`] take over (chains, recombination, splits, merges), so the number
//! of grids adapts to lumpy households (towers).

use rand_chacha::ChaCha8Rng;

use super::current::{match_keys, moved_households};
use super::search::Problem;

mod structural;

/// Weight of the balance term (compactness comes first, balance second).
const BALANCE: f64 = 0.5;
/// Weight of the spread term: each grid's mean squared distance of its footprint area from
/// its centre, over the squared length scale (a moment of inertia: it keeps grids round and
/// stops them reaching for far-off buildings, where the cut term alone is indifferent).
const SPREAD: f64 = 1.0;
/// Weight of households moved, per whole component moved: with a current plan, moving 1 % of
/// the households costs as much as a grid boundary one grid-side long.
const MOVED: f64 = 100.0;
const MAX_PASSES: usize = 60;

/// How good a labelling is; lower is better, violation first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Score {
    pub violation: i64,
    pub cost: f64,
}

impl Score {
    pub fn better_than(&self, other: &Score) -> bool {
        self.violation < other.violation || (self.violation == other.violation && self.cost < other.cost - 1e-9)
    }
}

/// Repairs and polishes `labels` (labels `0..keys.len()`); `keys` are the current-plan grids the
/// labels continue, to count households moved. Returns the final score and labels.
pub(crate) fn run(
    problem: &Problem,
    labels: Vec<usize>,
    keys: Vec<Option<usize>>,
    rng: ChaCha8Rng,
) -> (Score, Vec<usize>) {
    let mut state = State::new(problem, labels, keys, rng);
    state.search();
    let score = state.score();
    (score, state.label)
}

struct State<'a> {
    problem: &'a Problem,
    label: Vec<usize>,
    households: Vec<i64>,
    /// Per grid: Σ mass, Σ mass·x, Σ mass·y, Σ mass·|x|² (for the spread term).
    moments: Vec<[f64; 4]>,
    /// Parcels of each grid, and each parcel's position in its grid's list.
    members: Vec<Vec<usize>>,
    slot: Vec<usize>,
    keys: Vec<Option<usize>>,
    min: i64,
    max: i64,
    target: f64,
    // BFS scratch space, reused: `mark[p] == stamp` means visited.
    mark: Vec<u32>,
    stamp: u32,
    queue: Vec<usize>,
    rng: ChaCha8Rng,
    /// Per grid: bumped whenever its parcels change, so failed repairs are not retried blindly.
    version: Vec<u32>,
    /// Pairs `(g, n, version g, version n)` a recombination could not fix.
    failed_pairs: std::collections::HashSet<(usize, usize, u32, u32)>,
}

impl<'a> State<'a> {
    fn new(problem: &'a Problem, label: Vec<usize>, mut keys: Vec<Option<usize>>, rng: ChaCha8Rng) -> Self {
        let k = label.iter().max().map_or(0, |&m| m + 1).max(keys.len());
        keys.resize(k, None);
        let mut households = vec![0; k];
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
        let mut slot = vec![0; label.len()];
        let mut moments = vec![[0.0; 4]; k];
        for (p, &l) in label.iter().enumerate() {
            households[l] += problem.weight[p];
            add(&mut moments[l], moment(problem, p), 1.0);
            slot[p] = members[l].len();
            members[l].push(p);
        }
        let bounds = problem.bounds;
        State {
            problem,
            label,
            households,
            moments,
            members,
            slot,
            keys,
            min: i64::from(bounds.min),
            max: i64::from(bounds.max),
            target: f64::from(bounds.target),
            mark: vec![0; problem.len()],
            stamp: 0,
            queue: Vec::new(),
            rng,
            version: vec![0; k],
            failed_pairs: std::collections::HashSet::new(),
        }
    }

    fn violation_of(&self, h: i64) -> i64 {
        (self.min - h).max(0) + (h - self.max).max(0)
    }

    fn imbalance_of(&self, h: i64) -> f64 {
        ((h as f64 - self.target) / self.target).powi(2)
    }

    fn violation(&self) -> i64 {
        self.households
            .iter()
            .zip(&self.members)
            .filter(|(_, m)| !m.is_empty())
            .map(|(&h, _)| self.violation_of(h))
            .sum()
    }

    fn score(&self) -> Score {
        let p = self.problem;
        let mut cut = 0.0;
        for (a, edges) in p.adjacency.iter().enumerate() {
            for &(b, cost, _) in edges {
                if a < b && self.label[a] != self.label[b] {
                    cut += cost;
                }
            }
        }
        let balance: f64 = self
            .households
            .iter()
            .zip(&self.members)
            .filter(|(_, m)| !m.is_empty())
            .map(|(&h, _)| self.imbalance_of(h))
            .sum();
        let k = self.households.len();
        let keys = match_keys(&p.home, &p.weight, &self.label, k);
        let moved = moved_households(&p.home, &p.weight, &self.label, &keys) as f64;
        let spread: f64 = self.moments.iter().map(spread).sum::<f64>() / p.length_scale.powi(2);
        let cost = cut / p.length_scale + BALANCE * balance + SPREAD * spread + MOVED * moved / p.total.max(1) as f64;
        Score { violation: self.violation(), cost }
    }

    /// Change of (violation, cost) if parcel `p` moved to grid `b`.
    fn delta(&self, p: usize, b: usize) -> (i64, f64) {
        self.delta_set(&[p], b)
    }

    /// Change of (violation, cost) if the parcels `set` (all of one grid) moved to grid `b`.
    fn delta_set(&self, set: &[usize], b: usize) -> (i64, f64) {
        let a = self.label[set[0]];
        let w: i64 = set.iter().map(|&p| self.problem.weight[p]).sum();
        let (ha, hb) = (self.households[a], self.households[b]);
        let dv = self.violation_of(ha - w) + self.violation_of(hb + w) - self.violation_of(ha) - self.violation_of(hb);
        let mut cut = 0.0;
        let mut moved = 0.0;
        let mut shift = [0.0; 4];
        for &p in set {
            add(&mut shift, moment(self.problem, p), 1.0);
            for &(q, cost, _) in &self.problem.adjacency[p] {
                let lq = self.label[q];
                if lq == a && (set.len() == 1 || !set.contains(&q)) {
                    cut += cost;
                } else if lq == b {
                    cut -= cost;
                }
            }
            if let Some(home) = self.problem.home[p] {
                let off = |g: usize| if self.keys[g] == Some(home) { 0.0 } else { 1.0 };
                moved += self.problem.weight[p] as f64 * (off(b) - off(a));
            }
        }
        let balance =
            self.imbalance_of(ha - w) + self.imbalance_of(hb + w) - self.imbalance_of(ha) - self.imbalance_of(hb);
        let (mut ma, mut mb) = (self.moments[a], self.moments[b]);
        add(&mut ma, shift, -1.0);
        add(&mut mb, shift, 1.0);
        let spread = (spread(&ma) + spread(&mb) - spread(&self.moments[a]) - spread(&self.moments[b]))
            / self.problem.length_scale.powi(2);
        let scale = self.problem.length_scale;
        let cost = cut / scale + BALANCE * balance + SPREAD * spread + MOVED * moved / self.problem.total.max(1) as f64;
        (dv, cost)
    }

    fn apply(&mut self, p: usize, b: usize) {
        let a = self.label[p];
        let w = self.problem.weight[p];
        self.households[a] -= w;
        self.households[b] += w;
        let m = moment(self.problem, p);
        add(&mut self.moments[a], m, -1.0);
        add(&mut self.moments[b], m, 1.0);
        let at = self.slot[p];
        self.members[a].swap_remove(at);
        if let Some(&moved) = self.members[a].get(at) {
            self.slot[moved] = at;
        }
        self.slot[p] = self.members[b].len();
        self.members[b].push(p);
        self.label[p] = b;
        self.version[a] = self.version[a].wrapping_add(1);
        self.version[b] = self.version[b].wrapping_add(1);
    }

    /// A new, empty grid continuing no current grid.
    fn new_grid(&mut self) -> usize {
        self.households.push(0);
        self.moments.push([0.0; 4]);
        self.members.push(Vec::new());
        self.version.push(0);
        self.keys.push(None);
        self.households.len() - 1
    }

    /// `p` with the parts of its grid that would lose touch with the rest without it (all but
    /// the heaviest piece of the grid minus `p`); `None` if that would empty the grid.
    fn branch(&mut self, p: usize) -> Option<Vec<usize>> {
        let a = self.label[p];
        let mut pieces: Vec<(i64, Vec<usize>)> = Vec::new();
        self.next_stamp();
        let stamp = self.stamp;
        self.mark[p] = stamp;
        for &(start, _, _) in &self.problem.adjacency[p] {
            if self.label[start] != a || self.mark[start] == stamp {
                continue;
            }
            self.mark[start] = stamp;
            let mut piece = vec![start];
            let mut head = 0;
            while head < piece.len() {
                let node = piece[head];
                head += 1;
                for &(q, _, _) in &self.problem.adjacency[node] {
                    if self.label[q] == a && self.mark[q] != stamp {
                        self.mark[q] = stamp;
                        piece.push(q);
                    }
                }
            }
            let households = piece.iter().map(|&q| self.problem.weight[q]).sum();
            pieces.push((households, piece));
        }
        // Pieces not touching p (a grid already broken) stay where they are.
        pieces.sort_by(|x, y| y.0.cmp(&x.0).then(y.1.len().cmp(&x.1.len())).then(x.1[0].cmp(&y.1[0])));
        if pieces.is_empty() {
            return None;
        }
        let mut set = vec![p];
        for (_, piece) in pieces.into_iter().skip(1) {
            set.extend(piece);
        }
        Some(set)
    }

    fn next_stamp(&mut self) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.mark.fill(0);
            self.stamp = 1;
        }
    }

    /// Whether grid `label[p]` stays connected (and non-empty) without `p`.
    fn can_give(&mut self, p: usize) -> bool {
        let a = self.label[p];
        if self.members[a].len() <= 1 {
            return false;
        }
        let adjacency = &self.problem.adjacency;
        let inside: Vec<usize> = adjacency[p].iter().map(|e| e.0).filter(|&q| self.label[q] == a).collect();
        if inside.len() <= 1 {
            return true;
        }
        self.next_stamp();
        let stamp = self.stamp;
        self.mark[p] = stamp;
        self.mark[inside[0]] = stamp;
        self.queue.clear();
        self.queue.push(inside[0]);
        let mut reached = 1;
        let mut head = 0;
        while head < self.queue.len() {
            let node = self.queue[head];
            head += 1;
            for &(q, _, _) in &adjacency[node] {
                if self.label[q] == a && self.mark[q] != stamp {
                    self.mark[q] = stamp;
                    if inside.contains(&q) {
                        reached += 1;
                        if reached == inside.len() {
                            return true;
                        }
                    }
                    self.queue.push(q);
                }
            }
        }
        false
    }

    /// Grids adjacent to parcel `p` other than its own, each once.
    fn neighbour_grids(&self, p: usize, out: &mut Vec<usize>) {
        out.clear();
        let a = self.label[p];
        for &(q, _, _) in &self.problem.adjacency[p] {
            let g = self.label[q];
            if g != a && !out.contains(&g) {
                out.push(g);
            }
        }
    }

    fn search(&mut self) {
        let mut grids = Vec::new();
        // Sweeps are bounded; structural repairs (chains, splits, merges) earn more sweeps
        // because each can unlock a round of single moves.
        let mut budget = MAX_PASSES;
        while budget > 0 {
            budget -= 1;
            if self.sweep(&mut grids) || (self.violation() == 0 && self.sweep_empty_clusters()) {
                continue;
            }
            if self.violation() > 0 && (self.eject() || self.recombine_pairs() || self.split_or_merge()) {
                budget += 2;
                continue;
            }
            break;
        }
    }

    /// One pass of single (and branch) moves over every parcel; true if anything moved.
    fn sweep(&mut self, grids: &mut Vec<usize>) -> bool {
        let mut changed = false;
        for p in 0..self.problem.len() {
            self.neighbour_grids(p, grids);
            if grids.is_empty() {
                continue;
            }
            let mut best: Option<(usize, i64, f64)> = None;
            for &b in grids.iter() {
                let (dv, dc) = self.delta(p, b);
                if improves(dv, dc) && best.is_none_or(|(_, bv, bc)| (dv, dc) < (bv, bc)) {
                    best = Some((b, dv, dc));
                }
            }
            if let Some((b, dv, _)) = best {
                if self.can_give(p) {
                    self.apply(p, b);
                    changed = true;
                } else if dv < 0 {
                    // The move would help the bounds but cuts p's grid: take along what p
                    // holds together.
                    changed |= self.move_branch(p, grids);
                }
            }
        }
        changed
    }

    /// Moves each piece of a cluster of household-less parcels (see `Problem::empty_clusters`)
    /// as one to the neighbouring grid where the cost drops most, if its grid stays connected.
    fn sweep_empty_clusters(&mut self) -> bool {
        let mut changed = false;
        for c in 0..self.problem.empty_clusters.len() {
            let cluster = &self.problem.empty_clusters[c];
            let mut done = vec![false; cluster.len()];
            for i in 0..cluster.len() {
                if done[i] {
                    continue;
                }
                // The piece of the cluster around cluster[i] that shares its grid.
                let a = self.label[cluster[i]];
                let mut piece = vec![cluster[i]];
                done[i] = true;
                let mut head = 0;
                while head < piece.len() {
                    let p = piece[head];
                    head += 1;
                    for &(q, _, _) in &self.problem.adjacency[p] {
                        if let Some(j) = cluster.iter().position(|&x| x == q)
                            && !done[j]
                            && self.label[q] == a
                        {
                            done[j] = true;
                            piece.push(q);
                        }
                    }
                }
                if piece.len() < 2 || piece.len() >= self.members[a].len() {
                    continue; // single parcels are the sweep's; a grid is never emptied
                }
                let mut targets: Vec<usize> = Vec::new();
                for &p in &piece {
                    for &(q, _, _) in &self.problem.adjacency[p] {
                        let g = self.label[q];
                        if g != a && !targets.contains(&g) {
                            targets.push(g);
                        }
                    }
                }
                let best = targets
                    .into_iter()
                    .map(|b| (b, self.delta_set(&piece, b).1))
                    .filter(|&(_, dc)| dc < -1e-9)
                    .min_by(|x, y| x.1.total_cmp(&y.1).then(x.0.cmp(&y.0)));
                if let Some((b, _)) = best
                    && self.connected_without(a, &piece)
                {
                    for &p in &piece {
                        self.apply(p, b);
                    }
                    changed = true;
                }
            }
        }
        changed
    }

    /// Whether grid `a` stays connected once the parcels `set` (all in `a`) leave it.
    fn connected_without(&mut self, a: usize, set: &[usize]) -> bool {
        let Some(&start) = self.members[a].iter().find(|p| !set.contains(p)) else { return false };
        self.next_stamp();
        let stamp = self.stamp;
        for &p in set {
            self.mark[p] = stamp;
        }
        self.mark[start] = stamp;
        self.queue.clear();
        self.queue.push(start);
        let mut head = 0;
        while head < self.queue.len() {
            let node = self.queue[head];
            head += 1;
            for &(q, _, _) in &self.problem.adjacency[node] {
                if self.label[q] == a && self.mark[q] != stamp {
                    self.mark[q] = stamp;
                    self.queue.push(q);
                }
            }
        }
        self.queue.len() + set.len() == self.members[a].len()
    }

    /// Moves `p` with the pieces it holds to its grid to the neighbouring grid where that helps
    /// most, if it reduces the violation.
    fn move_branch(&mut self, p: usize, grids: &[usize]) -> bool {
        let Some(set) = self.branch(p) else { return false };
        if set.len() == 1 {
            return false; // a single move, already considered
        }
        let mut best: Option<(usize, i64, f64)> = None;
        for &b in grids {
            let (dv, dc) = self.delta_set(&set, b);
            if dv < 0 && best.is_none_or(|(_, bv, bc)| (dv, dc) < (bv, bc)) {
                best = Some((b, dv, dc));
            }
        }
        let Some((b, _, _)) = best else { return false };
        for &q in &set {
            self.apply(q, b);
        }
        true
    }
}

/// A parcel's contribution to its grid's moments.
fn moment(problem: &Problem, p: usize) -> [f64; 4] {
    let (m, [x, y]) = (problem.mass[p], problem.position[p]);
    [m, m * x, m * y, m * (x * x + y * y)]
}

fn add(total: &mut [f64; 4], part: [f64; 4], sign: f64) {
    for (t, v) in total.iter_mut().zip(part) {
        *t += sign * v;
    }
}

/// Mean squared distance from the centre, m², of a grid with these moments (0 if empty).
fn spread(m: &[f64; 4]) -> f64 {
    if m[0] <= 1e-9 {
        return 0.0;
    }
    let (cx, cy) = (m[1] / m[0], m[2] / m[0]);
    (m[3] / m[0] - cx * cx - cy * cy).max(0.0)
}

fn improves(dv: i64, dc: f64) -> bool {
    dv < 0 || (dv == 0 && dc < -1e-9)
}

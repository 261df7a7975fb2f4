//! Local search on one component: move boundary parcels between adjacent grids.
//!
//! Objective, compared lexicographically: first the households outside bounds (summed over
//! grids), then a weighted cost: cut cost ÷ the component's length scale (compactness, estates
//! and roads, see `graph`) + `BALANCE` × Σ((h − target) / target)² + `MOVED` × moved households
//! ÷ total (only with a current plan). A move must keep the giving grid connected and non-empty
//! (a BFS inside the grid from one of the parcel's neighbours there, `O(g)`); the receiving grid
//! stays connected because the parcel touches it. While grids are out of bounds, a parcel whose
//! removal would cut its grid apart may move together with the pieces it would cut off (they
//! touch it, so both grids stay connected). When no such move reduces the violation: ejection
//! chains pass one parcel along each grid of a shortest path between a grid out of bounds and
//! one with room (or surplus); then an over-full grid is split in two by growth from its two
//! farthest parcels, or an under-full one merged into a neighbour with room. Each is kept only
//! if the violation drops, so the number of grids adapts to lumpy households (towers).

use super::current::{match_keys, moved_households};
use super::grow;
use super::search::Problem;

/// Weight of the balance term (compactness comes first, balance second).
const BALANCE: f64 = 0.5;
/// Weight of households moved, per whole component moved: with a current plan, moving 1 % of
/// the households costs as much as a grid boundary one grid-side long.
const MOVED: f64 = 100.0;
const MAX_PASSES: usize = 60;
/// Paths tried per grid out of bounds before giving up on chains.
const CHAIN_TRIES: usize = 12;

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
pub(crate) fn run(problem: &Problem, labels: Vec<usize>, keys: Vec<Option<usize>>) -> (Score, Vec<usize>) {
    let mut state = State::new(problem, labels, keys);
    state.search();
    let score = state.score();
    (score, state.label)
}

struct State<'a> {
    problem: &'a Problem,
    label: Vec<usize>,
    households: Vec<i64>,
    count: Vec<usize>,
    keys: Vec<Option<usize>>,
    min: i64,
    max: i64,
    target: f64,
    // BFS scratch space, reused: `mark[p] == stamp` means visited.
    mark: Vec<u32>,
    stamp: u32,
    queue: Vec<usize>,
}

impl<'a> State<'a> {
    fn new(problem: &'a Problem, label: Vec<usize>, mut keys: Vec<Option<usize>>) -> Self {
        let k = label.iter().max().map_or(0, |&m| m + 1).max(keys.len());
        keys.resize(k, None);
        let mut households = vec![0; k];
        let mut count = vec![0; k];
        for (p, &l) in label.iter().enumerate() {
            households[l] += problem.weight[p];
            count[l] += 1;
        }
        let bounds = problem.bounds;
        State {
            problem,
            label,
            households,
            count,
            keys,
            min: i64::from(bounds.min),
            max: i64::from(bounds.max),
            target: f64::from(bounds.target),
            mark: vec![0; problem.len()],
            stamp: 0,
            queue: Vec::new(),
        }
    }

    fn violation_of(&self, h: i64) -> i64 {
        (self.min - h).max(0) + (h - self.max).max(0)
    }

    fn imbalance_of(&self, h: i64) -> f64 {
        ((h as f64 - self.target) / self.target).powi(2)
    }

    fn violation(&self) -> i64 {
        self.households.iter().zip(&self.count).filter(|(_, c)| **c > 0).map(|(&h, _)| self.violation_of(h)).sum()
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
        let balance: f64 =
            self.households.iter().zip(&self.count).filter(|(_, c)| **c > 0).map(|(&h, _)| self.imbalance_of(h)).sum();
        let k = self.households.len();
        let keys = match_keys(&p.home, &p.weight, &self.label, k);
        let moved = moved_households(&p.home, &p.weight, &self.label, &keys) as f64;
        let cost = cut / p.length_scale + BALANCE * balance + MOVED * moved / p.total.max(1) as f64;
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
        for &p in set {
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
        let balance = self.imbalance_of(ha - w) + self.imbalance_of(hb + w) - self.imbalance_of(ha) - self.imbalance_of(hb);
        let cost = cut / self.problem.length_scale + BALANCE * balance + MOVED * moved / self.problem.total.max(1) as f64;
        (dv, cost)
    }

    fn apply(&mut self, p: usize, b: usize) {
        let a = self.label[p];
        let w = self.problem.weight[p];
        self.households[a] -= w;
        self.households[b] += w;
        self.count[a] -= 1;
        self.count[b] += 1;
        self.label[p] = b;
    }

    /// A new, empty grid continuing no current grid.
    fn new_grid(&mut self) -> usize {
        self.households.push(0);
        self.count.push(0);
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
        if self.count[a] <= 1 {
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
            if self.sweep(&mut grids) {
                continue;
            }
            if self.violation() > 0 && (self.eject() || self.split_or_merge()) {
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
            if let Some((b, _, _)) = best {
                if self.can_give(p) {
                    self.apply(p, b);
                    changed = true;
                    continue;
                }
            }
            // Out of bounds here or next door: p may take along what it holds together.
            let a = self.label[p];
            let needy = |g: usize| self.violation_of(self.households[g]) > 0;
            if needy(a) || grids.iter().any(|&b| needy(b)) {
                changed |= self.move_branch(p, grids);
            }
        }
        changed
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

    /// Splits over-full grids in two and merges under-full ones into a neighbour with room,
    /// each only where it lowers the violation; true if any was done.
    fn split_or_merge(&mut self) -> bool {
        let mut done = false;
        let k = self.households.len();
        for g in 0..k {
            if self.count[g] < 2 || self.households[g] <= self.max {
                continue;
            }
            let before = self.violation();
            let members: Vec<usize> = (0..self.problem.len()).filter(|&p| self.label[p] == g).collect();
            let Some((a, b)) = grow::farthest_pair(self.problem, &members) else { continue };
            let allowed: Vec<bool> = self.label.iter().map(|&l| l == g).collect();
            let grown = grow::grow_from(self.problem, &[a, b], &[self.problem.position[a], self.problem.position[b]], Some(&allowed));
            let new = self.new_grid();
            let mut log = Vec::new();
            for &p in &members {
                if grown[p] == 1 {
                    self.apply(p, new);
                    log.push(p);
                }
            }
            if self.violation() < before {
                done = true;
                continue;
            }
            for p in log {
                self.apply(p, g);
            }
        }
        let adjacent = self.grid_adjacency();
        for u in 0..k {
            if self.count[u] == 0 || self.households[u] >= self.min {
                continue;
            }
            let roomiest = adjacent[u]
                .iter()
                .copied()
                .filter(|&n| self.count[n] > 0 && self.households[u] + self.households[n] <= self.max);
            if let Some(n) = roomiest.min_by_key(|&n| (self.households[n], n)) {
                for p in 0..self.problem.len() {
                    if self.label[p] == u {
                        self.apply(p, n);
                    }
                }
                done = true;
            }
        }
        done
    }

    /// Grid adjacency lists, from the parcel graph.
    fn grid_adjacency(&self) -> Vec<Vec<usize>> {
        let mut adjacent = vec![Vec::new(); self.households.len()];
        for (p, edges) in self.problem.adjacency.iter().enumerate() {
            let a = self.label[p];
            for &(q, _, _) in edges {
                let b = self.label[q];
                if a != b && !adjacent[a].contains(&b) {
                    adjacent[a].push(b);
                }
            }
        }
        for list in &mut adjacent {
            list.sort_unstable();
        }
        adjacent
    }

    /// One ejection chain that lowers the violation, applied; false if none was found.
    fn eject(&mut self) -> bool {
        let before = self.violation();
        let mut out: Vec<usize> = (0..self.households.len()).filter(|&g| self.violation_of(self.households[g]) > 0).collect();
        out.sort_by_key(|&g| (std::cmp::Reverse(self.violation_of(self.households[g])), g));
        let adjacent = self.grid_adjacency();
        for g in out {
            let under = self.households[g] < self.min;
            // Breadth-first over grids from g; parents give the shortest paths.
            let mut parent = vec![usize::MAX; adjacent.len()];
            parent[g] = g;
            let mut order = vec![g];
            let mut head = 0;
            while head < order.len() {
                let x = order[head];
                head += 1;
                for &y in &adjacent[x] {
                    if parent[y] == usize::MAX {
                        parent[y] = x;
                        order.push(y);
                    }
                }
            }
            let ends = order[1..].iter().copied().filter(|&s| {
                if under { self.households[s] > self.min } else { self.households[s] < self.max }
            });
            for end in ends.take(CHAIN_TRIES).collect::<Vec<_>>() {
                let mut path = vec![end];
                while *path.last().unwrap_or(&g) != g {
                    let last = path[path.len() - 1];
                    path.push(parent[last]);
                }
                path.reverse(); // g … end
                let mut log = Vec::new();
                let mut complete = true;
                for pair in path.windows(2) {
                    let (giver, receiver) = if under { (pair[1], pair[0]) } else { (pair[0], pair[1]) };
                    match self.best_transfer(giver, receiver, under) {
                        Some(p) => {
                            log.push((p, giver));
                            self.apply(p, receiver);
                        }
                        None => {
                            complete = false;
                            break;
                        }
                    }
                }
                if complete && self.violation() < before {
                    return true;
                }
                for (p, giver) in log.into_iter().rev() {
                    self.apply(p, giver);
                }
            }
        }
        false
    }

    /// The parcel `giver` should hand to `receiver` in a chain: it must touch `receiver` and
    /// leave `giver` connected; preferred: the grid in need ends within bounds and nearest
    /// the target, then the smaller cost.
    fn best_transfer(&mut self, giver: usize, receiver: usize, under: bool) -> Option<usize> {
        let mut best: Option<(usize, (i64, f64, f64))> = None;
        for p in 0..self.problem.len() {
            if self.label[p] != giver || !self.problem.adjacency[p].iter().any(|e| self.label[e.0] == receiver) {
                continue;
            }
            let w = self.problem.weight[p];
            let needy = if under { self.households[receiver] + w } else { self.households[giver] - w };
            let key = (self.violation_of(needy), (needy as f64 - self.target).abs(), self.delta(p, receiver).1);
            let better = best.is_none_or(|(_, b)| key.0 < b.0 || (key.0 == b.0 && (key.1, key.2) < (b.1, b.2)));
            if better && self.can_give(p) {
                best = Some((p, key));
            }
        }
        best.map(|(p, _)| p)
    }
}

fn improves(dv: i64, dc: f64) -> bool {
    dv < 0 || (dv == 0 && dc < -1e-9)
}

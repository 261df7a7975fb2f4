//! Structural repairs, tried in this order when single moves stall with grids out of bounds:
//! ejection chains, recombination of a pair of grids, splitting over-full grids and merging
//! under-full ones. Each is kept only if the total violation drops.

use super::State;
use crate::grids::partition::{grow, recombine};

/// Paths tried per grid out of bounds before giving up on chains.
const CHAIN_TRIES: usize = 12;

impl State<'_> {
    /// Re-splits each grid out of bounds together with a neighbour (see `recombine`) where
    /// that lowers the pair's violation; true if any pair changed.
    pub(super) fn recombine_pairs(&mut self) -> bool {
        let mut done = false;
        let adjacent = self.grid_adjacency();
        for (g, neighbours) in adjacent.iter().enumerate() {
            if self.members[g].is_empty() || self.violation_of(self.households[g]) == 0 {
                continue;
            }
            for &n in neighbours {
                let (hg, hn) = (self.households[g], self.households[n]);
                let before = self.violation_of(hg) + self.violation_of(hn);
                let attempt = (g, n, self.version[g], self.version[n]);
                if before == 0 || self.members[n].is_empty() || self.failed_pairs.contains(&attempt) {
                    continue;
                }
                let members: Vec<usize> = self.members[g].iter().chain(&self.members[n]).copied().collect();
                let total = hg + hn;
                let (target, min, max) = (self.target, self.min, self.max);
                let violation = |h: i64| (min - h).max(0) + (h - max).max(0);
                let key = |side: i64| {
                    let spread = (side as f64 - target).powi(2) + ((total - side) as f64 - target).powi(2);
                    (violation(side) + violation(total - side), spread)
                };
                let side = recombine::bipartition(self.problem, &members, &mut self.rng, key);
                let Some(side) = side.filter(|side| {
                    let w: i64 = side.iter().map(|&p| self.problem.weight[p]).sum();
                    violation(w) + violation(total - w) < before
                }) else {
                    self.failed_pairs.insert(attempt);
                    continue;
                };
                // The side keeps the label most of it already has.
                let in_g = side.iter().filter(|&&p| self.label[p] == g).count();
                let (to_side, to_rest) = if 2 * in_g >= side.len() { (g, n) } else { (n, g) };
                let mut on_side = vec![false; self.problem.len()];
                for &p in &side {
                    on_side[p] = true;
                }
                for &p in &members {
                    let to = if on_side[p] { to_side } else { to_rest };
                    if self.label[p] != to {
                        self.apply(p, to);
                    }
                }
                done = true;
                break; // g's neighbours changed
            }
        }
        done
    }

    /// Splits over-full grids in two and merges under-full ones into a neighbour with room,
    /// each only where it lowers the violation; true if any was done.
    pub(super) fn split_or_merge(&mut self) -> bool {
        let mut done = false;
        let k = self.households.len();
        for g in 0..k {
            if self.members[g].len() < 2 || self.households[g] <= self.max {
                continue;
            }
            let before = self.violation();
            let members = self.members[g].clone();
            let Some((a, b)) = grow::farthest_pair(self.problem, &members) else { continue };
            let allowed: Vec<bool> = self.label.iter().map(|&l| l == g).collect();
            let centres = [self.problem.position[a], self.problem.position[b]];
            let grown = grow::grow_from(self.problem, &[a, b], &centres, Some(&allowed), None);
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
        for (u, neighbours) in adjacent.iter().enumerate().take(k) {
            if self.members[u].is_empty() || self.households[u] >= self.min {
                continue;
            }
            let roomiest = neighbours
                .iter()
                .copied()
                .filter(|&n| !self.members[n].is_empty() && self.households[u] + self.households[n] <= self.max);
            if let Some(n) = roomiest.min_by_key(|&n| (self.households[n], n)) {
                for p in self.members[u].clone() {
                    self.apply(p, n);
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
    pub(super) fn eject(&mut self) -> bool {
        let before = self.violation();
        let mut out: Vec<usize> =
            (0..self.households.len()).filter(|&g| self.violation_of(self.households[g]) > 0).collect();
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
            let ends = order[1..]
                .iter()
                .copied()
                .filter(|&s| if under { self.households[s] > self.min } else { self.households[s] < self.max });
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
        for p in self.members[giver].clone() {
            if !self.problem.adjacency[p].iter().any(|e| self.label[e.0] == receiver) {
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

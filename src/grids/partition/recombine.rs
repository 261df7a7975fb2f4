//! Recombination (as in GerryChain's ReCom): two adjacent grids are merged and re-split by
//! cutting one edge of a random spanning tree of their parcels. Both sides of a tree cut are
//! connected, so the pair stays contiguous whatever the cut; trying a few trees finds a cut
//! with both sides within bounds where single parcel moves are blocked by articulation points.
//! `O(t · m log m)` for `t` trees over the pair's `m` parcels.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::search::Problem;

/// Spanning trees drawn per recombination.
const TREES: usize = 6;

/// The best side of a two-way tree cut of `members` (which must be connected), by `key` of the
/// side's households (lower is better); `None` if `members` is not connected or too small.
pub(crate) fn bipartition<K: PartialOrd + Copy>(
    problem: &Problem,
    members: &[usize],
    rng: &mut ChaCha8Rng,
    key: impl Fn(i64) -> K,
) -> Option<Vec<usize>> {
    let m = members.len();
    if m < 2 {
        return None;
    }
    // Local indices by binary search: the pair is small, the component may not be.
    let mut members = members.to_vec();
    members.sort_unstable();
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for (i, &p) in members.iter().enumerate() {
        for &(q, _, _) in &problem.adjacency[p] {
            if let Ok(j) = members.binary_search(&q)
                && i < j
            {
                edges.push((i, j));
            }
        }
    }
    let mut best: Option<(K, usize, Vec<usize>, Vec<usize>)> = None; // key, cut node, parent, order
    for _ in 0..TREES {
        let (parent, order) = random_tree(m, &mut edges, rng)?;
        let mut subtree: Vec<i64> = members.iter().map(|&p| problem.weight[p]).collect();
        for &node in order.iter().rev() {
            if parent[node] != usize::MAX {
                subtree[parent[node]] += subtree[node];
            }
        }
        let mut tree_best: Option<(K, usize)> = None;
        for &node in &order[1..] {
            let k = key(subtree[node]);
            if tree_best.is_none_or(|(b, _)| k < b) {
                tree_best = Some((k, node));
            }
        }
        if let Some((k, node)) = tree_best
            && best.as_ref().is_none_or(|(b, ..)| k < *b)
        {
            best = Some((k, node, parent, order));
        }
    }
    let (_, cut, parent, order) = best?;
    // The side is `cut` and its descendants: in BFS order a node follows its parent.
    let mut inside = vec![false; m];
    inside[cut] = true;
    for &node in &order {
        if node != cut && parent[node] != usize::MAX && inside[parent[node]] {
            inside[node] = true;
        }
    }
    Some((0..m).filter(|&i| inside[i]).map(|i| members[i]).collect())
}

/// A random spanning tree (Kruskal on shuffled edges) as BFS parents and order from node 0;
/// `None` if the graph is not connected.
fn random_tree(m: usize, edges: &mut [(usize, usize)], rng: &mut ChaCha8Rng) -> Option<(Vec<usize>, Vec<usize>)> {
    for i in (1..edges.len()).rev() {
        let j = rng.random_range(0..=i);
        edges.swap(i, j);
    }
    let mut root: Vec<usize> = (0..m).collect();
    fn find(root: &mut [usize], mut x: usize) -> usize {
        while root[x] != x {
            root[x] = root[root[x]];
            x = root[x];
        }
        x
    }
    let mut tree: Vec<Vec<usize>> = vec![Vec::new(); m];
    let mut joined = 1;
    for &(a, b) in edges.iter() {
        let (ra, rb) = (find(&mut root, a), find(&mut root, b));
        if ra != rb {
            root[ra] = rb;
            tree[a].push(b);
            tree[b].push(a);
            joined += 1;
            if joined == m {
                break;
            }
        }
    }
    if joined < m {
        return None;
    }
    let mut parent = vec![usize::MAX; m];
    let mut order = vec![0];
    let mut seen = vec![false; m];
    seen[0] = true;
    let mut head = 0;
    while head < order.len() {
        let node = order[head];
        head += 1;
        for &next in &tree[node] {
            if !seen[next] {
                seen[next] = true;
                parent[next] = node;
                order.push(next);
            }
        }
    }
    Some((parent, order))
}

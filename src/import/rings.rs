//! Multipolygon assembly: joins the member ways of an OSM multipolygon (or boundary) relation
//! into closed rings and nests each inner ring in the outer ring that contains it.
//!
//! Only assembly happens here. Self-intersections and other validity problems are repaired
//! later in SQL; this module refuses only what cannot become a ring at all (a gap, fewer than
//! four points), so the caller can report the feature as skipped. Rings are wound the Simple
//! Features way (outer counter-clockwise, inner clockwise): geodesic areas depend on it.

use std::collections::{HashMap, HashSet};

use geo::orient::{Direction, Orient};
use geo::{Area, Contains, Coord, InteriorPoint, LineString, MultiPolygon, Polygon};

/// A member way's role in the relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Outer,
    Inner,
}

/// One member way, its nodes already resolved to coordinates (longitude, latitude).
#[derive(Debug, Clone, PartialEq)]
pub struct MemberWay {
    /// OSM way id, only for error messages.
    pub id: i64,
    pub role: Role,
    pub coords: Vec<Coord<f64>>,
}

/// Why the members do not form a multipolygon.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RingError {
    #[error("no outer ring")]
    NoOuter,
    #[error("way/{way} has fewer than 2 points")]
    ShortWay { way: i64 },
    #[error("{role} ring through way/{way} is not closed: nothing continues it at ({x}, {y})")]
    Unclosed { role: &'static str, way: i64, x: f64, y: f64 },
    #[error("{role} ring through way/{way} has fewer than 3 distinct corners")]
    Degenerate { role: &'static str, way: i64 },
    #[error("inner ring through way/{way} lies in no outer ring")]
    OrphanInner { way: i64 },
}

/// Builds the multipolygon of `members`: rings of each role, each inner ring given to the
/// smallest outer ring containing it. A closed way alone is a valid single outer member.
pub fn assemble(members: &[MemberWay]) -> Result<MultiPolygon<f64>, RingError> {
    let outers = join_rings(members, Role::Outer)?;
    if outers.is_empty() {
        return Err(RingError::NoOuter);
    }
    let inners = join_rings(members, Role::Inner)?;

    let mut polygons: Vec<Polygon<f64>> = outers.into_iter().map(|(_, ring)| Polygon::new(ring, Vec::new())).collect();
    // Smallest first, so an island inside a lake inside a park gets the right hole.
    let areas: Vec<f64> = polygons.iter().map(|p| p.unsigned_area()).collect();
    let mut order: Vec<usize> = (0..polygons.len()).collect();
    order.sort_by(|&a, &b| areas[a].total_cmp(&areas[b]));

    for (way, inner) in inners {
        // A point strictly inside the inner ring: its vertices may touch the outer ring.
        let probe = Polygon::new(inner.clone(), Vec::new()).interior_point();
        let owner = probe.and_then(|p| order.iter().copied().find(|&i| polygons[i].contains(&p)));
        match owner {
            Some(i) => polygons[i].interiors_push(inner),
            None => return Err(RingError::OrphanInner { way }),
        }
    }
    Ok(MultiPolygon::new(polygons).orient(Direction::Default))
}

/// Joins the ways of `role` into closed rings; each ring is named by its first way.
fn join_rings(members: &[MemberWay], role: Role) -> Result<Vec<(i64, LineString<f64>)>, RingError> {
    let role_name = match role {
        Role::Outer => "outer",
        Role::Inner => "inner",
    };
    let ways: Vec<&MemberWay> = members.iter().filter(|m| m.role == role).collect();
    if let Some(short) = ways.iter().find(|w| w.coords.len() < 2) {
        return Err(RingError::ShortWay { way: short.id });
    }

    // Open ways by each of their two end points, to find the continuation of a ring. Closed
    // ways are rings by themselves, even when another ring touches them.
    let mut by_end: HashMap<(u64, u64), Vec<usize>> = HashMap::new();
    for (i, way) in ways.iter().enumerate().filter(|(_, w)| first(w) != last(w)) {
        for end in [first(way), last(way)] {
            by_end.entry(key(end)).or_default().push(i);
        }
    }

    let mut used = vec![false; ways.len()];
    let mut rings = Vec::new();
    for start in 0..ways.len() {
        if used[start] {
            continue;
        }
        used[start] = true;
        let mut ring = ways[start].coords.clone();
        while let Some(&end) = ring.last().filter(|&&end| ring.first() != Some(&end)) {
            let next = by_end.get(&key(end)).and_then(|c| c.iter().copied().find(|&i| !used[i]));
            let Some(next) = next else {
                return Err(RingError::Unclosed { role: role_name, way: ways[start].id, x: end.x, y: end.y });
            };
            used[next] = true;
            let coords = &ways[next].coords;
            // Skip the shared end point; follow the way forwards or backwards.
            if first(ways[next]) == end {
                ring.extend(coords.iter().skip(1));
            } else {
                ring.extend(coords.iter().rev().skip(1));
            }
        }
        ring.dedup();
        let corners: HashSet<(u64, u64)> = ring.iter().map(|&c| key(c)).collect();
        if corners.len() < 3 {
            return Err(RingError::Degenerate { role: role_name, way: ways[start].id });
        }
        rings.push((ways[start].id, LineString::new(ring)));
    }
    Ok(rings)
}

fn first(way: &MemberWay) -> Coord<f64> {
    way.coords[0]
}

fn last(way: &MemberWay) -> Coord<f64> {
    way.coords[way.coords.len() - 1]
}

/// Exact coordinate identity: shared nodes resolve to bit-identical coordinates.
fn key(c: Coord<f64>) -> (u64, u64) {
    (c.x.to_bits(), c.y.to_bits())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Winding, coord};

    fn way(id: i64, role: Role, points: &[(f64, f64)]) -> MemberWay {
        MemberWay { id, role, coords: points.iter().map(|&(x, y)| coord! { x: x, y: y }).collect() }
    }

    const SQUARE: [(f64, f64); 5] = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0), (0.0, 0.0)];

    #[test]
    fn a_closed_way_is_a_ring() {
        let mp = assemble(&[way(1, Role::Outer, &SQUARE)]).expect("assembles");
        assert_eq!(mp.0.len(), 1);
        assert_eq!(mp.unsigned_area(), 100.0);
    }

    #[test]
    fn rings_are_wound_outer_counter_clockwise_inner_clockwise() {
        let clockwise: Vec<(f64, f64)> = SQUARE.iter().rev().copied().collect();
        let hole = [(2.0, 2.0), (4.0, 2.0), (4.0, 4.0), (2.0, 4.0), (2.0, 2.0)];
        let mp = assemble(&[way(1, Role::Outer, &clockwise), way(2, Role::Inner, &hole)]).expect("assembles");
        assert_eq!(mp.signed_area(), 96.0);
        assert!(mp.0[0].exterior().is_ccw() && mp.0[0].interiors()[0].is_cw());
    }

    #[test]
    fn two_half_rings_are_joined() {
        let mp = assemble(&[
            way(1, Role::Outer, &[(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)]),
            way(2, Role::Outer, &[(10.0, 10.0), (0.0, 10.0), (0.0, 0.0)]),
        ])
        .expect("assembles");
        assert_eq!(mp.0[0].exterior().0.len(), 5);
        assert_eq!(mp.unsigned_area(), 100.0);
    }

    #[test]
    fn a_reversed_segment_is_followed_backwards() {
        let mp = assemble(&[
            way(1, Role::Outer, &[(0.0, 0.0), (10.0, 0.0)]),
            way(2, Role::Outer, &[(0.0, 10.0), (10.0, 10.0), (10.0, 0.0)]),
            way(3, Role::Outer, &[(0.0, 0.0), (0.0, 10.0)]),
        ])
        .expect("assembles");
        assert_eq!(mp.0.len(), 1);
        assert!(mp.0[0].exterior().is_closed());
        assert_eq!(mp.unsigned_area(), 100.0);
    }

    #[test]
    fn inner_ring_becomes_a_hole_of_the_outer_containing_it() {
        let far: Vec<(f64, f64)> = SQUARE.iter().map(|&(x, y)| (x + 100.0, y)).collect();
        let mp = assemble(&[
            way(1, Role::Outer, &SQUARE),
            way(2, Role::Outer, &far),
            way(3, Role::Inner, &[(2.0, 2.0), (4.0, 2.0), (4.0, 4.0), (2.0, 4.0), (2.0, 2.0)]),
        ])
        .expect("assembles");
        assert_eq!(mp.0[0].interiors().len(), 1);
        assert_eq!(mp.0[1].interiors().len(), 0);
        assert_eq!(mp.unsigned_area(), 196.0);
    }

    #[test]
    fn a_gap_is_an_unclosed_ring() {
        let err = assemble(&[
            way(1, Role::Outer, &[(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)]),
            way(2, Role::Outer, &[(10.0, 10.0), (0.0, 10.0)]),
        ])
        .expect_err("gap");
        assert_eq!(err, RingError::Unclosed { role: "outer", way: 1, x: 0.0, y: 10.0 });
        assert!(err.to_string().contains("way/1"));
    }

    #[test]
    fn degenerate_and_orphan_rings_are_refused() {
        let spike = [(0.0, 0.0), (1.0, 1.0), (0.0, 0.0)];
        assert!(matches!(assemble(&[way(1, Role::Outer, &spike)]), Err(RingError::Degenerate { .. })));
        let back_and_forth = [(0.0, 0.0), (1.0, 1.0), (1.0, 1.0), (0.0, 0.0), (1.0, 1.0), (0.0, 0.0)];
        assert!(matches!(assemble(&[way(1, Role::Outer, &back_and_forth)]), Err(RingError::Degenerate { .. })));
        let hole_only = [way(1, Role::Inner, &SQUARE)];
        assert_eq!(assemble(&hole_only), Err(RingError::NoOuter));
        let outside = [(50.0, 50.0), (60.0, 50.0), (60.0, 60.0), (50.0, 50.0)];
        let err = assemble(&[way(1, Role::Outer, &SQUARE), way(2, Role::Inner, &outside)]);
        assert_eq!(err, Err(RingError::OrphanInner { way: 2 }));
    }
}

//! Checks the demo is deterministic, sized as promised and geometrically sound.

use std::collections::{HashMap, HashSet};

use geo::{BoundingRect, Contains, Intersects, MultiPolygon, Validation};
use rstar::{AABB, RTree, RTreeObject};

use super::*;

fn default_demo() -> Dataset {
    generate(&DemoOptions::default())
}

fn fingerprint(d: &Dataset) -> String {
    format!("{:?}{:?}{:?}{:?}{:?}", d.districts, d.communities, d.estates, d.buildings, d.roads)
}

#[test]
fn same_options_give_the_same_dataset_and_other_seeds_differ() {
    let a = default_demo();
    let b = default_demo();
    assert_eq!(fingerprint(&a), fingerprint(&b));
    let c = generate(&DemoOptions { seed: 7, ..DemoOptions::default() });
    assert_ne!(fingerprint(&a), fingerprint(&c));
    assert_eq!(a.source, "demo");
}

#[test]
fn default_demo_has_about_20000_households_in_realistic_communities() {
    let d = default_demo();
    assert_eq!(d.communities.len(), 6);
    let total: i64 = d.buildings.iter().map(|b| i64::from(b.households)).sum();
    assert!((17_000..=23_000).contains(&total), "{total} households");
    let mut per_community: HashMap<&str, i64> = HashMap::new();
    for b in &d.buildings {
        *per_community.entry(b.community.as_deref().unwrap_or("")).or_default() += i64::from(b.households);
    }
    for c in &d.communities {
        let n = per_community.get(c.name.as_str()).copied().unwrap_or(0);
        assert!((1_500..=10_000).contains(&n), "{} has {n} households", c.name);
    }
}

#[test]
fn buildings_carry_consistent_units_and_kinds() {
    let d = default_demo();
    let mut big_towers = 0;
    for b in &d.buildings {
        if !b.units.is_empty() {
            assert_eq!(b.units.iter().map(|u| u.households).sum::<i32>(), b.households, "{}", b.source_id);
            let numbers: Vec<i32> = b.units.iter().map(|u| u.number).collect();
            assert_eq!(numbers, (1..=b.units.len() as i32).collect::<Vec<_>>());
        }
        assert!(b.households >= 0);
        assert!(b.floors.is_some_and(|f| f >= 1));
        assert!(b.name.is_some() && b.address.is_some() && b.community.is_some());
        match b.kind.as_str() {
            "residential" => assert_eq!(b.floors, Some(6)),
            "apartments" => assert!(b.floors.is_some_and(|f| (18..=33).contains(&f))),
            "house" => assert!(b.floors.is_some_and(|f| (2..=4).contains(&f)) && (1..=4).contains(&b.households)),
            _ => assert_eq!(b.households, 0, "{} {}", b.kind, b.source_id),
        }
        big_towers += usize::from(b.households > 700);
    }
    assert!(big_towers >= 1, "no tower over 700 households");
    for kind in ["apartments", "residential", "house", "commercial", "school", "kindergarten", "garage"] {
        assert!(d.buildings.iter().any(|b| b.kind == kind), "no {kind}");
    }
}

#[test]
fn source_ids_are_unique_and_links_resolve() {
    check_ids_and_links(&default_demo());
}

fn check_ids_and_links(d: &Dataset) {
    let mut ids = HashSet::new();
    let all = d
        .districts
        .iter()
        .map(|x| &x.source_id)
        .chain(d.communities.iter().map(|x| &x.source_id))
        .chain(d.estates.iter().map(|x| &x.source_id))
        .chain(d.buildings.iter().map(|x| &x.source_id))
        .chain(d.roads.iter().map(|x| &x.source_id));
    for id in all {
        assert!(ids.insert(id.clone()), "duplicate {id}");
    }
    let districts: HashSet<&str> = d.districts.iter().map(|x| x.source_id.as_str()).collect();
    let communities: HashSet<&str> = d.communities.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(communities.len(), d.communities.len(), "community names must be unique");
    let estates: HashSet<&str> = d.estates.iter().map(|x| x.source_id.as_str()).collect();
    for c in &d.communities {
        assert!(c.district.as_deref().is_some_and(|x| districts.contains(x)));
        assert!(c.code.as_deref().is_some_and(|x| x.len() == 3));
    }
    for x in &d.districts {
        assert!(x.code.as_deref().is_some_and(|c| c.len() == 9 && c.bytes().all(|b| b.is_ascii_digit())));
        assert!(x.name.ends_with("街道"));
    }
    for b in &d.buildings {
        assert!(b.community.as_deref().is_some_and(|c| communities.contains(c)));
        assert!(b.estate.as_deref().is_none_or(|e| estates.contains(e)));
    }
}

#[test]
fn every_polygon_is_valid() {
    check_valid(&default_demo());
}

fn check_valid(d: &Dataset) {
    let polygons = d
        .communities
        .iter()
        .map(|x| (&x.source_id, &x.boundary))
        .chain(d.estates.iter().map(|x| (&x.source_id, &x.boundary)))
        .chain(d.buildings.iter().map(|x| (&x.source_id, &x.footprint)));
    for (id, p) in polygons {
        assert!(p.is_valid(), "{id} invalid");
    }
    for r in &d.roads {
        assert!(r.line.0.iter().all(|l| l.0.len() >= 2), "{}", r.source_id);
    }
}

#[test]
fn buildings_lie_inside_their_estate_and_community() {
    check_inside(&default_demo());
}

fn check_inside(d: &Dataset) {
    let communities: HashMap<&str, &MultiPolygon<f64>> =
        d.communities.iter().map(|c| (c.name.as_str(), &c.boundary)).collect();
    let estates: HashMap<&str, &MultiPolygon<f64>> =
        d.estates.iter().map(|e| (e.source_id.as_str(), &e.boundary)).collect();
    for b in &d.buildings {
        let community = b.community.as_deref().and_then(|c| communities.get(c)).expect("community");
        assert!(community.contains(&b.footprint), "{} outside its community", b.source_id);
        if let Some(estate) = b.estate.as_deref() {
            assert!(estates[estate].contains(&b.footprint), "{} outside its estate", b.source_id);
        }
    }
    // Estates lie inside exactly one community.
    for e in &d.estates {
        assert_eq!(d.communities.iter().filter(|c| c.boundary.contains(&e.boundary)).count(), 1, "{}", e.source_id);
    }
}

fn no_two_overlap<'a>(shapes: impl Iterator<Item = (&'a str, &'a MultiPolygon<f64>)>) {
    let items: Vec<_> = shapes
        .map(|(id, p)| {
            let r = p.bounding_rect().expect("non-empty");
            (id, p, AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]))
        })
        .collect();
    let tree = RTree::bulk_load(items.iter().enumerate().map(|(i, x)| Slot(i, x.2)).collect());
    for (i, (id, p, envelope)) in items.iter().enumerate() {
        for other in tree.locate_in_envelope_intersecting(envelope) {
            if other.0 > i {
                let (other_id, q, _) = items[other.0];
                assert!(!p.intersects(q), "{id} overlaps {other_id}");
            }
        }
    }
}

struct Slot(usize, AABB<[f64; 2]>);

impl RTreeObject for Slot {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.1
    }
}

#[test]
fn nothing_overlaps() {
    check_no_overlap(&default_demo());
}

fn check_no_overlap(d: &Dataset) {
    no_two_overlap(d.buildings.iter().map(|b| (b.source_id.as_str(), &b.footprint)));
    no_two_overlap(d.estates.iter().map(|e| (e.source_id.as_str(), &e.boundary)));
    no_two_overlap(d.communities.iter().map(|c| (c.source_id.as_str(), &c.boundary)));
}

#[test]
fn two_hundred_communities_average_about_500_buildings() {
    let d = generate(&DemoOptions { communities: 200, seed: 3 });
    let per = d.buildings.len() as f64 / 200.0;
    assert!((450.0..=550.0).contains(&per), "{per} buildings per community");
    let households: i64 = d.buildings.iter().map(|b| i64::from(b.households)).sum();
    let per = households as f64 / 200.0;
    assert!((2_900.0..=3_800.0).contains(&per), "{per} households per community");
    // Sub-districts hold 10–20 communities each.
    let mut sizes: HashMap<&str, usize> = HashMap::new();
    for c in &d.communities {
        *sizes.entry(c.district.as_deref().unwrap_or("")).or_default() += 1;
    }
    assert!(sizes.values().all(|&n| (10..=20).contains(&n)), "{sizes:?}");
}

/// The geometric checks on larger demos with other seeds (slow in debug builds; run with
/// `cargo test --release -- --ignored`).
#[test]
#[ignore]
fn larger_demos_are_sound() {
    for seed in 0..4 {
        let d = generate(&DemoOptions { communities: 150, seed });
        check_ids_and_links(&d);
        check_valid(&d);
        check_inside(&d);
        check_no_overlap(&d);
    }
}

#[test]
fn tiny_demos_work() {
    let empty = generate(&DemoOptions { communities: 0, seed: 1 });
    assert!(empty.districts.is_empty() && empty.communities.is_empty() && empty.buildings.is_empty());
    for communities in [1, 2, 3] {
        let d = generate(&DemoOptions { communities, seed: 1 });
        assert_eq!((d.districts.len(), d.communities.len()), (1, communities));
        assert!(!d.buildings.is_empty() && !d.roads.is_empty());
        check_valid(&d);
        check_inside(&d);
    }
}

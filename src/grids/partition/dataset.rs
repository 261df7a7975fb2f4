//! Requests from an import [`Dataset`] (the demo city, an OSM or GeoJSON import), one per
//! community, for benchmarks and for partitioning before anything is stored.
//!
//! Buildings go to the community their `community` names, else to the community whose boundary
//! holds their representative point, else to one request named after the dataset's source.
//! Building ids are indices into `Dataset::buildings`; estates are numbered in order of first
//! appearance; barriers are the roads near the community's buildings, read by
//! [`BarrierKind::from_highway`].

use std::collections::{BTreeMap, HashMap};

use geo::{BoundingRect, Contains, InteriorPoint, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, RTreeObject};

use super::{Barrier, BarrierKind, Bounds, Building, Request, Unit};
use crate::import::dataset::Dataset;

/// Rectangles in an R-tree, each with what it bounds.
type BoxIndex<T> = RTree<GeomWithData<Rectangle<[f64; 2]>, T>>;

/// One community's request, named.
#[derive(Debug, Clone)]
pub struct CommunityRequest {
    pub community: String,
    pub request: Request,
}

/// Roads this far (degrees, about 55 m) outside a community's buildings still count.
const ROAD_MARGIN_DEG: f64 = 0.0005;

/// One request per community (in the order of `Dataset::communities`, then the unplaced).
pub fn requests(dataset: &Dataset, bounds: Bounds, seed: u64) -> Vec<CommunityRequest> {
    let community_index: HashMap<&str, usize> =
        dataset.communities.iter().enumerate().map(|(i, c)| (c.name.as_str(), i)).collect();
    let boundaries: BoxIndex<usize> = RTree::bulk_load(
        dataset
            .communities
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.boundary.bounding_rect().map(|r| GeomWithData::new(rectangle(r, 0.0), i)))
            .collect(),
    );
    let unplaced = dataset.communities.len();
    let mut estates: HashMap<&str, i64> = HashMap::new();
    let mut members: BTreeMap<usize, Vec<Building>> = BTreeMap::new();
    for (index, record) in dataset.buildings.iter().enumerate() {
        let named = record.community.as_deref().and_then(|name| community_index.get(name).copied());
        let community = named.or_else(|| {
            let point = record.footprint.interior_point()?;
            let candidates = boundaries.locate_all_at_point(&[point.x(), point.y()]);
            candidates.map(|c| c.data).filter(|&c| dataset.communities[c].boundary.contains(&point)).min()
        });
        let estate = record.estate.as_deref().map(|name| {
            let next = estates.len() as i64;
            *estates.entry(name).or_insert(next)
        });
        let units = record
            .units
            .iter()
            .map(|u| Unit { number: u.number.max(0) as u32, households: u.households.max(0) as u32 })
            .collect();
        members.entry(community.unwrap_or(unplaced)).or_default().push(Building {
            id: index as i64,
            households: record.households.max(0) as u32,
            footprint: record.footprint.clone(),
            estate,
            units,
        });
    }

    let roads: BoxIndex<(usize, usize)> = RTree::bulk_load(
        dataset
            .roads
            .iter()
            .enumerate()
            .filter(|(_, road)| BarrierKind::from_highway(&road.class).is_some())
            .flat_map(|(r, road)| {
                road.line.0.iter().enumerate().filter_map(move |(l, line)| {
                    line.bounding_rect().map(|rect| GeomWithData::new(rectangle(rect, 0.0), (r, l)))
                })
            })
            .collect(),
    );
    members
        .into_iter()
        .map(|(community, buildings)| {
            let name = dataset.communities.get(community).map_or_else(|| dataset.source.clone(), |c| c.name.clone());
            let extent = buildings.iter().filter_map(|b| b.footprint.bounding_rect()).reduce(|a, b| {
                Rect::new(
                    geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                    geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
                )
            });
            let mut near: Vec<(usize, usize)> = match extent {
                Some(extent) => roads
                    .locate_in_envelope_intersecting(&rectangle(extent, ROAD_MARGIN_DEG).envelope())
                    .map(|g| g.data)
                    .collect(),
                None => Vec::new(),
            };
            near.sort_unstable();
            let barriers = near
                .into_iter()
                .filter_map(|(r, l)| {
                    let road = &dataset.roads[r];
                    Some(Barrier { line: road.line.0[l].clone(), kind: BarrierKind::from_highway(&road.class)? })
                })
                .collect();
            let request = Request { buildings, barriers, bounds, current: None, seed, tuning: Default::default() };
            CommunityRequest { community: name, request }
        })
        .collect()
}

fn rectangle(rect: Rect<f64>, margin: f64) -> Rectangle<[f64; 2]> {
    Rectangle::from_corners(
        [rect.min().x - margin, rect.min().y - margin],
        [rect.max().x + margin, rect.max().y + margin],
    )
}

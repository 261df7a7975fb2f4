//! `wangge demo`: a made-up but realistic city district around Wuhan's Optics Valley, generated
//! from a seed as an import `Dataset` (sub-districts, communities, estates, buildings with units,
//! roads), so the service can be tried and load-tested without real data.
//!
//! The city is a lattice of blocks between arterials, one community per block; each block is
//! cut by community streets into parcels holding walled estates of walk-ups or towers, an urban
//! village of self-built houses, a school, a plaza or a park. Every community has its own random
//! stream, so a community's contents depend only on the seed and its index (and the city plan).

mod campus;
mod city;
mod community;
mod estate;
mod names;
mod shapes;
mod site;
mod uses;
mod village;

#[cfg(test)]
mod tests;

use crate::import::dataset::Dataset;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use community::Context;
use shapes::Frame;
use site::Site;

/// Where the demo city is centred: Optics Valley (光谷), Wuhan.
pub const CENTRE: (f64, f64) = (114.41, 30.50);

/// Options of `wangge demo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    /// Communities (社区) to generate; about 3,300 households and 500 buildings each.
    pub communities: usize,
    /// Same seed and options, same dataset.
    pub seed: u64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self { communities: 6, seed: 42 }
    }
}

/// Generates the demo dataset (`source` = `demo`).
pub fn generate(options: &DemoOptions) -> Dataset {
    let frame = Frame::new(CENTRE.0, CENTRE.1);
    // Stream 0 plans the city; community i uses stream i + 1.
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let city = city::plan(&mut rng, &frame, options.communities);

    let mut dataset =
        Dataset { source: "demo".to_owned(), districts: city.districts, roads: city.roads, ..Dataset::default() };
    dataset.communities.reserve(city.communities.len());
    dataset.buildings.reserve(city.communities.len() * 520);
    for plan in &city.communities {
        let district = &dataset.districts[plan.district];
        let ctx = Context { seed: options.seed, plan, district: (&district.source_id, &district.name) };
        let mut site = Site {
            frame: &frame,
            community: &plan.name,
            address: format!("{}{}", district.name, plan.name),
            buildings: &mut dataset.buildings,
            roads: &mut dataset.roads,
        };
        let (community, estates) = community::build(&ctx, &mut site);
        dataset.communities.push(community);
        dataset.estates.extend(estates);
    }
    dataset
}

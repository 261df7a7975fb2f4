//! Places: sub-districts, communities, estates, buildings and roads — their queries, vector
//! tiles and HTTP routes.

pub mod index;
pub mod routes;
pub mod store;
pub mod tiles;

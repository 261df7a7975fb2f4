//! Grids (网格): the partition of each community into grids of 300–700 households, their codes,
//! and the plans planners edit and publish.

pub mod cli;
pub mod codes;
pub mod geojson;
pub mod partition;
pub mod plans;
pub mod routes;

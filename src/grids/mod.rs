//! Grids (网格): the partition of each community into grids of 300–700 households.

pub mod partition;

//! Wangge (网格): community grid governance for Chinese cities. See `docs/ARCHITECTURE.md`.

pub mod audit;
pub mod auth;
pub mod cases;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod grids;
pub mod http;
pub mod import;
pub mod leaders;
pub mod open311;
pub mod patrols;
pub mod places;
pub mod refusal;
pub mod spatial;
pub mod telemetry;
pub mod units;

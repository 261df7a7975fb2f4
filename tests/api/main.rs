//! Integration tests against a real PostGIS: one cluster per run, one database per test.

mod auth;
mod bulk;
mod cases;
mod cli;
mod cluster;
mod grids;
mod harness;
mod http;
mod imports;
mod leaders;
mod limits;
mod open311;
mod openapi;
mod patrols;
mod photos;
mod units;
mod units_exchange;

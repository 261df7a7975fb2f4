//! Integration tests against a real PostGIS: one cluster per run, one database per test.

mod auth;
mod cli;
mod cluster;
mod grids;
mod harness;
mod http;
mod imports;
mod limits;
mod openapi;

//! Open311 GeoReport v2 (docs/CASES.md): residents' reporting apps read the categories as
//! services and file service requests into the cases' queue (`Source::Open311`, waiting in
//! `reported` for the sub-district office), with an API key that belongs to one sub-district;
//! anyone reads the public feed of non-private cases. JSON only.

pub mod cli;
pub mod feed;
pub mod keys;
pub mod routes;

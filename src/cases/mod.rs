//! Cases (案卷): inspection findings filed as pins, routed to their responsible unit, handled,
//! verified and closed after GB/T 30428's workflow, each step kept in an append-only event log.
//! See docs/CASES.md.

pub mod access;
pub mod act;
pub mod bulk;
pub mod calendar;
pub mod dead_spot_routes;
pub mod dead_spots;
pub mod history;
pub mod idempotency;
pub mod photos;
pub mod routes;
pub mod store;
pub mod submit;
pub mod workflow;

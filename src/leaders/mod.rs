//! The leaders' view (领导驾驶舱): indicators after the GB/T 30428 bulletins for any area and
//! period, and the monthly ranking of communities with its red flags, yellow cards and
//! escalations; the map's aggregates and pins, and the exports. See docs/LEADERS.md.

pub mod indicators;
pub mod map;
pub mod ranking;
pub mod register;
pub mod routes;
pub mod store;
pub mod tallies;

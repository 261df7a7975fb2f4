//! The leaders' view (领导驾驶舱): indicators after the GB/T 30428 bulletins for any area and
//! period, and the monthly ranking of communities with its red flags, yellow cards and
//! escalations. See docs/LEADERS.md.

pub mod indicators;
pub mod ranking;
pub mod routes;
pub mod store;

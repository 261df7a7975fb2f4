//! Shared spatial ground: datum conversion (GCJ-02, BD-09 ↔ WGS84), measurement in metres,
//! the in-memory building locate index, and web-map tile arithmetic.

pub mod area;
pub mod datum;
pub mod locate;
pub mod measure;
pub mod tile;

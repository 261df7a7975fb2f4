//! Shared spatial ground: datum conversion (GCJ-02, BD-09 ↔ WGS84), measurement in metres,
//! the in-memory building locate index, and web-map tile arithmetic.

pub mod area;
pub mod datum;
pub mod locate;
pub mod measure;
pub mod tile;

/// Whether `lon` is a longitude: finite, -180 to 180.
pub fn is_longitude(lon: f64) -> bool {
    lon.is_finite() && (-180.0..=180.0).contains(&lon)
}

/// Whether `lat` is a latitude: finite, -90 to 90.
pub fn is_latitude(lat: f64) -> bool {
    lat.is_finite() && (-90.0..=90.0).contains(&lat)
}

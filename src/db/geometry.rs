//! Geometry coming out of SQL as WKB (`geozero`): sqlx cannot type PostGIS columns, so a query
//! that reads geometry selects `ST_AsBinary(col)` and decodes it here. Geometry goes in through
//! COPY as hex EWKB (`db::copy`).

use geo::{Geometry, MultiPolygon};
use geozero::ToGeo;

#[derive(Debug, thiserror::Error)]
pub enum GeometryError {
    #[error("invalid WKB: {0}")]
    Wkb(String),
    #[error("expected a {expected}, found another geometry type")]
    WrongType { expected: &'static str },
}

pub fn from_wkb(bytes: &[u8]) -> Result<Geometry<f64>, GeometryError> {
    geozero::wkb::Wkb(bytes.to_vec()).to_geo().map_err(|e| GeometryError::Wkb(e.to_string()))
}

/// Decodes a polygon or multipolygon as a multipolygon.
pub fn multipolygon_from_wkb(bytes: &[u8]) -> Result<MultiPolygon<f64>, GeometryError> {
    match from_wkb(bytes)? {
        Geometry::MultiPolygon(m) => Ok(m),
        Geometry::Polygon(p) => Ok(MultiPolygon::new(vec![p])),
        _ => Err(GeometryError::WrongType { expected: "polygon" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn multipolygon_round_trips_through_wkb() {
        use geozero::{CoordDimensions, ToWkb};
        let square = MultiPolygon::new(vec![
            polygon![(x: 114.0, y: 30.0), (x: 114.001, y: 30.0), (x: 114.001, y: 30.001), (x: 114.0, y: 30.0)],
        ]);
        let bytes = Geometry::MultiPolygon(square.clone()).to_wkb(CoordDimensions::xy()).expect("writes");
        assert_eq!(multipolygon_from_wkb(&bytes).ok(), Some(square));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(from_wkb(&[1, 2, 3]).is_err());
    }
}

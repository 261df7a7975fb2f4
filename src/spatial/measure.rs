//! Lengths and areas in metres on WGS84 data, and a local metric projection for small areas
//! (a community, a city): east/north metres from an origin, accurate to well under 0.1 % within
//! tens of kilometres, which is all the demo generator and nearest-building searches need.

use geo::orient::{Direction, Orient};
use geo::{Area, GeodesicArea, MultiPolygon};

/// Mean Earth radius (IUGG), metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Area of a WGS84 polygon on the ellipsoid, square metres, whatever the winding of its rings
/// (a clockwise ring would otherwise measure the rest of the Earth).
pub fn area_m2(polygon: &MultiPolygon<f64>) -> f64 {
    polygon.orient(Direction::Default).geodesic_area_unsigned()
}

/// Great-circle (haversine) distance between two WGS84 points, metres.
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lat2) = (a.1.to_radians(), b.1.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.0 - a.0).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().asin()
}

/// Equirectangular projection around an origin: x east, y north, in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalProjection {
    origin: (f64, f64),
    metres_per_degree_lon: f64,
    metres_per_degree_lat: f64,
}

impl LocalProjection {
    pub fn new(origin_lon: f64, origin_lat: f64) -> Self {
        let metres_per_degree_lat = EARTH_RADIUS_M.to_radians();
        Self {
            origin: (origin_lon, origin_lat),
            metres_per_degree_lon: metres_per_degree_lat * origin_lat.to_radians().cos(),
            metres_per_degree_lat,
        }
    }

    /// WGS84 → local metres.
    pub fn to_xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        ((lon - self.origin.0) * self.metres_per_degree_lon, (lat - self.origin.1) * self.metres_per_degree_lat)
    }

    /// Local metres → WGS84.
    pub fn to_lonlat(&self, x: f64, y: f64) -> (f64, f64) {
        (self.origin.0 + x / self.metres_per_degree_lon, self.origin.1 + y / self.metres_per_degree_lat)
    }

    /// Degrees of longitude and latitude spanned by `metres` at the origin.
    pub fn degrees_for(&self, metres: f64) -> (f64, f64) {
        (metres / self.metres_per_degree_lon, metres / self.metres_per_degree_lat)
    }
}

/// Planar area of a polygon given in local metres (for shapes built in a `LocalProjection`).
pub fn planar_area(polygon: &MultiPolygon<f64>) -> f64 {
    polygon.unsigned_area()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn distance_of_one_degree_of_latitude_is_about_111_km() {
        let d = distance_m((114.0, 30.0), (114.0, 31.0));
        assert!((d - 111_195.0).abs() < 10.0, "{d}");
    }

    #[test]
    fn local_projection_round_trips_and_matches_haversine() {
        let p = LocalProjection::new(114.4, 30.5);
        let (x, y) = p.to_xy(114.41, 30.505);
        let back = p.to_lonlat(x, y);
        assert!((back.0 - 114.41).abs() < 1e-12 && (back.1 - 30.505).abs() < 1e-12);
        let planar = (x * x + y * y).sqrt();
        let sphere = distance_m((114.4, 30.5), (114.41, 30.505));
        assert!((planar - sphere).abs() / sphere < 1e-3, "{planar} vs {sphere}");
    }

    #[test]
    fn area_of_a_100_m_square_is_about_10000_m2() {
        let p = LocalProjection::new(121.5, 31.2);
        let c = |x: f64, y: f64| p.to_lonlat(x, y);
        let (a, b, cc, d) = (c(0.0, 0.0), c(100.0, 0.0), c(100.0, 100.0), c(0.0, 100.0));
        let square = MultiPolygon::new(vec![polygon![
            (x: a.0, y: a.1), (x: b.0, y: b.1), (x: cc.0, y: cc.1), (x: d.0, y: d.1), (x: a.0, y: a.1)
        ]]);
        let area = area_m2(&square);
        assert!((area - 10_000.0).abs() < 50.0, "{area}");
    }
}

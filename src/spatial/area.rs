//! An area drawn on the map and sent as GeoJSON (a responsibility zone): checked before anything
//! reaches the database, so that hostile input answers a clear message. Validity proper
//! (self-intersections) is left to PostGIS, whose check is O(n log n); here only what can be
//! checked in one pass: the type, the nesting, the coordinates, closed rings, a vertex budget.

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::Value;

/// Most vertices an area may have (a zone drawn by clicking has tens).
pub const MAX_VERTICES: usize = 10_000;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AreaError {
    #[error("expected a GeoJSON Polygon or MultiPolygon (or a Feature holding one), got {0}")]
    WrongType(String),
    #[error("coordinates must be arrays of [longitude, latitude] positions nested as the type says")]
    Malformed,
    #[error("position {0} is not a [longitude, latitude] pair of finite numbers")]
    BadPosition(usize),
    #[error("position {index} ({lon}, {lat}) is outside longitude −180…180 / latitude −90…90")]
    OutOfRange { index: usize, lon: f64, lat: f64 },
    #[error("a ring needs at least 4 positions, the last equal to the first")]
    OpenRing,
    #[error("the area has more than {MAX_VERTICES} vertices")]
    TooManyVertices,
    #[error("the area is empty")]
    Empty,
}

/// The multipolygon a GeoJSON value describes, checked as the module says.
pub fn from_geojson(value: &Value) -> Result<MultiPolygon<f64>, AreaError> {
    let geometry = match kind(value) {
        "Feature" => value.get("geometry").ok_or(AreaError::WrongType("a Feature without geometry".into()))?,
        _ => value,
    };
    let coordinates = geometry.get("coordinates");
    let mut budget = Budget::default();
    let polygons = match (kind(geometry), coordinates) {
        ("Polygon", Some(rings)) => vec![polygon(rings, &mut budget)?],
        ("MultiPolygon", Some(Value::Array(polygons))) => {
            polygons.iter().map(|rings| polygon(rings, &mut budget)).collect::<Result<_, _>>()?
        }
        ("Polygon" | "MultiPolygon", _) => return Err(AreaError::Malformed),
        (other, _) => return Err(AreaError::WrongType(if other.is_empty() { "no type".into() } else { other.to_owned() })),
    };
    if polygons.is_empty() {
        return Err(AreaError::Empty);
    }
    Ok(MultiPolygon(polygons))
}

fn kind(value: &Value) -> &str {
    value.get("type").and_then(Value::as_str).unwrap_or("")
}

/// Counts positions as they are read, so that a huge polygon is refused before it is built.
#[derive(Default)]
struct Budget {
    positions: usize,
}

fn polygon(rings: &Value, budget: &mut Budget) -> Result<Polygon<f64>, AreaError> {
    let Value::Array(rings) = rings else { return Err(AreaError::Malformed) };
    let mut rings = rings.iter().map(|ring| line(ring, budget));
    let exterior = rings.next().ok_or(AreaError::Empty)??;
    Ok(Polygon::new(exterior, rings.collect::<Result<_, _>>()?))
}

fn line(ring: &Value, budget: &mut Budget) -> Result<LineString<f64>, AreaError> {
    let Value::Array(positions) = ring else { return Err(AreaError::Malformed) };
    if budget.positions + positions.len() > MAX_VERTICES {
        return Err(AreaError::TooManyVertices);
    }
    let coords = positions
        .iter()
        .map(|position| {
            budget.positions += 1;
            coord(position, budget.positions - 1)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if coords.len() < 4 || coords.first() != coords.last() {
        return Err(AreaError::OpenRing);
    }
    Ok(LineString(coords))
}

fn coord(position: &Value, index: usize) -> Result<Coord<f64>, AreaError> {
    let Some([lon, lat, rest @ ..]) = position.as_array().map(Vec::as_slice) else {
        return Err(AreaError::BadPosition(index));
    };
    let (Some(lon), Some(lat)) = (lon.as_f64(), lat.as_f64()) else { return Err(AreaError::BadPosition(index)) };
    if rest.len() > 1 || !lon.is_finite() || !lat.is_finite() {
        return Err(AreaError::BadPosition(index));
    }
    if !super::is_longitude(lon) || !super::is_latitude(lat) {
        return Err(AreaError::OutOfRange { index, lon, lat });
    }
    Ok(Coord { x: lon, y: lat })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn square(x: f64) -> Value {
        json!([[[x, 30.0], [x + 0.01, 30.0], [x + 0.01, 30.01], [x, 30.01], [x, 30.0]]])
    }

    #[test]
    fn polygons_multipolygons_and_features_are_read() {
        let polygon = from_geojson(&json!({ "type": "Polygon", "coordinates": square(114.0) }));
        assert_eq!(polygon.map(|m| m.0.len()), Ok(1));
        let multi = json!({ "type": "MultiPolygon", "coordinates": [square(114.0), square(114.1)] });
        assert_eq!(from_geojson(&multi).map(|m| m.0.len()), Ok(2));
        let feature = json!({ "type": "Feature", "properties": {}, "geometry": { "type": "Polygon", "coordinates": square(114.0) } });
        assert!(from_geojson(&feature).is_ok());
    }

    #[test]
    fn other_types_and_malformed_nesting_are_named() {
        assert!(matches!(from_geojson(&json!({ "type": "Point", "coordinates": [114.0, 30.0] })), Err(AreaError::WrongType(t)) if t == "Point"));
        assert!(matches!(from_geojson(&json!({ "type": "GeometryCollection", "geometries": [] })), Err(AreaError::WrongType(_))));
        assert!(matches!(from_geojson(&json!([1, 2])), Err(AreaError::WrongType(_))));
        assert_eq!(from_geojson(&json!({ "type": "Polygon", "coordinates": [[114.0, 30.0]] })), Err(AreaError::BadPosition(0)));
        assert_eq!(from_geojson(&json!({ "type": "Polygon", "coordinates": 7 })), Err(AreaError::Malformed));
        assert_eq!(from_geojson(&json!({ "type": "MultiPolygon", "coordinates": [] })), Err(AreaError::Empty));
    }

    #[test]
    fn positions_must_be_finite_and_on_earth() {
        let ring = |p: Value| json!({ "type": "Polygon", "coordinates": [[[114.0, 30.0], p, [114.01, 30.01], [114.0, 30.0]]] });
        assert_eq!(from_geojson(&ring(json!([114.01, "30"]))), Err(AreaError::BadPosition(1)));
        assert_eq!(from_geojson(&ring(json!([114.01]))), Err(AreaError::BadPosition(1)));
        assert_eq!(from_geojson(&ring(json!([114.01, null]))), Err(AreaError::BadPosition(1)));
        assert_eq!(from_geojson(&ring(json!([114.01, 30.0, 5.0, 6.0]))), Err(AreaError::BadPosition(1)));
        assert!(matches!(from_geojson(&ring(json!([200.0, 30.0]))), Err(AreaError::OutOfRange { index: 1, .. })));
        assert!(matches!(from_geojson(&ring(json!([114.0, -91.0]))), Err(AreaError::OutOfRange { .. })));
        assert!(from_geojson(&ring(json!([114.01, 30.0, 12.5]))).is_ok());
    }

    #[test]
    fn rings_must_close_and_the_budget_holds() {
        let open = json!({ "type": "Polygon", "coordinates": [[[114.0, 30.0], [114.1, 30.0], [114.1, 30.1], [114.0, 30.1]]] });
        assert_eq!(from_geojson(&open), Err(AreaError::OpenRing));
        let mut ring: Vec<Value> = (0..=MAX_VERTICES).map(|i| json!([114.0 + i as f64 * 1e-6, 30.0])).collect();
        ring.push(ring[0].clone());
        assert_eq!(from_geojson(&json!({ "type": "Polygon", "coordinates": [ring] })), Err(AreaError::TooManyVertices));
    }
}

//! GeoJSON importer: a FeatureCollection of buildings, and of community and estate polygons
//! (told apart by the `kind` property: `community`, `estate`, else building), in WGS84, GCJ-02
//! or BD-09 (converted to WGS84 here).
//!
//! Building properties, all optional: `id`, `name`, `building` (the kind), `floors` or `levels`,
//! `households`, `units` (a count; households are split evenly over them), `address`,
//! `community` (a community name), `estate` (an estate id or name). Community properties: `name`
//! (required), `code`, `district`. Estate properties: `id`, `name`.

use std::path::Path;

use geo::{Coord, LineString, MultiPolygon, Polygon};
use geojson::{Feature, FeatureCollection, GeometryValue, JsonObject, PolygonType};
use serde_json::Value;

use super::dataset::{BuildingRecord, CommunityRecord, Dataset, EstateRecord, Skipped, UnitRecord};
use crate::spatial::datum::Crs;
use crate::spatial::{is_latitude, is_longitude};

#[derive(Debug, thiserror::Error)]
pub enum GeojsonError {
    #[error("{file}: not a GeoJSON FeatureCollection: {reason}")]
    Parse { file: String, reason: String },
    #[error("{file}: {reason}")]
    Io { file: String, reason: String },
}

/// Most units (单元) a building may have: each becomes a record, so a larger count is refused
/// rather than allocated.
const MAX_UNITS: i32 = 1000;

/// What a feature describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureKind {
    Building,
    Estate,
    Community,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct GeojsonOptions {
    /// Datum of the file's coordinates.
    pub crs: Crs,
    /// Read every feature as this kind, whatever its `kind` property (`--communities FILE`).
    pub only: Option<FeatureKind>,
}

/// The import source of a file: `geojson:<file stem>`.
pub fn source_name(path: &Path) -> String {
    format!("geojson:{}", path.file_stem().map(|s| s.to_string_lossy()).unwrap_or_default())
}

pub fn read_file(path: &Path, options: &GeojsonOptions) -> Result<Dataset, GeojsonError> {
    let file = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| GeojsonError::Io { file: file.clone(), reason: e.to_string() })?;
    parse(&text, &source_name(path), options).map_err(|reason| GeojsonError::Parse { file, reason })
}

/// Parses a FeatureCollection. A malformed document is an error (with line and column); a
/// feature that cannot be used is skipped and listed in the dataset with the reason.
pub fn parse(text: &str, source: &str, options: &GeojsonOptions) -> Result<Dataset, String> {
    let collection: FeatureCollection = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut dataset = Dataset { source: source.to_owned(), ..Dataset::default() };
    for (index, feature) in collection.features.iter().enumerate() {
        let id = feature_id(feature, index);
        if let Err(reason) = read_feature(feature, &id, options, &mut dataset) {
            dataset.skipped.push(Skipped { feature: format!("feature {id}"), reason });
        }
    }
    Ok(dataset)
}

fn feature_id(feature: &Feature, index: usize) -> String {
    let from_properties = feature.properties.as_ref().and_then(|p| p.get("id")).and_then(|v| match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    from_properties
        .or_else(|| match &feature.id {
            Some(geojson::feature::Id::String(s)) => Some(s.clone()),
            Some(geojson::feature::Id::Number(n)) => Some(n.to_string()),
            None => None,
        })
        .unwrap_or_else(|| format!("#{}", index + 1))
}

fn read_feature(feature: &Feature, id: &str, options: &GeojsonOptions, dataset: &mut Dataset) -> Result<(), String> {
    let empty = JsonObject::new();
    let props = feature.properties.as_ref().unwrap_or(&empty);
    let kind = match options.only {
        Some(kind) => kind,
        None => match text(props, "kind").as_deref() {
            Some("community") => FeatureKind::Community,
            Some("estate") => FeatureKind::Estate,
            None | Some("building") => FeatureKind::Building,
            Some(other) => return Err(format!("unknown kind «{other}» (expected community, estate or building)")),
        },
    };
    let geometry = feature.geometry.as_ref().ok_or("no geometry")?;
    let shape = polygons(&geometry.value, options.crs)?;
    match kind {
        FeatureKind::Community => dataset.communities.push(CommunityRecord {
            source_id: id.to_owned(),
            name: text(props, "name").ok_or("a community needs a name")?,
            code: text(props, "code"),
            district: text(props, "district"),
            boundary: shape,
        }),
        FeatureKind::Estate => {
            dataset.estates.push(EstateRecord { source_id: id.to_owned(), name: text(props, "name"), boundary: shape })
        }
        FeatureKind::Building => {
            let households = whole(props, "households", 0)?.unwrap_or(0);
            let units = whole(props, "units", 1)?;
            if units.is_some_and(|n| n > MAX_UNITS) {
                return Err(format!("units must be at most {MAX_UNITS}"));
            }
            let floors = match whole(props, "floors", 0)? {
                Some(floors) => Some(floors),
                None => whole_rounded(props, "levels")?,
            };
            dataset.buildings.push(BuildingRecord {
                source_id: id.to_owned(),
                name: text(props, "name"),
                kind: text(props, "building").unwrap_or_else(|| "yes".to_owned()),
                floors,
                households,
                units: units.map(|n| UnitRecord::split_evenly(households, n)).unwrap_or_default(),
                address: text(props, "address"),
                community: text(props, "community"),
                estate: text(props, "estate"),
                footprint: shape,
            });
        }
    }
    Ok(())
}

fn text(props: &JsonObject, key: &str) -> Option<String> {
    match props.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A whole number ≥ `min` (`4` and `4.0` both accepted); missing or null is `None`.
fn whole(props: &JsonObject, key: &str, min: i32) -> Result<Option<i32>, String> {
    match props.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(x) if x.fract() == 0.0 && x >= f64::from(min) && x <= f64::from(i32::MAX) => Ok(Some(x as i32)),
            _ => Err(format!("{key} must be a whole number of at least {min}, found {n}")),
        },
        Some(other) => Err(format!("{key} must be a number, found {other}")),
    }
}

/// A non-negative number rounded to whole (levels derived from heights are often fractional).
fn whole_rounded(props: &JsonObject, key: &str) -> Result<Option<i32>, String> {
    match props.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(x) if (0.0..=300.0).contains(&x) => Ok(Some(x.round() as i32)),
            _ => Err(format!("{key} must be a number from 0 to 300, found {n}")),
        },
        Some(other) => Err(format!("{key} must be a number, found {other}")),
    }
}

/// The polygons of a geometry, converted to WGS84. Polygon members of a GeometryCollection are
/// taken; other geometry types are refused.
fn polygons(value: &GeometryValue, crs: Crs) -> Result<MultiPolygon<f64>, String> {
    let polygons = match value {
        GeometryValue::Polygon { coordinates } => vec![polygon(coordinates, crs)?],
        GeometryValue::MultiPolygon { coordinates } => {
            coordinates.iter().map(|p| polygon(p, crs)).collect::<Result<_, _>>()?
        }
        GeometryValue::GeometryCollection { geometries } => {
            let mut all = Vec::new();
            for member in geometries {
                if matches!(member.value, GeometryValue::Polygon { .. } | GeometryValue::MultiPolygon { .. }) {
                    all.extend(polygons(&member.value, crs)?);
                }
            }
            all
        }
        other => return Err(format!("geometry is a {}, expected a Polygon or MultiPolygon", other.type_name())),
    };
    if polygons.is_empty() {
        return Err("geometry has no polygon".into());
    }
    Ok(MultiPolygon::new(polygons))
}

fn polygon(rings: &PolygonType, crs: Crs) -> Result<Polygon<f64>, String> {
    let mut rings = rings.iter().map(|ring| {
        let coords = ring
            .iter()
            .map(|position| {
                let [x, y, ..] = *position.as_slice() else {
                    return Err(format!("a position has {} coordinates, at least 2 are needed", position.len()));
                };
                if !(is_longitude(x) && is_latitude(y)) {
                    return Err(format!("coordinate ({x}, {y}) is not a longitude/latitude"));
                }
                let (lon, lat) = crs.to_wgs84(x, y);
                Ok(Coord { x: lon, y: lat })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let mut line = LineString::new(coords);
        line.close();
        if line.0.len() < 4 {
            return Err(format!(
                "a ring has {} distinct points, at least 3 are needed",
                line.0.len().saturating_sub(1)
            ));
        }
        Ok(line)
    });
    let exterior = rings.next().ok_or("a polygon has no ring")??;
    let interiors = rings.collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(exterior, interiors))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_wgs84(text: &str) -> Dataset {
        parse(text, "geojson:test", &GeojsonOptions::default()).expect("parses")
    }

    const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[114.0,30.0],[114.001,30.0],[114.001,30.001],[114.0,30.001],[114.0,30.0]]]}"#;

    #[test]
    fn building_properties_are_read() {
        let text = format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"id":"b1","name":"3栋","households":10,"units":3,"levels":5.6,"community":"光谷社区"}},"geometry":{SQUARE}}}]}}"#
        );
        let d = parse_wgs84(&text);
        let b = &d.buildings[0];
        assert_eq!((b.source_id.as_str(), b.households, b.floors), ("b1", 10, Some(6)));
        assert_eq!(b.units.iter().map(|u| u.households).sum::<i32>(), 10);
        assert_eq!(b.community.as_deref(), Some("光谷社区"));
        assert!(d.skipped.is_empty());
    }

    #[test]
    fn kinds_split_communities_estates_and_buildings() {
        let text = format!(
            r#"{{"type":"FeatureCollection","features":[
            {{"type":"Feature","properties":{{"kind":"community","name":"甲社区"}},"geometry":{SQUARE}}},
            {{"type":"Feature","properties":{{"kind":"estate","name":"乙小区"}},"geometry":{SQUARE}}},
            {{"type":"Feature","properties":{{"kind":"building"}},"geometry":{SQUARE}}}]}}"#
        );
        let d = parse_wgs84(&text);
        assert_eq!((d.communities.len(), d.estates.len(), d.buildings.len()), (1, 1, 1));
        assert_eq!(d.buildings[0].source_id, "#3");
    }

    #[test]
    fn bad_features_are_skipped_with_reasons() {
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"id":"p"},"geometry":{"type":"Point","coordinates":[114.0,30.0]}},
            {"type":"Feature","properties":{"id":"neg","households":-5},"geometry":{"type":"Polygon","coordinates":[[[114,30],[114.1,30],[114.1,30.1],[114,30]]]}},
            {"type":"Feature","properties":{"id":"far"},"geometry":{"type":"Polygon","coordinates":[[[514,30],[114.1,30],[114.1,30.1],[514,30]]]}},
            {"type":"Feature","properties":{"id":"thin"},"geometry":{"type":"Polygon","coordinates":[[[114,30],[114.1,30],[114,30]]]}},
            {"type":"Feature","properties":{"kind":"community"},"geometry":{"type":"Polygon","coordinates":[[[114,30],[114.1,30],[114.1,30.1],[114,30]]]}}
        ]}"#;
        let d = parse_wgs84(text);
        assert!(d.buildings.is_empty() && d.communities.is_empty());
        let reasons: Vec<_> = d.skipped.iter().map(|s| format!("{}: {}", s.feature, s.reason)).collect();
        assert_eq!(reasons.len(), 5, "{reasons:?}");
        assert!(reasons[0].contains("feature p") && reasons[0].contains("Point"));
        assert!(reasons[1].contains("households must be a whole number of at least 0"));
        assert!(reasons[2].contains("not a longitude/latitude"));
        assert!(reasons[3].contains("at least 3"));
        assert!(reasons[4].contains("needs a name"));
    }

    #[test]
    fn short_positions_and_huge_unit_counts_are_skipped_not_a_crash() {
        // A one-number position panicked on indexing (found by `scripts/fuzz`, geojson_import);
        // a unit count near i32::MAX allocated a record per unit, gigabytes.
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"id":"short"},"geometry":{"type":"Polygon","coordinates":[[[114,30],[114.1],[114.1,30.1],[114,30]]]}},
            {"type":"Feature","properties":{"id":"empty"},"geometry":{"type":"Polygon","coordinates":[[[114,30],[],[114.1,30.1],[114,30]]]}},
            {"type":"Feature","properties":{"id":"units","households":5,"units":2000000000},"geometry":{"type":"Polygon","coordinates":[[[114,30],[114.1,30],[114.1,30.1],[114,30]]]}}
        ]}"#;
        let d = parse_wgs84(text);
        assert!(d.buildings.is_empty());
        let reasons: Vec<_> = d.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "a position has 1 coordinates, at least 2 are needed",
                "a position has 0 coordinates, at least 2 are needed",
                "units must be at most 1000"
            ]
        );
    }

    #[test]
    fn malformed_json_is_an_error_with_position() {
        let err = parse("{\"type\":\"FeatureCollection\",\"features\":[", "x", &GeojsonOptions::default()).unwrap_err();
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn gcj02_coordinates_are_converted_to_wgs84() {
        let text = format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{}},"geometry":{SQUARE}}}]}}"#
        );
        let options = GeojsonOptions { crs: Crs::Gcj02, only: None };
        let d = parse(&text, "x", &options).expect("parses");
        let first = d.buildings[0].footprint.0[0].exterior().0[0];
        let (lon, lat) = Crs::Gcj02.to_wgs84(114.0, 30.0);
        assert!((first.x - lon).abs() < 1e-12 && (first.y - lat).abs() < 1e-12);
        assert!((first.x - 114.0).abs() > 1e-4, "the GCJ-02 offset was applied");
    }

    #[test]
    fn lujiazui_file_parses_every_building() {
        let path =
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/shanghai-lujiazui-buildings.geojson"));
        let d = read_file(path, &GeojsonOptions::default()).expect("reads");
        // One feature is an empty GeometryCollection: skipped, with its reason.
        assert_eq!(d.buildings.len(), 1321);
        assert_eq!(
            d.skipped,
            vec![Skipped { feature: "feature 4450117995".into(), reason: "geometry has no polygon".into() }]
        );
        assert_eq!(d.buildings.iter().map(|b| i64::from(b.households)).sum::<i64>(), 193_256);
    }
}

//! What every importer (OSM, GeoJSON, the demo generator) produces: plain records in WGS84,
//! before any database sees them. The writer (`import::writer`) stores a `Dataset` in one
//! transaction; keeping the parsers free of SQL lets them be unit-tested on real files.

use geo::{MultiLineString, MultiPolygon};

/// One import's worth of places, all geometry in WGS84 (EPSG:4326) longitude/latitude.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Namespace of `source_id`s, e.g. `osm`, `demo`, `geojson:lujiazui`. Re-importing the same
    /// source upserts by (source, source_id), so an import is idempotent.
    pub source: String,
    /// Sub-districts (街道) named by `CommunityRecord::district`; communities that name none go
    /// to the sub-district the import was given.
    pub districts: Vec<DistrictRecord>,
    pub communities: Vec<CommunityRecord>,
    pub estates: Vec<EstateRecord>,
    pub buildings: Vec<BuildingRecord>,
    pub roads: Vec<RoadRecord>,
    /// Features the parser could not use, with the reason (reported in the import summary).
    pub skipped: Vec<Skipped>,
}

/// A sub-district (街道).
#[derive(Debug, Clone)]
pub struct DistrictRecord {
    pub source_id: String,
    pub name: String,
    /// 9-digit code: the 6-digit county-level division code and a 3-digit sub-district number.
    pub code: Option<String>,
}

/// A community (社区) boundary.
#[derive(Debug, Clone)]
pub struct CommunityRecord {
    pub source_id: String,
    pub name: String,
    /// Administrative code when the source has one (e.g. the 3-digit community part of a grid code).
    pub code: Option<String>,
    /// `source_id` of its sub-district in `Dataset::districts`, if the source says.
    pub district: Option<String>,
    pub boundary: MultiPolygon<f64>,
}

/// An estate / compound (小区) boundary. Its community is found by containment when stored.
#[derive(Debug, Clone)]
pub struct EstateRecord {
    pub source_id: String,
    pub name: Option<String>,
    pub boundary: MultiPolygon<f64>,
}

/// A building (楼栋).
#[derive(Debug, Clone)]
pub struct BuildingRecord {
    pub source_id: String,
    pub name: Option<String>,
    /// The kind of building, e.g. OSM's `building=*` value (`apartments`, `residential`, `school`).
    pub kind: String,
    pub floors: Option<i32>,
    /// Households (户数); 0 for buildings nobody lives in.
    pub households: i32,
    /// Its units (单元) when known, numbered from 1; their households add up to `households`.
    pub units: Vec<UnitRecord>,
    pub address: Option<String>,
    /// Name of the community the source says it belongs to; otherwise placed by containment.
    pub community: Option<String>,
    /// Source id (or name) of the estate the source says it belongs to; otherwise by containment.
    pub estate: Option<String>,
    pub footprint: MultiPolygon<f64>,
}

/// A unit / stairwell (单元) of a building.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitRecord {
    pub number: i32,
    pub households: i32,
}

/// A road centre line; `class` is e.g. OSM's `highway=*` value (`primary`, `residential`).
#[derive(Debug, Clone)]
pub struct RoadRecord {
    pub source_id: String,
    pub name: Option<String>,
    pub class: String,
    pub line: MultiLineString<f64>,
}

/// A feature left out of the import, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// How the source names the feature: `way/123`, `feature 17`, `line 42`.
    pub feature: String,
    pub reason: String,
}

impl UnitRecord {
    /// Splits `households` over `units` units as evenly as possible, the first units taking the
    /// remainder. Used when a source gives only a unit count.
    pub fn split_evenly(households: i32, units: i32) -> Vec<UnitRecord> {
        if units <= 0 {
            return Vec::new();
        }
        let (base, rest) = (households / units, households % units);
        (1..=units).map(|number| UnitRecord { number, households: base + i32::from(number <= rest) }).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_evenly_gives_remainder_to_first_units() {
        let units = UnitRecord::split_evenly(10, 3);
        assert_eq!(units.iter().map(|u| u.households).collect::<Vec<_>>(), vec![4, 3, 3]);
        assert_eq!(units.iter().map(|u| u.number).collect::<Vec<_>>(), vec![1, 2, 3]);
    }

    #[test]
    fn split_evenly_with_no_units_is_empty() {
        assert!(UnitRecord::split_evenly(10, 0).is_empty());
    }
}

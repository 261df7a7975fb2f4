//! The GeoJSON importer (`wangge import geojson`, `--communities FILE`): any bytes given as a
//! file must parse to a dataset or to an error, never panic, hang or exhaust memory.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wangge::import::geojson::{FeatureKind, GeojsonOptions, parse};
use wangge::spatial::datum::Crs;

fuzz_target!(|data: &[u8]| {
    // `read_file` refuses text that is not UTF-8 before parsing.
    let Ok(text) = std::str::from_utf8(data) else { return };
    // The options come from the length, so that the corpus stays plain GeoJSON.
    let crs = [Crs::Wgs84, Crs::Gcj02, Crs::Bd09][data.len() % 3];
    let only = [None, Some(FeatureKind::Community), Some(FeatureKind::Estate), Some(FeatureKind::Building)]
        [data.len() / 3 % 4];
    if let Ok(dataset) = parse(text, "geojson:fuzz", &GeojsonOptions { crs, only }) {
        for building in &dataset.buildings {
            assert!(building.households >= 0, "households are never negative");
            assert!(
                building.units.iter().map(|u| i64::from(u.households)).sum::<i64>() <= i64::from(building.households)
            );
        }
    }
});

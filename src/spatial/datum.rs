//! Datums of incoming coordinates: WGS84 (stored), GCJ-02 (AMap, Tencent, WeChat) and BD-09 (Baidu),
//! and the conversions between them, applied at the edge so that everything stored is WGS84.
//!
//! GCJ-02 and BD-09 are published forward formulas with no closed-form inverse; the inverses here
//! iterate until the forward formula reproduces the input to 1e-10° (about 0.01 mm), where the
//! commonly copied one-step inverses are off by up to 5 m (GCJ-02) and 0.2 m (BD-09).

use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

/// Krasovsky 1940 semi-major axis, metres, as used by the GCJ-02 formula.
const KRASOVSKY_A: f64 = 6_378_245.0;
/// Krasovsky 1940 first eccentricity squared, as used by the GCJ-02 formula.
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943;
/// The BD-09 formula's angular constant.
const X_PI: f64 = PI * 3000.0 / 180.0;

/// Forward formula reproduces the input to this, degrees, when an inverse stops iterating.
const INVERSE_TOLERANCE_DEG: f64 = 1e-10;
/// Each step shrinks the error about a thousandfold, so a few steps suffice; this only bounds
/// the loop for inputs that never settle (NaN is already excluded by `out_of_china`).
const INVERSE_MAX_STEPS: usize = 20;

/// The datum a coordinate pair is expressed in.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, clap::ValueEnum, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Crs {
    /// WGS84 (EPSG:4326); CGCS2000 and GPS receivers are this to within centimetres.
    #[default]
    Wgs84,
    /// GCJ-02, the state-mandated offset used by AMap, Tencent and WeChat map pickers.
    Gcj02,
    /// BD-09, Baidu's further offset on top of GCJ-02.
    Bd09,
}

impl Crs {
    /// Every datum, for listings and exhaustive tests.
    pub const ALL: [Crs; 3] = [Crs::Wgs84, Crs::Gcj02, Crs::Bd09];

    /// The lowercase name used in the API, on the command line and in the database.
    pub fn name(self) -> &'static str {
        match self {
            Crs::Wgs84 => "wgs84",
            Crs::Gcj02 => "gcj02",
            Crs::Bd09 => "bd09",
        }
    }

    /// Converts a point in this datum to WGS84 (identity outside China).
    pub fn to_wgs84(self, lon: f64, lat: f64) -> (f64, f64) {
        if out_of_china(lon, lat) {
            return (lon, lat);
        }
        match self {
            Crs::Wgs84 => (lon, lat),
            Crs::Gcj02 => gcj02_to_wgs84(lon, lat),
            Crs::Bd09 => {
                let (x, y) = bd09_to_gcj02(lon, lat);
                gcj02_to_wgs84(x, y)
            }
        }
    }

    /// Converts a WGS84 point to this datum (identity outside China).
    pub fn from_wgs84(self, lon: f64, lat: f64) -> (f64, f64) {
        if out_of_china(lon, lat) {
            return (lon, lat);
        }
        match self {
            Crs::Wgs84 => (lon, lat),
            Crs::Gcj02 => wgs84_to_gcj02(lon, lat),
            Crs::Bd09 => {
                let (x, y) = wgs84_to_gcj02(lon, lat);
                gcj02_to_bd09(x, y)
            }
        }
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A datum name that is none of `wgs84`, `gcj02`, `bd09`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCrs(pub String);

impl fmt::Display for UnknownCrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown datum {:?}: expected wgs84, gcj02 or bd09", self.0)
    }
}

impl std::error::Error for UnknownCrs {}

impl FromStr for Crs {
    type Err = UnknownCrs;

    /// Accepts the names case-insensitively, with or without a hyphen ("GCJ-02").
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().replace('-', "");
        Crs::ALL
            .into_iter()
            .find(|crs| crs.name().eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| UnknownCrs(s.to_owned()))
    }
}

/// True outside the rough bounding box of China used by the published formulas, where GCJ-02
/// and BD-09 apply no offset (and for non-finite input, which is then passed through).
pub fn out_of_china(lon: f64, lat: f64) -> bool {
    !((72.004..=137.8347).contains(&lon) && (0.8293..=55.8271).contains(&lat))
}

/// The published GCJ-02 forward formula, without the China check.
fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    let (x, y) = (lon - 105.0, lat - 35.0);
    let rad_lat = lat.to_radians();
    let magic = 1.0 - KRASOVSKY_EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let dlat = offset_lat(x, y) * 180.0 / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let dlon = offset_lon(x, y) * 180.0 / (KRASOVSKY_A / sqrt_magic * rad_lat.cos() * PI);
    (lon + dlon, lat + dlat)
}

fn offset_lat(x: f64, y: f64) -> f64 {
    let mut ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    ret
}

fn offset_lon(x: f64, y: f64) -> f64 {
    let mut ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    ret
}

/// The published BD-09 forward formula (from GCJ-02).
fn gcj02_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let z = lon.hypot(lat) + 0.00002 * (lat * X_PI).sin();
    let theta = lat.atan2(lon) + 0.000003 * (lon * X_PI).cos();
    (z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}

/// GCJ-02 → WGS84 by iterating the forward formula, starting from the GCJ-02 point itself.
fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    invert_from((lon, lat), (lon, lat), wgs84_to_gcj02)
}

/// The published one-step BD-09 → GCJ-02 approximation (off by up to ~2e-6°), refined by
/// iterating the forward formula.
fn bd09_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    invert_from(bd09_to_gcj02_approx(lon, lat), (lon, lat), gcj02_to_bd09)
}

fn bd09_to_gcj02_approx(lon: f64, lat: f64) -> (f64, f64) {
    let (x, y) = (lon - 0.0065, lat - 0.006);
    let z = x.hypot(y) - 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * X_PI).cos();
    (z * theta.cos(), z * theta.sin())
}

/// Inverts a forward transform that is the identity plus a small, slowly varying offset by the
/// fixed-point iteration x ← x − (forward(x) − target): the offset's derivative is around 1e-3,
/// so each step removes all but a thousandth of the error.
fn invert_from(mut guess: (f64, f64), target: (f64, f64), forward: fn(f64, f64) -> (f64, f64)) -> (f64, f64) {
    for _ in 0..INVERSE_MAX_STEPS {
        let image = forward(guess.0, guess.1);
        let (ex, ey) = (image.0 - target.0, image.1 - target.1);
        if ex.abs() <= INVERSE_TOLERANCE_DEG && ey.abs() <= INVERSE_TOLERANCE_DEG {
            break;
        }
        guess = (guess.0 - ex, guess.1 - ey);
    }
    guess
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spatial::measure::distance_m;
    use proptest::prelude::*;

    fn assert_close(got: (f64, f64), want: (f64, f64), tol: f64) {
        assert!((got.0 - want.0).abs() <= tol && (got.1 - want.1).abs() <= tol, "got {got:?}, want {want:?} (±{tol})");
    }

    // Reference pairs for (116.404, 39.915) from the README and test/app.js of
    // wandergis/coordtransform, repeated in dromara/hutool
    // (hutool-core/src/test/java/cn/hutool/core/util/CoordinateUtilTest.java). The two list
    // gcj02tobd09's latitude as …51021 and …51022: the last digit depends on the platform's
    // libm, hence the 1e-12° tolerance.

    #[test]
    fn wgs84_to_gcj02_matches_coordtransform_reference() {
        assert_close(Crs::Gcj02.from_wgs84(116.404, 39.915), (116.41024449916938, 39.91640428150164), 1e-12);
    }

    #[test]
    fn gcj02_to_bd09_matches_coordtransform_reference() {
        assert_close(gcj02_to_bd09(116.404, 39.915), (116.41036949371029, 39.92133699351022), 1e-12);
    }

    #[test]
    fn bd09_to_gcj02_first_step_matches_coordtransform_reference() {
        // The reference is the published one-step inverse; ours starts from it …
        let reference = (116.39762729119315, 39.90865673957631);
        assert_close(bd09_to_gcj02_approx(116.404, 39.915), reference, 1e-12);
        // … and refines it to where the forward formula gives back the input exactly.
        let refined = bd09_to_gcj02(116.404, 39.915);
        assert_close(refined, reference, 5e-6);
        assert_close(gcj02_to_bd09(refined.0, refined.1), (116.404, 39.915), 1e-10);
    }

    #[test]
    fn gcj02_to_wgs84_inverts_eviltransform_reference_pairs() {
        // WGS84 → GCJ-02 pairs from googollee/eviltransform go/transform_test.go
        // (Shanghai, Shenzhen, Beijing), given there as (lat, lon).
        let pairs = [
            ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
            ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
            ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),
        ];
        for (wgs, gcj) in pairs {
            assert_close(Crs::Gcj02.from_wgs84(wgs.0, wgs.1), gcj, 1e-12);
            assert_close(Crs::Gcj02.to_wgs84(gcj.0, gcj.1), wgs, 1e-9);
        }
    }

    #[test]
    fn gcj02_to_wgs84_is_exact_where_the_one_step_inverse_is_not() {
        // coordtransform's one-step gcj02towgs84(116.404, 39.915) (same sources as above) is
        // ~6 cm off here, several times the 1 cm round-trip budget (and up to ~5 m elsewhere).
        let one_step = (116.39775550083061, 39.91359571849836);
        let exact = Crs::Gcj02.to_wgs84(116.404, 39.915);
        assert_close(Crs::Gcj02.from_wgs84(exact.0, exact.1), (116.404, 39.915), 1e-10);
        let error_m = distance_m(one_step, exact);
        assert!((0.02..1.0).contains(&error_m), "one-step error {error_m} m");
    }

    #[test]
    fn offset_inside_china_is_100_to_700_m_for_gcj02_and_about_1_km_for_bd09() {
        let cities = [
            (116.397, 39.909), // Beijing
            (121.474, 31.230), // Shanghai
            (114.305, 30.593), // Wuhan
            (113.264, 23.129), // Guangzhou
            (104.066, 30.572), // Chengdu
            (87.617, 43.826),  // Ürümqi
            (126.535, 45.802), // Harbin
            (91.117, 29.647),  // Lhasa
        ];
        for (lon, lat) in cities {
            let gcj = distance_m((lon, lat), Crs::Gcj02.from_wgs84(lon, lat));
            assert!((100.0..700.0).contains(&gcj), "GCJ-02 at ({lon}, {lat}): {gcj} m");
            // BD-09's own shift (~0.0065°, 0.006°) puts it 0.7–1.5 km from WGS84 in all.
            let bd = distance_m((lon, lat), Crs::Bd09.from_wgs84(lon, lat));
            assert!((500.0..1600.0).contains(&bd), "BD-09 at ({lon}, {lat}): {bd} m");
        }
    }

    #[test]
    fn outside_china_is_identity() {
        for (lon, lat) in [(24.94, 60.17), (-0.1276, 51.5072), (139.69, 35.69), (151.2, -33.87)] {
            assert!(out_of_china(lon, lat));
            for crs in Crs::ALL {
                assert_eq!(crs.from_wgs84(lon, lat), (lon, lat), "{crs}");
                assert_eq!(crs.to_wgs84(lon, lat), (lon, lat), "{crs}");
            }
        }
    }

    #[test]
    fn non_finite_input_passes_through() {
        for crs in Crs::ALL {
            let (lon, lat) = crs.to_wgs84(f64::NAN, 30.0);
            assert!(lon.is_nan() && lat == 30.0);
        }
    }

    #[test]
    fn names_parse_display_and_serialize_alike() {
        for crs in Crs::ALL {
            assert_eq!(crs.to_string().parse::<Crs>(), Ok(crs));
            let json = serde_json::to_string(&crs).expect("serialize");
            assert_eq!(json, format!("\"{crs}\""));
            let value = clap::ValueEnum::to_possible_value(&crs).expect("not skipped");
            assert_eq!(value.get_name(), crs.name());
        }
        assert_eq!("GCJ-02".parse::<Crs>(), Ok(Crs::Gcj02));
        assert_eq!(" BD09 ".parse::<Crs>(), Ok(Crs::Bd09));
        assert!("mercator".parse::<Crs>().is_err());
        assert_eq!(Crs::default(), Crs::Wgs84);
    }

    proptest! {
        // Strictly inside the box, so neither end of a round trip can fall on the other side.
        #[test]
        fn round_trips_within_1e_7_degrees_over_china(lon in 73.0..135.0f64, lat in 3.0..54.0f64) {
            for crs in Crs::ALL {
                let (x, y) = crs.from_wgs84(lon, lat);
                let (back_lon, back_lat) = crs.to_wgs84(x, y);
                prop_assert!((back_lon - lon).abs() < 1e-7 && (back_lat - lat).abs() < 1e-7,
                    "{crs}: ({lon}, {lat}) -> ({x}, {y}) -> ({back_lon}, {back_lat})");
                let (fx, fy) = crs.from_wgs84(back_lon, back_lat);
                prop_assert!((fx - x).abs() <= 1e-9 && (fy - y).abs() <= 1e-9);
            }
        }
    }
}

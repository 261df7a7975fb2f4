//! Web-map tile addresses (z/x/y, XYZ scheme, Web Mercator).

/// Deepest zoom served; beyond it the map overzooms.
pub const MAX_ZOOM: u8 = 22;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileId {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

impl TileId {
    /// Checks that the tile exists at its zoom level.
    pub fn new(z: u32, x: u32, y: u32) -> Result<TileId, String> {
        if z > u32::from(MAX_ZOOM) {
            return Err(format!("zoom {z} is beyond the deepest zoom {MAX_ZOOM}"));
        }
        let side = 1u64 << z;
        if u64::from(x) >= side || u64::from(y) >= side {
            return Err(format!("tile {x}/{y} does not exist at zoom {z} (x and y go from 0 to {})", side - 1));
        }
        Ok(TileId { z: z as u8, x, y })
    }

    /// The tile containing a WGS84 point at a zoom level.
    pub fn containing(lon: f64, lat: f64, z: u8) -> TileId {
        let n = f64::from(1u32 << z);
        let x = ((lon + 180.0) / 360.0 * n).floor();
        let lat = lat.to_radians();
        let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
        let clamp = |v: f64| v.clamp(0.0, n - 1.0) as u32;
        TileId { z, x: clamp(x), y: clamp(y) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_outside_their_zoom_are_refused() {
        assert!(TileId::new(0, 0, 0).is_ok());
        assert!(TileId::new(1, 2, 0).unwrap_err().contains("0 to 1"));
        assert!(TileId::new(23, 0, 0).is_err());
    }

    #[test]
    fn a_point_falls_in_the_expected_tile() {
        // Wuhan's Optics Valley at z15, checked against the standard slippy-map formula.
        assert_eq!(TileId::containing(114.41, 30.50, 15), TileId { z: 15, x: 26797, y: 13466 });
    }
}

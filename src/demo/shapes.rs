//! Shapes the layout works with, in local metres, and their conversion to WGS84 geometry.
//!
//! The layout keeps everything in axis-aligned rectangles that are disjoint by construction
//! (a parent is cut into children separated by gaps), so nothing has to be tested for overlap.

use geo::{Coord, LineString, MultiLineString, MultiPolygon, Polygon};

use crate::spatial::measure::LocalProjection;

/// An axis-aligned rectangle in metres (x east, y north).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    pub fn new(x0: f64, y0: f64, x1: f64, y1: f64) -> Self {
        Self { x0, y0, x1, y1 }
    }

    pub fn width(&self) -> f64 {
        self.x1 - self.x0
    }

    pub fn height(&self) -> f64 {
        self.y1 - self.y0
    }

    pub fn area(&self) -> f64 {
        self.width().max(0.0) * self.height().max(0.0)
    }

    pub fn centre(&self) -> (f64, f64) {
        ((self.x0 + self.x1) / 2.0, (self.y0 + self.y1) / 2.0)
    }

    /// The rectangle shrunk by `d` on every side.
    pub fn inset(&self, d: f64) -> Rect {
        Rect::new(self.x0 + d, self.y0 + d, self.x1 - d, self.y1 - d)
    }

    /// Corners counter-clockwise from the south-west one.
    pub fn corners(&self) -> [(f64, f64); 4] {
        [(self.x0, self.y0), (self.x1, self.y0), (self.x1, self.y1), (self.x0, self.y1)]
    }

    /// The corners with each one cut off by `cut[i]` metres along both edges: an irregular
    /// octagon inside the rectangle (a cut of 0 keeps the corner).
    pub fn chamfered(&self, cut: [f64; 4]) -> Vec<(f64, f64)> {
        chamfer(&self.corners(), cut)
    }
}

/// Cuts each corner of a convex ring (given without the closing point) `cut[i]` metres along
/// both of its edges.
pub fn chamfer(ring: &[(f64, f64); 4], cut: [f64; 4]) -> Vec<(f64, f64)> {
    let toward = |from: (f64, f64), to: (f64, f64), d: f64| {
        let (dx, dy) = (to.0 - from.0, to.1 - from.1);
        let len = (dx * dx + dy * dy).sqrt().max(f64::EPSILON);
        (from.0 + dx * d / len, from.1 + dy * d / len)
    };
    let mut out = Vec::with_capacity(8);
    for i in 0..4 {
        let (prev, here, next) = (ring[(i + 3) % 4], ring[i], ring[(i + 1) % 4]);
        if cut[i] > 0.0 {
            out.push(toward(here, prev, cut[i]));
            out.push(toward(here, next, cut[i]));
        } else {
            out.push(here);
        }
    }
    out
}

/// A footprint: a `length` × `depth` rectangle turned by `angle` radians about its centre.
#[derive(Debug, Clone, Copy)]
pub struct Footprint {
    pub length: f64,
    pub depth: f64,
    pub angle: f64,
}

impl Footprint {
    /// Width and height of the axis-aligned box the turned rectangle needs.
    pub fn extent(&self) -> (f64, f64) {
        let (s, c) = (self.angle.sin().abs(), self.angle.cos().abs());
        (self.length * c + self.depth * s, self.length * s + self.depth * c)
    }

    /// The turned rectangle's corners, counter-clockwise, centred on `centre`.
    pub fn corners(&self, centre: (f64, f64)) -> Vec<(f64, f64)> {
        let (s, c) = self.angle.sin_cos();
        let (hl, hd) = (self.length / 2.0, self.depth / 2.0);
        [(-hl, -hd), (hl, -hd), (hl, hd), (-hl, hd)]
            .iter()
            .map(|&(x, y)| (centre.0 + x * c - y * s, centre.1 + x * s + y * c))
            .collect()
    }
}

/// Converts local metres to WGS84 geometry.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    projection: LocalProjection,
}

impl Frame {
    pub fn new(lon: f64, lat: f64) -> Self {
        Self { projection: LocalProjection::new(lon, lat) }
    }

    fn coord(&self, (x, y): (f64, f64)) -> Coord<f64> {
        let (lon, lat) = self.projection.to_lonlat(x, y);
        Coord { x: lon, y: lat }
    }

    /// A one-ring polygon from its corners (not closed; the ring is closed here).
    pub fn polygon(&self, ring: &[(f64, f64)]) -> MultiPolygon<f64> {
        // Sized exactly: a million footprints make spare capacity add up.
        let mut coords: Vec<Coord<f64>> = Vec::with_capacity(ring.len() + 1);
        coords.extend(ring.iter().map(|&p| self.coord(p)));
        if let Some(&first) = coords.first() {
            coords.push(first);
        }
        MultiPolygon::new(vec![Polygon::new(LineString::new(coords), Vec::new())])
    }

    /// A line through `points`.
    pub fn line(&self, points: &[(f64, f64)]) -> MultiLineString<f64> {
        MultiLineString::new(vec![LineString::new(points.iter().map(|&p| self.coord(p)).collect())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turned_footprint_fits_its_extent() {
        let f = Footprint { length: 40.0, depth: 12.0, angle: 0.05 };
        let (w, h) = f.extent();
        for (x, y) in f.corners((0.0, 0.0)) {
            assert!(x.abs() <= w / 2.0 + 1e-9 && y.abs() <= h / 2.0 + 1e-9);
        }
    }

    #[test]
    fn chamfer_keeps_uncut_corners_and_cuts_the_others() {
        let ring = Rect::new(0.0, 0.0, 10.0, 10.0).chamfered([0.0, 2.0, 0.0, 0.0]);
        assert_eq!(ring, vec![(0.0, 0.0), (8.0, 0.0), (10.0, 2.0), (10.0, 10.0), (0.0, 10.0)]);
    }
}

//! Rows for `COPY … FROM STDIN` in PostgreSQL's text format: the fast path for bulk imports
//! (a million buildings in seconds, where row-by-row inserts take minutes).

use std::fmt::Write;

use geozero::{CoordDimensions, ToWkb};

/// A buffer of COPY text rows.
#[derive(Debug, Default)]
pub struct CopyRows {
    buf: String,
    rows: usize,
    fields_in_row: usize,
}

impl CopyRows {
    pub fn text(&mut self, value: Option<&str>) -> &mut Self {
        self.separate();
        match value {
            None => self.buf.push_str("\\N"),
            Some(text) => {
                for c in text.chars() {
                    match c {
                        '\\' => self.buf.push_str("\\\\"),
                        '\t' => self.buf.push_str("\\t"),
                        '\n' => self.buf.push_str("\\n"),
                        '\r' => self.buf.push_str("\\r"),
                        c => self.buf.push(c),
                    }
                }
            }
        }
        self
    }

    pub fn int(&mut self, value: Option<i64>) -> &mut Self {
        self.separate();
        match value {
            None => self.buf.push_str("\\N"),
            Some(n) => {
                let _ = write!(self.buf, "{n}");
            }
        }
        self
    }

    /// A geometry as hex EWKB with SRID 4326, which PostGIS's geometry input accepts.
    pub fn geometry(&mut self, geometry: &geo::Geometry<f64>) -> &mut Self {
        self.separate();
        let ewkb = geometry.to_ewkb(CoordDimensions::xy(), Some(4326)).unwrap_or_default();
        for byte in ewkb {
            let _ = write!(self.buf, "{byte:02X}");
        }
        self
    }

    pub fn end_row(&mut self) {
        self.buf.push('\n');
        self.rows += 1;
        self.fields_in_row = 0;
    }

    fn separate(&mut self) {
        if self.fields_in_row > 0 {
            self.buf.push('\t');
        }
        self.fields_in_row += 1;
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Takes the text written so far, leaving the buffer empty for the next batch.
    pub fn take(&mut self) -> String {
        self.rows = 0;
        std::mem::take(&mut self.buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_characters_and_nulls_are_escaped() {
        let mut rows = CopyRows::default();
        rows.text(Some("a\tb\\c\nd")).int(None).int(Some(-3)).end_row();
        assert_eq!(rows.take(), "a\\tb\\\\c\\nd\t\\N\t-3\n");
    }

    #[test]
    fn geometry_is_hex_ewkb_with_srid() {
        let mut rows = CopyRows::default();
        rows.geometry(&geo::Geometry::Point(geo::Point::new(1.0, 2.0))).end_row();
        let text = rows.take();
        // little-endian, type 1 with the SRID flag (0x20000001), SRID 4326 (0x10E6)
        assert!(text.starts_with("0101000020E6100000"), "{text}");
    }
}

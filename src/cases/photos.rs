//! Photos of findings, as phones send them: checked by content (JPEG, PNG or WebP, whatever the
//! request says it is), capped in bytes and in pixels before they are decoded, turned upright,
//! downscaled and re-encoded as JPEG with a thumbnail, then stored on disk under the hash of
//! what is served. Re-encoding keeps the pixels only, so no EXIF block (GPS position, camera,
//! owner) of the upload ever reaches a viewer.
//!
//! [`process`] is pure (bytes in, JPEGs out) and [`store`] only writes files; the HTTP routes
//! and the `photos` rows are in [`routes`].

pub mod routes;

use std::io::{self, Cursor, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, RgbImage};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

/// The longest edge of a served photo, px: sharp on any phone, a few hundred KB.
pub const MAX_EDGE: u32 = 2000;
/// The longest edge of a thumbnail, px (lists and map pop-ups).
pub const THUMBNAIL_EDGE: u32 = 320;
/// The longest side accepted, px: a 48-megapixel phone camera's is 8,000.
pub const MAX_SIDE: u32 = 12_000;
/// The largest decoded image accepted, bytes: 64 MP in RGB, 48 MP with alpha.
pub const MAX_DECODED_BYTES: u64 = 256 << 20;
/// The default cap of an upload, bytes.
pub const DEFAULT_MAX_BYTES: usize = 10 << 20;
const JPEG_QUALITY: u8 = 85;

/// Where photos are stored and how large an upload may be (`wangge serve --photo-dir
/// --photo-limit`), with the permits that bound how many are decoded at once: a large photo
/// takes a few hundred MB while it is processed.
#[derive(Debug, Clone)]
pub struct PhotoSettings {
    pub dir: PathBuf,
    pub max_bytes: usize,
    processing: Arc<Semaphore>,
}

impl PhotoSettings {
    /// One photo processed at a time per core.
    pub fn new(dir: PathBuf, max_bytes: usize) -> PhotoSettings {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        PhotoSettings { dir, max_bytes, processing: Arc::new(Semaphore::new(cores)) }
    }
}

/// Why an upload is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PhotoError {
    #[error("the photo has {bytes} bytes; at most {max} are accepted")]
    TooLarge { bytes: usize, max: usize },
    /// Not JPEG, PNG or WebP by its content; the format recognised, if any.
    #[error(
        "a photo must be a JPEG, PNG or WebP image (judged by its content, not its Content-Type); this is {}",
        .0.map_or("no image format recognised", name)
    )]
    Unsupported(Option<ImageFormat>),
    #[error("the image is larger than {} px a side or {} MiB decoded", MAX_SIDE, MAX_DECODED_BYTES >> 20)]
    TooManyPixels,
    #[error("the {} image cannot be decoded: {}", name(*.0), .1)]
    Undecodable(ImageFormat, String),
}

fn name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        ImageFormat::WebP => "WebP",
        ImageFormat::Gif => "GIF",
        other => other.to_mime_type(),
    }
}

/// A photo ready to store: the JPEG served, its thumbnail, and the figures of its row.
#[derive(Debug)]
pub struct Processed {
    pub jpeg: Vec<u8>,
    pub thumbnail: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// Lowercase hex SHA-256 of `jpeg`, which names its files.
    pub sha256: String,
}

impl Processed {
    /// The stored name of the photo, under the photo directory.
    pub fn stored_name(&self) -> String {
        format!("{}.jpg", self.sha256)
    }
}

/// The stored name of a photo's thumbnail.
pub fn thumbnail_name(stored_name: &str) -> String {
    format!("{}-thumb.jpg", stored_name.trim_end_matches(".jpg"))
}

/// Checks and converts an upload; CPU-bound (tens to hundreds of ms), so call it off the
/// async runtime.
pub fn process(upload: &[u8], max_bytes: usize) -> Result<Processed, PhotoError> {
    if upload.len() > max_bytes {
        return Err(PhotoError::TooLarge { bytes: upload.len(), max: max_bytes });
    }
    let format = image::guess_format(upload).map_err(|_| PhotoError::Unsupported(None))?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) {
        return Err(PhotoError::Unsupported(Some(format)));
    }
    if format == ImageFormat::Jpeg && !jpeg_is_whole(upload) {
        return Err(PhotoError::Undecodable(format, "the image data is cut short (no end-of-image marker)".into()));
    }
    let undecodable = |error: ImageError| match error {
        ImageError::Limits(_) => PhotoError::TooManyPixels,
        error => PhotoError::Undecodable(format, error.to_string()),
    };
    let mut reader = ImageReader::with_format(Cursor::new(upload), format);
    reader.limits(limits());
    // The header alone is read here, and its sides checked against the limits: an image that
    // claims too many pixels is refused before anything is allocated for them.
    let mut decoder = reader.into_decoder().map_err(undecodable)?;
    limits().reserve(decoder.total_bytes()).map_err(undecodable)?;
    let orientation = decoder.orientation().map_err(undecodable)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(undecodable)?;
    image.apply_orientation(orientation);
    if image.width().max(image.height()) > MAX_EDGE {
        image = image.resize(MAX_EDGE, MAX_EDGE, FilterType::Triangle);
    }
    let rgb = flatten(image);
    let thumbnail = DynamicImage::ImageRgb8(rgb.clone()).thumbnail(THUMBNAIL_EDGE, THUMBNAIL_EDGE).into_rgb8();
    let jpeg = encode(&rgb).map_err(undecodable)?;
    let thumbnail = encode(&thumbnail).map_err(undecodable)?;
    let sha256 = format!("{:x}", Sha256::digest(&jpeg));
    Ok(Processed { width: rgb.width(), height: rgb.height(), jpeg, thumbnail, sha256 })
}

/// Whether a JPEG's last end-of-image marker (FF D9) follows its last start-of-scan (FF DA).
/// The decoder pads a truncated scan with grey, which would store half a photo from an upload
/// cut short on a flaky network; an EXIF thumbnail's own markers come before the main scan, and
/// entropy-coded data never holds FF D9.
fn jpeg_is_whole(jpeg: &[u8]) -> bool {
    let last = |marker: u8| jpeg.windows(2).rposition(|pair| pair == [0xFF, marker]);
    matches!((last(0xDA), last(0xD9)), (Some(scan), Some(end)) if end > scan)
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    limits
}

/// RGB for JPEG: transparent parts over white (dropping alpha would show them black).
fn flatten(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over_white = |c: u8| ((u32::from(c) * u32::from(a) + 255 * (255 - u32::from(a)) + 127) / 255) as u8;
        image::Rgb([over_white(r), over_white(g), over_white(b)])
    })
}

fn encode(image: &RgbImage) -> Result<Vec<u8>, ImageError> {
    let mut out = Vec::with_capacity(image.as_raw().len() / 8);
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).encode_image(image)?;
    Ok(out)
}

/// Writes the photo and its thumbnail under `dir` by their hash, each through a temporary file
/// in the same directory renamed into place, so that a crash leaves no partial photo. The same
/// photo uploaded twice shares its files. Returns the stored name.
pub fn store(dir: &Path, photo: &Processed) -> io::Result<String> {
    let name = photo.stored_name();
    write_atomically(dir, &thumbnail_name(&name), &photo.thumbnail)?;
    write_atomically(dir, &name, &photo.jpeg)?;
    Ok(name)
}

/// Records a stored photo as uploaded by `uploader`, not yet attached to a case; answers its id.
pub async fn record<'e>(db: impl sqlx::PgExecutor<'e>, uploader: i64, stored_name: &str, photo: &Processed) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "insert into photos (uploader_id, stored_name, media_type, width, height, bytes, sha256)
         values ($1, $2, 'image/jpeg', $3, $4, $5, $6) returning id",
    )
    .bind(uploader)
    .bind(stored_name)
    .bind(photo.width as i32)
    .bind(photo.height as i32)
    .bind(i32::try_from(photo.jpeg.len()).unwrap_or(i32::MAX))
    .bind(&photo.sha256)
    .fetch_one(db)
    .await
}

fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let mut file = tempfile::Builder::new().prefix(".upload-").tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(dir.join(name))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use image::codecs::png::PngEncoder;
    use image::codecs::webp::WebPEncoder;
    use image::{ExtendedColorType, ImageEncoder, Rgb, RgbaImage};

    use super::*;

    /// A gradient, so that the encoders have something to encode.
    fn picture(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8]))
    }

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        encode(&picture(width, height)).expect("encodes")
    }

    fn png(image: &RgbaImage) -> Vec<u8> {
        let mut out = Vec::new();
        PngEncoder::new(&mut out)
            .write_image(image.as_raw(), image.width(), image.height(), ExtendedColorType::Rgba8)
            .expect("encodes");
        out
    }

    fn webp(width: u32, height: u32) -> Vec<u8> {
        let image = picture(width, height);
        let mut out = Vec::new();
        WebPEncoder::new_lossless(&mut out)
            .encode(image.as_raw(), width, height, ExtendedColorType::Rgb8)
            .expect("encodes");
        out
    }

    fn accepted(upload: &[u8]) -> Processed {
        process(upload, DEFAULT_MAX_BYTES).unwrap_or_else(|e| panic!("refused: {e}"))
    }

    fn refused(upload: &[u8]) -> PhotoError {
        process(upload, DEFAULT_MAX_BYTES).err().unwrap_or_else(|| panic!("accepted"))
    }

    /// The JPEG's segments before its image data, as (marker, payload).
    fn segments(jpeg: &[u8]) -> Vec<(u8, &[u8])> {
        assert_eq!(&jpeg[..2], [0xFF, 0xD8], "starts with SOI");
        let mut at = 2;
        let mut found = Vec::new();
        while jpeg[at] == 0xFF && jpeg[at + 1] != 0xDA {
            let length = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
            found.push((jpeg[at + 1], &jpeg[at + 4..at + 2 + length]));
            at += 2 + length;
        }
        found
    }

    #[test]
    fn jpeg_png_and_webp_are_accepted_by_content_and_served_as_jpeg() {
        let transparent = RgbaImage::from_pixel(40, 30, image::Rgba([0, 0, 0, 0]));
        for (what, upload) in [("JPEG", jpeg(64, 48)), ("PNG", png(&transparent)), ("WebP", webp(64, 48))] {
            let photo = accepted(&upload);
            assert_eq!(image::guess_format(&photo.jpeg).ok(), Some(ImageFormat::Jpeg), "{what}");
            let served = image::load_from_memory(&photo.jpeg).expect("decodes").into_rgb8();
            assert_eq!((served.width(), served.height()), (photo.width, photo.height), "{what}");
            assert_eq!(photo.sha256, format!("{:x}", Sha256::digest(&photo.jpeg)));
            assert_eq!(photo.sha256.len(), 64);
        }
        let photo = accepted(&png(&transparent));
        let served = image::load_from_memory(&photo.jpeg).expect("decodes").into_rgb8();
        assert!(served.pixels().all(|p| p.0.iter().all(|&c| c > 250)), "transparent comes out white");
    }

    #[test]
    fn anything_else_is_refused_whatever_it_claims_to_be() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
        let html = b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>";
        let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
        let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00";
        let others: [&[u8]; 5] = [svg, html, zip, b"", b"\xFF"];
        for upload in others {
            assert_eq!(refused(upload), PhotoError::Unsupported(None), "{}", String::from_utf8_lossy(upload));
        }
        let error = refused(gif);
        assert_eq!(error, PhotoError::Unsupported(Some(ImageFormat::Gif)));
        assert!(error.to_string().contains("JPEG, PNG or WebP") && error.to_string().contains("GIF"), "{error}");
    }

    #[test]
    fn a_broken_image_of_an_accepted_type_is_refused() {
        let whole = jpeg(640, 480);
        for cut in [whole.len() / 2, 200, 4] {
            assert!(matches!(refused(&whole[..cut]), PhotoError::Undecodable(ImageFormat::Jpeg, _)), "cut at {cut}");
        }
        let mut scrambled = png(&RgbaImage::new(20, 20));
        let last = scrambled.len() - 20;
        scrambled[last..].fill(0x55);
        assert!(matches!(refused(&scrambled), PhotoError::Undecodable(ImageFormat::Png, _)));
    }

    #[test]
    fn uploads_over_the_cap_are_refused_before_anything_else() {
        let upload = jpeg(64, 48);
        assert_eq!(
            process(&upload, upload.len() - 1).err(),
            Some(PhotoError::TooLarge { bytes: upload.len(), max: upload.len() - 1 })
        );
        assert!(process(&upload, upload.len()).is_ok());
        assert!(matches!(process(b"<html>", 3), Err(PhotoError::TooLarge { .. })));
    }

    #[test]
    fn large_photos_are_downscaled_to_2000_px_and_small_ones_kept() {
        let photo = accepted(&jpeg(3000, 1000));
        assert_eq!((photo.width, photo.height), (2000, 667));
        let thumbnail = image::load_from_memory(&photo.thumbnail).expect("decodes");
        assert_eq!((thumbnail.width(), thumbnail.height()), (320, 107));
        let upright = accepted(&webp(900, 2400));
        assert_eq!((upright.width, upright.height), (750, 2000));
        let small = accepted(&jpeg(800, 600));
        assert_eq!((small.width, small.height), (800, 600));
        let thumbnail = image::load_from_memory(&small.thumbnail).expect("decodes");
        assert_eq!((thumbnail.width(), thumbnail.height()), (320, 240));
    }

    /// The APP1 Exif segment of a phone photo: a TIFF header whose IFD0 points at a GPS IFD
    /// holding a latitude reference, and an orientation of 6 (turn 90° clockwise).
    fn exif_with_gps() -> Vec<u8> {
        let mut tiff: Vec<u8> = b"II*\x00\x08\x00\x00\x00".to_vec();
        // IFD0 at 8: two entries (Orientation = 6, GPSInfo → 38), no next IFD.
        tiff.extend([2, 0]);
        tiff.extend([0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]);
        tiff.extend([0x25, 0x88, 4, 0, 1, 0, 0, 0, 38, 0, 0, 0]);
        tiff.extend([0, 0, 0, 0]);
        // GPS IFD at 38: GPSLatitudeRef = "N".
        tiff.extend([1, 0, 0x01, 0x00, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0, 0, 0, 0, 0]);
        let mut segment = vec![0xFF, 0xE1];
        segment.extend(u16::try_from(2 + 6 + tiff.len()).expect("short").to_be_bytes());
        segment.extend(b"Exif\0\0");
        segment.extend(tiff);
        segment
    }

    #[test]
    fn exif_with_gps_is_stripped_and_its_orientation_applied() {
        let plain = jpeg(400, 100);
        let mut upload = plain[..2].to_vec();
        upload.extend(exif_with_gps());
        upload.extend(&plain[2..]);
        assert!(segments(&upload).iter().any(|(marker, data)| *marker == 0xE1 && data.starts_with(b"Exif")));

        let photo = accepted(&upload);
        assert_eq!((photo.width, photo.height), (100, 400), "turned upright");
        for served in [&photo.jpeg, &photo.thumbnail] {
            let markers: Vec<u8> = segments(served).iter().map(|(marker, _)| *marker).collect();
            assert!(!markers.contains(&0xE1), "no APP1 (Exif, XMP) segment: {markers:x?}");
            assert!(!served.windows(4).any(|w| w == b"Exif"), "no Exif anywhere");
        }
    }

    fn crc32(bytes: &[u8]) -> u32 {
        !bytes.iter().fold(!0u32, |crc, &byte| {
            (0..8).fold(crc ^ u32::from(byte), |c, _| if c & 1 == 1 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 })
        })
    }

    /// A PNG of an 8-bit RGBA image of these sides with no pixel data: its signature, IHDR, an
    /// empty IDAT and IEND, as a decompression bomb's header reads.
    fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut ihdr = width.to_be_bytes().to_vec();
        ihdr.extend(height.to_be_bytes());
        ihdr.extend([8, 6, 0, 0, 0]);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        for (kind, data) in [(b"IHDR", ihdr.as_slice()), (b"IDAT", &[]), (b"IEND", &[])] {
            let chunk = [kind.as_slice(), data].concat();
            png.extend(u32::try_from(data.len()).expect("short").to_be_bytes());
            png.extend(&chunk);
            png.extend(crc32(&chunk).to_be_bytes());
        }
        png
    }

    #[test]
    fn images_that_claim_absurd_sides_are_refused_from_their_header() {
        assert_eq!(crc32(b"IEND"), 0xAE42_6082, "the test's CRC is PNG's");
        for (width, height) in [(100_000, 100_000), (MAX_SIDE + 1, 10), (10, MAX_SIDE + 1), (11_000, 11_000)] {
            let header = png_header(width, height);
            assert!(header.len() < 60);
            assert_eq!(refused(&header), PhotoError::TooManyPixels, "{width}×{height}");
        }
        assert!(matches!(refused(&png_header(1000, 1000)), PhotoError::Undecodable(ImageFormat::Png, _)));
    }

    #[test]
    fn stored_files_are_named_by_the_hash_and_leave_no_temporary_file() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let photo = accepted(&jpeg(64, 48));
        let name = store(dir.path(), &photo).expect("stores");
        assert_eq!(name, format!("{}.jpg", photo.sha256));
        assert_eq!(std::fs::read(dir.path().join(&name)).ok(), Some(photo.jpeg.clone()));
        assert_eq!(std::fs::read(dir.path().join(thumbnail_name(&name))).ok(), Some(photo.thumbnail.clone()));
        assert_eq!(store(dir.path(), &photo).ok(), Some(name), "the same photo again");
        let mut files: Vec<String> = std::fs::read_dir(dir.path())
            .expect("lists")
            .map(|entry| entry.expect("an entry").file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files, [format!("{}-thumb.jpg", photo.sha256), format!("{}.jpg", photo.sha256)]);
    }
}

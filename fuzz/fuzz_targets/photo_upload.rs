//! Photos of findings: the bytes of `POST /api/v1/photos` through the checks by content, the
//! pixel limits read from the header, the decoder and the re-encoding (src/cases/photos.rs).

#![no_main]

use libfuzzer_sys::fuzz_target;
use wangge::cases::photos::{DEFAULT_MAX_BYTES, MAX_EDGE, THUMBNAIL_EDGE, process};

fuzz_target!(|data: &[u8]| {
    if let Ok(photo) = process(data, DEFAULT_MAX_BYTES) {
        assert!(photo.width.max(photo.height) <= MAX_EDGE, "{}×{}", photo.width, photo.height);
        assert!(photo.width > 0 && photo.height > 0);
        let thumbnail = image::load_from_memory(&photo.thumbnail).expect("the thumbnail decodes");
        assert!(thumbnail.width().max(thumbnail.height()) <= THUMBNAIL_EDGE);
    }
});

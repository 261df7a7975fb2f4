//! Filing a case: the body of `POST /api/v1/cases` as the handler receives it (axum's JSON
//! extractor, then `NewCase`, then the checks that need no database and the datum conversion),
//! and its `Idempotency-Key` header with the body's fingerprint.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use wangge::cases::idempotency::{check_key, fingerprint};
use wangge::cases::submit::{NewCase, check, snap_radius};

// The input is the body and the key, separated by a NUL byte (which neither holds).
fuzz_target!(|data: &[u8]| {
    let (body, key) = match data.iter().position(|b| *b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    if let Ok(key) = std::str::from_utf8(key) {
        let _ = check_key(key);
    }
    let Ok(axum::Json(body)) = axum::Json::<Value>::from_bytes(body) else { return };
    assert_eq!(fingerprint(&body).len(), 32);
    let Ok(new) = serde_json::from_value::<NewCase>(body) else { return };
    if let Ok((lon, lat)) = check(&new) {
        assert!(lon.is_finite() && lat.is_finite(), "a checked point converts to a finite one");
        let radius = snap_radius(new.accuracy_m);
        assert!((10.0..=100.0).contains(&radius), "snap radius {radius}");
    }
});

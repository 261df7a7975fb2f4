//! Photo processing benchmark: a 12-megapixel phone-like JPEG (4000 × 3000, quality 92) through
//! `cases::photos::process` (content check, decode, downscale to 2000 px, JPEG and thumbnail
//! encode, hash), on one thread, as an upload is processed.
//!
//! `cargo bench --bench photos` prints the fastest and the median of the runs (wall time: on a
//! shared machine the fastest is the closest to the cost of a photo). Lines starting with
//! `bench:` are the figures `scripts/bench` gathers into its summary.
//!
//! Environment: `WANGGE_BENCH_RUNS` (9). Under `cargo test --benches` it does nothing.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::env_or;
use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};
use wangge::cases::photos::{DEFAULT_MAX_BYTES, process};

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("photos benchmark: run it with `cargo bench --bench photos` (skipped under cargo test)");
        return;
    }
    let runs: usize = env_or("WANGGE_BENCH_RUNS", 9);
    let upload = phone_photo(4000, 3000);
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let started = Instant::now();
            let photo = process(black_box(&upload), DEFAULT_MAX_BYTES).expect("a photo");
            let elapsed = started.elapsed();
            assert_eq!((photo.width, photo.height), (2000, 1500));
            elapsed
        })
        .collect();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "bench: photos 12 MP JPEG ({:.1} MB) to 2000 × 1500 and a thumbnail: {:.0} ms fastest, {:.0} ms median of {}",
        upload.len() as f64 / 1e6,
        ms(times[0]),
        ms(times[times.len() / 2]),
        times.len()
    );
}

/// Smooth shapes with sensor-like noise, so that the JPEG is as large as a phone's.
fn phone_photo(width: u32, height: u32) -> Vec<u8> {
    let mut state = 0x9E37_79B9_u32;
    let image = RgbImage::from_fn(width, height, |x, y| {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let noise = (state >> 28) as u8;
        let wave = ((x as f32 / 97.0).sin() * (y as f32 / 61.0).cos() * 90.0 + 128.0) as u8;
        Rgb([wave.wrapping_add(noise), (x * 255 / width) as u8 ^ noise, (y * 255 / height) as u8])
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 92).encode_image(&image).expect("encodes");
    out
}

//! In-process locate benchmark: the 2,000-community demo (about a million footprints, generated,
//! no database) in a `LocateIndex`, then millions of `locate(lon, lat, 30 m)` on one thread.
//!
//! `cargo bench --bench locate` prints the build time, lookups/s per core, ns/lookup and hit
//! rates for a 50/50 mix of points inside buildings (a random building's interior point) and
//! uniform random points over the demo's extent, then each kind alone, then all cores at once.
//! Lines starting with `bench:` are the figures `scripts/bench` gathers into its summary.
//!
//! The machine may be shared: besides wall time every run reads the thread's own CPU time
//! (`/proc/thread-self/stat`, 10 ms ticks), and "per core" figures are lookups per CPU-second,
//! so other processes taking the core do not count against the index.
//!
//! Environment: `WANGGE_BENCH_COMMUNITIES` (2000), `WANGGE_BENCH_LOOKUPS` (2000000),
//! `WANGGE_BENCH_SEED` (42). Under `cargo test --benches` (no `--bench` argument) it does nothing.

mod common;

use common::env_or;
use std::hint::black_box;
use std::time::{Duration, Instant};

use geo::{BoundingRect, InteriorPoint, Rect};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use wangge::demo::{DemoOptions, generate};
use wangge::spatial::locate::{Footprint, LocateIndex};

/// The radius the service locates with (`places::routes::LOCATE_RADIUS_M`).
const RADIUS_M: f64 = 30.0;
/// The figure the foundation issue asks for.
const AIM_PER_CORE: f64 = 1_000_000.0;

#[derive(Clone, Copy)]
enum Kind {
    Inside,
    Random,
}

#[derive(Clone, Copy)]
struct Sample {
    lon: f64,
    lat: f64,
    kind: Kind,
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("locate benchmark: run it with `cargo bench --bench locate` (skipped under cargo test)");
        return;
    }
    let communities: usize = env_or("WANGGE_BENCH_COMMUNITIES", 2000);
    let lookups: usize = env_or("WANGGE_BENCH_LOOKUPS", 2_000_000);
    let seed: u64 = env_or("WANGGE_BENCH_SEED", 42);

    let started = Instant::now();
    let dataset = generate(&DemoOptions { communities, seed: 42 });
    let generated = started.elapsed();
    let footprints: Vec<Footprint> = dataset
        .buildings
        .into_iter()
        .enumerate()
        .map(|(i, b)| Footprint { building_id: i as i64 + 1, polygon: b.footprint })
        .collect();
    println!(
        "demo: {communities} communities, {} buildings generated in {:.2} s",
        footprints.len(),
        generated.as_secs_f64()
    );

    let extent = footprints
        .iter()
        .filter_map(|f| f.polygon.bounding_rect())
        .reduce(|a, b| {
            Rect::new(
                (a.min().x.min(b.min().x), a.min().y.min(b.min().y)),
                (a.max().x.max(b.max().x), a.max().y.max(b.max().y)),
            )
        })
        .expect("the demo has buildings");
    println!(
        "extent: lon {:.4}..{:.4}, lat {:.4}..{:.4} (about {:.1} × {:.1} km)",
        extent.min().x,
        extent.max().x,
        extent.min().y,
        extent.max().y,
        extent.width() * 111.2 * extent.center().y.to_radians().cos(),
        extent.height() * 111.2
    );

    // The points, drawn before anything is timed: half a random building's interior point,
    // half uniform over the extent, interleaved at random.
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let samples: Vec<Sample> = (0..lookups)
        .map(|_| {
            if rng.random_bool(0.5) {
                let building = &footprints[rng.random_range(0..footprints.len())];
                let point = building.polygon.interior_point().expect("a footprint has an interior point");
                Sample { lon: point.x(), lat: point.y(), kind: Kind::Inside }
            } else {
                let lon = rng.random_range(extent.min().x..extent.max().x);
                let lat = rng.random_range(extent.min().y..extent.max().y);
                Sample { lon, lat, kind: Kind::Random }
            }
        })
        .collect();

    let buildings = footprints.len();
    let started = Instant::now();
    let index = LocateIndex::new(footprints);
    let built = started.elapsed();
    println!(
        "index: {} footprints built in {:.3} s ({:.0} footprints/s)",
        index.len(),
        built.as_secs_f64(),
        buildings as f64 / built.as_secs_f64()
    );
    println!("bench: locate index build ({} footprints): {:.3} s", index.len(), built.as_secs_f64());

    // Warm-up: touch the tree and the polygons once.
    black_box(run(&index, &samples[..samples.len().min(100_000)]));

    let mixed = run(&index, &samples);
    report("mixed 50/50", &mixed);
    let inside: Vec<Sample> = samples.iter().filter(|s| matches!(s.kind, Kind::Inside)).copied().collect();
    let random: Vec<Sample> = samples.iter().filter(|s| matches!(s.kind, Kind::Random)).copied().collect();
    let inside_run = run(&index, &inside);
    report("inside buildings", &inside_run);
    let random_run = run(&index, &random);
    report("random points", &random_run);

    // Every core at once, each on its own slice of the mixed points.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = Instant::now();
    let chunk = samples.len().div_ceil(threads);
    let runs: Vec<Run> = std::thread::scope(|scope| {
        let handles: Vec<_> = samples.chunks(chunk).map(|part| scope.spawn(|| run(&index, part))).collect();
        handles.into_iter().map(|h| h.join().expect("a lookup thread panicked")).collect()
    });
    let elapsed = started.elapsed();
    let cpu: Duration = runs.iter().map(Run::busy).sum();
    black_box(runs.iter().map(Run::hits).sum::<usize>());
    println!(
        "{threads} threads, mixed: {:.0} lookups/s in all (wall), {:.0} lookups per CPU-second",
        samples.len() as f64 / elapsed.as_secs_f64(),
        samples.len() as f64 / cpu.as_secs_f64()
    );

    let per_core = mixed.per_cpu_second();
    println!(
        "bench: locate mixed 50/50, 1 thread: {:.0} lookups/s per core, {:.0} ns/lookup of CPU time \
         ({:.0} lookups/s, {:.0} ns wall; the thread had the core {:.0} % of the time), hit rate {:.1} % ({} lookups)",
        per_core,
        mixed.cpu_ns_per_lookup(),
        mixed.per_second(),
        mixed.ns_per_lookup(),
        mixed.on_cpu() * 100.0,
        mixed.hit_rate() * 100.0,
        mixed.lookups
    );
    println!(
        "bench: locate inside-only {:.0} ns/lookup, random-only {:.0} ns/lookup of CPU time (hit rates {:.1} %, {:.1} %)",
        inside_run.cpu_ns_per_lookup(),
        random_run.cpu_ns_per_lookup(),
        inside_run.hit_rate() * 100.0,
        random_run.hit_rate() * 100.0
    );
    println!(
        "bench: locate {threads} threads: {:.0} lookups/s in all (wall, {})",
        samples.len() as f64 / elapsed.as_secs_f64(),
        load_average()
    );
    println!(
        "bench: locate aim ≥ {:.0} lookups/s per core: {}",
        AIM_PER_CORE,
        if per_core >= AIM_PER_CORE { "met" } else { "NOT met" }
    );
}

struct Run {
    lookups: usize,
    inside: usize,
    nearest: usize,
    elapsed: Duration,
    /// CPU time of the thread during the run, when /proc tells it.
    cpu: Option<Duration>,
}

/// CPU time (user + system) of the calling thread so far, from `/proc/thread-self/stat`.
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command name (which may hold spaces) in parentheses: state is field 3,
    // utime field 14 and stime field 15, in clock ticks (USER_HZ, 100 on Linux).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

impl Run {
    fn hits(&self) -> usize {
        self.inside + self.nearest
    }
    fn hit_rate(&self) -> f64 {
        self.hits() as f64 / self.lookups.max(1) as f64
    }
    fn per_second(&self) -> f64 {
        self.lookups as f64 / self.elapsed.as_secs_f64()
    }
    fn ns_per_lookup(&self) -> f64 {
        self.elapsed.as_nanos() as f64 / self.lookups.max(1) as f64
    }
    /// CPU time, or wall time where /proc does not tell.
    fn busy(&self) -> Duration {
        self.cpu.filter(|cpu| !cpu.is_zero()).unwrap_or(self.elapsed)
    }
    fn per_cpu_second(&self) -> f64 {
        self.lookups as f64 / self.busy().as_secs_f64()
    }
    fn cpu_ns_per_lookup(&self) -> f64 {
        self.busy().as_nanos() as f64 / self.lookups.max(1) as f64
    }
    /// Share of the wall time the thread was on a core.
    fn on_cpu(&self) -> f64 {
        (self.busy().as_secs_f64() / self.elapsed.as_secs_f64()).min(1.0)
    }
}

fn run(index: &LocateIndex, samples: &[Sample]) -> Run {
    let (mut inside, mut nearest) = (0, 0);
    let cpu_before = thread_cpu_time();
    let started = Instant::now();
    for s in samples {
        match black_box(index.locate(black_box(s.lon), black_box(s.lat), RADIUS_M)) {
            Some(hit) if hit.distance_m == 0.0 => inside += 1,
            Some(_) => nearest += 1,
            None => {}
        }
    }
    let elapsed = started.elapsed();
    let cpu = thread_cpu_time().zip(cpu_before).map(|(after, before)| after.saturating_sub(before));
    Run { lookups: samples.len(), inside, nearest, elapsed, cpu }
}

fn report(name: &str, run: &Run) {
    println!(
        "{name:<17} {:>9} lookups in {:.3} s wall, {:.2} s CPU: {:>9.0} lookups/s per core, {:>6.0} ns/lookup \
         (wall {:.0} ns); inside {:.1} %, nearest ≤ {RADIUS_M} m {:.1} %, none {:.1} %",
        run.lookups,
        run.elapsed.as_secs_f64(),
        run.busy().as_secs_f64(),
        run.per_cpu_second(),
        run.cpu_ns_per_lookup(),
        run.ns_per_lookup(),
        run.inside as f64 * 100.0 / run.lookups.max(1) as f64,
        run.nearest as f64 * 100.0 / run.lookups.max(1) as f64,
        (run.lookups - run.hits()) as f64 * 100.0 / run.lookups.max(1) as f64,
    );
}

/// The machine's load average, to read the wall-clock figures by.
fn load_average() -> String {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let first: Vec<&str> = load.split_whitespace().take(3).collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("load average {} on {cores} cores", first.join(" "))
}

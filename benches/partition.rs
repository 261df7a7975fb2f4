//! Partitions every community of the demo city (`wangge demo`'s generator, default 2,000
//! communities, about 1M buildings) and prints per-community time (p50, p90, p99, max), the
//! whole-city wall time on all cores and the grids' figures:
//! `cargo bench --bench partition -- [communities] [threads]`.
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use wangge::demo::{DemoOptions, generate};
use wangge::grids::partition::{Bounds, Plan, Status, dataset, partition};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let communities: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(2000);
    let threads: usize = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));

    let started = Instant::now();
    let data = generate(&DemoOptions { communities, seed: 42 });
    let generated = started.elapsed();
    let started = Instant::now();
    let requests = dataset::requests(&data, Bounds::default(), 1);
    println!(
        "demo city: {} communities, {} buildings, {} roads (generated in {:.1} s, requests built in {:.1} s)",
        requests.len(),
        data.buildings.len(),
        data.roads.len(),
        generated.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    drop(data);

    let bar = ProgressBar::new(requests.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} communities, {elapsed_precise} (eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, f64, Plan)>> = Mutex::new(Vec::with_capacity(requests.len()));
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(community) = requests.get(index) else { break };
                    let one = Instant::now();
                    let plan = partition(&community.request).expect("demo requests are valid");
                    let ms = one.elapsed().as_secs_f64() * 1e3;
                    results.lock().expect("no thread panicked").push((index, ms, plan));
                    bar.inc(1);
                }
            });
        }
    });
    let wall = started.elapsed();
    bar.finish_and_clear();

    let results = results.into_inner().expect("no thread panicked");
    let mut times: Vec<f64> = results.iter().map(|r| r.1).collect();
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times.get(((times.len().max(1) - 1) as f64 * q).round() as usize).copied().unwrap_or(0.0);
    println!(
        "per community: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms (sum {:.1} s)",
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0),
        times.iter().sum::<f64>() / 1e3
    );
    println!("whole city: {:.1} s wall on {threads} thread(s)", wall.as_secs_f64());

    let grids: Vec<_> = results.iter().flat_map(|r| r.2.grids.iter()).collect();
    let within = grids.iter().filter(|g| g.status == Status::Within).count();
    let connected = grids.iter().filter(|g| g.connected).count();
    let feasible = results.iter().filter(|r| r.2.feasible).count();
    let mut households: Vec<u32> = grids.iter().map(|g| g.households).collect();
    households.sort_unstable();
    let pp = grids.iter().map(|g| g.polsby_popper).sum::<f64>() / grids.len().max(1) as f64;
    println!(
        "{} grids: {within} within bounds ({:.2} %), {connected} connected; households min {} / median {} / max {}; mean Polsby-Popper {pp:.3}; {feasible} of {} communities feasible",
        grids.len(),
        100.0 * within as f64 / grids.len().max(1) as f64,
        households.first().copied().unwrap_or(0),
        households.get(households.len() / 2).copied().unwrap_or(0),
        households.last().copied().unwrap_or(0),
        results.len()
    );
    for (index, _, plan) in results.iter().filter(|r| !r.2.feasible).take(5) {
        let first = plan.explanation.as_deref().and_then(|e| e.lines().next()).unwrap_or("");
        println!("  {}: {first}", requests[*index].community);
    }
}

//! HTTP benchmark over loopback against a running `wangge serve` (`WANGGE_BENCH_URL`, e.g.
//! `http://127.0.0.1:8090`): `GET /api/v1/locate` at random points of random communities and
//! `GET /tiles/buildings/15/{x}/{y}.mvt` for the z15 tiles under such points, first one request
//! at a time on one keep-alive connection, then from concurrent clients (a connection each).
//! Prints p50/p90/p99/max latency, requests/s and the mean tile size; lines starting with
//! `bench:` are the figures `scripts/bench` gathers into its summary.
//!
//! Environment: `WANGGE_BENCH_URL` (required; loopback addresses only), `WANGGE_BENCH_REQUESTS`
//! (2000 per run), `WANGGE_BENCH_CLIENTS` (8), `WANGGE_BENCH_SEED` (42),
//! `WANGGE_BENCH_MAX_SECS` (300: a run stops sending after that long). When the service wants a
//! signed-in user: `WANGGE_BENCH_TOKEN` (sent as `Authorization: Bearer`), or
//! `WANGGE_BENCH_USER` and `WANGGE_BENCH_PASSWORD` (signed in with `POST /api/v1/session`).
//! Under `cargo test --benches` (no `--bench` argument) it does nothing.

#[path = "common/client.rs"]
mod client;
mod common;

use std::time::{Duration, Instant};

use client::{Client, Error, Target, percentile, sign_in, target};
use common::env_or;
use hyper::StatusCode;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use wangge::spatial::tile::TileId;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("http benchmark: run it with `WANGGE_BENCH_URL=http://127.0.0.1:PORT cargo bench --bench http`");
        return;
    }
    let Ok(url) = std::env::var("WANGGE_BENCH_URL") else {
        println!("http benchmark skipped: set WANGGE_BENCH_URL to a running service, e.g. http://127.0.0.1:8090");
        return;
    };
    // One thread of client: the service under test gets the rest of the machine.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    if let Err(error) = runtime.block_on(bench(&url)) {
        eprintln!("http benchmark failed: {error}");
        std::process::exit(1);
    }
}

/// A community's [min lon, min lat, max lon, max lat].
type Bbox = [f64; 4];

async fn bench(url: &str) -> Result<(), Error> {
    let requests: usize = env_or("WANGGE_BENCH_REQUESTS", 2000);
    let clients: usize = env_or::<usize>("WANGGE_BENCH_CLIENTS", 8).max(1);
    let seed: u64 = env_or("WANGGE_BENCH_SEED", 42);
    let max_run = Duration::from_secs(env_or("WANGGE_BENCH_MAX_SECS", 300));
    let mut target = target(url).await?;
    target.authorization = sign_in(&target).await?;

    let mut client = Client::connect(&target).await?;
    let started = Instant::now();
    let (status, body) = client.get("/api/v1/communities").await?;
    if status != StatusCode::OK {
        let hint = if status == StatusCode::UNAUTHORIZED {
            " (set WANGGE_BENCH_USER and WANGGE_BENCH_PASSWORD, or WANGGE_BENCH_TOKEN)"
        } else {
            ""
        };
        return Err(format!("/api/v1/communities answered {status}{hint}: {}", String::from_utf8_lossy(&body)).into());
    }
    let list: serde_json::Value = serde_json::from_slice(&body)?;
    let mut buildings = 0;
    let communities: Vec<Bbox> = list["communities"]
        .as_array()
        .ok_or("/api/v1/communities has no communities array")?
        .iter()
        .filter(|c| c["buildings"].as_i64().unwrap_or(0) > 0)
        .filter_map(|c| {
            buildings += c["buildings"].as_i64().unwrap_or(0);
            let b = c["bbox"].as_array()?;
            let v: Vec<f64> = b.iter().filter_map(serde_json::Value::as_f64).collect();
            <[f64; 4]>::try_from(v).ok()
        })
        .collect();
    if communities.is_empty() {
        return Err("the service has no community with buildings: load the demo first".into());
    }
    let extent = communities.iter().fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |e, b| {
        [e[0].min(b[0]), e[1].min(b[1]), e[2].max(b[2]), e[3].max(b[3])]
    });
    println!(
        "service {url}: {} communities with {buildings} buildings, extent lon {:.4}..{:.4} lat {:.4}..{:.4}; \
         /api/v1/communities took {:.0} ms ({} KiB)",
        communities.len(),
        extent[0],
        extent[2],
        extent[1],
        extent[3],
        started.elapsed().as_secs_f64() * 1e3,
        body.len() / 1024
    );
    println!(
        "{requests} requests per run; sequential = 1 keep-alive connection, concurrent = {clients} clients \
         with a connection each; the client runs on one thread"
    );

    // A point drawn uniformly in the bbox of a community drawn uniformly.
    let points = |seed: u64| -> Vec<(f64, f64)> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..requests)
            .map(|_| {
                let b = communities[rng.random_range(0..communities.len())];
                (rng.random_range(b[0]..=b[2]), rng.random_range(b[1]..=b[3]))
            })
            .collect()
    };
    let locate_paths = |seed| -> Vec<String> {
        points(seed).into_iter().map(|(lon, lat)| format!("/api/v1/locate?lon={lon:.7}&lat={lat:.7}")).collect()
    };
    let tile_paths = |seed| -> Vec<String> {
        points(seed)
            .into_iter()
            .map(|(lon, lat)| {
                let t = TileId::containing(lon, lat, 15);
                format!("/tiles/buildings/15/{}/{}.mvt", t.x, t.y)
            })
            .collect()
    };

    // Warm-up, not counted: the connection, the service's pool, the first plans.
    for path in locate_paths(seed ^ 0xffff).iter().chain(tile_paths(seed ^ 0xfffe).iter()).take(40) {
        client.get(path).await?;
    }
    drop(client);

    let mut failed = 0;
    let runs = [
        ("locate", "sequential", locate_paths(seed), 1),
        ("locate", "concurrent", locate_paths(seed + 1), clients),
        ("tile z15", "sequential", tile_paths(seed + 2), 1),
        ("tile z15", "concurrent", tile_paths(seed + 3), clients),
    ];
    for (what, mode, paths, clients) in runs {
        let run = run(&target, paths, clients, max_run).await?;
        failed += run.errors.len();
        run.report(what, mode, clients);
    }
    if failed > 0 {
        return Err(format!("{failed} requests failed").into());
    }
    Ok(())
}

/// One request's outcome.
struct Outcome {
    latency: Duration,
    status: StatusCode,
    size: usize,
    inside: bool,
}

struct Run {
    outcomes: Vec<Outcome>,
    errors: Vec<String>,
    elapsed: Duration,
    cut_short: bool,
}

/// Sends `paths` from `clients` clients, each taking every `clients`-th path in turn.
async fn run(target: &Target, paths: Vec<String>, clients: usize, max_run: Duration) -> Result<Run, Error> {
    let paths = std::sync::Arc::new(paths);
    let mut connections = Vec::with_capacity(clients);
    for _ in 0..clients {
        connections.push(Client::connect(target).await?);
    }
    let started = Instant::now();
    let deadline = started + max_run;
    let tasks: Vec<_> = connections
        .into_iter()
        .enumerate()
        .map(|(k, mut client)| {
            let paths = paths.clone();
            tokio::spawn(async move {
                let (mut outcomes, mut errors, mut cut_short) = (Vec::new(), Vec::new(), false);
                for path in paths.iter().skip(k).step_by(clients) {
                    if Instant::now() >= deadline {
                        cut_short = true;
                        break;
                    }
                    let sent = Instant::now();
                    match client.get(path).await {
                        Ok((status, body)) if status == StatusCode::OK || status == StatusCode::NOT_FOUND => {
                            let inside = body.windows(16).any(|w| w == br#""match":"inside""#);
                            outcomes.push(Outcome { latency: sent.elapsed(), status, size: body.len(), inside });
                        }
                        Ok((status, body)) => {
                            errors.push(format!("GET {path}: {status} {}", String::from_utf8_lossy(&body)));
                        }
                        Err(error) => {
                            errors.push(format!("GET {path}: {error}"));
                            break; // the connection is gone
                        }
                    }
                }
                (outcomes, errors, cut_short)
            })
        })
        .collect();
    let mut run = Run { outcomes: Vec::new(), errors: Vec::new(), elapsed: Duration::ZERO, cut_short: false };
    for task in tasks {
        let (outcomes, errors, cut_short) = task.await?;
        run.outcomes.extend(outcomes);
        run.errors.extend(errors);
        run.cut_short |= cut_short;
    }
    run.elapsed = started.elapsed();
    Ok(run)
}

impl Run {
    fn report(&self, what: &str, mode: &str, clients: usize) {
        let n = self.outcomes.len();
        let mut latencies: Vec<Duration> = self.outcomes.iter().map(|o| o.latency).collect();
        latencies.sort_unstable();
        let pct = |p: f64| percentile(&latencies, p);
        let rate = n as f64 / self.elapsed.as_secs_f64();
        let ok = self.outcomes.iter().filter(|o| o.status == StatusCode::OK).count();
        let detail = if what == "locate" {
            let inside = self.outcomes.iter().filter(|o| o.inside).count();
            format!("200 {ok} (inside {inside}, nearest {}), 404 nothing_here {}", ok - inside, n - ok)
        } else {
            let sizes: Vec<usize> = self.outcomes.iter().map(|o| o.size).collect();
            let total: usize = sizes.iter().sum();
            let empty = sizes.iter().filter(|&&s| s == 0).count();
            format!(
                "mean tile {:.1} KiB, largest {:.1} KiB, empty {empty}",
                total as f64 / n.max(1) as f64 / 1024.0,
                sizes.iter().max().copied().unwrap_or(0) as f64 / 1024.0
            )
        };
        let label = format!("{what}, {mode} ({clients} conn.)");
        println!(
            "{label:<34} {n:>5} req in {:>6.2} s: {rate:>7.1} req/s; ms p50 {:.2} p90 {:.2} p99 {:.2} max {:.2}; {detail}{}{}",
            self.elapsed.as_secs_f64(),
            pct(50.0),
            pct(90.0),
            pct(99.0),
            pct(100.0),
            if self.errors.is_empty() { String::new() } else { format!("; {} FAILED", self.errors.len()) },
            if self.cut_short { "; cut short by WANGGE_BENCH_MAX_SECS" } else { "" },
        );
        println!(
            "bench: http {label}: {rate:.0} req/s, p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {detail}",
            pct(50.0),
            pct(90.0),
            pct(99.0),
            pct(100.0)
        );
        for error in self.errors.iter().take(5) {
            eprintln!("  {error}");
        }
    }
}

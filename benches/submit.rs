//! Case submissions over loopback against a running `wangge serve` (`WANGGE_BENCH_URL`), signed
//! in as an inspector or administrator of the demo (`WANGGE_BENCH_USER`, `WANGGE_BENCH_PASSWORD`;
//! start the service with `WANGGE_SUBMIT_RATE=1000000/min`, or the per-user rate limit is what
//! gets measured). Each submission is a `POST /api/v1/cases` at a building of the user's area
//! with its own `Idempotency-Key`: located, snapped, routed, dispatched and committed (durable:
//! the cluster's default `synchronous_commit`).
//!
//! 1. Sustained: `WANGGE_BENCH_CASES` (2000) submissions from `WANGGE_BENCH_CLIENTS` (16)
//!    clients; cases/s and p50/p90/p99/max latency.
//! 2. Retries: `WANGGE_BENCH_RETRIED` (200) submissions, each sent `WANGGE_BENCH_COPIES` (4)
//!    times at once on as many connections, as a phone retrying on a flaky network would; then
//!    every answer's case id is compared and each case read back. Prints the duplicates (a key
//!    answered with two case ids) and losses (a key never answered with a case, or a case that
//!    cannot be read): both must be 0.
//!
//! Lines starting with `bench:` are the figures. Under `cargo test --benches` it does nothing.

#[path = "common/client.rs"]
mod client;
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use client::{Client, Error, Target, percentile, sign_in, target};
use common::env_or;
use hyper::{Request, StatusCode};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

/// Categories filed, none private (a dispute's location is kept from most readers).
const CATEGORIES: [&str; 6] = [
    "sanitation.exposed_garbage",
    "sanitation.corridor_clutter",
    "facilities.street_light",
    "safety.fire_lane",
    "order.noise",
    "property.service",
];

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("submit benchmark: run it with `WANGGE_BENCH_URL=http://127.0.0.1:PORT cargo bench --bench submit`");
        return;
    }
    let Ok(url) = std::env::var("WANGGE_BENCH_URL") else {
        println!("submit benchmark skipped: set WANGGE_BENCH_URL to a running service, e.g. http://127.0.0.1:8090");
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    if let Err(error) = runtime.block_on(bench(&url)) {
        eprintln!("submit benchmark failed: {error}");
        std::process::exit(1);
    }
}

/// A submission: its key and body.
struct Submission {
    key: String,
    body: String,
}

/// One answer: which key, how long, and the case id of a 201.
struct Answer {
    key: usize,
    latency: Duration,
    case: Option<i64>,
}

async fn bench(url: &str) -> Result<(), Error> {
    let cases: usize = env_or("WANGGE_BENCH_CASES", 2000);
    let clients: usize = env_or::<usize>("WANGGE_BENCH_CLIENTS", 16).max(1);
    let retried: usize = env_or("WANGGE_BENCH_RETRIED", 200);
    let copies: usize = env_or::<usize>("WANGGE_BENCH_COPIES", 4).max(2);
    let seed: u64 = env_or("WANGGE_BENCH_SEED", 42);
    let mut target = target(url).await?;
    target.authorization = Some(sign_in(&target).await?.ok_or("set WANGGE_BENCH_USER and WANGGE_BENCH_PASSWORD (an inspector or administrator)")?);

    let points = building_points(&target).await?;
    println!("{} buildings of the user's area to file at; {cases} cases from {clients} clients, then {retried} cases sent {copies} times at once", points.len());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let run = format!("bench-{seed}-{}", std::process::id());
    let mut submissions = |n: usize, label: &str| -> Vec<Submission> {
        (0..n)
            .map(|i| {
                let (lon, lat) = points[rng.random_range(0..points.len())];
                let category = CATEGORIES[rng.random_range(0..CATEGORIES.len())];
                let body = json!({ "lon": lon, "lat": lat, "category": category, "description": format!("{label} {i}") });
                Submission { key: format!("{run}-{label}-{i}"), body: body.to_string() }
            })
            .collect()
    };

    // Warm-up, not counted: connections, the service's pool, prepared statements.
    let warm = submissions(20, "warm-up");
    send_all(&target, Arc::new(warm), (0..20).collect(), 4).await?;

    let sustained = Arc::new(submissions(cases, "sustained"));
    let started = Instant::now();
    let answers = send_all(&target, sustained.clone(), (0..cases).collect(), clients).await?;
    let elapsed = started.elapsed();
    let mut latencies: Vec<Duration> = answers.iter().map(|a| a.latency).collect();
    latencies.sort_unstable();
    let filed = answers.iter().filter(|a| a.case.is_some()).count();
    let rate = filed as f64 / elapsed.as_secs_f64();
    println!(
        "bench: submit sustained ({clients} clients): {filed} cases in {:.2} s: {rate:.0} cases/s; p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        elapsed.as_secs_f64(),
        percentile(&latencies, 50.0),
        percentile(&latencies, 90.0),
        percentile(&latencies, 99.0),
        percentile(&latencies, 100.0),
    );

    // Every key sent `copies` times, the copies of a key next to each other in the order, so
    // that they are in flight on different connections at once.
    let retries = Arc::new(submissions(retried, "retried"));
    let order: Vec<usize> = (0..retried).flat_map(|k| std::iter::repeat_n(k, copies)).collect();
    let answers = send_all(&target, retries.clone(), order, copies.max(clients)).await?;
    let mut ids: BTreeMap<usize, BTreeSet<i64>> = BTreeMap::new();
    for answer in &answers {
        if let Some(case) = answer.case {
            ids.entry(answer.key).or_default().insert(case);
        }
    }
    let duplicates = ids.values().filter(|set| set.len() > 1).count();
    let mut losses = retried - ids.len();
    let mut reader = Client::connect(&target).await?;
    for case in ids.values().flatten() {
        let (status, _) = reader.get(&format!("/api/v1/cases/{case}")).await?;
        if status != StatusCode::OK {
            losses += 1;
        }
    }
    println!(
        "bench: submit retried ({copies} copies at once of {retried} cases): {} answers, duplicates {duplicates}, losses {losses}",
        answers.len()
    );
    if duplicates + losses > 0 {
        return Err(format!("{duplicates} duplicates and {losses} losses").into());
    }
    Ok(())
}

/// A point in each building (the mean of its outer ring) of the communities the user sees.
async fn building_points(target: &Target) -> Result<Vec<(f64, f64)>, Error> {
    let mut client = Client::connect(target).await?;
    let (status, body) = client.get("/api/v1/communities").await?;
    if status != StatusCode::OK {
        return Err(format!("/api/v1/communities answered {status}: {}", String::from_utf8_lossy(&body)).into());
    }
    let list: Value = serde_json::from_slice(&body)?;
    let mut points = Vec::new();
    for community in list["communities"].as_array().ok_or("no communities array")? {
        let b: Vec<f64> = community["bbox"].as_array().map(|b| b.iter().filter_map(Value::as_f64).collect()).unwrap_or_default();
        if b.len() != 4 || b[2] - b[0] > 0.1 || b[3] - b[1] > 0.1 {
            continue;
        }
        let (status, body) = client.get(&format!("/api/v1/buildings?bbox={},{},{},{}&limit=1000", b[0], b[1], b[2], b[3])).await?;
        if status != StatusCode::OK {
            return Err(format!("/api/v1/buildings answered {status}: {}", String::from_utf8_lossy(&body)).into());
        }
        let buildings: Value = serde_json::from_slice(&body)?;
        for feature in buildings["features"].as_array().into_iter().flatten() {
            let ring = &feature["geometry"]["coordinates"][0][0];
            let vertices: Vec<(f64, f64)> =
                ring.as_array().into_iter().flatten().filter_map(|p| Some((p[0].as_f64()?, p[1].as_f64()?))).collect();
            if let Some(n) = Some(vertices.len()).filter(|&n| n > 0) {
                let (x, y) = vertices.iter().fold((0.0, 0.0), |(x, y), (a, b)| (x + a, y + b));
                points.push((x / n as f64, y / n as f64));
            }
        }
    }
    if points.is_empty() {
        return Err("no building in the user's area: load the demo and sign in as its inspector or administrator".into());
    }
    Ok(points)
}

/// Sends `submissions[k]` for each `k` of `order` from `clients` connections, each taking the
/// next one from a shared queue; every answer must be a 201 (or an idempotent replay of one).
async fn send_all(target: &Target, submissions: Arc<Vec<Submission>>, order: Vec<usize>, clients: usize) -> Result<Vec<Answer>, Error> {
    let queue = Arc::new(std::sync::Mutex::new(order.into_iter()));
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let mut client = Client::connect(target).await?;
        let (queue, submissions) = (queue.clone(), submissions.clone());
        tasks.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            loop {
                let Some(key) = queue.lock().expect("the queue").next() else { break };
                let submission = &submissions[key];
                let sent = Instant::now();
                let (status, body) = loop {
                    let request = Request::post("/api/v1/cases").header("idempotency-key", &submission.key);
                    let (status, body) = client.send(request, "/api/v1/cases", submission.body.clone().into()).await?;
                    // The first copy is still being filed: a phone would retry, and so does this.
                    if status != StatusCode::CONFLICT {
                        break (status, body);
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                };
                let latency = sent.elapsed();
                if status != StatusCode::CREATED {
                    return Err::<_, Error>(format!("POST /api/v1/cases: {status} {}", String::from_utf8_lossy(&body)).into());
                }
                let case = serde_json::from_slice::<Value>(&body)?["id"].as_i64();
                answers.push(Answer { key, latency, case });
            }
            Ok(answers)
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.extend(task.await??);
    }
    Ok(answers)
}

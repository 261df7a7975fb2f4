//! What each subcommand does: open the database (embedded or by URL), do the work, close it.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use sqlx::PgPool;

use crate::audit::Actor;
use crate::auth::accounts::{self, NewUser};
use crate::auth::role::{AreaSpec, Role};
use crate::auth::routes::SessionSettings;
use crate::config::{Cli, Command, DemoArgs, ImportCommand, ServeArgs, SimulateArgs, TargetArgs, UserCommand};
use crate::db::Database;
use crate::db::cluster::Access;
use crate::import::dataset::Dataset;
use crate::import::geojson::{FeatureKind, GeojsonOptions};
use crate::import::{self, Summary, Target};
use crate::places::index::BuildingIndex;
use crate::cases::history;
use crate::{demo, http, places};

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let access = match cli.command {
        Command::Serve(_) => Access::Owner,
        _ => Access::OwnerOrGuest,
    };
    // Parse files before starting a database, so a bad file fails fast.
    let reading = Instant::now();
    let datasets = match &cli.command {
        Command::Import(command) => read_import(command).await?,
        _ => Vec::new(),
    };
    let read_time = reading.elapsed();
    let database = Database::open(&cli.database, access).await?;
    // Import speed counts reading and storing, not starting the database.
    let started = Instant::now().checked_sub(read_time).unwrap_or_else(Instant::now);
    let result = match cli.command {
        Command::Serve(args) => serve(&database.pool, &cli.database.data_dir, args).await,
        Command::Migrate => {
            println!("migrations applied");
            Ok(())
        }
        Command::Import(ImportCommand::Households { file }) => import::households::import(&database.pool, &file)
            .await
            .map(|summary| print!("{summary}"))
            .map_err(Into::into),
        Command::Import(command) => store(&database.pool, &datasets, target(&command), started).await,
        Command::Demo(args) => load_demo(&database.pool, &args).await.map(|summary| {
            print!("{summary}");
            print_rate(&[summary], started);
        }),
        Command::Simulate(args) => simulate(&database.pool, &cli.database.data_dir, &args).await,
        Command::User(UserCommand::Add { name, role, areas, organisation, .. }) => {
            add_user(&database.pool, NewUser { username: name, role, password: String::new(), areas, organisation }).await
        }
        Command::Grids(command) => crate::grids::cli::run(&database.pool, command).await,
        Command::Open311(command) => crate::open311::cli::run(&database.pool, command).await,
    };
    database.close().await;
    result
}

async fn read_import(command: &ImportCommand) -> anyhow::Result<Vec<Dataset>> {
    let command = command.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<Dataset>> {
        let mut datasets = Vec::new();
        match &command {
            ImportCommand::Osm { file, admin_level, estimate, target } => {
                datasets.extend(communities_file(target)?);
                let options = import::osm::OsmOptions { admin_level: *admin_level, estimate: estimate.to_estimate()? };
                let progress = import::progress_bar();
                datasets.push(import::osm::read_osm(file, &options, &progress)?);
                progress.finish_and_clear();
            }
            ImportCommand::Geojson { file, crs, target } => {
                datasets.extend(communities_file(target)?);
                datasets.push(import::geojson::read_file(file, &GeojsonOptions { crs: *crs, only: None })?);
            }
            ImportCommand::Households { .. } => {}
        }
        Ok(datasets)
    })
    .await?
}

/// `--communities FILE`: its polygons, imported as communities before the buildings.
fn communities_file(target: &TargetArgs) -> anyhow::Result<Option<Dataset>> {
    let Some(path) = &target.communities else { return Ok(None) };
    let options = GeojsonOptions { only: Some(FeatureKind::Community), ..GeojsonOptions::default() };
    Ok(Some(import::geojson::read_file(path, &options)?))
}

fn target(command: &ImportCommand) -> Target {
    let args = match command {
        ImportCommand::Osm { target, .. } | ImportCommand::Geojson { target, .. } => target.clone(),
        ImportCommand::Households { .. } => TargetArgs { district: String::new(), communities: None, community: None },
    };
    Target { district: args.district, community: args.community }
}

async fn store(pool: &PgPool, datasets: &[Dataset], target: Target, started: Instant) -> anyhow::Result<()> {
    let progress = import::progress_bar();
    let summaries = import::store(pool, datasets, &target, &progress).await?;
    for summary in &summaries {
        print!("{summary}");
    }
    print_rate(&summaries, started);
    Ok(())
}

/// The import's speed, from reading the file to commit: the figure the import benchmark reports.
fn print_rate(summaries: &[Summary], started: Instant) {
    let buildings: i64 =
        summaries.iter().map(|s| s.buildings.inserted + s.buildings.updated + s.buildings.unchanged).sum();
    let seconds = started.elapsed().as_secs_f64();
    println!("{buildings} buildings in {seconds:.1} s ({:.0} buildings/s)", buildings as f64 / seconds.max(1e-9));
}

pub async fn load_demo(pool: &PgPool, args: &DemoArgs) -> anyhow::Result<Summary> {
    let options = demo::DemoOptions { communities: args.communities, seed: args.seed };
    let dataset = tokio::task::spawn_blocking(move || demo::generate(&options)).await?;
    let target = Target { district: demo_fallback_district(), community: None };
    let mut summaries = import::store(pool, std::slice::from_ref(&dataset), &target, &import::progress_bar()).await?;
    summaries.pop().context("the demo import returned no summary")
}

/// The demo names a sub-district for each of its communities; this one is never used.
fn demo_fallback_district() -> String {
    "示范街道".to_owned()
}

async fn serve(pool: &PgPool, data_dir: &Path, args: ServeArgs) -> anyhow::Result<()> {
    let buildings = Arc::new(BuildingIndex::default());
    let photos = args.photos(data_dir);
    std::fs::create_dir_all(&photos.dir)
        .with_context(|| format!("creating the photo directory {}", photos.dir.display()))?;
    let cases = Arc::new(args.case_settings());
    if args.load_demo && places::store::community_count(pool).await? == 0 {
        tracing::info!("the database has no community yet: loading the demo sub-district");
        let summary = load_demo(pool, &DemoArgs { communities: 6, seed: 42 }).await?;
        eprint!("{summary}");
        let units = crate::units::demo::seed(pool).await.context("seeding the demo's grids and responsible units")?;
        eprintln!(
            "demo: {} plans published, {} people, {} assignments (see /units.html)",
            units.plans, units.people, units.assignments
        );
        let accounts = create_demo_accounts(pool).await?;
        buildings.reload(pool).await?;
        let admin = history::administrator(pool, "demo_admin").await?;
        let filed = history::generate(pool, &buildings.get(), &cases, &photos.dir, &admin, DEMO_HISTORY).await?;
        eprintln!("demo: {filed} cases over the past {} days (see /leaders.html)", DEMO_HISTORY.days);
        print_demo_accounts(&accounts);
    }
    buildings.reload(pool).await?;
    let interrupted = crate::grids::plans::jobs::interrupt_stale(pool).await?;
    if interrupted > 0 {
        tracing::warn!(interrupted, "plan jobs of a previous run were left unfinished");
    }
    let follower = buildings.clone().follow_imports(pool.clone());
    check_web_dir(&args.web_dir);
    let sessions = SessionSettings { hours: args.session_hours, secure_cookie: !args.insecure_cookie };
    let limits = Arc::new(http::limit::Limits::new(args.limits()));
    let upkeep = limits.clone().spawn_upkeep();
    // Cases a previous run filed but did not settle (it stopped first).
    let dead_spots = crate::cases::dead_spots::Settler::new(pool.clone());
    crate::cases::dead_spots::settle_all(pool, None).await.context("settling the dead spots left pending")?;
    let snapshots = spawn_ranking_snapshots(pool.clone(), args.ranking_weights);
    let folding = crate::leaders::tallies::spawn_folding(pool.clone());
    let state = http::AppState { pool: pool.clone(), buildings, sessions, limits, cases, ranking: args.ranking_weights, photos, dead_spots };
    let app = http::router(state, &args.web_dir, args.body_limit);
    let listener =
        tokio::net::TcpListener::bind(args.listen).await.with_context(|| format!("listening on {}", args.listen))?;
    let address = listener.local_addr()?;
    let shutdown = http::shutdown_signal().context("installing the signal handlers")?;
    println!("Wangge listening on http://{address}");
    let served = http::serve(listener, app, shutdown).await.context("serving HTTP");
    follower.abort();
    upkeep.abort();
    snapshots.abort();
    folding.abort();
    served
}

/// Stores each sub-district's ranking once its month is over, at start and then every hour.
fn spawn_ranking_snapshots(pool: PgPool, weights: crate::leaders::ranking::Weights) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            hourly.tick().await;
            let today = (chrono::Utc::now() + chrono::TimeDelta::hours(8)).date_naive();
            match crate::leaders::store::snapshot_rankings(&pool, &weights, today).await {
                Ok(0) => {}
                Ok(stored) => tracing::info!(stored, "monthly rankings stored"),
                Err(error) => tracing::warn!(?error, "storing the monthly rankings"),
            }
        }
    })
}

/// The demo's cases: a few a day over a quarter, enough for the heatmap, the slider and three
/// monthly rankings, few enough to load in seconds.
const DEMO_HISTORY: history::Options = history::Options { cases: 400, days: 90, seed: 42 };

/// `wangge simulate`: a history of cases filed by an administrator over their area, and the time
/// it took.
async fn simulate(pool: &PgPool, data_dir: &Path, args: &SimulateArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    if args.bulk {
        let options = crate::cases::bulk::Options { cases: args.cases, days: args.days, seed: args.seed, scope: None };
        let bar = indicatif::ProgressBar::new(args.cases as u64);
        let written = crate::cases::bulk::generate(pool, &options, chrono::Utc::now(), |n| bar.set_position(n as u64)).await?;
        bar.finish_and_clear();
        println!("{written} cases written in bulk over {} days in {:.1} s", args.days, started.elapsed().as_secs_f64());
        let started = Instant::now();
        let folded = crate::leaders::tallies::fold(pool).await?;
        println!("{folded} daily tallies updated in {:.1} s", started.elapsed().as_secs_f64());
        if args.measure > 0 {
            let district: i64 = sqlx::query_scalar("select district_id from cases group by 1 order by count(*) desc, 1 limit 1").fetch_one(pool).await?;
            let scope: Vec<i64> = sqlx::query_scalar("select id from communities where district_id = $1 order by id").bind(district).fetch_all(pool).await?;
            measure_leaders(pool, district, &scope, args.measure, args.seed).await?;
        }
        return Ok(());
    }
    let buildings = BuildingIndex::default();
    buildings.reload(pool).await?;
    let photo_dir = args.photo_dir.clone().unwrap_or_else(|| data_dir.join("photos"));
    std::fs::create_dir_all(&photo_dir).with_context(|| format!("creating the photo directory {}", photo_dir.display()))?;
    let admin = history::administrator(pool, &args.user).await?;
    let options = history::Options { cases: args.cases, days: args.days, seed: args.seed };
    let filed = history::generate(pool, &buildings.get(), &Default::default(), &photo_dir, &admin, options).await?;
    println!("{filed} cases filed over {} days in {:.1} s", args.days, started.elapsed().as_secs_f64());
    if args.measure > 0 {
        let district: i64 = sqlx::query_scalar("select district_id from communities where id = any($1) order by id limit 1")
            .bind(&admin.communities)
            .fetch_one(pool)
            .await?;
        measure_leaders(pool, district, &admin.communities, args.measure, args.seed).await?;
    }
    Ok(())
}

/// Times what the leaders' page asks most: the heatmap (200 m hexagons) and the indicators of
/// random week-long and month-long periods of the past 90 days over a sub-district (seen by a
/// leader of `scope`), that sub-district's indicators over the 90 days, and its ranking of last
/// month computed afresh; and the whole city's indicators for last month.
/// Prints nearest-rank p50 and p99.
async fn measure_leaders(pool: &PgPool, district: i64, scope: &[i64], runs: usize, seed: u64) -> anyhow::Result<()> {
    use crate::leaders::{map, store};
    use rand::{Rng, SeedableRng};
    let cases: i64 = sqlx::query_scalar("select count(*) from cases where district_id = $1").bind(district).fetch_one(pool).await?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let today = (chrono::Utc::now() + chrono::TimeDelta::hours(8)).date_naive();
    let mut db = pool.acquire().await?;
    let (mut heatmaps, mut indicators) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs {
        let span = if rng.random_bool(0.5) { 7 } else { 30 };
        let to = today - chrono::TimeDelta::days(rng.random_range(0..90 - span));
        let from = to - chrono::TimeDelta::days(span - 1);
        let selection = map::Selection {
            area: map::Area::District(district),
            scope,
            start: store::day_start(from),
            end: store::day_start(to + chrono::TimeDelta::days(1)),
            category: None,
            status: map::StatusFilter::All,
        };
        let started = Instant::now();
        map::heatmap(&mut db, &selection, 200.0).await?;
        heatmaps.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        store::unit_indicators(&mut db, store::Unit::District(district), store::Days::from_to(from, to)).await?;
        indicators.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let (p50, p99) = percentiles(&mut heatmaps);
    println!("heatmap over {cases} cases of the sub-district, {runs} runs: p50 {p50:.1} ms, p99 {p99:.1} ms");
    let (p50, p99) = percentiles(&mut indicators);
    println!("the sub-district's indicators for the same periods: p50 {p50:.1} ms, p99 {p99:.1} ms");
    let started = Instant::now();
    store::unit_indicators(&mut db, store::Unit::District(district), store::Days::from_to(today - chrono::TimeDelta::days(89), today)).await?;
    println!("sub-district indicators over 90 days: {:.1} ms", started.elapsed().as_secs_f64() * 1000.0);
    // Last month's ranking, computed and not stored (rolled back), as on the first visit after
    // the month ends.
    let last_month = store::previous_month(today);
    let mut city = Vec::with_capacity(runs);
    let mut counts = crate::leaders::indicators::Counts::default();
    for _ in 0..runs {
        let started = Instant::now();
        counts = store::unit_indicators(&mut db, store::Unit::City, store::Days::month(last_month)).await?.counts;
        city.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let (p50, p99) = percentiles(&mut city);
    println!(
        "the whole city's indicators for {} ({} filed, {} due), {runs} runs: p50 {p50:.1} ms, p99 {p99:.1} ms",
        last_month.format("%Y-%m"),
        counts.filed,
        counts.due,
    );
    let mut tx = pool.begin().await?;
    let started = Instant::now();
    let ranking = store::ranking(&mut tx, district, last_month, &Default::default()).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    println!(
        "ranking of {} communities for {}, the three months before it ranked too: {:.1} ms",
        ranking.entries.len(),
        ranking.month,
        started.elapsed().as_secs_f64() * 1000.0
    );
    // Again with the months before stored, as every month after the first.
    sqlx::query("delete from rankings where district_id = $1 and month = $2").bind(district).bind(last_month).execute(&mut *tx).await?;
    let started = Instant::now();
    store::ranking(&mut tx, district, last_month, &Default::default()).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    println!("the same with the months before stored: {:.1} ms", started.elapsed().as_secs_f64() * 1000.0);
    tx.rollback().await?;
    Ok(())
}

/// Nearest-rank p50 and p99 of the times (sorted in place).
fn percentiles(times: &mut [f64]) -> (f64, f64) {
    times.sort_by(f64::total_cmp);
    let rank = |p: f64| times.get(((p * times.len() as f64).ceil() as usize).clamp(1, times.len().max(1)) - 1).copied().unwrap_or(f64::NAN);
    (rank(0.5), rank(0.99))
}

fn check_web_dir(web_dir: &Path) {
    if !web_dir.join("node_modules/maplibre-gl/dist/maplibre-gl.js").exists() {
        tracing::warn!(web_dir = %web_dir.display(), "MapLibre GL is not installed in the web dir; run scripts/setup (npm ci in web/)");
    }
}

/// `wangge user add`: the password comes from standard input, never from the command line.
/// Creates `new` with the password read from standard input.
async fn add_user(pool: &PgPool, mut new: NewUser) -> anyhow::Result<()> {
    let mut password = String::new();
    std::io::stdin().read_line(&mut password).context("reading the password from standard input")?;
    new.password = password.trim_end_matches(['\r', '\n']).to_owned();
    let mut tx = pool.begin().await?;
    let id = accounts::create(&mut tx, &new, &Actor::command_line(), None).await?;
    tx.commit().await?;
    println!("created user {} (id {id}, role {})", new.username, new.role);
    Ok(())
}

/// One account per role over the demo sub-district, with random passwords (returned once). The
/// planner gets the first community (which has no grids yet, to generate); the inspector and the
/// handler the second (which has grids and teams), the handler acting for its committee.
pub async fn create_demo_accounts(pool: &PgPool) -> anyhow::Result<Vec<(String, Role, String)>> {
    let communities: Vec<(String, String)> = sqlx::query_as(
        "select d.name, c.name from communities c join districts d on d.id = c.district_id where c.source = 'demo' order by c.id limit 2",
    )
    .fetch_all(pool)
    .await?;
    let (district, first) = communities.first().cloned().context("the demo has no community")?;
    let second = communities.get(1).map_or_else(|| first.clone(), |c| c.1.clone());
    let actor = Actor { id: None, name: Some("demo".into()), client: None };
    let mut created = Vec::new();
    let committee: Option<i64> = sqlx::query_scalar(
        "select o.id from organisations o join communities c on c.id = o.community_id
         where o.kind = 'community_committee' and c.name = $1",
    )
    .bind(&second)
    .fetch_optional(pool)
    .await?;
    let mut tx = pool.begin().await?;
    for role in Role::ALL {
        let area = match role {
            Role::Admin | Role::Leader => AreaSpec::District(district.clone()),
            Role::Planner => AreaSpec::Community(first.clone()),
            Role::Inspector | Role::Handler => AreaSpec::Community(second.clone()),
        };
        let new = NewUser {
            username: format!("demo_{role}"),
            role,
            password: crate::auth::password::generate(),
            areas: vec![area],
            organisation: committee.filter(|_| role == Role::Handler),
        };
        accounts::create(&mut tx, &new, &actor, None).await?;
        created.push((new.username, role, new.password));
    }
    tx.commit().await?;
    Ok(created)
}

fn print_demo_accounts(accounts: &[(String, Role, String)]) {
    println!("Demo accounts (passwords are shown this once; change them with POST /api/v1/session/password):");
    for (username, role, password) in accounts {
        println!("  {role:<10} {username:<16} {password}");
    }
}

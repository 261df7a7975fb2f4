//! Command line and environment configuration, parsed once in `main` and passed down.
//! No other module reads the environment.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::auth::role::{AreaSpec, Role};
use crate::cases::calendar::WorkingHours;
use crate::cases::submit::Settings as CaseSettings;
use crate::cases::photos::{self, PhotoSettings};
use crate::http::limit::{LimitSettings, Rate};
use crate::import::estimate::{DefaultLevels, HouseholdEstimate};
use crate::spatial::datum::Crs;

/// Wangge (网格): community grid governance — grids, responsible units, inspections.
///
/// Without DATABASE_URL, every subcommand uses a private PostgreSQL + PostGIS cluster under the
/// data dir (created on first use, stopped when the command ends).
#[derive(Debug, Parser)]
#[command(name = "wangge", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// PostgreSQL URL of a database with PostGIS available. When unset, an embedded cluster under
    /// the data dir is started and used.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Directory for the embedded cluster and other runtime state (git-ignored).
    #[arg(long, env = "WANGGE_DATA_DIR", default_value = "var", global = true)]
    pub data_dir: PathBuf,
    /// Most connections in the pool.
    #[arg(long, env = "WANGGE_DB_POOL", default_value_t = 16, global = true)]
    pub pool_size: u32,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (API, vector tiles and web pages).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Import map data: OpenStreetMap PBF, GeoJSON, or a household register (CSV).
    #[command(subcommand)]
    Import(ImportCommand),
    /// Generate and load a deterministic demo sub-district.
    Demo(DemoArgs),
    /// Generate a deterministic history of cases over the past days (the leaders' view at scale).
    Simulate(SimulateArgs),
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Grid plans: generate, validate, publish, export.
    #[command(subcommand)]
    Grids(GridsCommand),
    /// Open311 GeoReport v2: the API keys residents' reporting apps file with.
    #[command(subcommand)]
    Open311(Open311Command),
}

/// A community by name (or id), or every community.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct CommunityChoice {
    /// The community's name or id.
    #[arg(long)]
    pub community: Option<String>,
    /// Every community.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Subcommand)]
pub enum GridsCommand {
    /// Partition a community (or every community) into grids and write each as a draft plan.
    Generate {
        #[command(flatten)]
        which: CommunityChoice,
        /// Fewest households in a grid.
        #[arg(long, default_value_t = 300)]
        min: u32,
        /// Most households in a grid.
        #[arg(long, default_value_t = 700)]
        max: u32,
        /// Households a grid should have.
        #[arg(long, default_value_t = 500)]
        target: u32,
        /// Same data and seed, same plan.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        note: Option<String>,
        /// Print one JSON object instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// List a plan's violations (by default the community's newest plan).
    Validate {
        #[arg(long, conflicts_with = "community", required_unless_present = "community")]
        plan: Option<i64>,
        #[arg(long)]
        community: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Put a draft plan in force; refused when it has violations, unless --force.
    Publish {
        #[arg(long)]
        plan: i64,
        #[arg(long)]
        force: bool,
    },
    /// Write a plan's grids as GeoJSON, or its equivalency CSV (by default the community's
    /// published plan).
    Export {
        #[arg(long, conflicts_with = "community", required_unless_present = "community")]
        plan: Option<i64>,
        #[arg(long)]
        community: Option<String>,
        #[arg(long, value_enum, default_value_t = ExportFormat::Geojson)]
        format: ExportFormat,
        /// The file to write (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Geojson,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; its password is read from standard input (there is no default).
    Add {
        name: String,
        #[arg(long)]
        role: Role,
        /// Where the user may act: `district:NAME` or `community:NAME` (repeatable).
        #[arg(long = "area")]
        areas: Vec<AreaSpec>,
        /// A handler's organisation, by id (its routed cases are the handler's queue).
        #[arg(long)]
        organisation: Option<i64>,
        /// Read the password from standard input (required: passwords never go on a command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum Open311Command {
    /// Make, list and revoke API keys.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Make a key for an app filing into one sub-district; the key is printed this once.
    Add {
        /// What the key is for (the app or its operator), unique.
        name: String,
        /// The sub-district's name or id.
        #[arg(long)]
        district: String,
    },
    /// List the keys (never the keys themselves: only their hashes are stored).
    List,
    /// Revoke a key: requests with it answer 403 from now on.
    Revoke { name: String },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, env = "WANGGE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Directory of the web pages and their assets.
    #[arg(long, env = "WANGGE_WEB_DIR", default_value = "web")]
    pub web_dir: PathBuf,
    /// Load the default demo sub-district first when the database holds no community yet.
    #[arg(long)]
    pub load_demo: bool,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "WANGGE_BODY_LIMIT", default_value_t = 2 * 1024 * 1024)]
    pub body_limit: usize,
    /// Hours a sign-in lasts.
    #[arg(long, env = "WANGGE_SESSION_HOURS", default_value_t = 12, value_parser = clap::value_parser!(i32).range(1..=720))]
    pub session_hours: i32,
    /// Send the session cookie without `Secure`, for plain-HTTP intranet deployments reached by
    /// another name than localhost (browsers drop Secure cookies there).
    #[arg(long, env = "WANGGE_INSECURE_COOKIE")]
    pub insecure_cookie: bool,
    /// Sign-in attempts per client address, as N/PERIOD (`10/min`, `3/10s`, `100/h`): at most N
    /// at once, refilled at N per period; more answer 429 with Retry-After.
    #[arg(long, env = "WANGGE_LOGIN_RATE", default_value = "10/min")]
    pub login_rate: Rate,
    /// Sign-in attempts per user name, from any address, as N/PERIOD (on top of the lockout).
    #[arg(long, env = "WANGGE_LOGIN_RATE_USER", default_value = "10/min")]
    pub login_rate_user: Rate,
    /// State-changing API requests (creating users, changing passwords, …) per signed-in user,
    /// as N/PERIOD.
    #[arg(long, env = "WANGGE_SUBMIT_RATE", default_value = "120/min")]
    pub submit_rate: Rate,
    /// Open311 service requests filed per API key, as N/PERIOD.
    #[arg(long, env = "WANGGE_OPEN311_RATE", default_value = "60/min")]
    pub open311_rate: Rate,
    /// Working periods of a working day (China time) that case deadlines count, as
    /// `HH:MM-HH:MM,…`; holidays and make-up days are rows of the `working_calendar` table.
    #[arg(long, env = "WANGGE_WORKING_HOURS", default_value = "08:30-12:00,14:00-17:30")]
    pub working_hours: WorkingHours,
    /// Reported GPS accuracy (metres) above which the inspector page warns before filing.
    #[arg(long, env = "WANGGE_GPS_ACCURACY_LIMIT", default_value_t = 50.0)]
    pub gps_accuracy_limit: f64,
    /// Weights of the monthly ranking's score, as `closure=0.3,on_time=0.4,rework=0.1,patrol=0.2,dead_spot_penalty=5`
    /// (any subset; docs/LEADERS.md).
    #[arg(long, env = "WANGGE_RANKING_WEIGHTS", default_value = "")]
    pub ranking_weights: crate::leaders::ranking::Weights,
    /// Directory of the photos of findings (default: `photos` under the data dir).
    #[arg(long, env = "WANGGE_PHOTO_DIR")]
    pub photo_dir: Option<PathBuf>,
    /// Largest photo upload accepted, in bytes (its own body limit, above --body-limit).
    #[arg(long, env = "WANGGE_PHOTO_LIMIT", default_value_t = photos::DEFAULT_MAX_BYTES)]
    pub photo_limit: usize,
}

impl ServeArgs {
    pub fn case_settings(&self) -> CaseSettings {
        CaseSettings { calendar: self.working_hours.clone(), accuracy_limit_m: self.gps_accuracy_limit }
    }

    pub fn limits(&self) -> LimitSettings {
        LimitSettings {
            login_per_client: self.login_rate,
            login_per_username: self.login_rate_user,
            submissions: self.submit_rate,
            open311: self.open311_rate,
        }
    }

    pub fn photos(&self, data_dir: &Path) -> PhotoSettings {
        let dir = self.photo_dir.clone().unwrap_or_else(|| data_dir.join("photos"));
        PhotoSettings::new(dir, self.photo_limit)
    }
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of communities to generate (6 ≈ 20,000 households; 2000 ≈ 1M buildings).
    #[arg(long, default_value_t = 6)]
    pub communities: usize,
    /// Random seed: the same seed gives the same demo.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Number of cases to file.
    #[arg(long, default_value_t = 1000)]
    pub cases: usize,
    /// Random seed: the same seed over the same data gives the same history.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Filings fall in this many days before now.
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    /// The administrator the cases are filed and moved by (their area is where they fall).
    #[arg(long = "as", default_value = "demo_admin")]
    pub user: String,
    /// Where the reports' photos are written (default `<data dir>/photos`).
    #[arg(long)]
    pub photo_dir: Option<PathBuf>,
    /// Then time this many heatmaps of random periods and the sub-district's indicators.
    #[arg(long, default_value_t = 0)]
    pub measure: usize,
    /// Write the rows the workflow leaves in bulk, over every community, for measuring at city
    /// scale: no event logs, photos or dead spots, deadlines in calendar time (docs/LEADERS.md).
    /// Measures the sub-district with the most cases.
    #[arg(long)]
    pub bulk: bool,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ImportCommand {
    /// Buildings, residential areas (estates), roads and optionally admin boundaries from an
    /// OpenStreetMap .osm.pbf extract.
    Osm {
        file: PathBuf,
        /// Import `boundary=administrative` relations of this `admin_level` as communities.
        #[arg(long)]
        admin_level: Option<u8>,
        #[command(flatten)]
        estimate: EstimateArgs,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Buildings (and community/estate polygons, property `kind`) from a GeoJSON FeatureCollection.
    Geojson {
        file: PathBuf,
        /// Datum of the file's coordinates; converted to WGS84 on import.
        #[arg(long, default_value = "wgs84")]
        crs: Crs,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Households and units per building from a CSV register (by building source id or address).
    Households { file: PathBuf },
}

/// Where imported communities come from, and which sub-district they belong to.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Sub-district (街道) of communities the file itself does not assign.
    #[arg(long, default_value = "未指定街道")]
    pub district: String,
    /// GeoJSON polygons with a `name` property, imported as communities before placing buildings.
    #[arg(long)]
    pub communities: Option<PathBuf>,
    /// Put the whole import in one community of this name, bounded by the hull of its buildings.
    #[arg(long, conflicts_with = "communities")]
    pub community: Option<String>,
}

/// The household estimate for buildings that do not state their households.
#[derive(Debug, Clone, Args)]
pub struct EstimateArgs {
    /// Floor area per household, m², in `area × levels ÷ m²-per-household`.
    #[arg(long, default_value_t = 80.0)]
    pub m2_per_household: f64,
    /// Levels assumed when `building:levels` is missing, by building type, e.g. `apartments=6,house=2`
    /// (overrides entries of the built-in table; a type listed here counts as residential).
    #[arg(long, default_value = "")]
    pub default_levels: DefaultLevels,
}

impl EstimateArgs {
    pub fn to_estimate(&self) -> anyhow::Result<HouseholdEstimate> {
        HouseholdEstimate::new(self.m2_per_household, &self.default_levels)
            .map_err(|e| anyhow::anyhow!("--m2-per-household: {e}"))
    }
}

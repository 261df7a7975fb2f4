//! The database: connection pool, the embedded cluster when no URL is given, and migrations.
//! `geometry` is the one place where geometry crosses into SQL.

pub mod cluster;
pub mod copy;
pub mod geometry;

use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::config::DatabaseArgs;
use cluster::{Access, Cluster};

pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A migrated database, and the embedded cluster behind it if we started one.
pub struct Database {
    pub pool: PgPool,
    cluster: Option<Cluster>,
}

impl Database {
    /// Connects to `DATABASE_URL`, or starts/joins the embedded cluster; then migrates.
    pub async fn open(args: &DatabaseArgs, access: Access) -> anyhow::Result<Database> {
        let (options, cluster) = match &args.database_url {
            Some(url) => (url.parse::<PgConnectOptions>().context("DATABASE_URL is not a PostgreSQL URL")?, None),
            None => {
                let data_dir = args.data_dir.clone();
                let cluster = tokio::task::spawn_blocking(move || Cluster::start(&data_dir, access, &[])).await??;
                create_database_if_missing(&cluster).await?;
                (cluster.connect_options(cluster::DATABASE), Some(cluster))
            }
        };
        let pool = connect(options, args.pool_size).await?;
        let database = Database { pool, cluster };
        if let Err(error) = migrate(&database.pool).await {
            database.close().await;
            return Err(error);
        }
        Ok(database)
    }

    /// Closes the pool, then stops the embedded cluster if this process started it.
    pub async fn close(self) {
        self.pool.close().await;
        if let Some(cluster) = self.cluster {
            match tokio::task::spawn_blocking(move || cluster.stop()).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::error!(%error, "stopping the embedded cluster"),
                Err(error) => tracing::error!(%error, "stopping the embedded cluster"),
            }
        }
    }
}

pub async fn connect(options: PgConnectOptions, pool_size: u32) -> anyhow::Result<PgPool> {
    // JIT compiles our short, GIS-function-heavy queries for seconds to save milliseconds (seen:
    // 2.3 s of JIT on a 100 ms query), so it is off for every connection of the service.
    let options = options.options([("jit", "off")]);
    PgPoolOptions::new()
        .max_connections(pool_size)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .context("connecting to PostgreSQL")
}

/// Applies the migrations in `migrations/` (the first one creates the PostGIS extension).
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await.context("applying migrations (is PostGIS installed? run scripts/setup)")
}

async fn create_database_if_missing(cluster: &Cluster) -> anyhow::Result<()> {
    let pool = connect(cluster.connect_options("postgres"), 1).await?;
    let exists: bool = sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
        .bind(cluster::DATABASE)
        .fetch_one(&pool)
        .await?;
    if !exists {
        sqlx::query(&format!("create database {}", cluster::DATABASE)).execute(&pool).await?;
    }
    pool.close().await;
    Ok(())
}

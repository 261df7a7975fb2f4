//! One throwaway PostGIS cluster per test run (the service's own embedded-cluster code, in a
//! temp dir, durability off), a migrated template database, and a fresh database cloned from it
//! for each test.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;
use tokio::sync::OnceCell;
use wangge::db::cluster::{Access, Cluster};

const TEMPLATE: &str = "wangge_template";

struct TestCluster {
    cluster: Cluster,
    dir: PathBuf,
}

static CLUSTER: OnceLock<TestCluster> = OnceLock::new();
static TEMPLATE_READY: OnceCell<()> = OnceCell::const_new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

fn cluster() -> &'static TestCluster {
    CLUSTER.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("wangge-test-{}", std::process::id()));
        let settings = ["fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=200"];
        let cluster =
            Cluster::start(&dir, Access::Owner, &settings).expect("the test cluster starts (run scripts/setup)");
        stop_at_exit();
        TestCluster { cluster, dir }
    })
}

#[allow(unsafe_code)]
fn stop_at_exit() {
    extern "C" fn stop() {
        if let Some(test) = CLUSTER.get() {
            let _ = test.cluster.stop();
            let _ = std::fs::remove_dir_all(&test.dir);
        }
    }
    // SAFETY: registering a plain `extern "C"` function with no captured state.
    unsafe {
        libc::atexit(stop);
    }
}

/// The data dir of the shared test cluster, for tests of the cluster itself.
pub fn cluster_options(database: &str) -> PgConnectOptions {
    cluster().cluster.connect_options(database)
}

/// A fresh, migrated, empty database of its own.
pub async fn test_db() -> PgPool {
    let admin = wangge::db::connect(cluster_options("postgres"), 1).await.expect("connects to the test cluster");
    TEMPLATE_READY
        .get_or_init(|| async {
            sqlx::query(&format!("create database {TEMPLATE}")).execute(&admin).await.expect("creates the template");
            let template = wangge::db::connect(cluster_options(TEMPLATE), 1).await.expect("connects to the template");
            wangge::db::migrate(&template).await.expect("migrates the template");
            template.close().await;
        })
        .await;
    let name = format!("test_{}", NEXT_DB.fetch_add(1, Ordering::SeqCst));
    sqlx::query(&format!("create database {name} template {TEMPLATE}"))
        .execute(&admin)
        .await
        .expect("clones the template");
    admin.close().await;
    wangge::db::connect(cluster_options(&name), 5).await.expect("connects to the test database")
}

/// A `DATABASE_URL` for a test database, for tests that run the binary.
pub async fn database_url(pool: &PgPool) -> String {
    let name: String = sqlx::query_scalar("select current_database()").fetch_one(pool).await.expect("queries");
    let socket_dir = cluster().dir.join("pg");
    format!("postgres://wangge@localhost/{name}?host={}", socket_dir.display())
}

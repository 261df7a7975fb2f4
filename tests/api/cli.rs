//! The `wangge import` commands through the real binary, against a test database.

use std::process::Command;

use super::harness::{database_url, test_db};

pub fn wangge(url: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wangge"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn shared(file: &str) -> String {
    format!("{}/../shared/data/{file}", env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test]
async fn import_geojson_prints_a_summary_and_a_replay_changes_nothing() {
    let pool = test_db().await;
    let url = database_url(&pool).await;
    // 236 features, two of them empty GeometryCollections (skipped and listed).
    let file = shared("wuhan-optics-valley-buildings.geojson");
    let args = ["import", "geojson", &file, "--community", "光谷社区", "--district", "关东街道"];
    let (ok, first, err) = wangge(&url, &args);
    assert!(ok, "{err}");
    assert!(first.contains("import of geojson:wuhan-optics-valley-buildings"), "{first}");
    let row = |text: &str, layer: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(layer))
            .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
    };
    assert_eq!(row(&first, "buildings").as_deref(), Some("234 0 0"), "{first}");
    assert!(first.contains("buildings/s"), "{first}");
    let (ok, second, err) = wangge(&url, &args);
    assert!(ok, "{err}");
    assert_eq!(row(&second, "buildings").as_deref(), Some("0 0 234"), "{second}");
}

#[tokio::test]
async fn import_of_a_missing_or_malformed_file_fails_with_its_name_and_stores_nothing() {
    let pool = test_db().await;
    let url = database_url(&pool).await;
    let (ok, _, err) = wangge(&url, &["import", "geojson", "/nonexistent/x.geojson", "--community", "甲"]);
    assert!(!ok);
    assert!(err.contains("/nonexistent/x.geojson"), "{err}");
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad.geojson");
    std::fs::write(&bad, "{\"type\": \"FeatureCollection\", \"features\": [{]}").expect("writes");
    let (ok, _, err) = wangge(&url, &["import", "geojson", &bad.to_string_lossy(), "--community", "甲"]);
    assert!(!ok);
    assert!(err.contains("bad.geojson") && err.contains("line 1"), "{err}");
    let (ok, _, err) = wangge(&url, &["import", "osm", &bad.to_string_lossy(), "--community", "甲"]);
    assert!(!ok && err.contains("bad.geojson"), "{err}");
    let count: i64 = sqlx::query_scalar("select count(*) from buildings").fetch_one(&pool).await.expect("counts");
    assert_eq!(count, 0);
}

#[tokio::test]
async fn user_add_reads_the_password_from_stdin_and_never_from_the_command_line() {
    use std::io::Write;
    let pool = test_db().await;
    let url = database_url(&pool).await;
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wangge"))
            .args(args)
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("runs");
        child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("writes");
        let out = child.wait_with_output().expect("ends");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, text) = run(&["user", "add", "chief", "--role", "admin"], "a long first password\n");
    assert!(!ok && text.contains("--password-stdin"), "{text}");
    let (ok, text) = run(&["user", "add", "chief", "--role", "admin", "--password-stdin"], "short\n");
    assert!(!ok && text.contains("at least 10 characters"), "{text}");
    let (ok, text) = run(&["user", "add", "chief", "--role", "admin", "--password-stdin"], "a long first password\n");
    assert!(ok, "{text}");
    let stored: String = sqlx::query_scalar("select password_hash from users where username = 'chief'")
        .fetch_one(&pool)
        .await
        .expect("stored");
    assert!(wangge::auth::password::verify("a long first password", &stored));
    let (ok, text) = run(&["user", "add", "chief", "--role", "admin", "--password-stdin"], "a long first password\n");
    assert!(!ok && text.contains("taken"), "{text}");
}

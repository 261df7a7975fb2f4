//! The embedded cluster through the real binary: a second `serve` on the same data dir is
//! refused with a clear message, and SIGTERM stops the service and its cluster cleanly.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn serve(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wangge"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Waits for the "listening on" line; panics with stderr if the service exits first.
fn wait_listening(child: &mut Child) -> String {
    let stdout = child.stdout.take().expect("stdout");
    let line = BufReader::new(stdout).lines().map_while(Result::ok).find(|l| l.contains("listening on"));
    match line {
        Some(line) => line,
        None => {
            let output =
                child.stderr.take().map(|e| std::io::read_to_string(e).unwrap_or_default()).unwrap_or_default();
            panic!("the service exited before listening: {output}");
        }
    }
}

fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("waits") {
            return status;
        }
        assert!(start.elapsed() < limit, "the service did not exit within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_second_serve_on_the_same_data_dir_is_refused_and_sigterm_stops_the_cluster() {
    let dir = tempfile::Builder::new().prefix("wg").tempdir_in("/tmp").expect("temp dir");
    let mut first = serve(dir.path()).spawn().expect("starts");
    let line = wait_listening(&mut first);
    assert!(line.contains("http://127.0.0.1:"), "{line}");

    let second = serve(dir.path()).output().expect("runs");
    assert!(!second.status.success(), "the second serve must not start");
    let message = String::from_utf8_lossy(&second.stderr);
    assert!(message.contains("is in use by another wangge process"), "{message}");

    let status = Command::new("kill").args(["-TERM", &first.id().to_string()]).status().expect("kill");
    assert!(status.success());
    assert!(wait_exit(&mut first, Duration::from_secs(60)).success(), "a clean exit on SIGTERM");
    assert!(!dir.path().join("pg/postmaster.pid").exists(), "the cluster was stopped");

    // The data dir is reusable: the next serve starts on it.
    let mut again = serve(dir.path()).spawn().expect("starts again");
    wait_listening(&mut again);
    Command::new("kill").args(["-TERM", &again.id().to_string()]).status().expect("kill");
    assert!(wait_exit(&mut again, Duration::from_secs(60)).success());
}

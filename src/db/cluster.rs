//! The embedded PostgreSQL + PostGIS cluster used when no `DATABASE_URL` is given.
//!
//! Layout under the data dir: `pg/` is the cluster (PGDATA, also holding the Unix socket: no TCP
//! port is opened), `wangge.lock` is held by the process that started the cluster for as long as
//! it runs. A second `wangge serve` finds the lock taken and says so; one-shot commands
//! (`import`, `migrate`, `demo`) join the running cluster as guests and leave it running.
//! PostgreSQL refuses to run as root, so when we are root the cluster belongs to `postgres`.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sqlx::postgres::PgConnectOptions;

/// Superuser and database of the embedded cluster.
const USER: &str = "wangge";
pub const DATABASE: &str = "wangge";
const PORT: u16 = 5432;
/// Unix socket paths are limited to 107 bytes; `.s.PGSQL.5432` takes 14 of them.
const MAX_SOCKET_DIR: usize = 92;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "the data dir {dir} is in use by another wangge process ({holder}); stop it, or point \
         WANGGE_DATA_DIR elsewhere"
    )]
    InUse { dir: PathBuf, holder: String },
    #[error(
        "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin and pg_config --bindir); run scripts/setup"
    )]
    NoPostgres,
    #[error(
        "PostGIS is not installed for PostgreSQL at {0}; run scripts/setup (Debian package postgresql-15-postgis-3)"
    )]
    NoPostgis(PathBuf),
    #[error("the data dir path {0} is too long for a PostgreSQL socket; choose a shorter WANGGE_DATA_DIR")]
    PathTooLong(PathBuf),
    #[error("{command} failed: {detail}")]
    Command { command: String, detail: String },
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> ClusterError {
    let context = context.into();
    move |source| ClusterError::Io { context, source }
}

/// Who may start the cluster: `Owner` must be the only user of the data dir (the service);
/// `OwnerOrGuest` joins a cluster another wangge process runs (one-shot commands).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Owner,
    OwnerOrGuest,
}

/// A running embedded cluster. Dropping it does not stop the server: call [`Cluster::stop`].
#[derive(Debug)]
pub struct Cluster {
    pgdata: PathBuf,
    bindir: PathBuf,
    run_as: Option<(u32, u32)>,
    /// `Some` while this process owns the cluster and must stop it.
    lock: Option<File>,
}

impl Cluster {
    /// Starts (after `initdb` on first use) or joins the cluster under `data_dir`.
    /// `settings` are extra `name=value` server settings for a cluster this call starts.
    pub fn start(data_dir: &Path, access: Access, settings: &[&str]) -> Result<Cluster, ClusterError> {
        fs::create_dir_all(data_dir).map_err(io(format!("creating {}", data_dir.display())))?;
        let data_dir = data_dir.canonicalize().map_err(io(format!("resolving {}", data_dir.display())))?;
        let pgdata = data_dir.join("pg");
        if pgdata.as_os_str().len() > MAX_SOCKET_DIR {
            return Err(ClusterError::PathTooLong(data_dir));
        }
        let bindir = find_bindir()?;
        let run_as = postgres_account()?;

        let mut lock_file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(data_dir.join("wangge.lock"))
            .map_err(io("opening the data dir lock"))?;
        if lock_file.try_lock().is_err() {
            let mut holder = String::new();
            let _ = lock_file.read_to_string(&mut holder);
            let holder = holder.trim().to_owned();
            return match access {
                Access::Owner => Err(ClusterError::InUse { dir: data_dir, holder }),
                Access::OwnerOrGuest => {
                    tracing::info!(%holder, "joining the embedded cluster another wangge process runs");
                    Ok(Cluster { pgdata, bindir, run_as, lock: None })
                }
            };
        }
        lock_file.set_len(0).map_err(io("writing the lock"))?;
        lock_file.rewind().map_err(io("writing the lock"))?;
        writeln!(lock_file, "pid {}", std::process::id()).map_err(io("writing the lock"))?;

        let cluster = Cluster { pgdata, bindir, run_as, lock: Some(lock_file) };
        if let Some((uid, gid)) = run_as {
            // The postgres account must be able to reach PGDATA through the data dir.
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&data_dir, fs::Permissions::from_mode(0o755))
                .map_err(io("opening the data dir to postgres"))?;
            if !cluster.pgdata.exists() {
                fs::create_dir(&cluster.pgdata).map_err(io("creating PGDATA"))?;
                std::os::unix::fs::chown(&cluster.pgdata, Some(uid), Some(gid))
                    .map_err(io("handing PGDATA to postgres"))?;
            }
        }
        if !cluster.pgdata.join("PG_VERSION").exists() {
            cluster.initdb()?;
        }
        if cluster.is_running()? {
            // Left running by an owner that died without stopping it: adopt it.
            tracing::warn!(pgdata = %cluster.pgdata.display(), "adopting a cluster left running by an earlier process");
        } else {
            let mut options = format!(
                "-c listen_addresses='' -c port={PORT} -c unix_socket_directories='{}'",
                cluster.pgdata.display()
            );
            for setting in settings {
                options.push_str(&format!(" -c {setting}"));
            }
            let log = cluster.pgdata.join("server.log");
            let log = log.to_string_lossy();
            let pgdata = cluster.pgdata.to_string_lossy();
            cluster.pg("pg_ctl", &["-D", &pgdata, "-l", &log, "-w", "-t", "120", "-o", &options, "start"])?;
            tracing::info!(pgdata = %pgdata, "embedded PostgreSQL started");
        }
        Ok(cluster)
    }

    fn initdb(&self) -> Result<(), ClusterError> {
        let pgdata = self.pgdata.to_string_lossy();
        tracing::info!(pgdata = %pgdata, "creating the embedded PostgreSQL cluster");
        self.pg(
            "initdb",
            &["-D", &pgdata, "-U", USER, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-instructions"],
        )?;
        Ok(())
    }

    fn is_running(&self) -> Result<bool, ClusterError> {
        let out = self.run("pg_ctl", &["-D", &self.pgdata.to_string_lossy(), "status"])?;
        // pg_ctl status: 0 running, 3 not running, 4 no accessible data dir.
        Ok(out.status.success())
    }

    /// Connection options for the cluster's maintenance database `postgres`; see [`Self::database`].
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new().host(&self.pgdata.to_string_lossy()).port(PORT).username(USER).database(database)
    }

    /// Whether this process started the cluster (and so stops it).
    pub fn is_owner(&self) -> bool {
        self.lock.is_some()
    }

    /// Stops the cluster if this process owns it (a fast shutdown: clients are disconnected,
    /// committed work is safe).
    pub fn stop(&self) -> Result<(), ClusterError> {
        if self.lock.is_some() {
            self.pg("pg_ctl", &["-D", &self.pgdata.to_string_lossy(), "-m", "fast", "-w", "stop"])?;
            tracing::info!("embedded PostgreSQL stopped");
        }
        Ok(())
    }

    fn pg(&self, program: &str, args: &[&str]) -> Result<Output, ClusterError> {
        let out = self.run(program, args)?;
        if out.status.success() {
            Ok(out)
        } else {
            let mut detail = String::from_utf8_lossy(&out.stderr).trim().to_owned();
            if detail.is_empty() {
                detail = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            }
            let log = self.pgdata.join("server.log");
            if let Ok(text) = fs::read_to_string(&log) {
                let tail: Vec<&str> = text.lines().rev().take(5).collect();
                detail.push_str(&format!(
                    "\nlast lines of {}:\n{}",
                    log.display(),
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                ));
            }
            Err(ClusterError::Command {
                command: format!("{program} {}", args.last().copied().unwrap_or_default()),
                detail,
            })
        }
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<Output, ClusterError> {
        let mut command = Command::new(self.bindir.join(program));
        command.args(args).env_remove("PGDATA").env("LC_ALL", "C");
        if let Some((uid, gid)) = self.run_as {
            use std::os::unix::process::CommandExt;
            command.uid(uid).gid(gid).current_dir(&self.pgdata);
        }
        command.output().map_err(io(format!("running {program}")))
    }
}

/// The newest PostgreSQL server whose share dir has PostGIS, else the newest server at all
/// (then `CREATE EXTENSION postgis` will say what is missing).
fn find_bindir() -> Result<PathBuf, ClusterError> {
    let mut found: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("pg_ctl").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    let with_postgis = found
        .iter()
        .rev()
        .find(|(version, _)| Path::new(&format!("/usr/share/postgresql/{version}/extension/postgis.control")).exists());
    match (with_postgis, found.last()) {
        (Some((_, bin)), _) => Ok(bin.clone()),
        (None, Some((version, bin))) => {
            tracing::warn!(version, "PostGIS not found for any installed PostgreSQL");
            Err(ClusterError::NoPostgis(bin.clone()))
        }
        (None, None) => {
            let out = Command::new("pg_config").arg("--bindir").output().map_err(|_| ClusterError::NoPostgres)?;
            let bin = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            if bin.join("pg_ctl").exists() { Ok(bin) } else { Err(ClusterError::NoPostgres) }
        }
    }
}

/// When running as root, the uid and gid of the `postgres` account (from /etc/passwd).
fn postgres_account() -> Result<Option<(u32, u32)>, ClusterError> {
    let uid = fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        .map_err(io("reading /proc/self"))?;
    if uid != 0 {
        return Ok(None);
    }
    let passwd = fs::read_to_string("/etc/passwd").map_err(io("reading /etc/passwd"))?;
    parse_passwd_entry(&passwd, "postgres").map(Some).ok_or_else(|| ClusterError::Command {
        command: "looking up the postgres account".into(),
        detail: "running as root needs a `postgres` user (created by Debian's postgresql package)".into(),
    })
}

fn parse_passwd_entry(passwd: &str, name: &str) -> Option<(u32, u32)> {
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() > 3 && fields[0] == name).then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_entry_is_found_by_name() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\npostgres:x:104:109:PostgreSQL:/var/lib/postgresql:/bin/bash\n";
        assert_eq!(parse_passwd_entry(passwd, "postgres"), Some((104, 109)));
        assert_eq!(parse_passwd_entry(passwd, "nobody"), None);
    }
}

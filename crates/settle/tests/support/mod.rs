//! Test harness: runs the real `settle` binary against a fresh database on either engine.
//!
//! SQLite gets a file in a temporary directory; PostgreSQL a database of its own, created on
//! the server at `SETTLE_TEST_POSTGRES_URL` (default: the local server's `test` database) and
//! dropped afterwards. When PostgreSQL is unreachable the PostgreSQL tests fail: they never skip.

#![allow(dead_code)]

pub mod child;
pub mod server;
pub mod smtp;
pub mod webdriver;

/// One test per scenario and engine: `sqlite::NAME` and `postgres::NAME` each run `NAME` on a
/// fresh database of their own. The calling file imports `Backend`.
macro_rules! on_both_engines {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $scenario() { super::$scenario(&super::Backend::sqlite()); } )*
        }
        mod postgres {
            $( #[test] fn $scenario() { super::$scenario(&super::Backend::postgres()); } )*
        }
    };
}

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};

/// Loopback needs no TLS, and a TLS handshake per connection made every command of a test
/// about 0.4 s slower in a debug build.
const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable";

static NEXT: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

pub struct Backend {
    pub url: String,
    pub dir: PathBuf,
    postgres_database: Option<(String, String)>,
}

fn admin_url() -> String {
    std::env::var("SETTLE_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES.to_string())
}

pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

async fn admin(sql: String) {
    use sqlx::Executor;
    sqlx::any::install_default_drivers();
    let url = admin_url();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap_or_else(|e| {
            panic!("PostgreSQL at {url} is unreachable (the PostgreSQL tests need it): {e}")
        });
    conn.execute(sqlx::AssertSqlSafe(sql))
        .await
        .expect("admin statement");
}

impl Backend {
    /// Runs one SQL statement on the test's database behind Settle's back (to tamper with it).
    pub fn sql(&self, statement: &str) {
        let url = match &self.postgres_database {
            Some(_) => self.url.clone(),
            None => format!("sqlite://{}", self.url),
        };
        let statement = statement.to_string();
        block_on(async move {
            use sqlx::Executor;
            sqlx::any::install_default_drivers();
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
                .await
                .expect("the test database opens");
            conn.execute(sqlx::AssertSqlSafe(statement))
                .await
                .expect("the statement runs");
        });
    }

    pub fn sqlite() -> Backend {
        let dir = std::env::temp_dir().join(unique("settle_test"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Backend {
            url: dir.join("settle.db").display().to_string(),
            dir,
            postgres_database: None,
        }
    }

    pub fn postgres() -> Backend {
        let name = unique("settle_test");
        block_on(admin(format!("CREATE DATABASE {name}")));
        let admin = admin_url();
        // The test's database on the same server, with the same connection parameters.
        let (server, parameters) = admin
            .split_once('?')
            .map_or((admin.as_str(), None), |(s, p)| (s, Some(p)));
        let base = server.rsplit_once('/').map_or(server, |(base, _)| base);
        let parameters = parameters.map(|p| format!("?{p}")).unwrap_or_default();
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Backend {
            url: format!("{base}/{name}{parameters}"),
            dir,
            postgres_database: Some((name, admin.clone())),
        }
    }

    /// `settle --db URL ARGS…` in the test's directory, not started yet.
    pub fn command<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_settle"));
        command
            .arg("--db")
            .arg(&self.url)
            .args(args)
            .current_dir(&self.dir)
            .env_remove("SETTLE_DATABASE_URL")
            .env_remove("SETTLE_ENTITY");
        command
    }

    /// Runs `settle --db URL ARGS…`.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("the settle binary runs")
    }

    /// Initialises the database and imports the fixture's customers and invoices
    /// (`tests/data/customers.csv`, `invoices.csv`).
    pub fn load_fixture(&self) {
        self.ok(&["init"]);
        for (kind, file) in [("customers", "customers.csv"), ("invoices", "invoices.csv")] {
            let path = Backend::data(file);
            self.ok(&["import", kind, path.to_str().expect("a UTF-8 path")]);
        }
    }

    /// Runs a command that must succeed; returns its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        assert!(
            output.status.success(),
            "settle {args:?} failed:\n{stdout}\n{stderr}"
        );
        stdout
    }

    /// Runs a command that must fail with exit code 1; returns its standard error.
    pub fn fails(&self, args: &[&str]) -> String {
        let output = self.run(args);
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        assert_eq!(
            output.status.code(),
            Some(1),
            "settle {args:?} should have failed:\n{stderr}"
        );
        stderr
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--format", "json"]);
        let out = self.ok(&all);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("settle {args:?} printed no JSON ({e}):\n{out}"))
    }

    /// Writes a file into the test's directory and returns its path.
    pub fn file(&self, name: &str, content: &str) -> String {
        let path = self.dir.join(name);
        std::fs::write(&path, content).expect("write test file");
        path.display().to_string()
    }

    pub fn data(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name)
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Some((name, _)) = &self.postgres_database {
            block_on(admin(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A PDF's text as poppler's `pdftotext` reads it, in layout order; a missing `pdftotext`
/// fails the test.
pub fn pdftotext(path: &Path) -> String {
    let output = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext runs (the document tests need poppler-utils)");
    assert!(
        output.status.success(),
        "pdftotext {}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 text")
}

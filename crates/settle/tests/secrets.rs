//! Secrets and files at rest: a whole flow against PostgreSQL with a password in its URL and an
//! SMTP server that wants a login (aiosmtpd, `support/smtp_sink.py`; a missing aiosmtpd or
//! PostgreSQL fails the test, never skips it). Every command's standard output and error is
//! kept and searched for both passwords, failures included; so are the files Settle wrote.
//! Files holding books (the SQLite database, backups, exports, PDFs) are readable by their
//! owner only.

#[allow(unused_macros)]
mod support;

use std::io::{BufRead as _, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

use support::Backend;

const DB_PASSWORD: &str = "pg-Secret-42";
const SMTP_PASSWORD: &str = "smtp-Secret-7";

/// The SMTP sink of the email tests, requiring a login.
struct Sink {
    child: Child,
    _stdin: ChildStdin,
    port: u16,
}

impl Sink {
    fn start(dir: &Path) -> Sink {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let login = format!("ar:{SMTP_PASSWORD}");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg("--dir")
            .arg(dir)
            .args(["--auth", &login])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs (this test needs python3 with aiosmtpd)");
        let stdin = child.stdin.take().expect("stdin");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the sink prints its port");
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .expect("the SMTP sink started (this test needs `pip install aiosmtpd`)")
            .parse()
            .expect("a port number");
        Sink {
            child,
            _stdin: stdin,
            port,
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Everything the commands printed, to search for secrets at the end.
struct Transcript {
    text: String,
}

impl Transcript {
    fn run(&mut self, dir: &Path, db: &str, args: &[&str], envs: &[(&str, &str)]) -> bool {
        let mut command = Command::new(env!("CARGO_BIN_EXE_settle"));
        if !db.is_empty() {
            command.args(["--db", db]);
        }
        let output = command
            .args(args)
            .current_dir(dir)
            .env_remove("SETTLE_DATABASE_URL")
            .env("RUST_LOG", "trace")
            .env("RUST_BACKTRACE", "1")
            .envs(envs.iter().copied())
            .output()
            .expect("settle runs");
        // The command's words only: its arguments carry the secrets on purpose.
        self.text.push_str(&format!(
            "$ settle {}\n",
            args.first().copied().unwrap_or("")
        ));
        self.text.push_str(&String::from_utf8_lossy(&output.stdout));
        self.text.push_str(&String::from_utf8_lossy(&output.stderr));
        output.status.success()
    }

    fn ok(&mut self, dir: &Path, db: &str, args: &[&str]) {
        assert!(
            self.run(dir, db, args, &[]),
            "settle {args:?} failed:\n{}",
            self.text
        );
    }

    fn fails(&mut self, dir: &Path, db: &str, args: &[&str]) {
        assert!(
            !self.run(dir, db, args, &[]),
            "settle {args:?} should have failed"
        );
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn no_password_is_ever_printed_and_files_with_books_are_private() {
    let pg = Backend::postgres();
    // Trust authentication ignores the password; Settle must still never show it.
    let (scheme, rest) = pg.url.split_once("://").unwrap();
    let (user, host) = rest.split_once('@').unwrap();
    let db = format!("{scheme}://{user}:{DB_PASSWORD}@{host}");
    let dir = pg.dir.clone();
    let sink = Sink::start(&dir.join("mail"));
    let smtp = format!("smtp://ar:{SMTP_PASSWORD}@127.0.0.1:{}", sink.port);
    let wrong_smtp = format!("smtp://ar:{SMTP_PASSWORD}-wrong@127.0.0.1:{}", sink.port);
    let customers = Backend::data("customers.csv");
    let invoices = Backend::data("invoices.csv");
    let mut log = Transcript {
        text: String::new(),
    };

    log.ok(&dir, &db, &["init"]);
    log.ok(
        &dir,
        &db,
        &["import", "customers", customers.to_str().unwrap()],
    );
    log.ok(
        &dir,
        &db,
        &["import", "invoices", invoices.to_str().unwrap()],
    );
    log.ok(
        &dir,
        &db,
        &[
            "payment",
            "post",
            "--customer",
            "ACME",
            "--amount",
            "500.00",
            "--date",
            "2026-04-01",
            "--reference",
            "PAY-1",
        ],
    );
    let body = dir.join("body.txt");
    std::fs::write(&body, "Dear customer,\n\nyour statement.\n").unwrap();
    log.ok(
        &dir,
        &db,
        &[
            "email",
            "ACME",
            "--subject",
            "Statement",
            "--text-file",
            body.to_str().unwrap(),
        ],
    );
    log.fails(
        &dir,
        &db,
        &[
            "outbox",
            "send",
            "--smtp-url",
            &wrong_smtp,
            "--from",
            "ar@main.example",
        ],
    );
    log.ok(
        &dir,
        &db,
        &[
            "outbox",
            "send",
            "--smtp-url",
            &smtp,
            "--from",
            "ar@main.example",
        ],
    );
    log.ok(&dir, &db, &["aging", "--as-of", "2026-06-30"]);
    log.ok(&dir, &db, &["verify"]);
    let journal = dir.join("journal.csv");
    log.ok(
        &dir,
        &db,
        &["export", "journal", "--out", journal.to_str().unwrap()],
    );
    let pdf = dir.join("invoice.pdf");
    log.ok(
        &dir,
        &db,
        &["invoice", "pdf", "A-1001", "--out", pdf.to_str().unwrap()],
    );
    let backup = dir.join("books.settle-backup");
    log.ok(&dir, &db, &["backup", "--out", backup.to_str().unwrap()]);
    // The backup restored into a new SQLite file, which Settle creates.
    let sqlite = dir.join("copy.db");
    log.ok(
        &dir,
        sqlite.to_str().unwrap(),
        &["restore", backup.to_str().unwrap()],
    );
    log.ok(&dir, sqlite.to_str().unwrap(), &["verify"]);

    // Failures that name the database: unreachable, no such database, given by environment.
    let closed = format!("{scheme}://{user}:{DB_PASSWORD}@127.0.0.1:1/none");
    log.fails(&dir, &closed, &["aging"]);
    log.fails(&dir, &closed, &["backup", "--out", "x.settle-backup"]);
    log.fails(&dir, &closed, &["restore", backup.to_str().unwrap()]);
    let (base, _) = db.rsplit_once('/').unwrap();
    let missing = format!("{base}/settle_no_such_database");
    log.fails(&dir, &missing, &["verify"]);
    assert!(
        !log.run(
            &dir,
            "",
            &["aging"],
            &[("SETTLE_DATABASE_URL", closed.as_str())]
        ),
        "an unreachable database fails"
    );
    log.fails(&dir, &db, &["restore", backup.to_str().unwrap()]);

    assert!(
        log.text.contains(":***@"),
        "a failed connection shows the URL with its password masked:\n{}",
        log.text
    );
    for secret in [DB_PASSWORD, SMTP_PASSWORD] {
        assert!(
            !log.text.contains(secret),
            "{secret} was printed:\n{}",
            log.text
        );
        for file in [&journal, &backup, &pdf, &sqlite] {
            let bytes = std::fs::read(file).unwrap();
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} is in {}",
                file.display()
            );
        }
    }

    for file in [&journal, &backup, &pdf, &sqlite] {
        assert_eq!(mode(file), 0o600, "{} is private", file.display());
    }
}

/// Files replaced by Settle become private too, and a SQLite database it creates is.
#[test]
fn files_settle_writes_are_readable_by_their_owner_only() {
    let db = Backend::sqlite();
    db.ok(&["init"]);
    assert_eq!(mode(Path::new(&db.url)), 0o600, "the SQLite file");
    db.ok(&[
        "import",
        "customers",
        Backend::data("customers.csv").to_str().unwrap(),
    ]);
    db.ok(&[
        "import",
        "invoices",
        Backend::data("invoices.csv").to_str().unwrap(),
    ]);
    for name in ["-wal", "-shm"] {
        let side = format!("{}{name}", db.url);
        if Path::new(&side).exists() {
            assert_eq!(mode(Path::new(&side)), 0o600, "{side}");
        }
    }
    let journal = db.dir.join("journal.csv");
    std::fs::write(&journal, "old").unwrap();
    std::fs::set_permissions(&journal, std::fs::Permissions::from_mode(0o644)).unwrap();
    db.ok(&["export", "journal", "--out", journal.to_str().unwrap()]);
    assert_eq!(mode(&journal), 0o600, "an export replacing a file");
    let aging = db.dir.join("aging.xlsx");
    db.ok(&[
        "export",
        "aging",
        "--as-of",
        "2026-06-30",
        "--format",
        "xlsx",
        "--out",
        aging.to_str().unwrap(),
    ]);
    assert_eq!(mode(&aging), 0o600, "a workbook");
    let backup = db.dir.join("b.settle-backup");
    std::fs::write(&backup, "old").unwrap();
    std::fs::set_permissions(&backup, std::fs::Permissions::from_mode(0o644)).unwrap();
    db.ok(&["backup", "--out", backup.to_str().unwrap()]);
    assert_eq!(mode(&backup), 0o600, "a backup replacing a file");
}

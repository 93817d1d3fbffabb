//! Signing in, on both engines: passwords set through the command line and checked by the
//! service the HTTP server calls; API tokens created, used, revoked and expired; disabled users
//! shut out of both. Every refusal says the same words, whether or not the user exists.

#[macro_use]
mod support;

use std::io::Write as _;
use std::process::Stdio;

use jiff::{SignedDuration, Timestamp};
use settle_core::access::Scope;
use settle_service::{ServiceError, Settle};
use sqlx::{Connection as _, Row as _};

use support::{Backend, block_on};

on_both_engines!(
    passwords_sign_in_only_the_right_active_user,
    tokens_sign_in_until_revoked_expired_or_disabled,
);

/// Runs `settle ARGS…` with `input` on standard input; returns (success, stdout, stderr).
fn with_stdin(db: &Backend, args: &[&str], input: &str) -> (bool, String, String) {
    let mut child = db
        .command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the settle binary runs");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(input.as_bytes())
        .expect("stdin takes the password");
    let output = child.wait_with_output().expect("settle ends");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

async fn open(db: &Backend) -> Settle {
    Settle::open(&db.url, "MAIN").await.expect("open")
}

fn refusal<T: std::fmt::Debug>(result: Result<T, ServiceError>) -> String {
    match result {
        Err(error @ ServiceError::Unauthenticated(_)) => error.to_string(),
        other => panic!("expected a refusal to sign in, got {other:?}"),
    }
}

fn passwords_sign_in_only_the_right_active_user(db: &Backend) {
    db.ok(&["init"]);
    let (ok, _, stderr) = with_stdin(
        db,
        &["user", "add", "ann", "--role", "clerk", "--password-stdin"],
        "too short\n",
    );
    assert!(!ok && stderr.contains("at least 12 characters"), "{stderr}");
    let users = db.json(&["user", "list"]);
    assert_eq!(users, serde_json::json!([]), "nothing half-written");

    let (ok, _, stderr) = with_stdin(
        db,
        &[
            "user",
            "add",
            "ann",
            "--role",
            "clerk",
            "--full-name",
            "Ann Lee",
            "--password-stdin",
        ],
        "correct horse battery\n",
    );
    assert!(ok, "{stderr}");
    db.ok(&["user", "add", "bob", "--role", "manager"]);
    let users = db.json(&["user", "list"]);
    assert_eq!(users[0]["name"], "ann");
    assert_eq!(users[0]["password"], true);
    assert_eq!(users[1]["password"], false);

    block_on(async {
        let settle = open(db).await;
        let ann = settle
            .check_password("ann", "correct horse battery")
            .await
            .expect("the right password signs in");
        assert_eq!((ann.name.as_str(), ann.role.as_str()), ("ann", "clerk"));
        let wrong = refusal(settle.check_password("ann", "correct horse battery!").await);
        let unknown = refusal(settle.check_password("zed", "correct horse battery").await);
        let no_password = refusal(settle.check_password("bob", "correct horse battery").await);
        assert_eq!(
            wrong, unknown,
            "an unknown user is told what a known one is"
        );
        assert_eq!(wrong, no_password);
        assert!(!wrong.contains("ann") && !wrong.contains("zed"), "{wrong}");
        settle.close().await;
    });

    let (ok, _, stderr) = with_stdin(
        db,
        &["user", "password", "ann", "--password-stdin"],
        "staple battery horse correct\r\n",
    );
    assert!(ok, "{stderr}");
    db.ok(&["user", "disable", "bob"]);
    block_on(async {
        let settle = open(db).await;
        refusal(settle.check_password("ann", "correct horse battery").await);
        settle
            .check_password("ann", "staple battery horse correct")
            .await
            .expect("the new password, without its line ending, signs in");
        settle.close().await;
    });
    db.ok(&["user", "disable", "ann"]);
    let users = db.json(&["user", "list"]);
    assert!(users[0]["disabled_at"].is_string(), "{users}");
    block_on(async {
        let settle = open(db).await;
        let disabled = refusal(
            settle
                .check_password("ann", "staple battery horse correct")
                .await,
        );
        let unknown = refusal(settle.check_password("zed", "x").await);
        assert_eq!(disabled, unknown, "a disabled user is told nothing more");
        settle.close().await;
    });
}

/// The stored form of every token, read behind Settle's back.
fn stored_token_values(db: &Backend) -> Vec<String> {
    let url = if db.url.starts_with("postgres") {
        db.url.clone()
    } else {
        format!("sqlite://{}", db.url)
    };
    block_on(async move {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&url).await.expect("connect");
        let rows = sqlx::query("SELECT secret_sha256 FROM api_tokens ORDER BY id")
            .fetch_all(&mut conn)
            .await
            .expect("tokens");
        rows.iter().map(|r| r.get::<String, _>(0)).collect()
    })
}

fn last_used(db: &Backend, id: i64) -> serde_json::Value {
    let tokens = db.json(&["token", "list"]);
    tokens
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("token {id} listed: {tokens}"))["last_used_at"]
        .clone()
}

fn tokens_sign_in_until_revoked_expired_or_disabled(db: &Backend) {
    db.ok(&["init"]);
    db.ok(&["user", "add", "bob", "--role", "clerk"]);
    db.ok(&["user", "add", "cat", "--role", "auditor"]);
    let missing = db.fails(&["token", "create", "--scope", "read"]);
    assert!(missing.contains("--user"), "{missing}");
    let bad_scope = db.fails(&["--user", "bob", "token", "create", "--scope", "admin"]);
    assert!(bad_scope.contains("--scope"), "{bad_scope}");
    let past = db.fails(&[
        "--user",
        "bob",
        "token",
        "create",
        "--scope",
        "read",
        "--expires",
        "2020-01-01",
    ]);
    assert!(past.contains("in the past"), "{past}");

    let write = db.json(&[
        "--user", "bob", "token", "create", "--scope", "write", "--name", "ci",
    ]);
    let secret = write["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("stl_") && secret.len() == 68, "{secret}");
    let today = Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string();
    let expiring = db.json(&[
        "--user",
        "cat",
        "token",
        "create",
        "--scope",
        "read",
        "--expires",
        &today,
    ]);
    let expiring_secret = expiring["secret"].as_str().unwrap().to_string();
    let spare = db.json(&["--user", "bob", "token", "create", "--scope", "read"]);
    let spare_secret = spare["secret"].as_str().unwrap().to_string();

    let stored = stored_token_values(db);
    assert_eq!(stored.len(), 3);
    for (value, secret) in stored
        .iter()
        .zip([&secret, &expiring_secret, &spare_secret])
    {
        assert_eq!(value.len(), 64, "a SHA-256 in hex: {value}");
        assert!(!value.contains(&secret[4..]), "the secret is not stored");
    }
    let listed = db.ok(&["token", "list"]);
    assert!(!listed.contains(&secret[4..]), "never listed: {listed}");
    let bobs = db.json(&["--user", "bob", "token", "list"]);
    assert_eq!(bobs.as_array().unwrap().len(), 2, "{bobs}");

    let token_id = write["id"].as_i64().unwrap();
    let expiring_id = expiring["id"].as_i64().unwrap();
    block_on(async {
        let settle = open(db).await;
        let now = Timestamp::now();
        let signed = settle
            .authenticate_token_at(&secret, now)
            .await
            .expect("a fresh token signs in");
        assert_eq!(signed.user.name, "bob");
        assert_eq!(signed.scope, Scope::Write);
        let cat = settle
            .authenticate_token_at(&expiring_secret, now)
            .await
            .expect("works through its last day");
        assert_eq!(cat.scope, Scope::Read);
        let expired = refusal(
            settle
                .authenticate_token_at(&expiring_secret, now + SignedDuration::from_hours(48))
                .await,
        );
        let unknown = refusal(
            settle
                .authenticate_token_at(&format!("stl_{}", "0".repeat(64)), now)
                .await,
        );
        let malformed = refusal(settle.authenticate_token_at("password", now).await);
        assert_eq!(expired, unknown);
        assert_eq!(unknown, malformed);
        settle.close().await;
    });

    // Its last use is written once a minute at most.
    let first = last_used(db, token_id);
    assert!(first.is_string(), "recorded: {first}");
    assert!(last_used(db, expiring_id).is_string());
    block_on(async {
        let settle = open(db).await;
        let used: Timestamp = first.as_str().unwrap().parse().unwrap();
        settle
            .authenticate_token_at(&secret, used + SignedDuration::from_secs(20))
            .await
            .expect("signs in");
        assert_eq!(
            last_used(db, token_id),
            first,
            "not written again within a minute"
        );
        settle
            .authenticate_token_at(&secret, used + SignedDuration::from_secs(61))
            .await
            .expect("signs in");
        assert_ne!(last_used(db, token_id), first, "written after a minute");
        settle.close().await;
    });

    let revoked = db.json(&["token", "revoke", &token_id.to_string()]);
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    db.ok(&["user", "disable", "bob"]);
    block_on(async {
        let settle = open(db).await;
        refusal(settle.authenticate_token(&secret).await);
        refusal(settle.authenticate_token(&spare_secret).await);
        settle.close().await;
    });
    let unknown = db.fails(&["token", "revoke", "999"]);
    assert!(unknown.contains("token 999 not found"), "{unknown}");
}

//! Email end to end, on SQLite and on PostgreSQL, against a real SMTP server (aiosmtpd, started
//! by `support/smtp_sink.py`): what arrives is read back with Python's email parser, not ours.
//! A missing aiosmtpd fails these tests; it never skips them.

#[macro_use]
mod support;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::Backend;
use support::smtp::Sink;

on_both_engines!(
    queued_mail_arrives_whole_at_the_billing_contact,
    failures_back_off_and_are_noted_on_the_account,
    a_killed_sender_loses_nothing_and_repeats_at_most_the_message_in_flight,
    a_dunning_letter_lists_the_open_items_in_both_parts,
    the_message_in_flight_at_a_crash_goes_again_with_its_message_id,
    the_dunning_run_emails_each_account_once_inside_its_window,
    the_dunning_run_attaches_each_letter_as_a_pdf,
);

const FROM: &str = "Main receivables <ar@main.example>";

fn send(db: &Backend, sink_url: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["outbox", "send", "--smtp-url", sink_url, "--from", FROM];
    args.extend_from_slice(extra);
    db.run(&args)
}

fn load_customers(db: &Backend) {
    db.ok(&["init"]);
    let customers = Backend::data("customers.csv");
    db.ok(&["import", "customers", customers.to_str().unwrap()]);
}

fn outbox(db: &Backend) -> Vec<Value> {
    db.json(&["outbox", "list"]).as_array().unwrap().clone()
}

fn contact_log(db: &Backend, customer: &str) -> Vec<Value> {
    db.json(&["customer", "show", customer])["contact_log"]
        .as_array()
        .unwrap()
        .clone()
}

fn queued_mail_arrives_whole_at_the_billing_contact(db: &Backend) {
    load_customers(db);
    // ACME's billing contact (role written in capitals) has an address of its own; the
    // customer's general address must not get the mail.
    db.sql(
        "UPDATE contacts SET role = 'BILLING', name = 'Ann Payable', email = 'billing@acme.example' \
         WHERE customer_id = (SELECT id FROM customers WHERE code = 'ACME')",
    );
    let text = db.file("body.txt", "Dear Ann,\n\nyour statement is attached.\n");
    let html = db.file(
        "body.html",
        "<p>Dear Ann,</p><p>your <b>statement</b> is attached.</p>",
    );
    let binary: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let pdf = db.dir.join("statement.pdf");
    std::fs::write(&pdf, &binary).unwrap();
    let csv = db.file("items.csv", "number,open\nINV-1,100.00\n");
    let queued = db.json(&[
        "email",
        "ACME",
        "--subject",
        "Your statement – November",
        "--text-file",
        &text,
        "--html-file",
        &html,
        "--attach",
        pdf.to_str().unwrap(),
        "--attach",
        &csv,
    ]);
    assert_eq!(queued["to"], serde_json::json!(["billing@acme.example"]));
    let message_id = queued["message_id"].as_str().unwrap().to_string();

    // Queued, not sent: nothing has reached any server yet, and the contact log says so.
    let listed = outbox(db);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["status"], "queued");
    assert_eq!(listed[0]["attachments"], 2);
    let log = contact_log(db, "ACME");
    assert!(
        log.iter().any(|e| e["channel"] == "email"
            && e["direction"] == "outbound"
            && e["subject"] == "Your statement – November"),
        "{log:?}"
    );

    let sink = Sink::start(&db.dir.join("mail"), &["--auth", "ar:s3cret-pw"]);
    let with_login = |user_password: &str, query: &str| {
        format!("smtp://{user_password}@127.0.0.1:{}{query}", sink.port)
    };

    // A wrong password is the session's fault, not the message's: nothing is charged to it,
    // and the password is not printed.
    let refused = send(db, &with_login("ar:wrong-pw", ""), &[]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("refused the session"), "{stderr}");
    assert!(!stderr.contains("wrong-pw"), "{stderr}");
    let listed = outbox(db);
    assert_eq!(
        (&listed[0]["status"], &listed[0]["attempts"]),
        (&"queued".into(), &0.into())
    );

    // STARTTLS required and not offered: never falls back to plain text.
    let no_tls = send(db, &with_login("ar:s3cret-pw", "?tls=starttls"), &[]);
    assert_eq!(no_tls.status.code(), Some(1));
    assert!(sink.received().is_empty());
    let id = listed[0]["id"].to_string();
    db.ok(&["outbox", "retry", &id]);

    let output = send(db, &with_login("ar:s3cret-pw", ""), &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("sent 1, retried 0, failed 0"), "{stdout}");

    let received = sink.received();
    assert_eq!(received.len(), 1);
    let mail = &received[0];
    assert_eq!(
        mail["rcpt_tos"],
        serde_json::json!(["billing@acme.example"])
    );
    assert_eq!(mail["mail_from"], "ar@main.example");
    assert_eq!(mail["headers"]["message-id"], message_id.as_str());
    assert_eq!(mail["headers"]["subject"], "Your statement – November");
    assert_eq!(mail["headers"]["to"], "billing@acme.example");
    assert!(
        mail["headers"]["from"]
            .as_str()
            .unwrap()
            .contains("ar@main.example")
    );
    assert!(mail["headers"]["date"].as_str().is_some());
    assert_eq!(
        mail["text"]
            .as_str()
            .unwrap()
            .replace("\r\n", "\n")
            .trim_end(),
        "Dear Ann,\n\nyour statement is attached."
    );
    assert!(
        mail["html"]
            .as_str()
            .unwrap()
            .contains("your <b>statement</b> is attached")
    );
    let attachments = mail["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 2);
    assert_eq!(attachments[0]["filename"], "statement.pdf");
    assert_eq!(attachments[0]["content_type"], "application/pdf");
    assert_eq!(attachments[0]["hex"], hex(&binary));
    assert_eq!(attachments[1]["filename"], "items.csv");
    assert_eq!(attachments[1]["hex"], hex(b"number,open\nINV-1,100.00\n"));

    let listed = outbox(db);
    assert_eq!(listed[0]["status"], "sent");
    assert_eq!(listed[0]["attempts"], 1);
    assert!(listed[0]["sent_at"].as_str().is_some());

    // Sent is sent: a second run sends nothing.
    let again = send(db, &with_login("ar:s3cret-pw", ""), &[]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("sent 0, retried 0, failed 0"));
    assert_eq!(sink.received().len(), 1);

    // Without a billing contact the customer's own address is used; with neither, or when the
    // customer asked us to stop, nothing is queued.
    let beta = db.json(&["email", "BETA", "--subject", "Hello", "--text-file", &text]);
    assert_eq!(beta["to"], serde_json::json!(["billing@beta.example"]));
    db.sql(
        "DELETE FROM contacts WHERE customer_id = (SELECT id FROM customers WHERE code = 'BETA')",
    );
    let fallback = db.json(&["email", "BETA", "--subject", "Hello", "--text-file", &text]);
    assert_eq!(fallback["to"], serde_json::json!(["billing@beta.example"]));
    let none = db.fails(&["email", "TOKY", "--subject", "Hello", "--text-file", &text]);
    assert!(none.contains("TOKY has no billing contact"), "{none}");
    db.sql("UPDATE customers SET cease_communication = 1 WHERE code = 'MULL'");
    let ceased = db.fails(&["email", "MULL", "--subject", "Hello", "--text-file", &text]);
    assert!(ceased.contains("cease communication"), "{ceased}");
    let missing = db.fails(&["email", "NOPE", "--subject", "Hello", "--text-file", &text]);
    assert!(missing.contains("customer NOPE not found"), "{missing}");
    assert_eq!(outbox(db).len(), 3);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn failures_back_off_and_are_noted_on_the_account(db: &Backend) {
    load_customers(db);
    let text = db.file("body.txt", "Please pay.\n");
    let queued = db.json(&[
        "email",
        "ACME",
        "--subject",
        "Reminder",
        "--text-file",
        &text,
    ]);
    let id = queued["outbox_id"].as_i64().unwrap().to_string();
    let message_id = queued["message_id"].as_str().unwrap().to_string();

    // Nobody listens: the attempt is counted, the message waits, the run stops and says why.
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let refused = send(db, &format!("smtp://127.0.0.1:{closed_port}"), &[]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("server unreachable"), "{stderr}");
    let row = &outbox(db)[0];
    assert_eq!(row["status"], "queued");
    assert_eq!(row["attempts"], 1);
    assert!(!row["last_error"].as_str().unwrap().is_empty());
    assert!(
        row["next_attempt_at"].as_str().unwrap() > row["created_at"].as_str().unwrap(),
        "{row}"
    );

    // Backing off: a run right away finds nothing due and does not touch the message.
    let sink = Sink::start(
        &db.dir.join("mail"),
        &[
            "--reject",
            "ap@acme.example",
            "--defer",
            "billing@beta.example",
        ],
    );
    let early = send(db, &sink.url(), &[]);
    assert!(String::from_utf8_lossy(&early.stdout).contains("sent 0, retried 0, failed 0"));
    assert_eq!(outbox(db)[0]["attempts"], 1);

    // A 451 is transient: the message waits again.
    let beta = db.json(&[
        "email",
        "BETA",
        "--subject",
        "Reminder",
        "--text-file",
        &text,
    ]);
    let deferred = send(db, &sink.url(), &[]);
    let stdout = String::from_utf8_lossy(&deferred.stdout);
    assert!(deferred.status.success(), "{stdout}");
    assert!(stdout.contains("sent 0, retried 1, failed 0"), "{stdout}");
    let rows = outbox(db);
    let beta_row = rows.iter().find(|r| r["id"] == beta["outbox_id"]).unwrap();
    assert_eq!(beta_row["status"], "queued");
    assert!(beta_row["last_error"].as_str().unwrap().contains("451"));

    // A 550 is permanent: failed at once, and the account says so.
    db.ok(&["outbox", "retry", &id]);
    let rejected = send(db, &sink.url(), &[]);
    let stdout = String::from_utf8_lossy(&rejected.stdout);
    assert!(stdout.contains("sent 0, retried 0, failed 1"), "{stdout}");
    let rows = outbox(db);
    let acme_row = rows
        .iter()
        .find(|r| r["id"] == queued["outbox_id"])
        .unwrap();
    assert_eq!(acme_row["status"], "failed");
    assert!(acme_row["last_error"].as_str().unwrap().contains("550"));
    let log = contact_log(db, "ACME");
    let note = log
        .iter()
        .find(|e| e["channel"] == "system")
        .unwrap_or_else(|| panic!("no system note: {log:?}"));
    assert_eq!(note["subject"], "Email not delivered: Reminder");
    assert!(note["body"].as_str().unwrap().contains(&message_id));
    assert!(note["body"].as_str().unwrap().contains("550"));
    assert!(sink.received().is_empty());
    let sent_refused = db.fails(&["outbox", "retry", "999"]);
    assert!(sent_refused.contains("not found"), "{sent_refused}");

    // Fixed on the server's side: retried by hand, it goes out with its first Message-ID.
    drop(sink);
    let sink = Sink::start(&db.dir.join("mail2"), &[]);
    db.ok(&["outbox", "retry", &id]);
    let delivered = send(db, &sink.url(), &["--limit", "1"]);
    assert!(String::from_utf8_lossy(&delivered.stdout).contains("sent 1"));
    let received = sink.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["headers"]["message-id"], message_id.as_str());
    let in_flight = db.fails(&["outbox", "retry", &id]);
    assert!(
        in_flight.contains("only queued, failed or bounced"),
        "{in_flight}"
    );

    // Later it bounces: recorded on the message and on the account, once.
    let dsn = format!(
        "From: MAILER-DAEMON@mx.acme.example\r\nMessage-ID: <dsn.1@mx.acme.example>\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.acme.example\r\n\r\n\
         Final-Recipient: rfc822; ap@acme.example\r\nAction: failed\r\nStatus: 5.2.2\r\n\
         Diagnostic-Code: smtp; 552 5.2.2 mailbox full\r\n\r\n\
         --b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {message_id}\r\nSubject: Reminder\r\n\r\n--b--\r\n"
    );
    let report = db.file("bounce.eml", &dsn);
    let bounced = db.ok(&["outbox", "bounce", "--report", &report]);
    assert!(
        bounced.contains("marked bounced: 552 5.2.2 mailbox full (5.2.2)"),
        "{bounced}"
    );
    db.ok(&["outbox", "bounce", &message_id, "--reason", "again"]);
    let rows = outbox(db);
    let acme_row = rows
        .iter()
        .find(|r| r["id"] == queued["outbox_id"])
        .unwrap();
    assert_eq!(acme_row["status"], "bounced");
    let notes = contact_log(db, "ACME")
        .into_iter()
        .filter(|e| e["channel"] == "system")
        .count();
    assert_eq!(notes, 2, "one note for the failure, one for the bounce");
    let unknown = db.fails(&["outbox", "bounce", "<no@such.id>", "--reason", "x"]);
    assert!(unknown.contains("not found"), "{unknown}");
    let never_sent = db.fails(&[
        "outbox",
        "bounce",
        beta_row["message_id"].as_str().unwrap(),
        "--reason",
        "x",
    ]);
    assert!(never_sent.contains("never sent"), "{never_sent}");

    // A message deferred on its last attempt fails, and the account says so.
    drop(sink);
    let sink = Sink::start(&db.dir.join("mail3"), &["--defer", "billing@beta.example"]);
    db.sql(&format!(
        "UPDATE outbox SET attempts = 9, next_attempt_at = '2000-01-01T00:00:00Z' WHERE id = {}",
        beta["outbox_id"]
    ));
    let last = send(db, &sink.url(), &[]);
    let stdout = String::from_utf8_lossy(&last.stdout);
    assert!(stdout.contains("sent 0, retried 0, failed 1"), "{stdout}");
    assert!(stdout.contains("gave up after 10 attempts"), "{stdout}");
    let log = contact_log(db, "BETA");
    assert!(
        log.iter().any(|e| e["channel"] == "system"
            && e["body"]
                .as_str()
                .unwrap()
                .contains("gave up after 10 attempts")),
        "{log:?}"
    );
}

/// A small deterministic generator: the kill times come from a printed seed, so a failing run
/// can be repeated with `SETTLE_KILL_SEED`.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

const KILL_MESSAGES: usize = 200;
const KILLS: usize = 3;

fn a_killed_sender_loses_nothing_and_repeats_at_most_the_message_in_flight(db: &Backend) {
    load_customers(db);
    let text = db.file("body.txt", "Statement enclosed.\n");
    let mut queued = Vec::new();
    for n in 0..KILL_MESSAGES {
        let customer = ["ACME", "BETA", "MULL"][n % 3];
        let subject = format!("Statement {n}");
        let q = db.json(&[
            "email",
            customer,
            "--subject",
            &subject,
            "--text-file",
            &text,
        ]);
        queued.push(q["message_id"].as_str().unwrap().to_string());
    }

    let seed = std::env::var("SETTLE_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    println!("kill seed: {seed} (set SETTLE_KILL_SEED={seed} to repeat)");
    let mut random = Lcg(seed);
    // Each message takes the server a few milliseconds, so a run lasts long enough to be
    // killed in the middle.
    let sink = Sink::start(&db.dir.join("mail"), &["--delay-ms", "8"]);
    let mut kills_mid_run = 0;
    for _ in 0..KILLS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_settle"))
            .args(["--db", &db.url, "outbox", "send", "--smtp-url", &sink.url()])
            .args(["--from", FROM, "--reclaim-after", "0"])
            .current_dir(&db.dir)
            .env_remove("SETTLE_DATABASE_URL")
            .env_remove("SETTLE_ENTITY")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the settle binary runs");
        // Once this run has delivered something, it is mid-run: kill it a random while later.
        let before = sink.received().len();
        let deadline = Instant::now() + Duration::from_secs(60);
        while sink.received().len() == before && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(random.below(300)));
        let still_running = child.try_wait().expect("wait").is_none();
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        if still_running && sink.received().len() > before {
            kills_mid_run += 1;
        }
    }
    assert_eq!(
        kills_mid_run, KILLS,
        "every kill must land in the middle of a run (seed {seed})"
    );

    let started = Instant::now();
    let finish = send(db, &sink.url(), &["--reclaim-after", "0"]);
    assert!(
        finish.status.success(),
        "{}",
        String::from_utf8_lossy(&finish.stderr)
    );
    assert!(started.elapsed() < Duration::from_secs(120));

    let mut arrivals: HashMap<String, usize> = HashMap::new();
    for mail in sink.received() {
        *arrivals
            .entry(mail["headers"]["message-id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let missing: Vec<&String> = queued
        .iter()
        .filter(|id| !arrivals.contains_key(*id))
        .collect();
    assert!(missing.is_empty(), "lost (seed {seed}): {missing:?}");
    assert_eq!(arrivals.len(), KILL_MESSAGES, "only queued messages arrive");
    // Each kill can leave one message that arrived but was not marked sent.
    let duplicates: usize = arrivals.values().map(|n| n - 1).sum();
    assert!(
        duplicates <= KILLS,
        "{duplicates} duplicates after {KILLS} kills (seed {seed})"
    );
    // No bound per message beyond that: the message resent first after a kill can be the one
    // in flight at the next kill too.
    let statuses: Vec<Value> = db
        .json(&["outbox", "list", "--limit", "1000"])
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].clone())
        .collect();
    assert_eq!(statuses.len(), KILL_MESSAGES);
    assert!(statuses.iter().all(|s| s == "sent"), "{statuses:?}");
    println!("{duplicates} extra arrival(s) after {KILLS} kills");
}

fn a_dunning_letter_lists_the_open_items_in_both_parts(db: &Backend) {
    load_customers(db);
    let invoices = Backend::data("invoices.csv");
    db.ok(&["import", "invoices", invoices.to_str().unwrap()]);
    db.sql(
        "UPDATE contacts SET name = 'Ann <Payable>' \
         WHERE customer_id = (SELECT id FROM customers WHERE code = 'ACME')",
    );
    // A-1005 is issued after the as-of date: not in the letter.
    let queued = db.json(&["email", "ACME", "--letter", "2", "--as-of", "2026-06-30"]);
    let sink = Sink::start(&db.dir.join("mail"), &[]);
    assert!(send(db, &sink.url(), &[]).status.success());
    let received = sink.received();
    assert_eq!(received.len(), 1);
    let mail = &received[0];
    assert_eq!(mail["headers"]["message-id"], queued["message_id"]);
    assert_eq!(
        mail["headers"]["subject"],
        "Second notice: overdue invoices (ACME)"
    );
    // Lines travel with CRLF endings.
    let text = &mail["text"].as_str().unwrap().replace("\r\n", "\n");
    let html = mail["html"].as_str().unwrap();
    assert!(text.starts_with("Dear Ann <Payable>,\n\n"), "{text}");
    assert!(html.contains("Dear Ann &lt;Payable&gt;,"), "{html}");
    assert!(
        text.contains("A-1001  issued 2026-01-10  due 2026-02-09  141 days overdue  1080.00 USD"),
        "{text}"
    );
    assert!(text.contains("A-1004  issued 2026-06-25  due 2026-07-25  due in 25 days  150.00 USD"));
    assert!(!text.contains("A-1005") && !html.contains("A-1005"));
    // 1080.00 + 2500.50 + 999.99 + 150.00
    assert!(text.contains("Total open in USD: 4730.49 USD"), "{text}");
    assert!(html.contains("<td>A-1003</td>"), "{html}");
    assert!(html.contains("4730.49 USD"));
    let log = contact_log(db, "ACME");
    assert!(
        log.iter().any(|e| e["channel"] == "email"
            && e["body"]
                .as_str()
                .unwrap()
                .contains("level 2 (second-notice)")),
        "{log:?}"
    );

    // A user's template overrides the built-in one; a broken one is named with its line.
    let templates = db.dir.join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("first-reminder.subject.txt"),
        "{{ company_name }} asks {{ customer_code }} to pay\n",
    )
    .unwrap();
    let dir = templates.to_str().unwrap();
    db.ok(&["email", "ACME", "--letter", "1", "--templates", dir]);
    let rows = outbox(db);
    assert_eq!(rows[0]["subject"], "Main company asks ACME to pay");
    std::fs::write(
        templates.join("final-notice.text.txt"),
        "Pay now.\n{% for item in items %}\n{{ item.number }\n",
    )
    .unwrap();
    let broken = db.fails(&["email", "ACME", "--letter", "3", "--templates", dir]);
    assert!(
        broken.contains("final-notice.text.txt") && broken.contains("line 3"),
        "{broken}"
    );
    let nothing = db.fails(&["email", "TOKY", "--letter", "1"]);
    assert!(nothing.contains("TOKY has no billing contact"), "{nothing}");
    assert_eq!(outbox(db).len(), 2, "nothing queued by the refusals");
}

fn the_message_in_flight_at_a_crash_goes_again_with_its_message_id(db: &Backend) {
    load_customers(db);
    let text = db.file("body.txt", "Statement enclosed.\n");
    let first = db.json(&["email", "ACME", "--subject", "First", "--text-file", &text]);
    let second = db.json(&["email", "BETA", "--subject", "Second", "--text-file", &text]);
    // The server sits on each message for a while before it answers: the sender is killed
    // while the first one is with the server.
    let sink = Sink::start(&db.dir.join("mail"), &["--delay-ms", "1500"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_settle"))
        .args(["--db", &db.url, "outbox", "send", "--smtp-url", &sink.url()])
        .args(["--from", FROM])
        .current_dir(&db.dir)
        .env_remove("SETTLE_DATABASE_URL")
        .env_remove("SETTLE_ENTITY")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the settle binary runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    while db
        .json(&["outbox", "list", "--status", "sending"])
        .as_array()
        .unwrap()
        .is_empty()
    {
        assert!(
            Instant::now() < deadline,
            "the sender never claimed a message"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    // The server still takes the message (it answers a connection that is gone).
    let deadline = Instant::now() + Duration::from_secs(10);
    while sink.received().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the server never got the message"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let in_flight = db.json(&["outbox", "list", "--status", "sending"]);
    assert_eq!(in_flight[0]["message_id"], first["message_id"]);

    // A run soon after leaves the message in flight alone (another sender may still own it)…
    assert!(send(db, &sink.url(), &[]).status.success());
    assert_eq!(
        db.json(&["outbox", "list", "--status", "sending"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // … and once its claim is old enough, sends it again, with the same Message-ID.
    assert!(
        send(db, &sink.url(), &["--reclaim-after", "0"])
            .status
            .success()
    );
    let ids: Vec<String> = sink
        .received()
        .iter()
        .map(|m| m["headers"]["message-id"].as_str().unwrap().to_string())
        .collect();
    let first_id = first["message_id"].as_str().unwrap().to_string();
    let second_id = second["message_id"].as_str().unwrap().to_string();
    assert_eq!(ids, [first_id.clone(), second_id, first_id]);
    let rows = outbox(db);
    assert!(rows.iter().all(|r| r["status"] == "sent"), "{rows:?}");
    let first_row = rows.iter().find(|r| r["id"] == first["outbox_id"]).unwrap();
    assert_eq!(first_row["attempts"], 2);
}

fn the_dunning_run_emails_each_account_once_inside_its_window(db: &Backend) {
    load_customers(db);
    for (number, customer) in [
        ("D-1", "ACME"),
        ("D-2", "BETA"),
        ("D-3", "MULL"),
        ("D-4", "TOKY"),
    ] {
        db.ok(&[
            "invoice",
            "add",
            number,
            "--customer",
            customer,
            "--date",
            "2099-01-02",
            "--line",
            "Consulting=1000",
        ]);
    }
    // 12:00 UTC is 02:00 in Honolulu: BETA's email waits for its window. (Dated ahead: the
    // sender holds a message until its time on the real clock.)
    db.ok(&[
        "customer",
        "collection",
        "BETA",
        "--time-zone",
        "Pacific/Honolulu",
    ]);
    let run = |at: &str| db.json(&["dun", "--as-of", "2099-03-20", "--at", at, "--show-blocked"]);
    let report = run("2099-03-20T12:00:00Z");
    let actions = report["actions"].as_array().unwrap();
    let codes: Vec<&str> = actions
        .iter()
        .map(|a| a["customer_id"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["ACME", "BETA", "MULL"], "{report}");
    // Past due already: the first reminder after the due date, not the pre-due one.
    assert!(
        actions
            .iter()
            .all(|a| a["level"] == 2 && a["template"] == "first-reminder")
    );
    let beta = &actions[1];
    assert_eq!(beta["send_after"], "2099-03-20T18:00:00Z", "{beta}");
    let blocked = report["blocked"].as_array().unwrap();
    assert_eq!(blocked.len(), 1);
    assert!(
        blocked[0]["guard"]
            .as_str()
            .unwrap()
            .contains("TOKY has no billing contact")
    );
    // The same day again adds nothing, in the outbox or the actions.
    assert!(
        run("2099-03-20T13:00:00Z")["actions"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(outbox(db).len(), 3);

    let sink = Sink::start(&db.dir.join("mail"), &[]);
    assert!(send(db, &sink.url(), &[]).status.success());
    let received = sink.received();
    let mut to: Vec<&str> = received
        .iter()
        .map(|m| m["headers"]["to"].as_str().unwrap())
        .collect();
    to.sort();
    assert_eq!(to, ["ap@acme.example", "buchhaltung@mueller.example"]);
    let acme = received
        .iter()
        .find(|m| m["headers"]["to"] == "ap@acme.example")
        .unwrap();
    assert_eq!(
        acme["headers"]["subject"],
        "Payment reminder from Main company (ACME)"
    );
    let text = acme["text"].as_str().unwrap().replace("\r\n", "\n");
    assert!(
        text.contains("D-1") && text.contains("1000.00 USD"),
        "{text}"
    );
    // BETA's message is still waiting; nothing went twice.
    let waiting: Vec<_> = outbox(db)
        .into_iter()
        .filter(|m| m["status"] == "queued")
        .collect();
    assert_eq!(waiting.len(), 1);
    assert_eq!(
        waiting[0]["to"],
        serde_json::json!(["billing@beta.example"])
    );
    assert!(send(db, &sink.url(), &[]).status.success());
    assert_eq!(sink.received().len(), 2);
}

fn the_dunning_run_attaches_each_letter_as_a_pdf(db: &Backend) {
    load_customers(db);
    for (number, customer) in [("L-1", "ACME"), ("L-2", "MULL")] {
        db.ok(&[
            "invoice",
            "add",
            number,
            "--customer",
            customer,
            "--date",
            "2026-01-02",
            "--line",
            "Consulting=1000",
        ]);
    }
    let report = db.json(&[
        "dun",
        "--as-of",
        "2026-03-20",
        "--at",
        "2026-03-20T12:00:00Z",
        "--attach-letters",
    ]);
    let actions = report.as_array().unwrap();
    assert_eq!(actions.len(), 2, "{report}");
    assert!(outbox(db).iter().all(|row| row["attachments"] == 1));

    let sink = Sink::start(&db.dir.join("mail"), &[]);
    assert!(send(db, &sink.url(), &[]).status.success());
    let received = sink.received();
    assert_eq!(received.len(), 2);
    for (mail, (number, code)) in received.iter().zip([("L-1", "ACME"), ("L-2", "MULL")]) {
        let attachments = mail["attachments"].as_array().unwrap();
        assert_eq!(attachments.len(), 1, "{mail}");
        let attachment = &attachments[0];
        assert_eq!(attachment["content_type"], "application/pdf");
        let name = attachment["filename"].as_str().unwrap();
        assert!(
            name.starts_with(&format!("dunning-{code}-2026-03-20-level-")),
            "{name}"
        );
        let hex = attachment["hex"].as_str().unwrap();
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let path = db.dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let text = Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
            .expect("pdftotext runs (poppler-utils)");
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(text.contains(number), "{text}");
        assert!(
            text.contains("1,000.00") || text.contains("1000.00"),
            "{text}"
        );
        let heading = match name.trim_end_matches(".pdf").rsplit('-').next() {
            Some("1") => "Payment reminder",
            Some("2") => "Second notice",
            _ => "Final notice",
        };
        assert!(text.contains(heading), "{heading} in {name}:\n{text}");
    }
}

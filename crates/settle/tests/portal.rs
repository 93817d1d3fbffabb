//! The customer portal end to end, on both engines: links made by the team (and refused to
//! roles that may not), the pages a link opens and those it does not (expired, revoked,
//! unknown, another customer's invoices, every staff route), each write through the portal
//! with its CSRF token and its audit row, and cash application using the remittance advice.

#[macro_use]
mod support;

use support::server::{PASSWORD, Reply, Server, add_user};
use support::{Backend, pdftotext};

/// A new portal link for `customer` made by `user`: its id and its address's path.
fn link(backend: &Backend, user: &str, customer: &str) -> (i64, String) {
    let made = backend.json(&["--user", user, "portal", "link", customer]);
    let url = made["url"].as_str().expect("the link's address");
    let path = url
        .strip_prefix("http://127.0.0.1:8080")
        .expect("the default public address")
        .to_string();
    (made["id"].as_i64().expect("the link's id"), path)
}

/// The token a portal page's forms carry.
fn csrf_of(page: &Reply) -> String {
    page.body
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page's forms carry the link's token")
        .to_string()
}

fn in_days(days: i64) -> String {
    let today = jiff::Zoned::now().date();
    today
        .checked_add(jiff::Span::new().days(days))
        .expect("a date")
        .to_string()
}

/// Whether a form's redirect says it worked.
fn went_well(reply: &Reply) -> bool {
    reply.status == 303
        && reply
            .location
            .as_deref()
            .is_some_and(|l| l.contains("kind=ok"))
}

fn audit(backend: &Backend, operation: &str) -> Vec<serde_json::Value> {
    backend
        .json(&["audit", "log", "--operation", operation])
        .as_array()
        .expect("audit rows")
        .clone()
}

fn links_are_made_by_the_team_and_end_when_they_should(backend: &Backend) {
    backend.load_fixture();
    add_user(backend, "clara", "clerk");
    add_user(backend, "sam", "sales");
    add_user(backend, "ada", "auditor");

    // Only those who work accounts hand out links.
    let refused = backend.fails(&["--user", "sam", "portal", "link", "ACME"]);
    assert!(refused.contains("manager, clerk or collector"), "{refused}");
    backend.fails(&["--user", "ada", "portal", "link", "ACME"]);
    let unknown = backend.fails(&["--user", "clara", "portal", "link", "NOPE"]);
    assert!(unknown.contains("NOPE"), "{unknown}");
    let too_long = backend.fails(&["--user", "clara", "portal", "link", "ACME", "--days", "400"]);
    assert!(too_long.contains("days"), "{too_long}");

    // The address is built on the public URL the server is given.
    let output = backend
        .command(&[
            "--user", "clara", "portal", "link", "BETA", "--format", "json",
        ])
        .env("SETTLE_PUBLIC_URL", "https://ar.example.com/")
        .output()
        .expect("settle runs");
    assert!(output.status.success());
    let made: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let url = made["url"].as_str().unwrap();
    let secret = url
        .strip_prefix("https://ar.example.com/portal/")
        .expect("the public address");
    assert_eq!(secret.len(), 64);

    let (_, acme) = link(backend, "clara", "ACME");
    let (expired_id, expired) = link(backend, "clara", "ACME");
    backend.sql(&format!(
        "UPDATE portal_links SET expires_at = '2020-01-01T00:00:00Z' WHERE id = {expired_id}"
    ));
    let (revoked_id, revoked) = link(backend, "clara", "ACME");
    let revoked_row = backend.json(&[
        "--user",
        "clara",
        "portal",
        "revoke",
        &revoked_id.to_string(),
    ]);
    assert_eq!(revoked_row["state"], "revoked");
    let listed = backend.json(&["portal", "links", "--customer", "ACME"]);
    let states: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["revoked", "expired", "active"]);
    // No list shows a secret.
    let all = backend.json(&["portal", "links"]).to_string();
    assert!(!all.contains(secret));

    let server = Server::start(backend, &[]);
    let page = server.get(&acme, None);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Acme Corporation"), "{}", page.body);
    assert!(page.body.contains("A-1001") && page.body.contains("Amount due"));
    assert!(!page.body.contains("B-2001") && !page.body.contains("Beta Logistics"));
    assert!(!page.body.contains("Sign out") && !page.body.contains("/worklist"));

    // Expired and revoked links are gone, unknown ones never were; none says more.
    for (path, status) in [
        (expired.as_str(), 410),
        (revoked.as_str(), 410),
        (&format!("/portal/{}", "0".repeat(64)), 404),
        ("/portal/not-a-secret", 404),
    ] {
        let answer = server.get(path, None);
        assert_eq!(answer.status, status, "{path}");
        assert!(
            answer.body.contains("This link is not valid"),
            "{}",
            answer.body
        );
        assert!(!answer.body.contains("Acme"), "{}", answer.body);
        let pdf = server.get_bytes(&format!("{path}/statement.pdf"));
        assert_eq!(pdf.0, status);
    }

    // The statement and the customer's own invoices as PDF; another customer's is not found.
    let (status, content_type, bytes) = server.get_bytes(&format!("{acme}/statement.pdf"));
    assert_eq!(status, 200);
    assert_eq!(content_type, "application/pdf");
    assert!(bytes.starts_with(b"%PDF"));
    // The letterhead is the company's as it is now: an edit shows on the next document.
    let before = backend.dir.join("portal-statement-before.pdf");
    std::fs::write(&before, &bytes).expect("write the PDF");
    assert!(!pdftotext(&before).contains("Renamed Trading Ltd"));
    backend.ok(&["company", "set", "name", "Renamed Trading Ltd"]);
    let (status, _, bytes) = server.get_bytes(&format!("{acme}/statement.pdf"));
    assert_eq!(status, 200);
    let after = backend.dir.join("portal-statement-after.pdf");
    std::fs::write(&after, &bytes).expect("write the PDF");
    assert!(pdftotext(&after).contains("Renamed Trading Ltd"));
    let (status, content_type, bytes) = server.get_bytes(&format!("{acme}/invoices/A-1001.pdf"));
    assert_eq!((status, content_type.as_str()), (200, "application/pdf"));
    assert!(bytes.starts_with(b"%PDF"));
    assert_eq!(
        server.get_bytes(&format!("{acme}/invoices/B-2001.pdf")).0,
        404
    );
    assert_eq!(server.get_bytes(&format!("{acme}/invoices/A-1001")).0, 404);

    // A portal secret opens no staff route, by token or by cookie.
    let secret = acme.trim_start_matches("/portal/");
    assert_eq!(server.get("/api/v1/customers", Some(secret)).status, 401);
    let cookie = format!("settle_session={secret}");
    let staff = server.get_with_cookie("/customers/ACME", &cookie);
    assert_eq!(staff.status, 303);
    assert!(staff.location.unwrap().starts_with("/login"));
    assert_eq!(
        server.get_with_cookie("/api/v1/customers", &cookie).status,
        401
    );

    let made = audit(backend, "create_portal_link");
    assert_eq!(made.len(), 4, "{made:?}");
    assert!(made.iter().all(|row| row["actor"] == "clara"));
    assert!(!serde_json::Value::Array(made).to_string().contains(secret));
    assert_eq!(audit(backend, "revoke_portal_link").len(), 1);
}

fn the_customer_disputes_promises_and_advises(backend: &Backend) {
    backend.load_fixture();
    add_user(backend, "clara", "clerk");
    let (link_id, acme) = link(backend, "clara", "ACME");
    let server = Server::start(backend, &[]);
    let page = server.get(&acme, None);
    let csrf = csrf_of(&page);

    // A form without the link's token is refused, and a staff cookie is no substitute.
    let forged = server.form(
        &format!("{acme}/disputes"),
        None,
        &[
            ("_csrf", "forged"),
            ("invoice", "A-1002"),
            ("reason", "pricing"),
        ],
    );
    assert_eq!(forged.status, 403);
    // Another customer's invoice is as unknown as one that does not exist.
    let foreign = server.form(
        &format!("{acme}/disputes"),
        None,
        &[
            ("_csrf", &csrf),
            ("invoice", "B-2001"),
            ("reason", "pricing"),
        ],
    );
    assert!(!went_well(&foreign), "{foreign:?}");
    assert!(
        backend
            .json(&["dispute", "list"])
            .as_array()
            .unwrap()
            .is_empty()
    );

    let disputed = server.form(
        &format!("{acme}/disputes"),
        None,
        &[
            ("_csrf", &csrf),
            ("invoice", "A-1002"),
            ("reason", "pricing"),
            ("note", "The price list says 2,000.00"),
        ],
    );
    assert!(went_well(&disputed), "{disputed:?}");
    let disputes = backend.json(&["dispute", "list"]);
    let dispute = &disputes.as_array().unwrap()[0];
    assert_eq!(dispute["invoice"], "A-1002");
    assert_eq!(dispute["reason"], "pricing");
    assert_eq!(dispute["amount"]["amount"], "2500.50");
    assert!(
        dispute["note"]
            .as_str()
            .unwrap()
            .starts_with("raised by the customer through the portal"),
        "{dispute}"
    );

    let promised_on = in_days(10);
    let promised = server.form(
        &format!("{acme}/promises"),
        None,
        &[
            ("_csrf", &csrf),
            ("amount", "500.00"),
            ("promised_on", &promised_on),
        ],
    );
    assert!(went_well(&promised), "{promised:?}");
    let promises = backend.json(&["promise", "list"]);
    let promise = &promises.as_array().unwrap()[0];
    assert_eq!(promise["amount"], "500.00");
    assert_eq!(promise["promised_on"], promised_on.as_str());
    assert_eq!(
        promise["created_by"],
        format!("customer ACME (portal link {link_id})")
    );
    let late = server.form(
        &format!("{acme}/promises"),
        None,
        &[
            ("_csrf", &csrf),
            ("amount", "500.00"),
            ("promised_on", "2020-01-01"),
        ],
    );
    assert!(!went_well(&late));

    let too_much = server.form(
        &format!("{acme}/advice"),
        None,
        &[
            ("_csrf", &csrf),
            ("invoice", "A-1004"),
            ("amount:A-1004", "150.01"),
        ],
    );
    assert!(!went_well(&too_much), "{too_much:?}");
    let advised = server.form(
        &format!("{acme}/advice"),
        None,
        &[
            ("_csrf", &csrf),
            ("invoice", "A-1003"),
            ("amount:A-1003", ""),
            ("invoice", "A-1004"),
            ("amount:A-1004", "100.00"),
            ("expected_on", &in_days(3)),
        ],
    );
    assert!(went_well(&advised), "{advised:?}");
    let page = server.get(&acme, None);
    assert!(
        page.body.contains("waiting for the payment"),
        "{}",
        page.body
    );

    // Each write is in the audit trail as the customer's, from the portal.
    for operation in ["open_dispute", "promise", "portal_advice"] {
        let rows = audit(backend, operation);
        assert_eq!(rows.len(), 1, "{operation}: {rows:?}");
        assert_eq!(
            rows[0]["actor"],
            format!("customer ACME (portal link {link_id})"),
            "{operation}"
        );
        assert!(
            rows[0]["origin"]
                .as_str()
                .unwrap()
                .starts_with("portal 127.0.0.1"),
            "{operation}: {}",
            rows[0]
        );
    }

    // The account page hands out a link too, shown once.
    let signed_in = server.form(
        "/login",
        None,
        &[
            ("user", "clara"),
            ("password", PASSWORD),
            ("next", "/customers/ACME"),
        ],
    );
    let cookie = signed_in
        .set_cookie
        .expect("a session")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let account = server.get_with_cookie("/customers/ACME", &cookie);
    assert!(account.body.contains("Create a portal link"));
    let staff_csrf = csrf_of(&account);
    let shown = server.form(
        "/customers/ACME/portal-link",
        Some(&cookie),
        &[("_csrf", &staff_csrf), ("days", "7")],
    );
    assert_eq!(shown.status, 200, "{}", shown.body);
    // The page escapes the address's slashes as HTML does; the secret is what follows
    // `portal/`.
    let shown_text = shown.body.replace("&#x2f;", "/");
    let secret = shown_text
        .split("127.0.0.1:8080/portal/")
        .nth(1)
        .map(|rest| &rest[..64])
        .expect("the new link's address");
    let url = format!("/portal/{secret}");
    assert_eq!(server.get(&url, None).status, 200);
    // The portal never takes the staff session's token as its own.
    let crossed = server.form(
        &format!("{url}/promises"),
        Some(&cookie),
        &[
            ("_csrf", &staff_csrf),
            ("amount", "1.00"),
            ("promised_on", &promised_on),
        ],
    );
    assert_eq!(crossed.status, 403);
}

#[allow(clippy::inconsistent_digit_grouping)]
fn cash_application_uses_the_advice(backend: &Backend) {
    backend.load_fixture();
    add_user(backend, "clara", "clerk");
    // A-1003 (999.99) and A-1004 (150.00): no single item owes 1149.99.
    backend.ok(&[
        "payment",
        "post",
        "--amount",
        "1149.99",
        "--currency",
        "USD",
        "--date",
        "2026-07-20",
        "--reference",
        "WIRE-77",
    ]);
    let without = backend.json(&["match"]);
    let outcome = &without["outcomes"][0];
    assert_eq!(outcome["decision"], "unapplied", "{without}");
    assert!(outcome["allocations"].as_array().unwrap().is_empty());

    let (_, acme) = link(backend, "clara", "ACME");
    let server = Server::start(backend, &[]);
    let page = server.get(&acme, None);
    let csrf = csrf_of(&page);
    let advised = server.form(
        &format!("{acme}/advice"),
        None,
        &[
            ("_csrf", &csrf),
            ("invoice", "A-1003"),
            ("invoice", "A-1004"),
        ],
    );
    assert!(went_well(&advised), "{advised:?}");
    drop(server);

    let with = backend.json(&["match"]);
    let outcome = &with["outcomes"][0];
    let decision = outcome["decision"].as_str().unwrap();
    assert!(matches!(decision, "auto" | "suggest"), "{with}");
    let invoices: Vec<(&str, &str)> = outcome["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["number"].as_str().unwrap(),
                a["cash"]["amount"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(invoices.len(), 2, "{with}");
    assert!(invoices.iter().any(|(n, _)| *n == "A-1003"));
    assert!(invoices.iter().any(|(n, _)| *n == "A-1004"));
    let evidence = outcome["evidence"].to_string();
    assert!(
        evidence.contains("remittance advice from the portal")
            && evidence.contains("A-1003, A-1004"),
        "{evidence}"
    );
    if decision == "suggest" {
        let id = outcome["decision_id"].as_i64().unwrap().to_string();
        backend.ok(&["--user", "clara", "apply", "--accept", &id]);
    }
    // Applied to its invoices, the advice is used up: the next run does not offer it again.
    let used = audit(backend, "use_remittance_advice");
    assert_eq!(used.len(), 1, "{used:?}");
    assert!(
        used[0]["after"].as_str().unwrap().contains("used"),
        "{used:?}"
    );
}

on_both_engines!(
    links_are_made_by_the_team_and_end_when_they_should,
    the_customer_disputes_promises_and_advises,
    cash_application_uses_the_advice,
);

//! The HTTP server end to end: the real binary serving a real database on either engine,
//! called over loopback like any client would. Idempotent writes, problem details, paging,
//! the role matrix, browser sign-in with CSRF, and clerks racing for one payment.

#[macro_use]
mod support;

use serde_json::json;

use support::Backend;
use support::server::{PASSWORD, Server, add_user};

/// A new API token of `scope` for `user`.
fn token(backend: &Backend, user: &str, scope: &str) -> String {
    let created = backend.json(&["--user", user, "token", "create", "--scope", scope]);
    created["secret"].as_str().expect("the secret").to_string()
}

/// A database with the fixture's customers and invoices, one user per role with a write
/// token each, and a sales rep's own customer.
fn team(backend: &Backend) -> Vec<(&'static str, String)> {
    backend.load_fixture();
    let roles = ["admin", "manager", "clerk", "collector", "sales", "auditor"];
    let mut tokens = Vec::new();
    for role in roles {
        add_user(backend, role, role);
        tokens.push((role, token(backend, role, "write")));
    }
    tokens
}

fn token_of<'a>(tokens: &'a [(&str, String)], role: &str) -> &'a str {
    &tokens.iter().find(|(r, _)| *r == role).expect("a role").1
}

/// Promises and plans through the API, and the worklist the server keeps ranked: a call
/// logged through the server shows on the next worklist request.
fn promises_plans_and_the_kept_worklist(backend: &Backend) {
    let tokens = team(backend);
    let collector = token_of(&tokens, "collector");
    let sales = token_of(&tokens, "sales");
    let server = Server::start(backend, &[]);

    let plan = json!({
        "customer_id": "ACME", "invoices": ["A-1001", "A-1002"], "instalments": 3,
        "first_due": "2027-01-15", "grace_days": 5, "note": "agreed on the phone",
    });
    let created = server.send("POST", "/api/v1/plans", collector, Some("plan-1"), &plan);
    assert_eq!(created.status, 201, "{}", created.body);
    let again = server.send("POST", "/api/v1/plans", collector, Some("plan-1"), &plan);
    assert!(again.replayed, "{}", again.body);
    assert_eq!(created.json(), again.json());
    let created = created.json();
    let instalments = created["instalments"].as_array().expect("instalments");
    assert_eq!(instalments.len(), 3, "{created}");
    assert_eq!(created["total"], "3580.50", "what is open on both invoices");
    assert_eq!(instalments[0]["due_on"], "2027-01-15");
    assert_eq!(instalments[2]["due_on"], "2027-03-15");
    let plans = server.get("/api/v1/plans?customer_id=ACME", Some(collector));
    assert_eq!(plans.status, 200, "{}", plans.body);
    assert_eq!(
        plans.json().as_array().map(Vec::len),
        Some(1),
        "one plan, once"
    );
    let no_schedule = server.send(
        "POST",
        "/api/v1/plans",
        collector,
        None,
        &json!({ "customer_id": "ACME", "invoices": ["A-1003"] }),
    );
    assert_eq!(no_schedule.status, 422, "{}", no_schedule.body);
    assert_eq!(
        server
            .get("/api/v1/plans?customer_id=ACME", Some(collector))
            .json()
            .as_array()
            .map(Vec::len),
        Some(1),
        "a refused plan writes nothing"
    );
    // A sales rep names one of their own customers.
    assert_ne!(server.get("/api/v1/plans", Some(sales)).status, 200);

    let promise = json!({ "customer_id": "BETA", "amount": "3333.33", "promised_on": "2027-01-10", "invoices": ["B-2002"] });
    let promised = server.send(
        "POST",
        "/api/v1/promises",
        collector,
        Some("promise-1"),
        &promise,
    );
    assert_eq!(promised.status, 201, "{}", promised.body);
    let id = promised.json()["id"].as_i64().expect("an id");
    let open = server
        .get("/api/v1/promises?status=open", Some(collector))
        .json();
    assert!(
        open.as_array()
            .expect("a list")
            .iter()
            .any(|p| p["id"] == id),
        "{open}"
    );
    let cancel = format!("/api/v1/promises/{id}/cancel");
    let cancelled = server.send("POST", &cancel, collector, Some("cancel-1"), &json!({}));
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(cancelled.json()["status"], "cancelled");
    let twice = server.send("POST", &cancel, collector, None, &json!({}));
    assert_eq!(
        twice.status, 409,
        "only an open promise is cancelled: {}",
        twice.body
    );
    let bad_status = server.get("/api/v1/promises?status=maybe", Some(collector));
    assert_eq!(bad_status.status, 422, "{}", bad_status.body);
    assert_eq!(bad_status.json()["field"], "status");

    // The kept ranking follows a write made through the server.
    let worklist = server.get("/api/v1/worklist", Some(collector)).json();
    let first = &worklist[0];
    assert!(first["last_contact"].is_null(), "{first}");
    let customer = first["customer"].as_str().expect("a customer").to_string();
    let call = json!({ "customer_id": customer, "channel": "phone", "subject": "Reminder call" });
    let logged = server.send("POST", "/api/v1/contacts", collector, None, &call);
    assert_eq!(logged.status, 201, "{}", logged.body);
    let worklist = server.get("/api/v1/worklist", Some(collector)).json();
    let entry = worklist
        .as_array()
        .expect("a list")
        .iter()
        .find(|e| e["customer"] == customer.as_str())
        .expect("still on the worklist");
    assert!(!entry["last_contact"].is_null(), "{entry}");
    let filtered = server
        .get("/api/v1/worklist?bucket=91%2B", Some(collector))
        .json();
    for (n, entry) in filtered.as_array().expect("a list").iter().enumerate() {
        assert_eq!(entry["bucket"], "91+");
        assert_eq!(entry["rank"], n + 1, "ranked again within the filter");
    }
    let wrong_bucket = server.get("/api/v1/worklist?bucket=old", Some(collector));
    assert_eq!(wrong_bucket.status, 422, "{}", wrong_bucket.body);
}

#[allow(clippy::inconsistent_digit_grouping)]
fn writes_are_idempotent_and_errors_are_problem_details(backend: &Backend) {
    let tokens = team(backend);
    let clerk = token_of(&tokens, "clerk");
    let server = Server::start(backend, &[]);

    assert_eq!(server.get("/healthz", None).status, 200);
    let unauthenticated = server.get("/api/v1/customers", None);
    assert_eq!(unauthenticated.status, 401);
    assert_eq!(unauthenticated.content_type, "application/problem+json");

    let payment = json!({
        "customer_id": "ACME", "amount": "500.00", "received_on": "2026-07-01",
        "method": "wire", "bank_reference": "W-1", "bank_account": "OPERATING",
    });
    let first = server.send("POST", "/api/v1/payments", clerk, Some("pay-1"), &payment);
    assert_eq!(first.status, 201, "{}", first.body);
    assert!(!first.replayed);
    let again = server.send("POST", "/api/v1/payments", clerk, Some("pay-1"), &payment);
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(again.replayed, "the retry is a replay");
    assert_eq!(first.json(), again.json(), "the first response, unchanged");
    let payment_id = first.json()["payment_id"].as_i64().expect("an id");

    // The same key with another request is refused, and posts nothing.
    let other = json!({
        "customer_id": "ACME", "amount": "1.00", "method": "wire",
        "bank_reference": "W-2", "bank_account": "OPERATING",
    });
    let reused = server.send("POST", "/api/v1/payments", clerk, Some("pay-1"), &other);
    assert_eq!(reused.status, 422, "{}", reused.body);
    assert_eq!(reused.json()["field"], "Idempotency-Key");

    // An application, retried, applies once.
    let apply = json!({ "payment_id": payment_id, "invoice": "A-1001", "amount": "200.00", "date": "2026-07-01" });
    let applied = server.send("POST", "/api/v1/applications", clerk, Some("app-1"), &apply);
    assert_eq!(applied.status, 201, "{}", applied.body);
    let retried = server.send("POST", "/api/v1/applications", clerk, Some("app-1"), &apply);
    assert!(retried.replayed);
    let account = server.get("/api/v1/customers/ACME", Some(clerk)).json();
    let unapplied = &account["unapplied_payments"][0]["unapplied"]["amount"];
    assert_eq!(unapplied, "300.00", "applied once: {account}");

    // Opening a dispute, retried, opens one and says the answer is a replay.
    let collector = token_of(&tokens, "collector");
    let dispute = json!({ "invoice": "A-1002", "amount": "300.00", "reason": "pricing", "date": "2026-06-20" });
    let opened = server.send(
        "POST",
        "/api/v1/disputes",
        collector,
        Some("dsp-1"),
        &dispute,
    );
    assert_eq!(opened.status, 201, "{}", opened.body);
    assert!(!opened.replayed);
    let reopened = server.send(
        "POST",
        "/api/v1/disputes",
        collector,
        Some("dsp-1"),
        &dispute,
    );
    assert_eq!(reopened.status, 200, "{}", reopened.body);
    assert!(reopened.replayed, "Idempotent-Replayed: true");
    assert_eq!(opened.json(), reopened.json());
    let listed = server.get("/api/v1/disputes", Some(collector)).json();
    assert_eq!(listed.as_array().unwrap().len(), 1, "one dispute: {listed}");
    let dispute_id = opened.json()["dispute_id"].as_i64().unwrap();

    // Its resolution by a credit memo over the limit waits for approval: 202, nothing posted.
    backend.ok(&[
        "--user",
        "manager",
        "approvals",
        "limit",
        "--operation",
        "credit_memo",
        "--amount",
        "100.00",
    ]);
    let resolve = format!("/api/v1/disputes/{dispute_id}/resolve");
    let body = json!({ "resolution": "credit_memo", "date": "2026-06-25" });
    let waits = server.send("POST", &resolve, collector, Some("res-1"), &body);
    assert_eq!(waits.status, 202, "{}", waits.body);
    assert_eq!(waits.json()["amount"]["amount"], "300.00", "{}", waits.body);
    let retried = server.send("POST", &resolve, collector, Some("res-1"), &body);
    assert!(retried.replayed);
    assert_eq!(retried.json(), waits.json());
    let unknown_kind = server.send(
        "POST",
        &resolve,
        collector,
        None,
        &json!({ "resolution": "forgive" }),
    );
    assert_eq!(unknown_kind.status, 422, "{}", unknown_kind.body);
    assert_eq!(unknown_kind.json()["field"], "resolution");
    let approval = waits.json()["approval_id"].as_i64().unwrap();
    let shown = backend.json(&["dispute", "show", &dispute_id.to_string()]);
    assert_eq!(shown["status"], "open", "{shown}");
    let approved = backend.ok(&[
        "--user",
        "admin",
        "approvals",
        "approve",
        &approval.to_string(),
    ]);
    assert!(approved.contains("credited"), "{approved}");

    // Bad input: a problem naming the field, and nothing written.
    let missing = server.send(
        "POST",
        "/api/v1/payments",
        clerk,
        None,
        &json!({ "customer_id": "ACME", "method": "wire", "bank_reference": "W-3", "bank_account": "OPERATING" }),
    );
    assert_eq!(missing.status, 422, "{}", missing.body);
    assert_eq!(missing.json()["field"], "amount", "{}", missing.body);
    let bad_amount = server.send(
        "POST",
        "/api/v1/applications",
        clerk,
        None,
        &json!({ "payment_id": payment_id, "invoice": "A-1001", "amount": "12.345" }),
    );
    assert_eq!(bad_amount.status, 422, "{}", bad_amount.body);
    assert_eq!(bad_amount.json()["field"], "amount");
    let too_much = server.send(
        "POST",
        "/api/v1/applications",
        clerk,
        None,
        &json!({ "payment_id": payment_id, "invoice": "A-1002", "amount": "300.01" }),
    );
    assert_eq!(too_much.status, 409, "{}", too_much.body);
    assert!(
        too_much.json()["detail"]
            .as_str()
            .unwrap()
            .contains("300.00")
    );
    let unknown = server.get("/api/v1/customers/NOBODY", Some(clerk));
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["type"], "/api/v1/problems#not-found");

    // Pages: two at a time, in code order, without repeats.
    let mut codes = Vec::new();
    let mut after = String::new();
    loop {
        let page = server
            .get(
                &format!("/api/v1/customers?limit=2&after={after}"),
                Some(clerk),
            )
            .json();
        for item in page["items"].as_array().unwrap() {
            codes.push(item["customer_id"].as_str().unwrap().to_string());
        }
        match page["next"].as_str() {
            Some(next) => after = next.to_string(),
            None => break,
        }
    }
    let mut sorted = codes.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(codes, sorted);
    assert!(codes.len() >= 4, "{codes:?}");
    let search = server
        .get("/api/v1/customers?search=m%C3%BCller", Some(clerk))
        .json();
    assert_eq!(search["items"][0]["customer_id"], "MULL", "{search}");

    // The OpenAPI document lists what the router serves.
    let openapi = server.get("/api/v1/openapi.json", None).json();
    assert_eq!(openapi["openapi"], "3.1.0");
    assert!(openapi["paths"]["/api/v1/applications"]["post"]["requestBody"].is_object());

    // The metrics count what was served, by route pattern.
    let metrics = server.get("/metrics", None).body;
    assert!(
        metrics.contains("settle_http_requests_total{route=\"/api/v1/payments\",method=\"POST\",status=\"201\"} 1"),
        "{metrics}"
    );
    assert!(
        !metrics.contains("ACME"),
        "a customer code never becomes a label"
    );
    backend.ok(&["verify"]);
}

/// Every role against every kind of endpoint: what it may do passes the role check (whatever
/// the business answer), what it may not is refused with 403 before anything happens.
fn the_role_matrix_holds(backend: &Backend) {
    let tokens = team(backend);
    let admin = token_of(&tokens, "admin");
    let server = Server::start(backend, &[]);
    // The sales rep's own customer.
    let own = server.send(
        "POST",
        "/api/v1/customers",
        admin,
        None,
        &json!({ "customer_id": "SAMS", "name": "Sam's Shop", "currency": "USD", "sales_rep": "sales" }),
    );
    assert_eq!(own.status, 201, "{}", own.body);
    let read_token = token(backend, "clerk", "read");
    let dispute = server.send(
        "POST",
        "/api/v1/disputes",
        admin,
        None,
        &json!({ "invoice": "A-1001", "amount": "10.00", "reason": "other" }),
    );
    assert_eq!(dispute.status, 201, "{}", dispute.body);
    let resolve = format!(
        "/api/v1/disputes/{}/resolve",
        dispute.json()["dispute_id"].as_i64().unwrap()
    );

    let writes: [(&str, &str, serde_json::Value, &[&str]); 5] = [
        (
            "POST",
            "/api/v1/payments",
            json!({ "customer_id": "ACME", "amount": "1.00", "method": "wire", "bank_reference": "M-1", "bank_account": "OPERATING" }),
            &["admin", "manager", "clerk"],
        ),
        (
            "POST",
            "/api/v1/contacts",
            json!({ "customer_id": "ACME", "channel": "phone", "subject": "Reminder" }),
            &["admin", "manager", "collector"],
        ),
        (
            "POST",
            "/api/v1/promises",
            json!({ "customer_id": "ACME", "amount": "10.00", "promised_on": "2099-01-01" }),
            &["admin", "manager", "collector"],
        ),
        (
            "POST",
            "/api/v1/matching/runs",
            json!({}),
            &["admin", "manager", "clerk"],
        ),
        (
            "POST",
            resolve.as_str(),
            json!({ "resolution": "reinstate" }),
            &["admin", "manager", "collector"],
        ),
    ];
    for (role, secret) in &tokens {
        for (method, path, body, allowed) in &writes {
            let reply = server.send(method, path, secret, None, body);
            if allowed.contains(role) {
                assert_ne!(reply.status, 403, "{role} {method} {path}: {}", reply.body);
                assert!(reply.status < 500, "{role} {method} {path}: {}", reply.body);
            } else {
                assert_eq!(reply.status, 403, "{role} {method} {path}: {}", reply.body);
            }
        }
        // Reads: everyone reads; sales only its own customers, and none of the ledger-wide reports.
        let own = server.get("/api/v1/customers/SAMS", Some(secret));
        assert_eq!(own.status, 200, "{role}: {}", own.body);
        let other = server.get("/api/v1/customers/ACME", Some(secret));
        let listed = server.get("/api/v1/customers", Some(secret)).json();
        let aging = server.get("/api/v1/reports/aging", Some(secret));
        if *role == "sales" {
            assert_eq!(
                other.status, 404,
                "a sales rep does not see others' customers"
            );
            let codes: Vec<&str> = listed["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["customer_id"].as_str().unwrap())
                .collect();
            assert_eq!(codes, ["SAMS"]);
            assert_eq!(aging.status, 403);
        } else {
            assert_eq!(other.status, 200, "{role}");
            assert_eq!(aging.status, 200, "{role}: {}", aging.body);
        }
        // Documents as PDF, by the same rule: a sales rep's own customer's, nobody else's.
        let pdf = |path: &str| server.get_bytes_with(path, Some(secret));
        let (status, content_type, bytes) = pdf("/api/v1/customers/SAMS/statement");
        assert_eq!(
            (status, content_type.as_str()),
            (200, "application/pdf"),
            "{role}"
        );
        assert!(bytes.starts_with(b"%PDF"), "{role}");
        let others = [
            "/api/v1/customers/ACME/statement?as_of=2026-07-31",
            "/api/v1/invoices/A-1001/pdf",
        ];
        for path in others {
            let (status, content_type, bytes) = pdf(path);
            if *role == "sales" {
                assert_eq!(status, 404, "{role} {path}");
            } else {
                assert_eq!(
                    status,
                    200,
                    "{role} {path}: {}",
                    String::from_utf8_lossy(&bytes)
                );
                assert_eq!(content_type, "application/pdf", "{role} {path}");
                assert!(bytes.starts_with(b"%PDF"), "{role} {path}");
            }
        }
    }
    the_pages_admit_whom_they_should(&server);
    // A read token writes nothing, whatever its user's role.
    let refused = server.send(
        "POST",
        "/api/v1/payments",
        &read_token,
        None,
        &json!({ "customer_id": "ACME", "amount": "1.00", "method": "wire", "bank_reference": "M-9", "bank_account": "OPERATING" }),
    );
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("read-only"), "{}", refused.body);
    backend.ok(&["verify"]);
}

/// A browser session of `user`: its cookie and its CSRF token.
fn session(server: &Server, user: &str) -> (String, String) {
    let signed_in = server.form("/login", None, &[("user", user), ("password", PASSWORD)]);
    let cookie = signed_in
        .set_cookie
        .expect("a session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let page = server.get_with_cookie("/customers", &cookie);
    let csrf = page
        .body
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page's forms carry the CSRF token")
        .to_string();
    (cookie, csrf)
}

/// A form to post: its action, its fields (without the CSRF token) and the roles it admits.
type FormCase<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a [&'a str]);

/// The report and administration pages and their forms, for every role: who may is let in
/// (and a form of theirs does its work), who may not gets 403 and changes nothing.
fn the_pages_admit_whom_they_should(server: &Server) {
    let everyone_but_sales: &[&str] = &["admin", "manager", "clerk", "collector", "auditor"];
    let checkers: &[&str] = &["admin", "manager"];
    let pages: [(&str, &[&str]); 5] = [
        ("/kpis", everyone_but_sales),
        ("/aging/items?bucket=1", everyone_but_sales),
        ("/admin/users", &["admin"]),
        ("/admin/limits", checkers),
        ("/admin/policies", checkers),
    ];
    for role in ["admin", "manager", "clerk", "collector", "sales", "auditor"] {
        let (cookie, csrf) = session(server, role);
        for (path, allowed) in &pages {
            let page = server.get_with_cookie(path, &cookie);
            if allowed.contains(&role) {
                assert_eq!(page.status, 200, "{role} {path}: {}", page.body);
                assert!(page.body.contains("</html>"), "{role} {path}");
            } else {
                assert_eq!(page.status, 403, "{role} {path}: {}", page.body);
            }
        }
        let forms: [FormCase; 4] = [
            (
                "/admin/limits",
                vec![("operation", "refund"), ("amount", "900.00")],
                checkers,
            ),
            (
                "/admin/users/auditor/role",
                vec![("role", "auditor")],
                &["admin"],
            ),
            ("/admin/policies", vec![("json", "not json")], &["admin"]),
            ("/admin/policies/nothing-stored/delete", vec![], &["admin"]),
        ];
        for (path, fields, allowed) in forms {
            let mut fields = fields;
            fields.push(("_csrf", &csrf));
            let reply = server.form(path, Some(&cookie), &fields);
            if allowed.contains(&role) {
                assert_eq!(reply.status, 303, "{role} {path}: {}", reply.body);
            } else {
                assert_eq!(reply.status, 403, "{role} {path}: {}", reply.body);
            }
        }
    }
    let (cookie, csrf) = session(server, "admin");
    let forged = server.form(
        "/admin/users",
        Some(&cookie),
        &[
            ("_csrf", "forged"),
            ("name", "mallory"),
            ("role", "admin"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(forged.status, 403);
    let added = server.form(
        "/admin/users",
        Some(&cookie),
        &[
            ("_csrf", &csrf),
            ("name", "newbie"),
            ("full_name", "New Clerk"),
            ("role", "clerk"),
            ("password", PASSWORD),
        ],
    );
    assert!(
        added
            .location
            .as_deref()
            .unwrap_or_default()
            .contains("kind=ok"),
        "{:?}",
        added.location
    );
    let users = server.get_with_cookie("/admin/users", &cookie).body;
    assert!(
        users.contains("newbie") && !users.contains("mallory"),
        "{users}"
    );
    session(server, "newbie");
}

/// Browser sign-in: a wrong password is refused, the right one sets an HttpOnly session
/// cookie, pages render, and a form without the session's CSRF token changes nothing.
fn browser_sessions_need_the_csrf_token(backend: &Backend) {
    team(backend);
    let server = Server::start(backend, &[]);
    let home = server.get("/", None);
    assert_eq!(home.status, 303);
    assert!(home.location.as_deref().unwrap().starts_with("/login"));
    let wrong = server.form(
        "/login",
        None,
        &[("user", "collector"), ("password", "nope")],
    );
    assert_eq!(wrong.status, 401);
    let signed_in = server.form(
        "/login",
        None,
        &[
            ("user", "collector"),
            ("password", PASSWORD),
            ("next", "/customers/ACME"),
        ],
    );
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(signed_in.location.as_deref(), Some("/customers/ACME"));
    let cookie_header = signed_in.set_cookie.expect("a session cookie");
    assert!(cookie_header.contains("HttpOnly") && cookie_header.contains("SameSite=Lax"));
    let cookie = cookie_header.split(';').next().unwrap().to_string();

    let page = server.get_with_cookie("/customers/ACME", &cookie);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Acme Corporation"));
    let csrf = page
        .body
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page's forms carry the CSRF token")
        .to_string();

    let forged = server.form(
        "/customers/ACME/contacts",
        Some(&cookie),
        &[
            ("_csrf", "forged"),
            ("channel", "phone"),
            ("subject", "Forged"),
        ],
    );
    assert_eq!(forged.status, 403);
    let logged = server.form(
        "/customers/ACME/contacts",
        Some(&cookie),
        &[
            ("_csrf", &csrf),
            ("channel", "phone"),
            ("subject", "Asked about A-1001"),
        ],
    );
    assert_eq!(logged.status, 303, "{}", logged.body);
    let location = logged.location.unwrap_or_default();
    assert!(location.contains("kind=ok"), "{location}");
    let page = server.get_with_cookie("/customers/ACME", &cookie);
    assert!(page.body.contains("Asked about A-1001"));
    assert!(!page.body.contains("Forged"));

    // A dispute resolved from the disputes page over the credit memo limit waits, and the page
    // says so; nothing is posted.
    let opened = backend.json(&[
        "dispute", "open", "A-1003", "--amount", "400.00", "--reason", "damaged",
    ]);
    let dispute_id = opened["dispute_id"].as_i64().unwrap().to_string();
    backend.ok(&[
        "--user",
        "manager",
        "approvals",
        "limit",
        "--operation",
        "credit_memo",
        "--amount",
        "250.00",
    ]);
    let resolved = server.form(
        &format!("/disputes/{dispute_id}/resolve"),
        Some(&cookie),
        &[
            ("_csrf", &csrf),
            ("resolution", "credit_memo"),
            ("note", "damaged in transit"),
        ],
    );
    assert_eq!(resolved.status, 303, "{}", resolved.body);
    let location = resolved.location.unwrap_or_default();
    assert!(
        location.contains("kind=ok") && location.contains("awaits%20approval"),
        "{location}"
    );
    let shown = backend.json(&["dispute", "show", &dispute_id]);
    assert_eq!(shown["status"], "open", "{shown}");
    let disputes = server.get_with_cookie("/disputes", &cookie);
    assert!(
        disputes
            .body
            .contains(&format!("/disputes/{dispute_id}/resolve")),
        "a collector resolves from the page"
    );

    // Every page of the team's UI renders for a manager.
    let manager = server.form(
        "/login",
        None,
        &[("user", "manager"), ("password", PASSWORD)],
    );
    let manager = manager
        .set_cookie
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    for path in [
        "/",
        "/customers",
        "/cash",
        "/worklist",
        "/aging",
        "/disputes",
        "/approvals",
        "/kpis",
        "/aging/items?bucket=4",
        "/admin/limits",
        "/admin/policies",
    ] {
        let page = server.get_with_cookie(path, &manager);
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(page.body.contains("</html>"), "{path}");
    }
    // Signing out ends the session on the server, not only in the browser.
    let out = server.form("/logout", Some(&manager), &[("_csrf", "x")]);
    assert_eq!(out.status, 403, "sign-out also needs the token");
}

/// Many clerks apply the same payment's cash at once over HTTP: the payment is never
/// over-applied, and every clerk is told the truth about their own request.
#[allow(clippy::inconsistent_digit_grouping)]
fn parallel_clerks_never_over_apply_a_payment(backend: &Backend) {
    let tokens = team(backend);
    let clerk = token_of(&tokens, "clerk").to_string();
    let server = Server::start(backend, &[]);
    for n in 0..24 {
        let invoice = json!({
            "customer_id": "BETA", "number": format!("P-{n:03}"), "issue_date": "2026-07-01",
            "lines": [{ "description": "Part", "net": "20.00" }],
        });
        let created = server.send("POST", "/api/v1/invoices", &clerk, None, &invoice);
        assert_eq!(created.status, 201, "{}", created.body);
    }
    let payment = server.send(
        "POST",
        "/api/v1/payments",
        &clerk,
        None,
        &json!({ "customer_id": "BETA", "amount": "250.00", "received_on": "2026-07-02", "method": "wire", "bank_reference": "RACE-1", "bank_account": "OPERATING" }),
    );
    let payment_id = payment.json()["payment_id"].as_i64().unwrap();
    let server = &server;
    let outcomes: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..24)
            .map(|n| {
                let clerk = clerk.clone();
                scope.spawn(move || {
                    let body = json!({ "payment_id": payment_id, "invoice": format!("P-{n:03}"), "amount": "20.00", "date": "2026-07-02", "discount": false });
                    server
                        .send("POST", "/api/v1/applications", &clerk, None, &body)
                        .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let applied = outcomes.iter().filter(|s| **s == 201).count();
    assert_eq!(applied, 12, "exactly what fits in 250.00: {outcomes:?}");
    assert!(
        outcomes.iter().all(|s| *s == 201 || *s == 409),
        "the others are refused in words about the money: {outcomes:?}"
    );
    let account = server.get("/api/v1/customers/BETA", Some(&clerk)).json();
    let left = account["unapplied_payments"][0]["unapplied"]["amount"].clone();
    assert_eq!(left, "10.00", "{account}");
    backend.ok(&["verify"]);
}

/// The month-end close through the API: the checklist reads, a blocking item is waived with
/// its reason, a retried close answers the first close again, a clerk is refused, and a
/// reopening needs its reason.
fn the_period_close_runs_through_the_api(backend: &Backend) {
    let tokens = team(backend);
    let manager = token_of(&tokens, "manager");
    let clerk = token_of(&tokens, "clerk");
    let server = Server::start(backend, &[]);

    // The general ledger's figures for the period: imported once, reconciled, read back.
    let gl = b"account,currency,balance\n1200,USD,1.00\n".to_vec();
    let path = "/api/v1/periods/2026-06/gl?file_name=gl.csv";
    assert_eq!(server.upload(path, clerk, gl.clone()).status, 403);
    let imported = server.upload(path, manager, gl.clone());
    assert_eq!(imported.status, 200, "{}", imported.body);
    assert!(
        imported.json()["already_imported"].is_null(),
        "{}",
        imported.body
    );
    let again = server.upload(path, manager, gl);
    assert!(
        again.json()["already_imported"].is_object(),
        "{}",
        again.body
    );
    let shapeless = server.upload(path, manager, b"account,name\n1200,Receivables\n".to_vec());
    assert!(
        shapeless.status >= 400 && shapeless.status < 500,
        "{}",
        shapeless.body
    );
    assert!(
        shapeless.content_type.contains("problem+json"),
        "{}",
        shapeless.content_type
    );
    let reconciled = server.get("/api/v1/periods/2026-06/gl", Some(manager));
    assert_eq!(reconciled.status, 200, "{}", reconciled.body);
    assert_eq!(
        server
            .get("/api/v1/periods/2026-05/gl", Some(manager))
            .status,
        404
    );

    let checklist = server.get("/api/v1/periods/2026-06/checklist", Some(manager));
    assert_eq!(checklist.status, 200, "{}", checklist.body);
    let checklist = checklist.json();
    let blocking: Vec<String> = checklist["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] == "failed")
        .map(|i| i["key"].as_str().unwrap().to_string())
        .collect();
    assert!(blocking.contains(&"reserve".to_string()), "{checklist}");
    let sales = server.get(
        "/api/v1/periods/2026-06/checklist",
        Some(token_of(&tokens, "sales")),
    );
    assert_eq!(sales.status, 403, "{}", sales.body);

    // Blocked without waivers; a waiver without a reason is refused by field.
    let refused = server.send(
        "POST",
        "/api/v1/periods/2026-06/close",
        manager,
        None,
        &json!({ "date": "2026-07-03" }),
    );
    assert!(
        refused.status >= 400 && refused.status < 500,
        "{}",
        refused.body
    );
    assert!(refused.body.contains("reserve"), "{}", refused.body);
    let no_reason = server.send(
        "POST",
        "/api/v1/periods/2026-06/close",
        manager,
        None,
        &json!({ "date": "2026-07-03", "waivers": [{ "item": "reserve", "reason": " " }] }),
    );
    assert_eq!(no_reason.status, 422, "{}", no_reason.body);
    assert!(
        no_reason.body.contains("waivers[0].reason"),
        "{}",
        no_reason.body
    );

    let waivers: Vec<serde_json::Value> = blocking
        .iter()
        .map(|item| json!({ "item": item, "reason": "booked in the GL by hand" }))
        .collect();
    let body = json!({ "date": "2026-07-03", "waivers": waivers });
    let by_clerk = server.send("POST", "/api/v1/periods/2026-06/close", clerk, None, &body);
    assert_eq!(by_clerk.status, 403, "{}", by_clerk.body);
    let closed = server.send(
        "POST",
        "/api/v1/periods/2026-06/close",
        manager,
        Some("close-june"),
        &body,
    );
    assert_eq!(closed.status, 201, "{}", closed.body);
    let closed = closed.json();
    assert_eq!(closed["lock"]["through"], "2026-06-30", "{closed}");
    let again = server.send(
        "POST",
        "/api/v1/periods/2026-06/close",
        manager,
        Some("close-june"),
        &body,
    );
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(again.replayed);
    assert_eq!(again.json()["checksum"], closed["checksum"]);

    // A posting into the closed period is refused; reopening needs a reason.
    let late = server.send(
        "POST",
        "/api/v1/payments",
        manager,
        None,
        &json!({ "customer_id": "ACME", "amount": "1.00", "received_on": "2026-06-15", "method": "wire", "bank_reference": "LATE-1", "bank_account": "OPERATING" }),
    );
    assert!(late.status >= 400 && late.status < 500, "{}", late.body);
    let bare = server.send(
        "POST",
        "/api/v1/periods/2026-06/reopen",
        manager,
        None,
        &json!({ "reason": "" }),
    );
    assert_eq!(bare.status, 422, "{}", bare.body);
    let reopened = server.send(
        "POST",
        "/api/v1/periods/2026-06/reopen",
        manager,
        None,
        &json!({ "reason": "a late credit note" }),
    );
    assert_eq!(reopened.status, 200, "{}", reopened.body);
    backend.ok(&["verify"]);
}

/// Dunning policies through the API: an admin stores, replaces and removes one; a manager
/// reads them and may not write; a policy that does not read is refused whole.
fn dunning_policies_through_the_api(backend: &Backend) {
    let tokens = team(backend);
    let admin = token_of(&tokens, "admin");
    let manager = token_of(&tokens, "manager");
    let server = Server::start(backend, &[]);
    let policy = json!({
        "name": "paper",
        "levels": [
            { "level": 1, "days": 1, "channel": "letter", "template": "first-reminder" },
            { "level": 2, "days": 20, "channel": "phone", "template": "call", "min_amount": "100" },
        ],
        "grace_days_after_payment": 3,
    });
    let path = "/api/v1/dunning-policies";
    assert_eq!(server.send("PUT", path, manager, None, &policy).status, 403);
    let stored = server.send("PUT", path, admin, Some("policy-1"), &policy);
    assert_eq!(stored.status, 200, "{}", stored.body);
    assert_eq!(
        stored.json()["min_days_between_levels"],
        7,
        "defaults filled in"
    );
    let again = server.send("PUT", path, admin, Some("policy-1"), &policy);
    assert!(again.replayed, "{}", again.body);
    let listed = server.get(path, Some(manager));
    assert_eq!(listed.status, 200, "{}", listed.body);
    let names: Vec<String> = listed
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.contains(&"paper".to_string()), "{names:?}");
    let wrong = server.send(
        "PUT",
        path,
        admin,
        None,
        &json!({ "name": "bad", "levels": [{ "level": 1, "days": 1, "channel": "pigeon", "template": "x" }] }),
    );
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(wrong.body.contains("pigeon"), "{}", wrong.body);
    assert_eq!(
        server
            .send(
                "DELETE",
                "/api/v1/dunning-policies/paper",
                manager,
                None,
                &json!({})
            )
            .status,
        403
    );
    let removed = server.send(
        "DELETE",
        "/api/v1/dunning-policies/paper",
        admin,
        None,
        &json!({}),
    );
    assert_eq!(removed.status, 204, "{}", removed.body);
    let gone = server.send(
        "DELETE",
        "/api/v1/dunning-policies/paper",
        admin,
        None,
        &json!({}),
    );
    assert_eq!(gone.status, 404, "{}", gone.body);
}

on_both_engines!(
    dunning_policies_through_the_api,
    the_period_close_runs_through_the_api,
    writes_are_idempotent_and_errors_are_problem_details,
    promises_plans_and_the_kept_worklist,
    the_role_matrix_holds,
    browser_sessions_need_the_csrf_token,
    parallel_clerks_never_over_apply_a_payment,
);

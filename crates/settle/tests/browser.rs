//! The team's pages in a real browser: headless Chromium driven through chromedriver against
//! the real server on SQLite. A clerk signs in and accepts a suggested match with one key; a
//! manager records a promise from the account page and approves a write-off the clerk asked
//! for, walks the KPI report and the aging's drill-down; an admin changes a user's role. A
//! customer opens their portal link, downloads the statement, disputes a line, promises a date
//! and sends remittance advice. Every page must load without a console error or warning.
//!
//! `SETTLE_SCREENSHOTS=DIR` keeps a PNG of each main page in DIR (the ones in
//! `docs/screenshots/` come from there).

#[allow(unused_macros)]
mod support;

use support::Backend;
use support::server::{PASSWORD, Server, add_user};
use support::webdriver::{Browser, ENTER};

/// Checks the page for console messages and keeps a screenshot of it when asked to.
fn look_at(browser: &Browser, name: &str) {
    let errors = browser.console_errors();
    assert!(errors.is_empty(), "{name}: console says {errors:?}");
    if let Some(dir) = std::env::var_os("SETTLE_SCREENSHOTS") {
        let path = std::path::Path::new(&dir).join(format!("{name}.png"));
        std::fs::write(&path, browser.screenshot()).expect("the screenshot is written");
    }
}

fn sign_in(browser: &Browser, server: &Server, user: &str) {
    browser.open(&format!("{}/login", server.base));
    browser.type_into("input[name=user]", user);
    browser.type_into("input[name=password]", &format!("{PASSWORD}{ENTER}"));
    browser.wait_for_text("Sign out");
}

fn sign_out(browser: &Browser) {
    browser.click("header form button");
    browser.wait_for_text("Sign in");
}

#[test]
fn a_clerk_and_a_manager_work_through_the_pages() {
    let backend = Backend::sqlite();
    backend.load_fixture();
    let bank = Backend::data("bank-matching.bai2");
    backend.ok(&["import", "bank", bank.to_str().unwrap()]);
    backend.ok(&["match"]);
    add_user(&backend, "clara", "clerk");
    add_user(&backend, "max", "manager");
    add_user(&backend, "ada", "admin");
    backend.ok(&[
        "--user",
        "max",
        "approvals",
        "limit",
        "--operation",
        "write_off",
        "--amount",
        "100.00",
    ]);
    let asked = backend.ok(&[
        "--user",
        "clara",
        "write-off",
        "--invoice",
        "A-1002",
        "--reason",
        "bad_debt",
        "--date",
        "2026-07-15",
    ]);
    assert!(asked.contains("approval"), "the write-off waits: {asked}");
    let server = Server::start(&backend, &[]);
    let browser = Browser::start();

    // Signing in takes the clerk to the dashboard.
    sign_in(&browser, &server, "clara");
    let dashboard = browser.wait_for_text("Total A/R USD");
    assert!(
        dashboard.to_lowercase().contains("suggestions to review"),
        "{dashboard}"
    );
    look_at(&browser, "dashboard");

    // The workbench: the first suggestion is selected; `a` accepts it.
    browser.open(&format!("{}/cash", server.base));
    browser.wait_for_text("Suggested matches (2)");
    look_at(&browser, "cash-application");
    browser.press("a");
    let after = browser.wait_for_text("Applied: A-1003");
    assert!(after.contains("Suggested matches (1)"), "{after}");
    look_at(&browser, "cash-application-accepted");
    sign_out(&browser);

    // The manager records a promise from the account page.
    sign_in(&browser, &server, "max");
    browser.open(&format!("{}/customers/ACME", server.base));
    browser.wait_for_text("Acme Corporation");
    look_at(&browser, "account");
    browser.type_into("form[action$='/promises'] input[name=amount]", "500.00");
    browser.execute(
        "document.querySelector(\"form[action$='/promises'] input[name=promised_on]\").value = '2099-01-15';",
    );
    browser.click("form[action$='/promises'] button");
    let promised = browser.wait_for_text("recorded: 500.00 USD on 2099-01-15");
    assert!(promised.contains("Acme Corporation"));

    // … and approves the clerk's write-off, which posts it.
    browser.open(&format!("{}/approvals", server.base));
    let queue = browser.wait_for_text("Waiting (1)");
    assert!(queue.contains("clara"), "{queue}");
    look_at(&browser, "approvals");
    browser.execute("window.confirm = function () { return true; };");
    browser.click("form[action$='/approve'] button");
    browser.wait_for_text("approved and posted");
    let account = backend.json(&["customer", "show", "ACME"]);
    let a1002 = account["open_items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["number"] == "A-1002");
    assert!(!a1002, "the approved write-off closed A-1002: {account}");

    for (path, name, needle) in [
        ("/worklist", "worklist", "Worklist"),
        ("/aging", "aging", "TOTAL"),
        ("/disputes", "disputes", "Disputes"),
        ("/customers", "customers", "MULL"),
    ] {
        browser.open(&format!("{}{path}", server.base));
        browser.wait_for_text(needle);
        look_at(&browser, name);
    }

    // The KPI report: a year of month-ends drawn and tabled, with its exports.
    browser.open(&format!("{}/kpis", server.base));
    let kpis = browser.wait_for_text("Best-possible DSO");
    assert!(kpis.contains("Collection KPIs"), "{kpis}");
    let charts = browser.execute("return document.querySelectorAll('main svg polyline').length;");
    assert_eq!(charts, 6, "three lines in each of two charts");
    let months = browser.execute("return document.querySelectorAll('main tbody tr').length;");
    assert_eq!(months, 12);
    look_at(&browser, "kpis");

    // A bucket's total in the aging opens the items behind it, and they add up to it.
    browser.open(&format!("{}/aging", server.base));
    browser.wait_for_text("TOTAL");
    let cell = browser.execute(
        "var links = Array.prototype.slice.call(document.querySelectorAll(\"a[href*='/aging/items?bucket=']\"));\
         var total = links.filter(function (a) { return a.href.indexOf('customer=') < 0 && a.href.indexOf('currency=USD') >= 0 && a.textContent.trim() !== '0.00' && a.href.indexOf('bucket=0') < 0; })[0];\
         return [total.getAttribute('href'), total.textContent.trim()];",
    );
    let (href, amount) = (
        cell[0].as_str().expect("a bucket's link").to_string(),
        cell[1].as_str().expect("its amount").to_string(),
    );
    browser.open(&format!("{}{href}", server.base));
    browser.wait_for_text("Days past due");
    let listed = browser.execute("return document.querySelector('[data-total=USD]').textContent;");
    assert_eq!(listed.as_str(), Some(amount.as_str()), "{href}");
    look_at(&browser, "aging-items");
    browser.click("tbody a[data-open]");
    browser.wait_for_text("Open items");
    sign_out(&browser);

    // An admin makes the clerk a collector.
    sign_in(&browser, &server, "ada");
    browser.open(&format!("{}/admin/users", server.base));
    browser.wait_for_text("Add a user");
    browser.execute(
        "document.querySelector(\"form[action='/admin/users/clara/role'] select\").value = 'collector';",
    );
    browser.click("form[action='/admin/users/clara/role'] button");
    browser.wait_for_text("clara is now collector");
    look_at(&browser, "admin-users");
    let users = backend.ok(&["user", "list"]);
    assert!(
        users
            .lines()
            .any(|l| l.contains("clara") && l.contains("collector")),
        "{users}"
    );
    backend.ok(&["verify"]);
}

#[test]
fn a_customer_works_through_the_portal() {
    let backend = Backend::sqlite();
    backend.load_fixture();
    add_user(&backend, "clara", "clerk");
    let made = backend.json(&["--user", "clara", "portal", "link", "ACME"]);
    let path = made["url"]
        .as_str()
        .and_then(|url| url.strip_prefix("http://127.0.0.1:8080"))
        .expect("the link's address")
        .to_string();
    let server = Server::start(&backend, &[]);
    let browser = Browser::start();

    // The link opens the customer's statement, and nothing of the team's pages.
    browser.open(&format!("{}{path}", server.base));
    let statement = browser.wait_for_text("Statement for Acme Corporation");
    assert!(statement.contains("A-1001") && statement.contains("Amount due"));
    assert!(!statement.contains("Worklist") && !statement.contains("Sign out"));
    look_at(&browser, "portal");

    // The statement's PDF is a PDF.
    let href = browser.execute("return document.querySelector('a.button').href;");
    let href = href.as_str().expect("the download link").to_string();
    let (status, content_type, bytes) = server.get_bytes(
        href.strip_prefix(&server.base)
            .expect("a link of this site"),
    );
    assert_eq!((status, content_type.as_str()), (200, "application/pdf"));
    assert!(bytes.starts_with(b"%PDF"));

    // Dispute the first line.
    browser.execute("document.querySelector('details.dispute').open = true;");
    browser.execute(
        "document.querySelector('details.dispute select[name=reason]').value = 'quantity';",
    );
    browser.type_into(
        "details.dispute textarea[name=note]",
        "We received 8, not 10.",
    );
    browser.click("details.dispute button");
    let disputed = browser.wait_for_text("your dispute of");
    assert!(disputed.contains("A-1001"), "{disputed}");
    look_at(&browser, "portal-disputed");

    // Promise a date.
    browser.type_into("form[action$='/promises'] input[name=amount]", "250.00");
    browser.execute(
        "document.querySelector(\"form[action$='/promises'] input[name=promised_on]\").value = '2099-02-01';",
    );
    browser.click("form[action$='/promises'] button");
    browser.wait_for_text("your promise to pay 250.00 USD on 2099-02-01");
    look_at(&browser, "portal-promised");

    // Send remittance advice for two invoices.
    browser.click("#advice input[value='A-1003']");
    browser.click("#advice input[value='A-1004']");
    browser.click("#advice button");
    let advised = browser.wait_for_text("we will apply your payment");
    assert!(advised.contains("A-1003, A-1004"), "{advised}");
    assert!(advised.contains("waiting for the payment"), "{advised}");
    browser.execute("document.getElementById('advice').scrollIntoView();");
    look_at(&browser, "portal-advice");

    backend.ok(&["verify"]);
}

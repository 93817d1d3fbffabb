//! The schema and its migrations: one text for both engines, numbered, applied in order.
//!
//! The only dialect differences are spelled as placeholders: `{pk}` is SQLite's rowid alias
//! (`INTEGER PRIMARY KEY`) or PostgreSQL's `BIGINT PRIMARY KEY`, `{int}` a 64-bit integer column,
//! `{blob}` bytes (`BLOB`, `BYTEA`).
//! Ids are allocated by the store (see `counters`), never by the engine, so both behave alike.
//! Business dates are ISO-8601 `TEXT` in both engines: lexical order is date order, and the
//! aging compares dates only. `{without_rowid}` stores SQLite's postings in primary-key order
//! (an entry's lines together, no second index); PostgreSQL has no such clause. Postings name
//! their entry without a declared foreign key: they are only ever written with their entry, and
//! `verify` checks that every posting has one.
//!
//! The partial index `items_open` holds only debit items open now (`items_credit_open` the
//! credit memos, `payments_open` the payments), with every column the aging reads, so an aging
//! scans the open set and never the history. They use the items' dates as day numbers
//! (`issue_day`, `due_day`, `activity_day`: days since 1970-01-01, the same dates as the ISO
//! columns beside them), which compare faster and keep the index narrow. The `*_touched`
//! indexes hold only rows moved after the day they were issued or received (a fresh import adds
//! nothing to them): the rows whose balance as of a past date may differ from now.

use crate::Engine;

/// A numbered schema change. Never edit one that has shipped: add the next.
pub struct Migration {
    pub version: i64,
    pub description: &'static str,
    pub sql: &'static str,
}

/// Secondary indexes on the big tables that a bulk import may drop and build again once the rows
/// are in (building an index over sorted rows beats millions of random insertions). Each must
/// appear word for word in the migrations; a test checks it.
pub const BULK_REBUILT_INDEXES: &[(&str, &str)] = &[
    (
        "items_customer",
        "CREATE INDEX items_customer ON items (entity_id, customer_id)",
    ),
    (
        "items_open",
        "CREATE INDEX items_open ON items (entity_id, customer_id, currency, due_day, issue_day, balance_minor, activity_day) WHERE balance_minor > 0",
    ),
    (
        "items_open_by_due",
        "CREATE INDEX items_open_by_due ON items (entity_id, due_day, id, dun_level, dun_on, customer_id, currency, balance_minor, activity_day, issue_day) WHERE balance_minor > 0",
    ),
];

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "ledger: entities, chart, customers, items, payments, journal, applications",
        sql: r#"
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    next_id {int} NOT NULL
);
CREATE TABLE entities (
    id {pk},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    functional_currency TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE settings (
    entity_id {int} NOT NULL REFERENCES entities (id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (entity_id, key)
);
CREATE TABLE accounts (
    entity_id {int} NOT NULL REFERENCES entities (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    bank_account TEXT,
    PRIMARY KEY (entity_id, code)
);
CREATE TABLE imports (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    kind TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    file_name TEXT NOT NULL,
    rows_read {int} NOT NULL,
    rows_stored {int} NOT NULL,
    rows_duplicate {int} NOT NULL,
    rows_rejected {int} NOT NULL,
    imported_at TEXT NOT NULL,
    UNIQUE (entity_id, kind, fingerprint)
);
CREATE TABLE customers (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL,
    terms TEXT NOT NULL,
    credit_limit_minor {int},
    currency TEXT NOT NULL,
    country TEXT NOT NULL,
    tax_id TEXT NOT NULL,
    billing_address TEXT NOT NULL,
    risk_class TEXT NOT NULL,
    sales_rep TEXT NOT NULL,
    status TEXT NOT NULL,
    import_id {int} REFERENCES imports (id),
    created_at TEXT NOT NULL,
    UNIQUE (entity_id, code)
);
CREATE TABLE contacts (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    customer_id {int} NOT NULL REFERENCES customers (id),
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL
);
CREATE TABLE items (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    customer_id {int} NOT NULL REFERENCES customers (id),
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    currency TEXT NOT NULL,
    terms TEXT NOT NULL,
    is_credit {int} NOT NULL,
    net_minor {int} NOT NULL,
    tax_minor {int} NOT NULL,
    total_minor {int} NOT NULL,
    balance_minor {int} NOT NULL,
    last_activity TEXT NOT NULL,
    issue_day {int} NOT NULL,
    due_day {int} NOT NULL,
    activity_day {int} NOT NULL,
    po_number TEXT NOT NULL,
    description TEXT NOT NULL,
    reason TEXT,
    import_id {int} REFERENCES imports (id),
    UNIQUE (entity_id, kind, number)
);
CREATE INDEX items_customer ON items (entity_id, customer_id);
CREATE INDEX items_open ON items (entity_id, customer_id, currency, due_day, issue_day, balance_minor, activity_day) WHERE balance_minor > 0;
CREATE INDEX items_credit_open ON items (entity_id, customer_id, currency, balance_minor, activity_day) WHERE balance_minor < 0;
CREATE INDEX items_touched ON items (entity_id, activity_day) WHERE activity_day > issue_day;
CREATE TABLE item_lines (
    item_id {int} NOT NULL REFERENCES items (id),
    line_no {int} NOT NULL,
    entity_id {int} NOT NULL REFERENCES entities (id),
    description TEXT NOT NULL,
    net_minor {int} NOT NULL,
    tax_minor {int} NOT NULL,
    PRIMARY KEY (item_id, line_no)
);
CREATE TABLE payments (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    customer_id {int} REFERENCES customers (id),
    currency TEXT NOT NULL,
    amount_minor {int} NOT NULL,
    unapplied_minor {int} NOT NULL,
    received_on TEXT NOT NULL,
    last_activity TEXT NOT NULL,
    method TEXT NOT NULL,
    bank_reference TEXT NOT NULL,
    bank_account TEXT NOT NULL,
    payer_name TEXT NOT NULL,
    payer_account TEXT NOT NULL,
    memo TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (entity_id, bank_account, bank_reference)
);
CREATE INDEX payments_customer ON payments (entity_id, customer_id);
CREATE INDEX payments_open ON payments (entity_id, customer_id, currency, received_on, unapplied_minor,
    last_activity) WHERE unapplied_minor <> 0;
CREATE INDEX payments_touched ON payments (entity_id, last_activity) WHERE last_activity > received_on;
CREATE TABLE journal_entries (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    kind TEXT NOT NULL,
    entry_date TEXT NOT NULL,
    memo TEXT NOT NULL,
    reverses_id {int} UNIQUE REFERENCES journal_entries (id),
    created_at TEXT NOT NULL
);
CREATE TABLE postings (
    entry_id {int} NOT NULL,
    line_no {int} NOT NULL,
    entity_id {int} NOT NULL,
    posting_date TEXT NOT NULL,
    account TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor {int} NOT NULL,
    functional_minor {int},
    customer_id {int},
    item_id {int},
    payment_id {int},
    PRIMARY KEY (entry_id, line_no)
){without_rowid};
CREATE INDEX postings_item ON postings (item_id) WHERE item_id IS NOT NULL;
CREATE INDEX postings_payment ON postings (payment_id) WHERE payment_id IS NOT NULL;
CREATE TABLE applications (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    kind TEXT NOT NULL,
    payment_id {int} REFERENCES payments (id),
    credit_item_id {int} REFERENCES items (id),
    invoice_id {int} NOT NULL REFERENCES items (id),
    currency TEXT NOT NULL,
    amount_minor {int} NOT NULL,
    discount_minor {int} NOT NULL,
    applied_on TEXT NOT NULL,
    entry_id {int} NOT NULL REFERENCES journal_entries (id),
    reversal_entry_id {int} REFERENCES journal_entries (id),
    created_at TEXT NOT NULL
);
CREATE INDEX applications_invoice ON applications (invoice_id);
CREATE INDEX applications_payment ON applications (payment_id) WHERE payment_id IS NOT NULL;
CREATE TABLE adjustments (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    kind TEXT NOT NULL,
    item_id {int} NOT NULL REFERENCES items (id),
    reason TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor {int} NOT NULL,
    memo TEXT NOT NULL,
    entry_id {int} NOT NULL REFERENCES journal_entries (id),
    created_at TEXT NOT NULL
);
CREATE TABLE refunds (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    customer_id {int} REFERENCES customers (id),
    payment_id {int} REFERENCES payments (id),
    credit_item_id {int} REFERENCES items (id),
    currency TEXT NOT NULL,
    amount_minor {int} NOT NULL,
    reason TEXT NOT NULL,
    memo TEXT NOT NULL,
    bank_account TEXT NOT NULL,
    entry_id {int} NOT NULL REFERENCES journal_entries (id),
    payout_entry_id {int} REFERENCES journal_entries (id),
    created_at TEXT NOT NULL
);
CREATE TABLE idempotency_keys (
    entity_id {int} NOT NULL REFERENCES entities (id),
    key TEXT NOT NULL,
    operation TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (entity_id, key)
);
"#,
    },
    Migration {
        version: 2,
        description: "bank statements and their lines, each customer credit linked to its payment; match decisions",
        sql: r#"
CREATE TABLE bank_statements (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    import_id {int} NOT NULL REFERENCES imports (id),
    format TEXT NOT NULL,
    account_number TEXT NOT NULL,
    bank_account TEXT NOT NULL,
    currency TEXT NOT NULL,
    statement_ref TEXT NOT NULL,
    from_date TEXT,
    to_date TEXT,
    opening_minor {int},
    closing_minor {int},
    lines_credit_minor {int} NOT NULL,
    lines_debit_minor {int} NOT NULL,
    difference_minor {int},
    location TEXT NOT NULL
);
CREATE INDEX bank_statements_account ON bank_statements (entity_id, bank_account, to_date);
CREATE TABLE bank_lines (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    statement_id {int} NOT NULL REFERENCES bank_statements (id),
    line_no {int} NOT NULL,
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    reversal {int} NOT NULL,
    amount_minor {int} NOT NULL,
    currency TEXT NOT NULL,
    booking_date TEXT,
    value_date TEXT,
    bank_reference TEXT NOT NULL,
    batch_reference TEXT NOT NULL,
    customer_reference TEXT NOT NULL,
    end_to_end_id TEXT NOT NULL,
    type_code TEXT NOT NULL,
    payer_name TEXT NOT NULL,
    payer_account TEXT NOT NULL,
    payer_bank TEXT NOT NULL,
    remittance TEXT NOT NULL,
    structured TEXT NOT NULL,
    return_reason TEXT NOT NULL,
    original_reference TEXT NOT NULL,
    outcome TEXT NOT NULL,
    payment_id {int} REFERENCES payments (id),
    reversed_applications TEXT NOT NULL,
    location TEXT NOT NULL,
    UNIQUE (statement_id, line_no)
);
CREATE INDEX bank_lines_payment ON bank_lines (payment_id) WHERE payment_id IS NOT NULL;
CREATE INDEX bank_lines_reference ON bank_lines (entity_id, bank_reference);
CREATE TABLE match_decisions (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    payment_id {int} NOT NULL REFERENCES payments (id),
    decided_at TEXT NOT NULL,
    decision TEXT NOT NULL,
    status TEXT NOT NULL,
    rule TEXT NOT NULL,
    score {int} NOT NULL,
    customer_id {int} REFERENCES customers (id),
    allocations TEXT NOT NULL,
    remainder_minor {int} NOT NULL,
    evidence TEXT NOT NULL,
    decided_by TEXT NOT NULL
);
CREATE INDEX match_decisions_payment ON match_decisions (entity_id, payment_id);
ALTER TABLE applications ADD COLUMN decision_id {int} REFERENCES match_decisions (id);
"#,
    },
    Migration {
        version: 3,
        description: "what matching learns (payer aliases, reference habits, rejected pairings) and deduction disputes",
        sql: r#"
CREATE TABLE match_rules (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    kind TEXT NOT NULL,
    customer_id {int} NOT NULL REFERENCES customers (id),
    pattern TEXT NOT NULL,
    match_key TEXT NOT NULL,
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    times_seen {int} NOT NULL,
    learned_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    decision_id {int} REFERENCES match_decisions (id),
    UNIQUE (entity_id, kind, match_key)
);
CREATE INDEX match_rules_customer ON match_rules (entity_id, customer_id);
CREATE TABLE disputes (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    customer_id {int} NOT NULL REFERENCES customers (id),
    item_id {int} NOT NULL REFERENCES items (id),
    amount_minor {int} NOT NULL,
    currency TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    opened_on TEXT NOT NULL,
    source_decision_id {int} REFERENCES match_decisions (id),
    note TEXT NOT NULL
);
CREATE INDEX disputes_customer ON disputes (entity_id, customer_id, status);
CREATE INDEX disputes_item ON disputes (entity_id, item_id);
"#,
    },
    Migration {
        version: 4,
        description: "customers' parent companies (group payers) and the contact log",
        sql: r#"
ALTER TABLE customers ADD COLUMN parent_id {int} REFERENCES customers (id);
CREATE INDEX customers_parent ON customers (entity_id, parent_id) WHERE parent_id IS NOT NULL;
CREATE TABLE contact_log (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    customer_id {int} NOT NULL REFERENCES customers (id),
    occurred_at TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('note', 'email', 'phone', 'letter', 'system')),
    direction TEXT NOT NULL CHECK (direction IN ('internal', 'outbound', 'inbound')),
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    source TEXT NOT NULL,
    source_id TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX contact_log_customer ON contact_log (entity_id, customer_id, occurred_at);
"#,
    },
    Migration {
        version: 5,
        description: "month-end close: fiscal periods, the period lock, close log, users and roles, frozen agings, bad-debt reserves",
        sql: r#"
CREATE TABLE fiscal_periods (
    entity_id {int} NOT NULL REFERENCES entities (id),
    name TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    PRIMARY KEY (entity_id, name)
);
CREATE TABLE period_locks (
    entity_id {int} PRIMARY KEY REFERENCES entities (id),
    period TEXT,
    through TEXT,
    changed_at TEXT
);
INSERT INTO period_locks (entity_id) SELECT id FROM entities;
CREATE TABLE period_closes (
    entity_id {int} NOT NULL REFERENCES entities (id),
    period TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    closed_at TEXT NOT NULL,
    closed_by TEXT NOT NULL,
    checklist TEXT NOT NULL,
    PRIMARY KEY (entity_id, period)
);
CREATE TABLE period_log (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    period TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('close', 'reopen', 'calendar')),
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE users (
    id {pk},
    name TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'clerk', 'collector', 'sales', 'auditor')),
    created_at TEXT NOT NULL
);
CREATE TABLE aging_snapshots (
    entity_id {int} NOT NULL REFERENCES entities (id),
    period TEXT NOT NULL,
    as_of TEXT NOT NULL,
    taken_at TEXT NOT NULL,
    report TEXT NOT NULL,
    items {int} NOT NULL,
    checksum TEXT NOT NULL,
    items_checksum TEXT NOT NULL,
    PRIMARY KEY (entity_id, period)
);
CREATE TABLE aging_snapshot_items (
    entity_id {int} NOT NULL,
    period TEXT NOT NULL,
    line_no {int} NOT NULL,
    customer_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    currency TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    days_past {int} NOT NULL,
    bucket TEXT NOT NULL,
    balance_minor {int} NOT NULL,
    PRIMARY KEY (entity_id, period, line_no)
){without_rowid};
CREATE TABLE specific_reserves (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    customer_id {int} NOT NULL REFERENCES customers (id),
    currency TEXT NOT NULL,
    amount_minor {int} NOT NULL,
    reason TEXT NOT NULL,
    effective_on TEXT NOT NULL,
    set_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX specific_reserves_customer ON specific_reserves (entity_id, customer_id, currency, effective_on);
CREATE TABLE reserve_runs (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    period TEXT NOT NULL,
    as_of TEXT NOT NULL,
    method TEXT NOT NULL,
    currency TEXT NOT NULL,
    required_minor {int} NOT NULL,
    previous_minor {int} NOT NULL,
    adjustment_minor {int} NOT NULL,
    entry_id {int} REFERENCES journal_entries (id),
    detail TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX reserve_runs_period ON reserve_runs (entity_id, period);
ALTER TABLE adjustments ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
"#,
    },
    Migration {
        version: 6,
        description: "general-ledger imports per period (balances or the control account's postings) for the subledger-to-GL reconciliation",
        sql: r#"
CREATE TABLE gl_imports (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    period TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    shape TEXT NOT NULL CHECK (shape IN ('balances', 'detail')),
    fingerprint TEXT NOT NULL,
    file_name TEXT NOT NULL,
    rows_read {int} NOT NULL,
    control_account TEXT NOT NULL,
    superseded_by {int} REFERENCES gl_imports (id),
    imported_at TEXT NOT NULL,
    UNIQUE (entity_id, period, fingerprint)
);
CREATE INDEX gl_imports_current ON gl_imports (entity_id, period) WHERE superseded_by IS NULL;
CREATE TABLE gl_balances (
    import_id {int} NOT NULL REFERENCES gl_imports (id),
    line_no {int} NOT NULL,
    entity_id {int} NOT NULL REFERENCES entities (id),
    account TEXT NOT NULL,
    currency TEXT NOT NULL,
    balance_minor {int} NOT NULL,
    PRIMARY KEY (import_id, line_no)
);
CREATE TABLE gl_lines (
    import_id {int} NOT NULL REFERENCES gl_imports (id),
    line_no {int} NOT NULL,
    entity_id {int} NOT NULL REFERENCES entities (id),
    posted_on TEXT NOT NULL,
    account TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor {int} NOT NULL,
    reference TEXT NOT NULL,
    memo TEXT NOT NULL,
    source TEXT NOT NULL,
    is_opening {int} NOT NULL,
    PRIMARY KEY (import_id, line_no)
);
"#,
    },
    Migration {
        version: 7,
        description: "collections: customers' collection settings and stops, dunning policies and actions, promises to pay, payment plans, escalations, disputes' workflow, meetings and outcomes in the contact log",
        sql: r#"
ALTER TABLE customers ADD COLUMN collector TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN segment TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN do_not_contact {int} NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN cease_communication {int} NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN bankrupt {int} NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN credit_hold TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN agency TEXT NOT NULL DEFAULT '';
CREATE TABLE dunning_policies (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    UNIQUE (entity_id, name)
);
CREATE TABLE dunning_actions (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    customer_id {int} NOT NULL REFERENCES customers (id),
    run_on TEXT NOT NULL,
    currency TEXT NOT NULL,
    policy TEXT NOT NULL,
    level {int} NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'letter', 'phone')),
    template TEXT NOT NULL,
    rule TEXT NOT NULL,
    amount_minor {int} NOT NULL,
    outbox_id {int},
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (entity_id, customer_id, currency, run_on, level)
);
CREATE INDEX dunning_actions_customer ON dunning_actions (entity_id, customer_id, run_on);
CREATE TABLE dunning_action_items (
    action_id {int} NOT NULL REFERENCES dunning_actions (id),
    entity_id {int} NOT NULL REFERENCES entities (id),
    item_id {int} NOT NULL REFERENCES items (id),
    level {int} NOT NULL,
    amount_minor {int} NOT NULL,
    PRIMARY KEY (action_id, item_id),
    UNIQUE (entity_id, item_id, level)
);
CREATE TABLE promises (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    customer_id {int} NOT NULL REFERENCES customers (id),
    amount_minor {int} NOT NULL,
    currency TEXT NOT NULL,
    promised_on TEXT NOT NULL,
    grace_days {int} NOT NULL,
    item_ids TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'kept', 'broken', 'cancelled')),
    paid_minor {int} NOT NULL,
    created_on TEXT NOT NULL,
    created_by TEXT NOT NULL,
    resolved_on TEXT,
    note TEXT NOT NULL
);
CREATE INDEX promises_customer ON promises (entity_id, customer_id, status);
CREATE TABLE payment_plans (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    customer_id {int} NOT NULL REFERENCES customers (id),
    total_minor {int} NOT NULL,
    currency TEXT NOT NULL,
    item_ids TEXT NOT NULL,
    grace_days {int} NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'completed', 'broken', 'cancelled')),
    created_on TEXT NOT NULL,
    created_by TEXT NOT NULL,
    resolved_on TEXT,
    note TEXT NOT NULL
);
CREATE INDEX payment_plans_customer ON payment_plans (entity_id, customer_id, status);
CREATE TABLE plan_instalments (
    plan_id {int} NOT NULL REFERENCES payment_plans (id),
    seq {int} NOT NULL,
    due_on TEXT NOT NULL,
    amount_minor {int} NOT NULL,
    PRIMARY KEY (plan_id, seq)
);
CREATE TABLE escalations (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    customer_id {int} NOT NULL REFERENCES customers (id),
    rule TEXT NOT NULL,
    opened_on TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    summary TEXT NOT NULL,
    closed_on TEXT,
    closed_by TEXT,
    note TEXT NOT NULL
);
CREATE INDEX escalations_open ON escalations (entity_id, status, customer_id);
ALTER TABLE disputes ADD COLUMN line_no {int};
ALTER TABLE disputes ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE disputes ADD COLUMN due_on TEXT;
ALTER TABLE disputes ADD COLUMN resolved_on TEXT;
CREATE TABLE contact_log_v7 (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    customer_id {int} NOT NULL REFERENCES customers (id),
    occurred_at TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('note', 'email', 'phone', 'letter', 'meeting', 'system')),
    direction TEXT NOT NULL CHECK (direction IN ('internal', 'outbound', 'inbound')),
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    source TEXT NOT NULL,
    source_id TEXT NOT NULL,
    created_by TEXT NOT NULL,
    outcome TEXT NOT NULL DEFAULT '',
    next_step_on TEXT
);
INSERT INTO contact_log_v7 (id, entity_id, customer_id, occurred_at, channel, direction, subject, body, source, source_id, created_by)
    SELECT id, entity_id, customer_id, occurred_at, channel, direction, subject, body, source, source_id, created_by FROM contact_log;
DROP TABLE contact_log;
ALTER TABLE contact_log_v7 RENAME TO contact_log;
CREATE INDEX contact_log_customer ON contact_log (entity_id, customer_id, occurred_at);
"#,
    },
    Migration {
        version: 8,
        description: "the email outbox: messages queued with the operations that send them, their attachments and delivery state",
        sql: r#"
CREATE TABLE outbox (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    customer_id {int} REFERENCES customers (id),
    message_id TEXT NOT NULL UNIQUE,
    recipients TEXT NOT NULL,
    cc TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT,
    source TEXT NOT NULL,
    source_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'bounced')),
    attempts {int} NOT NULL,
    next_attempt_at TEXT NOT NULL,
    claimed_at TEXT,
    last_error TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_due ON outbox (entity_id, status, next_attempt_at);
CREATE INDEX outbox_source ON outbox (entity_id, source, source_id);
CREATE TABLE outbox_attachments (
    outbox_id {int} NOT NULL REFERENCES outbox (id),
    seq {int} NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content {blob} NOT NULL,
    PRIMARY KEY (outbox_id, seq)
);
"#,
    },
    Migration {
        version: 9,
        description: "late-payment interest (reference rates, charges per invoice) and collection agency placements",
        sql: r#"
CREATE TABLE interest_reference_rates (
    entity_id {int} NOT NULL REFERENCES entities (id),
    preset TEXT NOT NULL CHECK (preset IN ('eu', 'uk', 'germany')),
    valid_from TEXT NOT NULL,
    rate_bp {int} NOT NULL,
    entered_at TEXT NOT NULL,
    entered_by TEXT NOT NULL,
    PRIMARY KEY (entity_id, preset, valid_from)
);
CREATE TABLE interest_charges (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    item_id {int} NOT NULL REFERENCES items (id),
    preset TEXT NOT NULL CHECK (preset IN ('eu', 'uk', 'germany')),
    charged_from TEXT NOT NULL,
    charged_through TEXT NOT NULL,
    currency TEXT NOT NULL,
    interest_minor {int} NOT NULL,
    compensation_minor {int} NOT NULL,
    interest_item_id {int} REFERENCES items (id),
    compensation_item_id {int} REFERENCES items (id),
    run_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX interest_charges_item ON interest_charges (entity_id, item_id, charged_through);
CREATE TABLE agency_placements (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    customer_id {int} NOT NULL REFERENCES customers (id),
    agency TEXT NOT NULL,
    placed_on TEXT NOT NULL,
    recalled_on TEXT,
    status TEXT NOT NULL CHECK (status IN ('placed', 'recalled')),
    commission_bp {int} NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX agency_placements_customer ON agency_placements (entity_id, customer_id, status);
CREATE TABLE agency_placed_items (
    placement_id {int} NOT NULL REFERENCES agency_placements (id),
    item_id {int} NOT NULL REFERENCES items (id),
    entity_id {int} NOT NULL REFERENCES entities (id),
    currency TEXT NOT NULL,
    placed_minor {int} NOT NULL,
    PRIMARY KEY (placement_id, item_id)
);
"#,
    },
    Migration {
        version: 10,
        description: "disputes' resolutions and notes history; credit holds log, credit reviews, order checks",
        sql: r#"
ALTER TABLE disputes ADD COLUMN credit_item_id {int} REFERENCES items (id);
ALTER TABLE disputes ADD COLUMN replacement_item_id {int} REFERENCES items (id);
ALTER TABLE disputes ADD COLUMN resolution_entry_id {int};
ALTER TABLE disputes ADD COLUMN resolved_by TEXT;
CREATE INDEX disputes_status ON disputes (entity_id, status, due_on);
CREATE TABLE dispute_notes (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    dispute_id {int} NOT NULL REFERENCES disputes (id),
    noted_on TEXT NOT NULL,
    noted_at TEXT NOT NULL,
    author TEXT NOT NULL,
    event TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX dispute_notes_dispute ON dispute_notes (entity_id, dispute_id, id);
CREATE TABLE credit_hold_log (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    customer_id {int} NOT NULL REFERENCES customers (id),
    action TEXT NOT NULL CHECK (action IN ('hold', 'release')),
    source TEXT NOT NULL CHECK (source IN ('manual', 'rule')),
    reason TEXT NOT NULL,
    acted_on TEXT NOT NULL,
    acted_at TEXT NOT NULL,
    acted_by TEXT NOT NULL
);
CREATE INDEX credit_hold_log_customer ON credit_hold_log (entity_id, customer_id, id);
CREATE TABLE credit_reviews (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    customer_id {int} NOT NULL REFERENCES customers (id),
    reviewed_on TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    currency TEXT NOT NULL,
    old_limit_minor {int},
    new_limit_minor {int} NOT NULL,
    reason TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX credit_reviews_customer ON credit_reviews (entity_id, customer_id, reviewed_on);
CREATE TABLE credit_orders (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    customer_id {int} NOT NULL REFERENCES customers (id),
    reference TEXT NOT NULL,
    amount_minor {int} NOT NULL,
    currency TEXT NOT NULL,
    checked_on TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('released', 'held')),
    reasons TEXT NOT NULL,
    exposure_minor {int} NOT NULL,
    limit_minor {int},
    checked_at TEXT NOT NULL,
    checked_by TEXT NOT NULL
);
CREATE INDEX credit_orders_customer ON credit_orders (entity_id, customer_id, id);
"#,
    },
    Migration {
        version: 11,
        description: "customers' contacts found by customer (the dunning run routes an email per account)",
        sql: r#"
CREATE INDEX contacts_customer ON contacts (entity_id, customer_id);
"#,
    },
    Migration {
        version: 14,
        description: "each open item's latest dunning level and day on the item, in a partial index a dunning run scans instead of probing the actions' history per item",
        sql: r#"
ALTER TABLE items ADD COLUMN dun_level {int} NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN dun_on TEXT NOT NULL DEFAULT '';
UPDATE items SET
    dun_level = (SELECT MAX(h.level) FROM dunning_action_items h
                 WHERE h.entity_id = items.entity_id AND h.item_id = items.id),
    dun_on = (SELECT MAX(a.run_on) FROM dunning_action_items h JOIN dunning_actions a ON a.id = h.action_id
              WHERE h.entity_id = items.entity_id AND h.item_id = items.id)
WHERE id IN (SELECT item_id FROM dunning_action_items);
CREATE INDEX items_dunning ON items (entity_id, due_day, dun_level, dun_on, customer_id) WHERE balance_minor > 0;
"#,
    },
    Migration {
        version: 15,
        description: "a statement is emailed at most once per customer and date, kept by a unique key rather than by a look before the insert that two runs at once could both pass",
        sql: r#"
CREATE UNIQUE INDEX outbox_statement_once ON outbox (entity_id, source_id) WHERE source = 'statement';
"#,
    },
    Migration {
        version: 16,
        description: "the audit trail: every change with who, when, from where, what, before and after, hash-chained per entity; the chain's head locked by each append",
        sql: r#"
CREATE TABLE audit_heads (
    entity_id {int} PRIMARY KEY REFERENCES entities (id),
    seq {int} NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE audit_log (
    entity_id {int} NOT NULL REFERENCES entities (id),
    seq {int} NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    origin TEXT NOT NULL,
    operation TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_key TEXT NOT NULL,
    before_json TEXT NOT NULL,
    after_json TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (entity_id, seq)
);
CREATE INDEX audit_log_at ON audit_log (entity_id, at);
INSERT INTO audit_heads (entity_id, seq, hash)
    SELECT id, 0, '0000000000000000000000000000000000000000000000000000000000000000' FROM entities;
"#,
    },
    Migration {
        version: 17,
        description: "sign-in and maker-checker: users' password hashes and disabling, API tokens kept as SHA-256 of their secret, approval limits per operation and currency, requests waiting for approval",
        sql: r#"
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN disabled_at TEXT;
CREATE TABLE api_tokens (
    id {pk},
    user_id {int} NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    secret_sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_on TEXT,
    revoked_at TEXT,
    last_used_at TEXT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
CREATE TABLE approval_limits (
    entity_id {int} NOT NULL REFERENCES entities (id),
    operation TEXT NOT NULL CHECK (operation IN ('credit_memo', 'write_off', 'refund')),
    currency TEXT NOT NULL,
    amount_minor {int} NOT NULL CHECK (amount_minor >= 0),
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL,
    PRIMARY KEY (entity_id, operation, currency)
);
CREATE TABLE approvals (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    operation TEXT NOT NULL CHECK (operation IN ('credit_memo', 'write_off', 'refund')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    request TEXT NOT NULL,
    summary TEXT NOT NULL,
    maker TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor {int} NOT NULL,
    created_at TEXT NOT NULL,
    checker TEXT,
    decided_at TEXT,
    reason TEXT,
    result TEXT
);
CREATE INDEX approvals_status ON approvals (entity_id, status, id);
"#,
    },
    Migration {
        version: 18,
        description: "signed-in browser sessions: kept as SHA-256 of the cookie's secret, with the CSRF token that the session's forms carry",
        sql: r#"
CREATE TABLE web_sessions (
    secret_sha256 TEXT NOT NULL PRIMARY KEY,
    user_id {int} NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    origin TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
){without_rowid};
CREATE INDEX web_sessions_user ON web_sessions (user_id);
"#,
    },
    Migration {
        version: 19,
        description: "the customer portal: links kept as SHA-256 of their secret, with the CSRF token their forms carry, an expiry and a revocation; remittance advice the customer sends through a link, with the invoices (and amounts) a coming payment covers",
        sql: r#"
CREATE TABLE portal_links (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    customer_id {int} NOT NULL REFERENCES customers (id),
    secret_sha256 TEXT NOT NULL UNIQUE,
    csrf_token TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    revoked_by TEXT,
    last_used_at TEXT
);
CREATE INDEX portal_links_customer ON portal_links (entity_id, customer_id);
CREATE TABLE remittance_advices (
    id {pk},
    entity_id {int} NOT NULL REFERENCES entities (id),
    customer_id {int} NOT NULL REFERENCES customers (id),
    link_id {int} NOT NULL REFERENCES portal_links (id),
    currency TEXT NOT NULL,
    total_minor {int} NOT NULL CHECK (total_minor > 0),
    expected_on TEXT,
    note TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'used')),
    created_at TEXT NOT NULL,
    payment_id {int} REFERENCES payments (id),
    used_at TEXT
);
CREATE INDEX remittance_advices_status ON remittance_advices (entity_id, status, customer_id);
CREATE TABLE remittance_advice_items (
    advice_id {int} NOT NULL REFERENCES remittance_advices (id),
    seq {int} NOT NULL,
    item_id {int} NOT NULL REFERENCES items (id),
    amount_minor {int} NOT NULL CHECK (amount_minor > 0),
    PRIMARY KEY (advice_id, seq)
);
"#,
    },
    Migration {
        version: 20,
        description: "open items in the order of their due day and id, with what the dunning run and the aging's drill-down filter on, in place of items_dunning: a page of a bucket read in order and cut at its length, a bucket summed from the index alone, the dunning run's candidates found in it as before",
        sql: r#"
DROP INDEX items_dunning;
CREATE INDEX items_open_by_due ON items (entity_id, due_day, id, dun_level, dun_on, customer_id, currency, balance_minor, activity_day, issue_day) WHERE balance_minor > 0;
"#,
    },
];

/// Statements a migration needs in one engine's own words, run after its shared text: trigger
/// bodies hold semicolons, so each is one whole statement here rather than a part of the
/// shared text, which is split at semicolons.
const ENGINE_STATEMENTS: &[(i64, Engine, &[&str])] = &[
    (
        16,
        Engine::Sqlite,
        &[
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows are never updated'); END",
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows are never deleted'); END",
        ],
    ),
    (
        16,
        Engine::Postgres,
        &[
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS \
             $body$ BEGIN RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP; END $body$",
            "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log \
             FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
        ],
    ),
];

/// The migration's statements in the engine's dialect.
pub fn statements(migration: &Migration, engine: Engine) -> Vec<String> {
    let (pk, int, without_rowid, blob) = match engine {
        Engine::Sqlite => ("INTEGER PRIMARY KEY", "INTEGER", " WITHOUT ROWID", "BLOB"),
        Engine::Postgres => ("BIGINT PRIMARY KEY", "BIGINT", "", "BYTEA"),
    };
    migration
        .sql
        .replace("{pk}", pk)
        .replace("{int}", int)
        .replace("{without_rowid}", without_rowid)
        .replace("{blob}", blob)
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .chain(
            ENGINE_STATEMENTS
                .iter()
                .filter(|(version, on, _)| *version == migration.version && *on == engine)
                .flat_map(|(_, _, statements)| statements.iter().map(|s| s.to_string())),
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebuilt_indexes_are_the_migrations_own() {
        let all: String = MIGRATIONS.iter().map(|m| m.sql).collect();
        for (name, statement) in BULK_REBUILT_INDEXES {
            assert!(
                all.contains(&format!("{statement};")),
                "{name} differs from its migration"
            );
        }
    }
}

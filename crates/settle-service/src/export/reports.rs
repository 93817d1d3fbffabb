//! Each exported report as one [`Table`], with the same columns, order and text as the
//! report's CSV output (`settle aging --format csv`, `settle report kpis --format csv`, the
//! journal's CSV, `settle export applications`), so that a CSV and a workbook of one report
//! say the same thing. Where a report mixes currencies the currency has its own column and
//! each amount keeps its own precision.

use jiff::Timestamp;
use jiff::civil::Date;
use settle_core::aging::AgingRow;
use settle_core::kpi::Kpis;
use settle_core::money::SignPolicy;
use settle_core::{Currency, Money};
use settle_store::ContactExportRow;

use super::table::{Column, ColumnKind, Table, Value};
use crate::collections::worklist::WorklistEntry;
use crate::error::invalid;
use crate::journal_export::JournalExport;
use crate::kpis::KpiReport;
use crate::matching::ApplicationExportRow;
use crate::reports::{AgingDetail, NamedAging};
use crate::{ServiceResult, Settle};

use ColumnKind::{Date as DateKind, DateTime, Decimal, Integer, Percent, Text};

fn columns(spec: &[(&str, ColumnKind)]) -> Vec<Column> {
    spec.iter()
        .map(|(name, kind)| Column::new(*name, *kind))
        .collect()
}

fn yes_no(flag: bool) -> Value {
    Value::text(if flag { "yes" } else { "no" })
}

fn optional_text(text: Option<&str>) -> Value {
    text.map_or(Value::Empty, Value::text)
}

/// One row per customer and currency, then a `TOTAL` row per currency: the buckets, the
/// open debit items' total, open credits, the net and the disputed part.
pub fn aging_summary(aging: &NamedAging) -> Table {
    let mut spec: Vec<Column> = columns(&[
        ("customer_id", Text),
        ("customer_name", Text),
        ("currency", Text),
    ]);
    for label in &aging.report.labels {
        spec.push(Column::new(label.clone(), ColumnKind::Money));
    }
    for name in ["total", "unapplied", "net", "disputed"] {
        spec.push(Column::new(name, ColumnKind::Money));
    }
    let mut table = Table::new("aging", spec);
    let amounts = |row: &AgingRow| -> Vec<Value> {
        row.buckets
            .iter()
            .chain([&row.total, &row.unapplied, &row.net])
            .map(|m| Value::Money(*m))
            .chain([row.disputed.map_or(Value::Empty, Value::Money)])
            .collect()
    };
    for (code, name, row) in aging.rows_by_code() {
        let mut record = vec![
            Value::text(code),
            Value::text(name),
            Value::text(row.currency.code()),
        ];
        record.extend(amounts(row));
        table.push(record);
    }
    for total in &aging.report.totals {
        let mut record = vec![
            Value::text("TOTAL"),
            Value::Empty,
            Value::text(total.currency.code()),
        ];
        record.extend(amounts(total));
        table.push(record);
    }
    table
}

/// One row per open debit item with its days past due and bucket.
pub fn aging_detail(detail: &AgingDetail) -> Table {
    let mut table = Table::new(
        "aging detail",
        columns(&[
            ("customer_id", Text),
            ("customer_name", Text),
            ("document", Text),
            ("kind", Text),
            ("issue_date", DateKind),
            ("due_date", DateKind),
            ("days_past_due", Integer),
            ("bucket", Text),
            ("currency", Text),
            ("balance", ColumnKind::Money),
        ]),
    );
    for line in &detail.lines {
        let (code, name) = detail
            .names
            .get(&line.item.customer)
            .cloned()
            .unwrap_or_default();
        table.push(vec![
            Value::Text(code),
            Value::Text(name),
            Value::text(line.item.number.clone()),
            Value::Text(line.item.kind.to_string()),
            Value::Date(line.item.issue_date),
            Value::Date(line.item.due_date),
            Value::Integer(line.days_past_due),
            Value::text(detail.labels[line.bucket].clone()),
            Value::text(line.item.balance.currency().code()),
            Value::Money(line.item.balance),
        ]);
    }
    table
}

/// The KPI figures in `settle report kpis` order: how each is read and shown.
type KpiField = (&'static str, ColumnKind, fn(&Kpis) -> Value);

const KPI_FIELDS: &[KpiField] = &[
    ("receivables", ColumnKind::Money, |k| {
        Value::Money(k.receivables)
    }),
    ("current", ColumnKind::Money, |k| Value::Money(k.current)),
    ("overdue", ColumnKind::Money, |k| Value::Money(k.overdue)),
    ("credit_sales_30", ColumnKind::Money, |k| {
        Value::Money(k.credit_sales_month)
    }),
    ("credit_sales_90", ColumnKind::Money, |k| {
        Value::Money(k.credit_sales_quarter)
    }),
    ("beginning_receivables_30", ColumnKind::Money, |k| {
        Value::Money(k.beginning_receivables_month)
    }),
    ("beginning_receivables_90", ColumnKind::Money, |k| {
        Value::Money(k.beginning_receivables_quarter)
    }),
    ("cash_collected_30", ColumnKind::Money, |k| {
        Value::Money(k.cash_collected_month)
    }),
    ("dso_30", Decimal { places: 2 }, |k| Value::number(k.dso_30)),
    ("dso_90", Decimal { places: 2 }, |k| Value::number(k.dso_90)),
    ("countback_dso", Decimal { places: 2 }, |k| {
        Value::number(k.countback_dso)
    }),
    ("best_possible_dso_90", Decimal { places: 2 }, |k| {
        Value::number(k.best_possible_dso_90)
    }),
    ("add_90", Decimal { places: 2 }, |k| Value::number(k.add_90)),
    ("cei", Percent, |k| Value::number(k.cei)),
    ("cei_90", Percent, |k| Value::number(k.cei_90)),
    ("overdue_share", Percent, |k| Value::number(k.overdue_share)),
    ("recovery_rate", Percent, |k| Value::number(k.recovery_rate)),
    ("broken_promise_rate", Percent, |k| {
        Value::number(k.broken_promise_rate)
    }),
];

/// One row per group (the entity, or each collector) and currency. Days have two decimals;
/// CEI and the shares and rates are percentages.
pub fn kpis(report: &KpiReport) -> Table {
    let mut spec = columns(&[("group", Text), ("currency", Text)]);
    spec.extend(
        KPI_FIELDS
            .iter()
            .map(|(name, kind, _)| Column::new(*name, *kind)),
    );
    let mut table = Table::new("kpis", spec);
    for group in &report.groups {
        for figures in &group.currencies {
            let mut record = vec![
                Value::text(group.name.clone()),
                Value::text(figures.currency.code()),
            ];
            record.extend(KPI_FIELDS.iter().map(|(_, _, read)| read(figures)));
            table.push(record);
        }
    }
    table
}

/// One row per posting, as the journal's CSV: debit and credit positive, one of them empty;
/// `functional_amount` signed, in the functional currency.
pub fn journal(export: &JournalExport) -> Table {
    let mut table = Table::new(
        "journal",
        columns(&[
            ("entry_id", Integer),
            ("date", DateKind),
            ("kind", Text),
            ("memo", Text),
            ("reverses_entry", Integer),
            ("account", Text),
            ("account_name", Text),
            ("currency", Text),
            ("debit", ColumnKind::Money),
            ("credit", ColumnKind::Money),
            ("functional_amount", ColumnKind::Money),
            ("customer_id", Text),
            ("document", Text),
            ("payment_id", Integer),
        ]),
    );
    let functional = export.entity.functional_currency;
    for line in &export.lines {
        let amount = line.amount;
        let magnitude = Value::Money(Money::new(amount.minor().abs(), amount.currency()));
        let (debit, credit) = if amount.minor() < 0 {
            (Value::Empty, magnitude)
        } else {
            (magnitude, Value::Empty)
        };
        table.push(vec![
            Value::Integer(line.entry.0),
            Value::Date(line.date),
            Value::Text(line.kind.to_string()),
            Value::text(line.memo.clone()),
            line.reverses.map_or(Value::Empty, |e| Value::Integer(e.0)),
            Value::text(line.account.clone()),
            Value::text(export.account_name(&line.account)),
            Value::text(amount.currency().code()),
            debit,
            credit,
            line.functional_minor
                .map_or(Value::Empty, |m| Value::Money(Money::new(m, functional))),
            optional_text(line.customer_code.as_deref()),
            optional_text(line.item_number.as_deref()),
            line.payment.map_or(Value::Empty, |p| Value::Integer(p.0)),
        ]);
    }
    table
}

/// `bank_ref,invoice_number,amount,status` as in the applications CSV, then the currency
/// (the CSV's fixed layout has none; a workbook needs it to read the amounts).
pub fn applications(rows: &[ApplicationExportRow]) -> Table {
    let mut table = Table::new(
        "applications",
        columns(&[
            ("bank_ref", Text),
            ("invoice_number", Text),
            ("amount", ColumnKind::Money),
            ("status", Text),
            ("currency", Text),
        ]),
    );
    for row in rows {
        table.push(vec![
            Value::text(row.bank_ref.clone()),
            Value::text(row.invoice_number.clone()),
            Value::Money(row.cash),
            Value::text(row.status),
            Value::text(row.cash.currency().code()),
        ]);
    }
    table
}

/// One row per account and currency it has open items in (an account with a call due and
/// nothing open has one row without amounts), in rank order.
pub fn worklist(entries: &[WorklistEntry]) -> ServiceResult<Table> {
    let mut table = Table::new(
        "worklist",
        columns(&[
            ("rank", Integer),
            ("customer_id", Text),
            ("customer_name", Text),
            ("collector", Text),
            ("segment", Text),
            ("risk_class", Text),
            ("currency", Text),
            ("past_due", ColumnKind::Money),
            ("open", ColumnKind::Money),
            ("days_past_due", Integer),
            ("bucket", Text),
            ("broken_promises", Integer),
            ("limit_use", Percent),
            ("last_contact", DateTime),
            ("disputed", Text),
            ("call_due_level", Integer),
            ("callable_now", Text),
            ("not_callable", Text),
            ("score", Decimal { places: 1 }),
        ]),
    );
    for entry in entries {
        let last_contact = match &entry.last_contact {
            Some(text) => Value::DateTime(timestamp("last_contact", text)?),
            None => Value::Empty,
        };
        let mut amounts: Vec<(Value, Value, Value)> = Vec::new();
        for (code, open) in &entry.open {
            let currency = currency("worklist currency", code)?;
            let past_due = match entry.past_due.iter().find(|(c, _)| c == code) {
                Some((_, text)) => money("past_due", text, currency)?,
                None => Money::new(0, currency),
            };
            amounts.push((
                Value::text(code.clone()),
                Value::Money(past_due),
                Value::Money(money("open", open, currency)?),
            ));
        }
        if amounts.is_empty() {
            amounts.push((Value::Empty, Value::Empty, Value::Empty));
        }
        for (currency, past_due, open) in amounts {
            table.push(vec![
                Value::Integer(entry.rank as i64),
                Value::text(entry.customer.clone()),
                Value::text(entry.name.clone()),
                Value::text(entry.collector.clone()),
                Value::text(entry.segment.clone()),
                Value::text(entry.risk_class.clone()),
                currency,
                past_due,
                open,
                Value::Integer(entry.days_past_due),
                Value::text(entry.bucket.clone()),
                Value::Integer(i64::from(entry.broken_promises)),
                Value::number(entry.limit_use_percent),
                last_contact.clone(),
                yes_no(entry.disputed),
                entry.call_due.map_or(Value::Empty, Value::Integer),
                yes_no(entry.callable_now),
                optional_text(entry.not_callable.as_deref()),
                Value::Number(entry.score.total),
            ]);
        }
    }
    Ok(table)
}

/// Every contact-log entry, oldest first; `occurred_at` in UTC.
pub fn contact_log(rows: &[ContactExportRow]) -> ServiceResult<Table> {
    let mut table = Table::new(
        "contact log",
        columns(&[
            ("customer_id", Text),
            ("customer_name", Text),
            ("occurred_at", DateTime),
            ("channel", Text),
            ("direction", Text),
            ("subject", Text),
            ("outcome", Text),
            ("next_step_on", DateKind),
            ("source", Text),
            ("created_by", Text),
            ("body", Text),
        ]),
    );
    for row in rows {
        let entry = &row.entry;
        let next_step = match &entry.next_step_on {
            Some(text) if !text.is_empty() => Value::Date(
                text.parse::<Date>()
                    .map_err(|e| invalid("next_step_on", format!("{text:?}: {e}")))?,
            ),
            _ => Value::Empty,
        };
        table.push(vec![
            Value::text(row.customer_code.clone()),
            Value::text(row.customer_name.clone()),
            Value::DateTime(timestamp("occurred_at", &entry.occurred_at)?),
            Value::Text(entry.channel.to_string()),
            Value::Text(entry.direction.to_string()),
            Value::text(entry.subject.clone()),
            Value::text(entry.outcome.clone()),
            next_step,
            Value::text(entry.source.clone()),
            Value::text(entry.created_by.clone()),
            Value::text(entry.body.clone()),
        ]);
    }
    Ok(table)
}

fn timestamp(field: &str, text: &str) -> ServiceResult<Timestamp> {
    text.parse::<Timestamp>()
        .map_err(|e| invalid(field, format!("{text:?} is not an instant: {e}")))
}

fn currency(field: &str, code: &str) -> ServiceResult<Currency> {
    Currency::from_code(code).map_err(|e| invalid(field, e.to_string()))
}

/// The service's own decimal text read back exactly.
fn money(field: &str, text: &str, currency: Currency) -> ServiceResult<Money> {
    Money::parse(text, currency, SignPolicy::Signed).map_err(|e| invalid(field, e.to_string()))
}

impl Settle {
    /// The contact log of every customer, or of the one with this code, oldest first.
    pub async fn contact_log_export(
        &self,
        customer: Option<&str>,
    ) -> ServiceResult<Vec<ContactExportRow>> {
        let entity = self.entity().id;
        let customer = match customer {
            Some(code) => Some(self.customer_id(code).await?),
            None => None,
        };
        Ok(self.store().contact_log_export(entity, customer).await?)
    }
}

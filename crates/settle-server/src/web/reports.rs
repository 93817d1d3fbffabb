//! Report pages: the KPI trend over a year of month-ends, and the open items behind a cell of
//! the aging.

use axum::extract::{Query, State};
use axum::response::Html;
use serde::{Deserialize, Serialize};

use settle_core::Currency;
use settle_core::aging::{AgingBasis, AgingPolicy};
use settle_core::kpi::{DaysBasis, Kpis};
use settle_service::aging_items::BucketQuery;
use settle_service::kpis::KpiGrouping;

use super::pages::{figure, month_ends, not_for_sales, today};
use super::{Flash, PageError, Viewer, chart, render};
use crate::problem::Problem;
use crate::state::AppState;

type Page = Result<Html<String>, PageError>;

/// Month-ends the KPI page covers, the current month's today included.
const KPI_MONTHS: usize = 12;

#[derive(Debug, Default, Deserialize)]
pub struct KpiQuery {
    #[serde(default)]
    currency: String,
    #[serde(flatten)]
    flash: Flash,
}

/// One month-end's figures as the table shows them.
#[derive(Debug, Serialize)]
struct KpiLine {
    as_of: String,
    receivables: String,
    dso: String,
    best_dso: String,
    add: String,
    cei: String,
    current: String,
    overdue: String,
}

/// The share of receivables not yet due, in percent; `None` when nothing is owed.
fn percent_current(kpis: &Kpis) -> Option<f64> {
    let owed = kpis.receivables.minor();
    (owed != 0).then(|| 100.0 * kpis.current.minor() as f64 / owed as f64)
}

pub async fn kpis(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<KpiQuery>,
) -> Page {
    not_for_sales(&viewer)?;
    let settle = state.settle();
    let ends = month_ends(today(), KPI_MONTHS);
    let mut reports = Vec::with_capacity(ends.len());
    for end in &ends {
        let report = settle
            .kpis(*end, DaysBasis::default(), KpiGrouping::Entity)
            .await?;
        reports.push(report.groups.into_iter().next().map(|g| g.currencies));
    }
    let mut currencies: Vec<Currency> = reports
        .iter()
        .flatten()
        .flatten()
        .map(|k| k.currency)
        .collect();
    currencies.sort_by(|a, b| a.code().cmp(b.code()));
    currencies.dedup();
    let functional = settle.entity().functional_currency;
    let currency = if query.currency.is_empty() {
        if currencies.contains(&functional) {
            functional
        } else {
            currencies.first().copied().unwrap_or(functional)
        }
    } else {
        Currency::from_code(&query.currency)
            .map_err(|e| Problem::bad_request(Some("currency".into()), e.to_string()))?
    };
    let figures: Vec<Option<&Kpis>> = reports
        .iter()
        .map(|r| r.iter().flatten().find(|k| k.currency == currency))
        .collect();
    // Short labels fit twelve under a chart; the year is named where it starts and at January.
    let labels: Vec<String> = ends
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let format = if i == 0 || d.month() == 1 {
                "%b %y"
            } else {
                "%b"
            };
            d.strftime(format).to_string()
        })
        .collect();
    let series = |f: fn(&Kpis) -> Option<f64>| -> Vec<Option<f64>> {
        figures.iter().map(|k| k.and_then(f)).collect()
    };
    let days_chart = chart::lines(
        &format!(
            "DSO, best-possible DSO and ADD in days, {}",
            currency.code()
        ),
        &labels,
        &[
            ("DSO", "#1f5fbf", series(|k| k.dso_90)),
            ("Best DSO", "#1e7d32", series(|k| k.best_possible_dso_90)),
            ("ADD", "#b3261e", series(|k| k.add_90)),
        ],
    );
    let percent_chart = chart::lines(
        &format!(
            "CEI, percent current and overdue share, {}",
            currency.code()
        ),
        &labels,
        &[
            ("CEI", "#1f5fbf", series(|k| k.cei)),
            ("Current", "#1e7d32", series(percent_current)),
            ("Overdue", "#b3261e", series(|k| k.overdue_share)),
        ],
    );
    let lines: Vec<KpiLine> = ends
        .iter()
        .zip(&figures)
        .rev()
        .map(|(end, k)| KpiLine {
            as_of: end.to_string(),
            receivables: k.map_or_else(|| "—".into(), |k| k.receivables.to_decimal_string()),
            dso: figure(k.and_then(|k| k.dso_90), ""),
            best_dso: figure(k.and_then(|k| k.best_possible_dso_90), ""),
            add: figure(k.and_then(|k| k.add_90), ""),
            cei: figure(k.and_then(|k| k.cei), " %"),
            current: figure(k.and_then(percent_current), " %"),
            overdue: figure(k.and_then(|k| k.overdue_share), " %"),
        })
        .collect();
    let codes: Vec<&str> = currencies.iter().map(|c| c.code()).collect();
    render(
        "kpis.html",
        "kpis",
        &viewer,
        &query.flash,
        serde_json::json!({
            "as_of": today().to_string(), "currency": currency.code(), "currencies": codes,
            "days_chart": days_chart, "percent_chart": percent_chart, "lines": lines,
        }),
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct BucketItemsQuery {
    /// Text, because a flattened query reads every value as text.
    #[serde(default)]
    bucket: String,
    #[serde(default)]
    customer: String,
    #[serde(default)]
    currency: String,
    after: Option<String>,
    #[serde(flatten)]
    flash: Flash,
}

/// Items a page of the drill-down lists.
const ITEMS_PER_PAGE: u32 = 100;

pub async fn aging_items(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<BucketItemsQuery>,
) -> Page {
    not_for_sales(&viewer)?;
    let bucket: usize = query.bucket.parse().map_err(|_| {
        Problem::bad_request(
            Some("bucket".into()),
            format!("{:?} is not a bucket's number (0 is current)", query.bucket),
        )
    })?;
    let currency = if query.currency.is_empty() {
        None
    } else {
        Some(
            Currency::from_code(&query.currency)
                .map_err(|e| Problem::bad_request(Some("currency".into()), e.to_string()))?,
        )
    };
    let policy = AgingPolicy::standard(AgingBasis::DueDate);
    let items = state
        .settle()
        .aging_bucket_items(
            &policy,
            today(),
            &BucketQuery {
                bucket,
                customer: (!query.customer.is_empty()).then(|| query.customer.clone()),
                currency,
                after: query.after.clone(),
                limit: Some(ITEMS_PER_PAGE),
            },
        )
        .await?;
    render(
        "aging_items.html",
        "aging",
        &viewer,
        &query.flash,
        serde_json::json!({
            "items": items, "bucket": bucket, "customer": query.customer,
            "currency": query.currency, "first_page": query.after.is_none(),
        }),
    )
}

//! What every request shares: the open database, the settings, the metrics, a short-lived
//! cache of API tokens already checked, the kept worklist ranking, and the document printer once
//! a page has needed it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::SignedDuration;

use settle_core::Date;
use settle_core::access::{Role, Scope};
use settle_service::documents::{CompanyProfile, DocumentData, DocumentOptions, Printer};
use settle_service::{ServiceError, ServiceResult, Settle};

use crate::config::ServerConfig;
use crate::metrics::Metrics;
use crate::problem::{ApiResult, Problem};
use crate::ranking::{Ranking, RankingCache};

/// How long a checked token is believed without asking the database again. A revoked token
/// stops working within this time.
const TOKEN_CACHE_FOR: Duration = Duration::from_secs(10);
/// The most tokens the cache holds before it starts afresh.
const TOKEN_CACHE_SIZE: usize = 10_000;

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    settle: Settle,
    background: Settle,
    config: ServerConfig,
    metrics: Metrics,
    started: Instant,
    tokens: Mutex<HashMap<String, (String, Role, Scope, Instant)>>,
    ranking: Arc<RankingCache>,
    /// Built on first use (loading fonts and templates costs a moment, and most servers print
    /// nothing until a customer asks for a PDF), with the letterhead it was built for.
    printer: tokio::sync::Mutex<Option<(CompanyProfile, Printer)>>,
}

impl AppState {
    pub fn new(settle: Settle, background: Settle, config: ServerConfig) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                settle,
                background,
                config,
                metrics: Metrics::default(),
                started: Instant::now(),
                tokens: Mutex::new(HashMap::new()),
                ranking: Arc::default(),
                printer: tokio::sync::Mutex::new(None),
            }),
        }
    }

    pub fn settle(&self) -> &Settle {
        &self.inner.settle
    }

    /// What background work (the jobs, the worklist ranking) runs on: the same books on a pool
    /// of connections of its own, so that it never leaves requests waiting for one.
    pub fn background(&self) -> &Settle {
        &self.inner.background
    }

    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The whole book's worklist as of `as_of`, ranked at most the configured age ago.
    pub async fn ranking(&self, as_of: Date) -> ServiceResult<Arc<Ranking>> {
        let max_age = self.inner.config.worklist_refresh();
        self.inner
            .ranking
            .get(self.background(), as_of, max_age)
            .await
    }

    /// Ranks today's worklist in the background, so the first visit finds it ready.
    pub fn rank_ahead(&self, as_of: Date) {
        self.inner
            .ranking
            .refresh_in_background(self.background().clone(), as_of);
    }

    /// A write went through: the worklist may have changed.
    pub fn written(&self) {
        self.inner.ranking.invalidate();
    }

    pub fn uptime(&self) -> Duration {
        self.inner.started.elapsed()
    }

    pub fn session_idle(&self) -> SignedDuration {
        let minutes =
            i64::try_from(self.inner.config.session_idle_minutes).unwrap_or(i64::MAX / 60);
        SignedDuration::from_mins(minutes.max(1))
    }

    /// The user, role and scope of an API token, from the cache or the database.
    pub async fn token(&self, secret: &str) -> ApiResult<(String, Role, Scope)> {
        let key = settle_service::sha256_hex(secret.as_bytes());
        {
            let cache = self.inner.tokens.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((user, role, scope, at)) = cache.get(&key)
                && at.elapsed() < TOKEN_CACHE_FOR
            {
                return Ok((user.clone(), *role, *scope));
            }
        }
        let authenticated = self
            .inner
            .settle
            .authenticate_token(secret)
            .await
            .map_err(Problem::from)?;
        let role = authenticated.role;
        let entry = (authenticated.user.name.clone(), role, authenticated.scope);
        let mut cache = self.inner.tokens.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= TOKEN_CACHE_SIZE {
            cache.clear();
        }
        cache.insert(key, (entry.0.clone(), role, entry.2, Instant::now()));
        Ok(entry)
    }

    /// A document rendered to PDF by `printer` (the one its data was prepared with), on the
    /// blocking pool: a document's layout is milliseconds of CPU, not I/O, and must not hold
    /// up a runtime worker.
    pub async fn render_pdf(printer: Printer, data: DocumentData) -> Result<Vec<u8>, ServiceError> {
        let rendered = tokio::task::spawn_blocking(move || printer.render(&data))
            .await
            .map_err(|e| ServiceError::Refused(format!("rendering stopped: {e}")))??;
        Ok(rendered.pdf)
    }

    /// The document printer with the company's letterhead as it is now: the letterhead is
    /// read for every document, so that an edit shows on the next one without a restart; the
    /// engine is built again (on the blocking pool) only when the logo changed.
    pub async fn printer(&self) -> Result<Printer, ServiceError> {
        let profile = self.inner.settle.company_profile().await?;
        let mut kept = self.inner.printer.lock().await;
        let printer = match kept.as_ref() {
            Some((built_for, printer)) if *built_for == profile => return Ok(printer.clone()),
            Some((built_for, printer)) if built_for.logo == profile.logo => {
                printer.with_letterhead(profile.company.clone(), profile.paper)
            }
            _ => {
                let for_engine = profile.clone();
                tokio::task::spawn_blocking(move || {
                    Printer::new(&DocumentOptions::default(), for_engine)
                })
                .await
                .map_err(|e| ServiceError::Refused(format!("the printer did not start: {e}")))??
            }
        };
        *kept = Some((profile, printer.clone()));
        Ok(printer)
    }
}

/// A PDF as an HTTP answer, shown in the browser and saved under `name`.
pub fn pdf_response(bytes: Vec<u8>, name: &str) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("inline; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

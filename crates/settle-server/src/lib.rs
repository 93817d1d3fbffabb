//! `settle serve`: one process that serves the JSON API, the team's web pages and the
//! customer portal, and runs the background jobs (drop-folder imports, matching, dunning,
//! outbox sending). Every handler calls the service and nothing else; the rules live there.

mod api;
mod auth;
pub mod config;
mod extract;
mod jobs;
mod metrics;
mod openapi;
mod problem;
mod ranking;
mod state;
mod upload;
mod web;
mod worker;

use std::net::SocketAddr;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::watch;

use settle_service::Settle;

pub use config::{ConfigError, LogFormat, ServerConfig};
pub use state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
}

/// The whole application: API, health, metrics, with request logging and metrics around it.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(api::router())
        .merge(web::router())
        .route("/api/v1/openapi.json", get(openapi_document))
        .route("/healthz", get(health))
        .route("/metrics", get(metrics_text))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Serves until SIGINT or SIGTERM, then lets requests in flight and the jobs' current round
/// finish.
/// Serves `settle` to requests; `background` (the same books on another pool of connections)
/// runs the jobs and ranks the worklist.
pub async fn serve(
    settle: Settle,
    background: Settle,
    config: ServerConfig,
) -> Result<(), ServerError> {
    let address = config.listen;
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|source| ServerError::Listen { address, source })?;
    let local = listener.local_addr().unwrap_or(address);
    let state = AppState::new(settle, background, config);
    let (stop, stopped) = watch::channel(false);
    let jobs = jobs::spawn(state.clone(), stopped);
    state.rank_ahead(jiff::Zoned::now().date());
    tracing::info!(address = %local, "listening");
    let served = axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await;
    let _ = stop.send(true);
    let _ = jobs.await;
    tracing::info!("stopped");
    served.map_err(ServerError::Serve)
}

/// Sets up logging: `RUST_LOG` picks what is logged (default `info`), the configuration how.
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

/// Logs each request and counts it in the metrics, under its route's pattern (not the path,
/// so that a customer code never becomes a label).
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let took = started.elapsed();
    let status = response.status().as_u16();
    if !matches!(method.as_str(), "GET" | "HEAD") && status < 400 {
        state.written();
    }
    state
        .metrics()
        .record_request(&route, &method, status, took);
    tracing::info!(
        method,
        path,
        status,
        ms = took.as_secs_f64() * 1000.0,
        "request"
    );
    response
}

async fn health(State(state): State<AppState>) -> Response {
    match state.settle().store().ping().await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database unreachable: {e}\n"),
        )
            .into_response(),
    }
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    let mut response = state.metrics().render(state.uptime()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

async fn openapi_document() -> axum::Json<serde_json::Value> {
    axum::Json(openapi::document())
}

async fn not_found() -> problem::Problem {
    problem::Problem::not_found("no such page or endpoint")
}

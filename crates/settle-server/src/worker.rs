//! Runs a service write where its future need not be `Send`.
//!
//! The service's writes take their body as an async closure, run again when the transaction
//! loses to a concurrent one. The compiler cannot yet prove such futures `Send` for every
//! lifetime, which axum's handlers must be. So a write runs on a blocking-pool thread that
//! drives it to completion on the same runtime: the handler awaits only the join handle, which
//! is `Send`. Reads do not need this.

use std::future::Future;

use crate::problem::Problem;

pub async fn on_worker<T, Fut>(work: impl FnOnce() -> Fut + Send + 'static) -> Result<T, Problem>
where
    Fut: Future<Output = T>,
    T: Send + 'static,
{
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || runtime.block_on(work()))
        .await
        .map_err(|e| {
            Problem::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "The server could not do this",
                format!("the operation stopped: {e}"),
            )
        })
}

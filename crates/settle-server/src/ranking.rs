//! The worklist as the server keeps it: ranked once over the whole book, then filtered per
//! request. Ranking reads every account (seconds on a hundred thousand customers), which is
//! far too slow for each page view; a kept ranking answers in microseconds.
//!
//! A ranking is served until it is older than the configured age or a write made through the
//! server may have changed it; then the next request is answered from the kept ranking while
//! one background task ranks again (stale while revalidating), so no request waits on a
//! ranking except the very first of a day. Pages show when the ranking was made.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use settle_core::Date;
use settle_service::collections::worklist::WorklistEntry;
use settle_service::{ServiceError, ServiceResult, Settle};
use tokio::task::JoinHandle;

/// How long a request waits for a ranking started because the kept one was out of date, when
/// the last ranking took less than this: a small book's page shows its fresh ranking, while on
/// a large one no request stalls for a ranking that could not finish in time anyway.
const FRESH_WAIT: Duration = Duration::from_millis(300);

/// One ranking of the whole book.
#[derive(Debug)]
pub struct Ranking {
    pub as_of: Date,
    pub ranked_at: Timestamp,
    pub entries: Vec<WorklistEntry>,
    made: Instant,
    /// How long making it took.
    took: Duration,
}

#[derive(Default)]
pub struct RankingCache {
    current: RwLock<Option<Arc<Ranking>>>,
    /// Held while a ranking is being made, so that only one is made at a time.
    making: Arc<tokio::sync::Mutex<()>>,
    /// Set by writes; cleared when a ranking starts.
    changed: AtomicBool,
}

impl RankingCache {
    /// Something may have changed the worklist: the next request starts a new ranking.
    pub fn invalidate(&self) {
        self.changed.store(true, Ordering::Release);
    }

    fn kept(&self) -> Option<Arc<Ranking>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The ranking as of `as_of`: the kept one when it is of that day (starting a fresh one in
    /// the background when it is old or invalidated), else made now.
    pub async fn get(
        self: &Arc<Self>,
        settle: &Settle,
        as_of: Date,
        max_age: Duration,
    ) -> ServiceResult<Arc<Ranking>> {
        if let Some(kept) = self.kept().filter(|k| k.as_of == as_of) {
            if kept.made.elapsed() <= max_age && !self.changed.load(Ordering::Acquire) {
                return Ok(kept);
            }
            // A small book ranks within the wait and the page shows the fresh ranking; a large
            // one is shown as kept while the new ranking finishes.
            if let Some(making) = self.refresh_in_background(settle.clone(), as_of)
                && kept.took < FRESH_WAIT
                && let Ok(Ok(Some(fresh))) = tokio::time::timeout(FRESH_WAIT, making).await
            {
                return Ok(fresh);
            }
            return Ok(kept);
        }
        let _making = self.making.lock().await;
        // Another request may have made it while this one waited.
        if let Some(kept) = self.kept().filter(|k| k.as_of == as_of) {
            return Ok(kept);
        }
        self.make(settle, as_of).await
    }

    /// Starts a ranking in a task of its own, unless one is being made already.
    pub fn refresh_in_background(
        self: &Arc<Self>,
        settle: Settle,
        as_of: Date,
    ) -> Option<JoinHandle<Option<Arc<Ranking>>>> {
        let cache = Arc::clone(self);
        let making = Arc::clone(&self.making).try_lock_owned().ok()?;
        Some(tokio::spawn(async move {
            let _making = making;
            match cache.make(&settle, as_of).await {
                Ok(ranking) => Some(ranking),
                Err(error) => {
                    tracing::warn!(%error, "ranking the worklist failed");
                    None
                }
            }
        }))
    }

    /// Makes a ranking and keeps it; the caller holds `making`.
    async fn make(&self, settle: &Settle, as_of: Date) -> ServiceResult<Arc<Ranking>> {
        self.changed.store(false, Ordering::Release);
        let started = Instant::now();
        let ranked_at = Timestamp::now();
        // Ranking is seconds of CPU on a large book: on a thread of the blocking pool, so that
        // the runtime's workers go on serving requests meanwhile.
        let ranker = settle.clone();
        let runtime = tokio::runtime::Handle::current();
        let entries = tokio::task::spawn_blocking(move || {
            runtime.block_on(ranker.rank_worklist(as_of, ranked_at))
        })
        .await
        .map_err(|e| ServiceError::Refused(format!("ranking the worklist stopped: {e}")))??;
        tracing::debug!(
            accounts = entries.len(),
            ms = started.elapsed().as_millis() as u64,
            "worklist ranked"
        );
        let ranking = Arc::new(Ranking {
            as_of,
            ranked_at,
            entries,
            made: started,
            took: started.elapsed(),
        });
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&ranking));
        Ok(ranking)
    }
}

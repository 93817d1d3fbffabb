//! Running an operation again when it lost to a concurrent one.
//!
//! An operation is one transaction that reads what it decides from and writes the result; when
//! the store says the transaction lost to another (see [`settle_store::Contention`]), it wrote
//! nothing, and running the whole operation again decides against what the winner committed:
//! a second clerk applying the same payment then finds its cash already used and is refused in
//! words, instead of being told about a database conflict. A unique-key clash is tried again
//! too: the next attempt reads the row that clashed and answers from it (the import "was
//! imported already", the invoice "already exists"); one that clashes on every attempt is
//! reported as the clash it is.

use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use settle_store::Contention;

use crate::error::{ServiceError, ServiceResult};

/// Attempts before an operation that keeps losing gives up.
pub const MAX_ATTEMPTS: u32 = 8;

/// Runs `attempt` until it succeeds, fails for a reason of its own, or has lost
/// [`MAX_ATTEMPTS`] times; waits a short, random, growing time between attempts so that the
/// clients that collided do not collide again in step.
pub async fn retrying<T, F, Fut>(operation: &str, mut attempt: F) -> ServiceResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ServiceResult<T>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        let error = match attempt().await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let Some(cause) = contention_of(&error) else {
            return Err(error);
        };
        if tries >= MAX_ATTEMPTS {
            return Err(match cause {
                // A clash that survives every fresh read is no race: report it as it is.
                Contention::UniqueViolation => error,
                _ => ServiceError::Contended {
                    operation: operation.replace('_', " "),
                    attempts: tries,
                    cause,
                },
            });
        }
        tokio::time::sleep(backoff(tries)).await;
    }
}

fn contention_of(error: &ServiceError) -> Option<Contention> {
    match error {
        ServiceError::Store(error) => error.contention(),
        _ => None,
    }
}

/// Up to 2, 4, 8 … 128 ms, drawn at random below that ceiling ("full jitter").
fn backoff(tries: u32) -> Duration {
    let ceiling_ms = 1u64 << tries.min(7);
    let random = RandomState::new().hash_one(std::time::Instant::now());
    Duration::from_micros(random % (ceiling_ms * 1000) + 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_under_its_ceiling() {
        for tries in 1..20 {
            let ceiling = Duration::from_millis(1 << tries.min(7)) + Duration::from_micros(100);
            assert!(backoff(tries) <= ceiling, "try {tries}");
        }
    }
}

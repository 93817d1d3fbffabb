//! The dunning run's emails: the letter's data from the account, rendered and queued in the
//! run's transaction.

use jiff::Timestamp;
use jiff::civil::Date;
use settle_core::Currency;
use settle_core::dunning::DunningDecision;
use settle_store::{CollectionAccount, Tx};

use crate::{ServiceError, ServiceResult, Settle};

pub(crate) async fn queue_dunning_email(
    _tx: &mut Tx,
    _settle: &Settle,
    account: &CollectionAccount,
    _currency: Currency,
    _decision: &DunningDecision,
    _as_of: Date,
    _send_after: Option<Timestamp>,
) -> ServiceResult<i64> {
    Err(ServiceError::Refused(format!(
        "cannot queue the dunning email for {}: the outbox is not built into this binary",
        account.code
    )))
}

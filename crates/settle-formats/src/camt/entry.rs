//! One `Ntry` and its `TxDtls`, gathered while the reader walks them, then turned into lines.
//!
//! An entry is one booking on the account; its `TxDtls` are the payments inside it. Each
//! transaction becomes its own line, because cash application matches payments, not bookings.
//! A single transaction takes the booked (entry) amount: that is what reached the account, and
//! banks often put the instructed amount, in another currency, on the transaction. In a batch
//! each transaction needs its own amount in the account's currency.

use jiff::civil::Date;
use settle_core::Money;

use super::codes::{BankTransactionCode, entry_kind};
use crate::error::{FormatError, Location};
use crate::statement::{Direction, EntryStatus, Party, StatementLine, StructuredReference};

/// A party as camt gives it, in any of its nestings (`Dbtr/Nm`, v8 `Dbtr/Pty/Nm`).
#[derive(Debug, Default)]
pub(super) struct PartyDraft {
    pub name: Option<String>,
    pub id: Option<String>,
    pub account: Option<String>,
    pub bank_id: Option<String>,
}

impl PartyDraft {
    fn is_empty(&self) -> bool {
        self.name.is_none() && self.id.is_none() && self.account.is_none()
    }

    fn into_party(self) -> Party {
        Party {
            name: self.name,
            account: self.account,
            bank_id: self.bank_id,
            id: self.id,
        }
    }
}

#[derive(Debug)]
pub(super) struct TransactionDraft {
    pub location: Location,
    /// `TxDtls/Amt` (v3 on).
    pub amount: Option<Money>,
    /// `TxDtls/AmtDtls/TxAmt/Amt` (v2), in the account's currency by definition.
    pub transaction_amount: Option<Money>,
    pub direction: Option<Direction>,
    pub account_servicer_reference: Option<String>,
    pub instruction_id: Option<String>,
    pub end_to_end_id: Option<String>,
    pub other_references: Vec<(String, String)>,
    pub debtor: PartyDraft,
    pub ultimate_debtor: PartyDraft,
    pub creditor: PartyDraft,
    pub ultimate_creditor: PartyDraft,
    pub code: BankTransactionCode,
    pub remittance: Vec<String>,
    pub references: Vec<StructuredReference>,
    pub has_return_info: bool,
    pub return_reason: Option<String>,
}

impl TransactionDraft {
    pub fn new(location: Location) -> Self {
        TransactionDraft {
            location,
            amount: None,
            transaction_amount: None,
            direction: None,
            account_servicer_reference: None,
            instruction_id: None,
            end_to_end_id: None,
            other_references: Vec::new(),
            debtor: PartyDraft::default(),
            ultimate_debtor: PartyDraft::default(),
            creditor: PartyDraft::default(),
            ultimate_creditor: PartyDraft::default(),
            code: BankTransactionCode::default(),
            remittance: Vec::new(),
            references: Vec::new(),
            has_return_info: false,
            return_reason: None,
        }
    }
}

#[derive(Debug)]
pub(super) struct EntryDraft {
    pub location: Location,
    pub amount: Option<Money>,
    pub direction: Option<Direction>,
    pub reversal: bool,
    pub status: Option<EntryStatus>,
    pub booking_date: Option<Date>,
    pub value_date: Option<Date>,
    pub account_servicer_reference: Option<String>,
    pub entry_reference: Option<String>,
    pub code: BankTransactionCode,
    pub additional_info: Option<String>,
    /// `Btch/NbOfTxs` as stated: the bank says this entry is a batch of that many payments.
    pub batch_size: Option<u64>,
    pub transactions: Vec<TransactionDraft>,
}

/// An entry's lines and its booked amount, for the statement's checks.
pub(super) struct FinishedEntry {
    pub amount: Money,
    pub direction: Direction,
    pub status: EntryStatus,
    pub lines: Vec<StatementLine>,
}

impl EntryDraft {
    pub fn new(location: Location) -> Self {
        EntryDraft {
            location,
            amount: None,
            direction: None,
            reversal: false,
            status: None,
            booking_date: None,
            value_date: None,
            account_servicer_reference: None,
            entry_reference: None,
            code: BankTransactionCode::default(),
            additional_info: None,
            batch_size: None,
            transactions: Vec::new(),
        }
    }

    fn is_batch(&self) -> bool {
        self.transactions.len() > 1 || self.batch_size.is_some_and(|size| size > 1)
    }

    /// The entry's lines. Disagreements the file can live with go to `warnings`.
    pub fn finish(mut self, warnings: &mut Vec<FormatError>) -> Result<FinishedEntry, FormatError> {
        let amount = self.amount.ok_or_else(|| self.missing("Ntry/Amt"))?;
        let direction = self
            .direction
            .ok_or_else(|| self.missing("Ntry/CdtDbtInd"))?;
        // `Sts` is mandatory; a file without it is read as booked, which is what it reports.
        let status = self.status.unwrap_or(EntryStatus::Booked);
        let batch = self.is_batch();
        let transactions = std::mem::take(&mut self.transactions);
        let listed = transactions.len() as u64;
        let mut lines = Vec::with_capacity(transactions.len().max(1));
        if transactions.is_empty() {
            let draft = TransactionDraft::new(self.location.clone());
            lines.push(self.line(draft, amount, direction, status, batch));
        } else if transactions.len() == 1 {
            for draft in transactions {
                let own = draft.amount.or(draft.transaction_amount);
                if let Some(own) = own
                    && own.currency() == amount.currency()
                    && own != amount
                {
                    warnings.push(FormatError::new(
                        draft.location.clone(),
                        "TxDtls/Amt",
                        format!(
                            "the transaction says {own} but the entry booked {amount}; the booked amount is used"
                        ),
                    ));
                }
                lines.push(self.line(draft, amount, direction, status, batch));
            }
        } else {
            let mut net: i128 = 0;
            for draft in transactions {
                let own = [draft.amount, draft.transaction_amount]
                    .into_iter()
                    .flatten()
                    .find(|own| own.currency() == amount.currency())
                    .ok_or_else(|| {
                        FormatError::new(
                            draft.location.clone(),
                            "TxDtls/Amt",
                            format!(
                                "a transaction in a batch needs its own amount in {}, the currency the entry was booked in",
                                amount.currency()
                            ),
                        )
                    })?;
                let tx_direction = draft.direction.unwrap_or(direction);
                net += signed(own, tx_direction);
                lines.push(self.line(draft, own, tx_direction, status, batch));
            }
            if net != signed(amount, direction) {
                warnings.push(FormatError::new(
                    self.location.clone(),
                    "NtryDtls/TxDtls",
                    format!(
                        "the batch's transactions add up to {} but the entry booked {}",
                        format_minor(net, amount),
                        format_minor(signed(amount, direction), amount),
                    ),
                ));
            }
        }
        // Without TxDtls the entry stands for itself: the details may come in a later camt.054.
        if let Some(size) = self.batch_size
            && listed > 0
            && size != listed
        {
            warnings.push(FormatError::new(
                self.location.clone(),
                "Btch/NbOfTxs",
                format!("the batch says {size} transactions but {listed} are listed"),
            ));
        }
        Ok(FinishedEntry {
            amount,
            direction,
            status,
            lines,
        })
    }

    fn missing(&self, field: &str) -> FormatError {
        FormatError::new(self.location.clone(), field, "missing")
    }

    fn line(
        &self,
        draft: TransactionDraft,
        amount: Money,
        direction: Direction,
        status: EntryStatus,
        batch: bool,
    ) -> StatementLine {
        let code = if draft.code.is_empty() {
            self.code.clone()
        } else {
            draft.code
        };
        let kind = entry_kind(&code, direction, self.reversal, draft.has_return_info);
        let mut line = StatementLine::new(amount, direction, kind, draft.location);
        line.status = status;
        line.reversal = self.reversal;
        line.booking_date = self.booking_date;
        line.value_date = self.value_date;
        line.type_code = code.type_code();
        if code.domain.is_some()
            && let Some(proprietary) = &code.proprietary
        {
            line.push_other_reference("BkTxCd/Prtry/Cd", proprietary.clone());
        }
        let entry_reference = self.account_servicer_reference.clone();
        if batch {
            line.bank_reference = draft
                .account_servicer_reference
                .clone()
                .or_else(|| entry_reference.clone());
            line.set_batch_reference(entry_reference);
        } else {
            line.bank_reference = entry_reference.or(draft.account_servicer_reference.clone());
        }
        line.customer_reference = draft.instruction_id;
        line.end_to_end_id = draft.end_to_end_id;
        if let Some(entry_reference) = &self.entry_reference {
            line.push_other_reference("NtryRef", entry_reference.clone());
        }
        line.extend_other_references(draft.other_references);
        let (mut counterparty, mut ultimate, other_side) = match direction {
            Direction::Credit => (draft.debtor, draft.ultimate_debtor, draft.creditor),
            Direction::Debit => (draft.creditor, draft.ultimate_creditor, draft.debtor),
        };
        // A returned payment may name only the original payer, on the other side.
        if counterparty.is_empty() && line.kind == crate::statement::EntryKind::Return {
            counterparty = other_side;
        }
        line.payer = std::mem::take(&mut counterparty).into_party();
        if !ultimate.is_empty() {
            line.ultimate_payer = Some(Box::new(std::mem::take(&mut ultimate).into_party()));
        }
        line.remittance = draft.remittance;
        if !batch && let Some(info) = &self.additional_info {
            line.remittance.push(info.clone());
        }
        line.references = draft.references;
        if draft.has_return_info {
            line.set_return_reason(draft.return_reason);
            let original = line
                .end_to_end_id
                .clone()
                .or_else(|| line.customer_reference.clone());
            line.set_original_reference(original);
        }
        line
    }
}

fn signed(amount: Money, direction: Direction) -> i128 {
    let minor = i128::from(amount.minor());
    match direction {
        Direction::Credit => minor,
        Direction::Debit => -minor,
    }
}

/// A signed sum in `like`'s currency, for messages (sums of i64 may not fit an i64).
pub(super) fn format_minor(minor: i128, like: Money) -> String {
    match i64::try_from(minor) {
        Ok(minor) => Money::new(minor, like.currency()).to_string(),
        Err(_) => format!("{minor} minor units of {}", like.currency()),
    }
}

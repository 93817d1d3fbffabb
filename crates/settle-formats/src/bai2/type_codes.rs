//! What a BAI2 detail type code says about a line: its direction by the code's range, and its
//! kind for cash application by the codes A/R meets.
//!
//! Unlisted codes in the credit range are `Other` (listed for a person, never auto-applied);
//! unlisted debits are `Disbursement`. The raw code is always kept on the line.

use crate::statement::{Direction, EntryKind};

/// The direction of a detail code: 100–399 credits, 400–699 debits. Status (001–099), loan
/// (700–799) and bank-defined (900–999) codes have none of their own.
pub(crate) fn direction(code: u16) -> Option<Direction> {
    match code {
        100..=399 => Some(Direction::Credit),
        400..=699 => Some(Direction::Debit),
        _ => None,
    }
}

pub(crate) fn kind(code: u16) -> EntryKind {
    match code {
        // Money from customers: lockbox, ACH and EDI credits, card and check deposits, wires,
        // book and international transfers received, and credits the bank could not classify
        // (on an A/R account those are nearly always payments).
        108
        | 115
        | 116
        | 120..=123
        | 136
        | 142
        | 143
        | 147
        | 155
        | 156
        | 163..=166
        | 169
        | 171
        | 173..=176
        | 184
        | 187
        | 191
        | 195
        | 206
        | 208
        | 212
        | 213
        | 216
        | 218
        | 222
        | 301
        | 302
        | 342
        | 345
        | 366
        | 391
        | 392
        | 393
        | 399 => EntryKind::CustomerPayment,
        // Our own outgoing payments or debits coming back (credits), and customers' payments
        // coming back (debits): NSF checks, ACH returns and reversals, rejected items.
        255 | 257 | 258 | 261 | 266 | 268 | 395 | 555 | 557 | 558 | 561 | 566 | 567 => {
            EntryKind::Return
        }
        // Interest earned or charged.
        346 | 354 | 355 | 359 | 654 | 655 => EntryKind::Interest,
        // Fees and their refunds: account analysis, service charges, miscellaneous fees.
        398 | 661 | 690..=698 => EntryKind::BankFee,
        // Between our own accounts: concentration, automatic and ZBA sweeps, controlled
        // disbursement funding.
        130..=135
        | 145
        | 160
        | 167
        | 200
        | 201
        | 270..=281
        | 285
        | 286
        | 445
        | 447
        | 500
        | 501
        | 570..=581
        | 585
        | 586 => EntryKind::Transfer,
        100..=399 => EntryKind::Other,
        _ => EntryKind::Disbursement,
    }
}

/// Summary and status codes in 03 records that the statement model keeps.
pub(crate) const OPENING_LEDGER: u16 = 10;
pub(crate) const CLOSING_LEDGER: u16 = 15;
pub(crate) const TOTAL_CREDITS: u16 = 100;
pub(crate) const TOTAL_DEBITS: u16 = 400;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_give_direction() {
        assert_eq!(direction(100), Some(Direction::Credit));
        assert_eq!(direction(399), Some(Direction::Credit));
        assert_eq!(direction(400), Some(Direction::Debit));
        assert_eq!(direction(699), Some(Direction::Debit));
        assert_eq!(direction(15), None);
        assert_eq!(direction(905), None);
    }

    #[test]
    fn cash_application_codes() {
        for code in [115, 142, 165, 166, 169, 175, 195, 206, 301, 399] {
            assert_eq!(kind(code), EntryKind::CustomerPayment, "{code}");
        }
        assert_eq!(kind(275), EntryKind::Transfer);
        assert_eq!(kind(201), EntryKind::Transfer);
        assert_eq!(kind(555), EntryKind::Return);
        assert_eq!(kind(557), EntryKind::Return);
        assert_eq!(kind(354), EntryKind::Interest);
        assert_eq!(kind(698), EntryKind::BankFee);
        assert_eq!(kind(475), EntryKind::Disbursement);
        assert_eq!(kind(190), EntryKind::Other);
    }
}

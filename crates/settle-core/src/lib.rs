//! Settle's domain core: money, terms, customers, open items, payments, the journal and its
//! posting rules, and aging.
//!
//! Deliberately free of I/O: no files, no database, no network, no clock. Dates such as "today"
//! and "as of" are arguments. Everything here is deterministic and testable in memory.

pub mod access;
pub mod accounts;
pub mod aging;
pub mod approval;
// The audit trail's hash chain (SHA-256 is computation, not I/O).
pub mod audit_chain;
pub mod close;
pub mod contact;
pub mod correction;
pub mod country;
// Collections: disputes and deductions, credit management.
pub mod credit;
pub mod currency;
pub mod customer;
pub mod dispute;
pub mod document;
pub mod dunning;
pub mod email;
pub mod events;
pub mod gl_recon;
pub mod ids;
pub mod interest;
pub mod journal;
pub mod kpi;
pub mod ledger;
pub mod match_metrics;
pub mod money;
pub mod payment;
pub mod period;
pub mod promise;
pub mod reason;
pub mod reconciliation;
pub mod reserve;
pub mod sampling;
pub mod terms;
pub mod worklist;

pub use currency::Currency;
pub use money::Money;

/// Business dates are civil dates (no time zone): invoice, due, value and posting dates.
pub use jiff::civil::Date;

#[cfg(test)]
mod ledger_laws;

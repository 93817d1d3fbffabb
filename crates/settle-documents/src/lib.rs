//! Settle's documents: invoices, credit memos, statements and letters as PDF.
//!
//! The caller hands over plain data ([`model`]: the company, the customer's address, lines,
//! totals per currency, the aging) and gets PDF bytes back or a [`DocumentError`]. Layout is
//! Typst's: each document kind is a `.typ` template ([`templates`]), built in and overridable
//! file by file from a directory, which reads its data from a virtual `data.json` — data is
//! never spliced into Typst source, so a customer called `#set page(..)` is just a name.
//!
//! An [`Engine`] parses the fonts once and keeps Typst's caches warm across documents; it is
//! `Sync`, so a statement run renders on every core with one engine. This crate reads no
//! database and decides nothing about money: amounts arrive computed and leave formatted.

mod check;
mod engine;
mod error;
mod fonts;
mod ledger;
pub mod model;
pub mod sample;
mod stamp;
mod templates;
mod workers;
mod world;

pub use engine::{EachRendered, Engine, EngineOptions, Rendered};
pub use error::DocumentError;
pub use fonts::{BUNDLED_FONTS, FontSource, FontSummary};
pub use model::DocumentData;
pub use templates::{BUILTIN_TEMPLATES, Templates};
pub use workers::{WorkerCommand, serve_stdio};

//! Documents for customers: statements, invoices, dunning letters, receipts, payment-plan
//! agreements and balance confirmations as PDF.
//!
//! This module gathers each document's data from the ledger — the same reads the aging uses,
//! so a statement's amount due is the aging's net to the cent — and hands it to
//! `settle-documents`, which lays it out with Typst. A [`Printer`] holds the engine (fonts and
//! templates loaded once), the company's letterhead and the paper size; a statement run shares
//! one printer across threads.

mod company;
mod letters;
mod statements;

use std::path::PathBuf;
use std::sync::Arc;

use settle_core::Date;
use settle_core::customer::Customer;
pub use settle_documents::model::{Company, DocumentData, Paper, StatementKind};
use settle_documents::model::{Letterhead, Party};
use settle_documents::{Engine, EngineOptions, FontSource, Rendered, Templates};
pub use settle_documents::{WorkerCommand, serve_stdio as serve_render_worker};

pub use company::{COMPANY_KEYS, CompanyProfile, Logo};
pub use letters::ConfirmationRequest;
pub(crate) use letters::dunning_letter;
pub use statements::{
    EmailSummary, StatementFile, StatementRequest, StatementRun, render_statements,
};

use crate::error::ServiceResult;

/// Where templates and fonts come from, and the paper when it is not the company's.
#[derive(Debug, Clone, Default)]
pub struct DocumentOptions {
    /// A folder whose `.typ` files (and `logo.svg`/`logo.png`) override the built-in ones.
    pub templates: Option<PathBuf>,
    /// Folders of extra fonts.
    pub fonts: Vec<PathBuf>,
    /// Leave the system's font folders out (only the bundled Inter and `fonts`).
    pub no_system_fonts: bool,
    pub paper: Option<Paper>,
    /// How to start worker processes, so that a run on several threads renders in several
    /// processes (Typst's caches are per process; see `settle_documents::WorkerCommand`).
    pub workers: Option<WorkerCommand>,
}

/// Renders documents with one engine and one letterhead.
#[derive(Clone)]
pub struct Printer {
    engine: Arc<Engine>,
    company: Company,
    paper: Paper,
    logo: Option<String>,
}

impl Printer {
    pub fn new(options: &DocumentOptions, profile: CompanyProfile) -> ServiceResult<Printer> {
        let mut templates = match &options.templates {
            Some(dir) => Templates::from_dir(dir)?,
            None => Templates::builtin(),
        };
        // A logo in the templates folder wins over the one kept in the settings.
        if templates.logo().is_none()
            && let Some(logo) = &profile.logo
        {
            templates.add_image(&logo.file_name(), logo.bytes.clone());
        }
        let logo = templates.logo().map(str::to_string);
        let engine = Engine::new(EngineOptions {
            templates: Some(templates),
            fonts: FontSource {
                system: !options.no_system_fonts,
                dirs: options.fonts.clone(),
            },
            workers: options.workers.clone(),
        })?;
        Ok(Printer {
            engine: Arc::new(engine),
            company: profile.company,
            paper: options.paper.unwrap_or(profile.paper),
            logo,
        })
    }

    /// The same engine (templates, fonts, logo) under another company's details and paper:
    /// for a letterhead edited while a server runs, when its logo is unchanged.
    pub fn with_letterhead(&self, company: Company, paper: Paper) -> Printer {
        Printer {
            engine: self.engine.clone(),
            company,
            paper,
            logo: self.logo.clone(),
        }
    }

    pub fn render(&self, data: &DocumentData) -> ServiceResult<Rendered> {
        Ok(self.engine.render(data)?)
    }

    pub fn paper(&self) -> Paper {
        self.paper
    }

    fn letterhead(&self, customer: &Customer, date: Date) -> Letterhead {
        Letterhead {
            company: self.company.clone(),
            customer: party(customer),
            date,
            paper: self.paper,
            logo: self.logo.clone(),
        }
    }
}

/// A customer's address block: its billing address split into lines (on line breaks or
/// semicolons, else after commas), then its country: an ISO code written out in capitals, as
/// postal services ask for the last line of an address abroad, anything else as it is.
fn party(customer: &Customer) -> Party {
    let details = &customer.details;
    let address = &details.billing_address;
    let mut lines: Vec<String> = if address.contains(['\n', ';']) {
        address
            .split(['\n', ';'])
            .map(str::trim)
            .map(String::from)
            .collect()
    } else {
        address
            .split(", ")
            .map(str::trim)
            .map(String::from)
            .collect()
    };
    if !details.country.is_empty() {
        lines.push(
            settle_core::country::country_name(&details.country)
                .map_or_else(|| details.country.clone(), str::to_uppercase),
        );
    }
    lines.retain(|l| !l.is_empty());
    Party {
        code: details.code.clone(),
        name: details.name.clone(),
        address: lines,
        email: details.email.clone(),
        tax_id: details.tax_id.clone(),
    }
}

/// A file name made of a document's key: letters, digits, `-`, `_` and `.` kept, the rest `_`.
pub fn file_name_part(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Renders `documents` on `threads` threads sharing the printer and hands each to `each` with
/// its index as soon as it is done (in no particular order). Stops at the first error, of the
/// rendering or of `each`.
pub fn render_each(
    printer: &Printer,
    documents: &[DocumentData],
    threads: usize,
    each: &(dyn Fn(usize, Rendered) -> ServiceResult<()> + Sync),
) -> ServiceResult<()> {
    printer
        .engine
        .render_each(documents, threads, &|index, rendered| {
            each(index, rendered?)
        })
}

/// Renders `documents` on `threads` threads, and returns them in their order.
pub fn render_all(
    printer: &Printer,
    documents: &[DocumentData],
    threads: usize,
) -> ServiceResult<Vec<Rendered>> {
    let done = std::sync::Mutex::new(Vec::with_capacity(documents.len()));
    render_each(printer, documents, threads, &|index, rendered| {
        if let Ok(mut done) = done.lock() {
            done.push((index, rendered));
        }
        Ok(())
    })?;
    let mut done = done.into_inner().unwrap_or_default();
    done.sort_by_key(|(index, _)| *index);
    Ok(done.into_iter().map(|(_, rendered)| rendered).collect())
}

//! `settle statements`, `settle invoice pdf`, `settle letter …` and `settle company`: documents
//! as PDF, and the letterhead they are printed with.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use settle_core::aging::{AgingBasis, AgingPolicy};
use settle_service::Settle;
use settle_service::documents::{
    COMPANY_KEYS, ConfirmationRequest, DocumentData, DocumentOptions, Paper, Printer,
    StatementKind, StatementRequest, WorkerCommand, file_name_part, render_statements,
};
use settle_service::templates::Templates as EmailTemplates;

use super::{date_or_today, parse_date};
use crate::render;

/// Templates, fonts and paper, shared by every document command.
#[derive(Debug, Args)]
pub struct DocumentArgs {
    /// A folder of Typst templates (and logo.svg / logo.png) overriding the built-in ones
    /// file by file; see docs/documents.md.
    #[arg(long, env = "SETTLE_DOCUMENT_TEMPLATES")]
    pub templates: Option<PathBuf>,
    /// A folder of extra fonts (repeat for more), for scripts the system's fonts lack.
    #[arg(long, env = "SETTLE_FONTS")]
    pub fonts: Vec<PathBuf>,
    /// Use only the bundled fonts and --fonts, not the system's.
    #[arg(long)]
    pub no_system_fonts: bool,
    /// Page size; the company's `paper` setting when left out (A4 without one).
    #[arg(long, value_enum)]
    pub paper: Option<PaperArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PaperArg {
    A4,
    Letter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    OpenItem,
    BalanceForward,
}

#[derive(Debug, Args)]
pub struct StatementsArgs {
    /// The statement date (yyyy-mm-dd); today when left out.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Only these customers (codes, comma-separated); every customer with a balance (or
    /// activity) when left out.
    #[arg(long, value_delimiter = ',')]
    pub customers: Vec<String>,
    /// open-item: what is open on the date; balance-forward: the activity since --from after
    /// the balance brought forward.
    #[arg(long, value_enum, default_value_t = KindArg::OpenItem)]
    pub kind: KindArg,
    /// First day of a balance-forward statement's period.
    #[arg(long)]
    pub from: Option<String>,
    /// Where the PDFs go (created if missing): statement-CODE-DATE.pdf each.
    #[arg(long)]
    pub out: PathBuf,
    /// Also queue each statement to the customer's billing contacts, PDF attached (once per
    /// customer and date; `settle outbox send` sends them).
    #[arg(long)]
    pub email: bool,
    /// A directory of email templates overriding the built-in ones file by file; the message a
    /// statement goes out with is statement.subject.txt, statement.text.txt and statement.html.
    #[arg(long, env = "SETTLE_TEMPLATES")]
    pub email_templates: Option<PathBuf>,
    /// Rendering threads; the number of cores when left out.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Age by invoice date instead of due date in the aging at the foot.
    #[arg(long)]
    pub by_invoice_date: bool,
    #[command(flatten)]
    pub documents: DocumentArgs,
}

#[derive(Debug, Args)]
pub struct InvoicePdfArgs {
    /// The invoice, debit memo or credit memo number.
    pub number: String,
    /// The PDF to write; NUMBER.pdf when left out.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub documents: DocumentArgs,
}

#[derive(Debug, Subcommand)]
pub enum LetterCommand {
    /// A dunning letter at a level (1 reminder, 2 second notice, 3 final notice) listing what
    /// the customer has overdue.
    Dunning(DunningLetterArgs),
    /// A receipt for a payment (its id or bank reference), with what it paid.
    Receipt(ReceiptArgs),
    /// The agreement of a payment plan (its id, see `settle plan list`), for signature.
    Plan(PlanLetterArgs),
    /// A balance confirmation for auditors: the open items and the balance as of a date.
    Confirmation(ConfirmationArgs),
}

#[derive(Debug, Args)]
pub struct DunningLetterArgs {
    pub customer: String,
    #[arg(long, default_value_t = 1)]
    pub level: u32,
    /// The letter's date; today when left out.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Days the customer is given to pay.
    #[arg(long, default_value_t = 10)]
    pub pay_within: i64,
    #[command(flatten)]
    pub output: LetterOutput,
}

#[derive(Debug, Args)]
pub struct ReceiptArgs {
    pub payment: String,
    #[command(flatten)]
    pub output: LetterOutput,
}

#[derive(Debug, Args)]
pub struct PlanLetterArgs {
    pub plan: i64,
    #[command(flatten)]
    pub output: LetterOutput,
}

#[derive(Debug, Args)]
pub struct ConfirmationArgs {
    pub customer: String,
    /// The date the balance is confirmed as of; today when left out.
    #[arg(long)]
    pub as_of: Option<String>,
    /// The auditors' address the reply goes to, one line per use.
    #[arg(long = "reply-to")]
    pub reply_to: Vec<String>,
    #[command(flatten)]
    pub output: LetterOutput,
}

#[derive(Debug, Args)]
pub struct LetterOutput {
    /// The PDF to write; a name from the letter's kind and key when left out.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub documents: DocumentArgs,
}

#[derive(Debug, Subcommand)]
pub enum CompanyCommand {
    /// The letterhead documents are printed with.
    Show,
    /// Set one letterhead detail: name, address, email, phone, tax_id, website, remittance
    /// or paper (address and remittance lines separated by |).
    Set(CompanySetArgs),
}

#[derive(Debug, Args)]
pub struct CompanySetArgs {
    pub key: String,
    pub value: String,
}

fn options(args: &DocumentArgs) -> DocumentOptions {
    DocumentOptions {
        templates: args.templates.clone(),
        fonts: args.fonts.clone(),
        no_system_fonts: args.no_system_fonts,
        paper: args.paper.map(|p| match p {
            PaperArg::A4 => Paper::A4,
            PaperArg::Letter => Paper::UsLetter,
        }),
        workers: render_workers(),
    }
}

/// This program started again in render mode: a statement run on several cores renders in
/// several processes. Without a path to this program, documents render on threads here.
pub(crate) fn render_workers() -> Option<WorkerCommand> {
    let program = std::env::current_exe().ok()?;
    Some(WorkerCommand {
        program,
        args: vec!["render-worker".to_string()],
    })
}

async fn printer(settle: &Settle, args: &DocumentArgs) -> Result<Printer> {
    let profile = settle.company_profile().await?;
    Ok(Printer::new(&options(args), profile)?)
}

pub async fn statements(settle: &Settle, args: StatementsArgs) -> Result<()> {
    let as_of = date_or_today("--as-of", args.as_of.as_deref())?;
    let from = args
        .from
        .as_deref()
        .map(|f| parse_date("--from", f))
        .transpose()?;
    let kind = match args.kind {
        KindArg::OpenItem => StatementKind::OpenItem,
        KindArg::BalanceForward => StatementKind::BalanceForward,
    };
    let basis = if args.by_invoice_date {
        AgingBasis::InvoiceDate
    } else {
        AgingBasis::DueDate
    };
    // Read before any rendering, so that a broken email template stops the run at once.
    let email_templates = match (&args.email_templates, args.email) {
        (Some(dir), true) => Some(EmailTemplates::from_dir(dir)?),
        (None, true) => Some(EmailTemplates::builtin()),
        (_, false) => None,
    };
    let printer = printer(settle, &args.documents).await?;
    let run = settle
        .prepare_statements(
            &printer,
            &StatementRequest {
                as_of,
                kind,
                from,
                customers: args.customers.clone(),
                policy: AgingPolicy::standard(basis),
            },
        )
        .await?;
    let bar = ProgressBar::new(run.statements.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} statements, {per_sec}, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
    });
    let started = std::time::Instant::now();
    let files = render_statements(&printer, &run, &args.out, threads, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let pages: usize = files.iter().map(|f| f.pages).sum();
    println!(
        "{} statements ({pages} pages) as of {as_of} in {} ({seconds:.1} s, {:.0} statements/s)",
        files.len(),
        args.out.display(),
        files.len() as f64 / seconds.max(1e-9)
    );
    if let Some(templates) = &email_templates {
        let summary = settle.email_statements(&files, as_of, templates).await?;
        println!(
            "queued {} email(s); {} already queued for this date; {} customer(s) not written to",
            summary.queued,
            summary.already_queued,
            summary.skipped.len()
        );
        for (code, reason) in &summary.skipped {
            println!("  {code}: {reason}");
        }
    }
    Ok(())
}

pub async fn invoice_pdf(settle: &Settle, args: InvoicePdfArgs) -> Result<()> {
    let printer = printer(settle, &args.documents).await?;
    let data = settle.invoice_document(&printer, &args.number).await?;
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from(format!("{}.pdf", file_name_part(&args.number))));
    write(&printer, &data, &out)
}

pub async fn letter(settle: &Settle, command: LetterCommand) -> Result<()> {
    let (output, default_name) = match &command {
        LetterCommand::Dunning(a) => (
            &a.output,
            format!("dunning-{}-level{}", a.customer, a.level),
        ),
        LetterCommand::Receipt(a) => (&a.output, format!("receipt-{}", a.payment)),
        LetterCommand::Plan(a) => (&a.output, format!("plan-{}", a.plan)),
        LetterCommand::Confirmation(a) => (&a.output, format!("confirmation-{}", a.customer)),
    };
    let printer = printer(settle, &output.documents).await?;
    let data = match &command {
        LetterCommand::Dunning(a) => {
            let as_of = date_or_today("--as-of", a.as_of.as_deref())?;
            settle
                .dunning_document(&printer, &a.customer, a.level, as_of, a.pay_within)
                .await?
        }
        LetterCommand::Receipt(a) => settle.receipt_document(&printer, &a.payment).await?,
        LetterCommand::Plan(a) => settle.plan_document(&printer, a.plan).await?,
        LetterCommand::Confirmation(a) => {
            let as_of = date_or_today("--as-of", a.as_of.as_deref())?;
            settle
                .confirmation_document(
                    &printer,
                    &ConfirmationRequest {
                        customer: a.customer.clone(),
                        as_of,
                        reply_to: a.reply_to.clone(),
                    },
                )
                .await?
        }
    };
    let out = output
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.pdf", file_name_part(&default_name))));
    write(&printer, &data, &out)
}

fn write(printer: &Printer, data: &DocumentData, out: &Path) -> Result<()> {
    let rendered = printer.render(data)?;
    settle_service::private_files::replace(out, &rendered.pdf)
        .with_context(|| format!("cannot write {}", out.display()))?;
    println!("{} ({} page(s))", out.display(), rendered.pages);
    Ok(())
}

pub async fn company(settle: &Settle, command: CompanyCommand) -> Result<()> {
    match command {
        CompanyCommand::Show => {
            let profile = settle.company_profile().await?;
            let c = &profile.company;
            let mut table = render::table(&["detail", "value"]);
            let paper = match profile.paper {
                Paper::A4 => "a4",
                Paper::UsLetter => "letter",
            };
            for (key, value) in [
                ("name", c.name.clone()),
                ("address", c.address.join(" | ")),
                ("email", c.email.clone()),
                ("phone", c.phone.clone()),
                ("tax_id", c.tax_id.clone()),
                ("website", c.website.clone()),
                ("remittance", c.remittance.join(" | ")),
                ("paper", paper.to_string()),
                (
                    "logo",
                    profile.logo.as_ref().map_or_else(
                        || "(none: the company's initials)".to_string(),
                        |logo| {
                            format!(
                                "{} image, {} bytes",
                                logo.kind.to_uppercase(),
                                logo.bytes.len()
                            )
                        },
                    ),
                ),
            ] {
                table.add_row(vec![key.to_string(), value]);
            }
            println!("{table}");
            Ok(())
        }
        CompanyCommand::Set(args) => {
            if !COMPANY_KEYS.iter().any(|(k, _)| *k == args.key) {
                return Err(anyhow!(
                    "{:?} is not a company detail; use one of: {}",
                    args.key,
                    COMPANY_KEYS
                        .iter()
                        .map(|(k, what)| format!("{k} ({what})"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            settle.set_company_detail(&args.key, &args.value).await?;
            println!("company {} set", args.key);
            Ok(())
        }
    }
}

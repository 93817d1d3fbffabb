//! One function per command: turn arguments into a service request, print the result.

// Sign-in: passwords and API tokens.
pub mod access;
mod accounts;
mod aging;
// Maker-checker approvals.
pub mod approvals;
mod audit;
pub mod backup;
mod bank;
mod bench;
mod close;
mod collections;
// Collections: disputes and deductions, credit management.
pub mod credit;
mod customer;
mod demo;
pub mod dispute;
// PDF statements, invoices and letters.
pub mod documents;
// Exports: reports as CSV or XLSX.
pub mod export;
mod gl;
mod import;
mod journal;
// Collections: KPIs, late-payment interest, agency placements.
mod interest;
mod kpis;
mod matching;
mod outbox;
pub mod portal;
mod reports;
mod rules;
mod serve;
mod writes;

use anyhow::{Context, Result, anyhow};
use jiff::civil::Date;

use settle_core::Currency;
use settle_service::Settle;

use crate::cli::OutboxCommand;
use crate::cli::{
    AccountsCommand, AliasCommand, AuditCommand, Cli, Command, ContactCommand, CustomerCommand,
    DunningCommand, EscalationCommand, ExportCommand, Format, GlCommand, ImportCommand,
    InvoiceCommand, PaymentCommand, PeriodCommand, PlanCommand, PromiseCommand, ReportCommand,
    ReserveCommand, RulesCommand, UserCommand,
};
use crate::render;

pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Init(args) => init(&cli.db, &cli.entity, &args.name, &args.currency).await,
        Command::Demo(args) => demo::run(&cli.db, args).await,
        Command::Bench(args) => bench::run(args).await,
        Command::Backup(args) => backup::backup(&cli.db, args).await,
        Command::Restore(args) => {
            let actor = cli.user.as_deref().unwrap_or(settle_service::SYSTEM_ACTOR);
            backup::restore(&cli.db, actor, args).await
        }
        Command::Serve(args) => serve::run(&cli.db, &cli.entity, args).await,
        Command::RenderWorker => unreachable!("served before the runtime starts"),
        command => {
            let settle = Settle::open(&cli.db, &cli.entity).await.with_context(|| {
                format!("cannot open {}", settle_service::redact_location(&cli.db))
            })?;
            let settle = match &cli.user {
                Some(user) => settle.acting_as(user),
                None => settle,
            }
            .with_origin(&origin());
            let result = dispatch(&settle, command).await;
            settle.close().await;
            result.map_err(|error| name_the_database(error, &cli.db))
        }
    }
}

/// Where the audit trail says a change came from: the command line, and the operating
/// system's user when the environment names one.
pub(crate) fn origin() -> String {
    let os_user = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()));
    match os_user {
        Some(user) => format!(
            "{} {}",
            settle_service::audit_trail::DEFAULT_ORIGIN,
            user.trim()
        ),
        None => settle_service::audit_trail::DEFAULT_ORIGIN.to_string(),
    }
}

/// A failure of the storage itself (a full disk, a read-only file, a lost connection) names
/// the database, so the person who must fix it knows where to look.
fn name_the_database(error: anyhow::Error, db: &str) -> anyhow::Error {
    let storage = error.chain().any(|cause| {
        cause
            .downcast_ref::<settle_service::ServiceError>()
            .and_then(settle_service::ServiceError::storage_failure)
            .is_some()
    });
    if storage {
        error.context(format!("database {}", settle_service::redact_location(db)))
    } else {
        error
    }
}

async fn dispatch(settle: &Settle, command: Command) -> Result<()> {
    match command {
        Command::Import(ImportCommand::Customers(args)) => import::customers(settle, args).await,
        Command::Import(ImportCommand::Invoices(args)) => import::invoices(settle, args).await,
        Command::Import(ImportCommand::Bank(args)) => bank::import(settle, args).await,
        Command::Payment(PaymentCommand::Post(args)) => writes::payment(settle, args).await,
        Command::Apply(args) => writes::apply(settle, args).await,
        Command::Unapply(args) => writes::unapply(settle, args).await,
        Command::CreditMemo(args) => writes::memo(settle, args, true).await,
        Command::DebitMemo(args) => writes::memo(settle, args, false).await,
        Command::Adjust(args) => writes::adjust(settle, args).await,
        Command::Refund(args) => writes::refund(settle, args).await,
        Command::WriteOff(args) => writes::write_off(settle, args).await,
        Command::Customer(CustomerCommand::Show(args)) => customer::show(settle, args).await,
        Command::Customer(CustomerCommand::Add(args)) => writes::add_customer(settle, *args).await,
        Command::Customer(CustomerCommand::Alias(AliasCommand::Add(args))) => {
            rules::add_alias(settle, args).await
        }
        Command::Customer(CustomerCommand::Alias(AliasCommand::List(args))) => {
            rules::list_aliases(settle, args).await
        }
        Command::Customer(CustomerCommand::Alias(AliasCommand::Remove(args))) => {
            rules::remove_alias(settle, args).await
        }
        Command::Rules(RulesCommand::List(args)) => rules::list(settle, args).await,
        Command::Rules(RulesCommand::Try(args)) => rules::try_rule(settle, args).await,
        Command::Rules(RulesCommand::AddHabit(args)) => rules::add_habit(settle, args).await,
        Command::Rules(RulesCommand::Enable(args)) => rules::switch(settle, args, true).await,
        Command::Rules(RulesCommand::Disable(args)) => rules::switch(settle, args, false).await,
        Command::Invoice(InvoiceCommand::Add(args)) => writes::add_invoice(settle, args).await,
        Command::Invoice(InvoiceCommand::Pdf(args)) => documents::invoice_pdf(settle, args).await,
        Command::Statements(args) => documents::statements(settle, args).await,
        Command::Letter(command) => documents::letter(settle, command).await,
        Command::Company(command) => documents::company(settle, command).await,
        Command::Aging(args) => aging::run(settle, args).await,
        Command::Report(ReportCommand::BankReconciliation(args)) => {
            reports::bank_reconciliation(settle, args).await
        }
        Command::Report(ReportCommand::Matching(args)) => reports::matching(settle, args).await,
        Command::Report(ReportCommand::TrialBalance(args)) => {
            reports::trial_balance(settle, args).await
        }
        Command::Report(ReportCommand::Kpis(args)) => kpis::run(settle, args).await,
        Command::Interest(command) => interest::run(settle, command).await,
        Command::ApplyLegal(args) => interest::apply_legal(settle, args).await,
        Command::Agency(command) => interest::agency(settle, command).await,
        Command::Export(ExportCommand::Journal(args)) => journal::export(settle, args).await,
        Command::Export(ExportCommand::Applications(args)) => matching::export(settle, args).await,
        Command::Export(ExportCommand::Table(command)) => export::run(settle, command).await,
        Command::Gl(GlCommand::Import(args)) => gl::import(settle, args).await,
        Command::Gl(GlCommand::Reconcile(args)) => gl::reconcile(settle, args).await,
        Command::Match(args) => matching::run(settle, args).await,
        Command::Verify(args) => verify(settle, args.format).await,
        Command::Close(args) => close::close(settle, args).await,
        Command::Period(PeriodCommand::List(args)) => close::list_periods(settle, args).await,
        Command::Period(PeriodCommand::Calendar(args)) => close::calendar(settle, args).await,
        Command::Period(PeriodCommand::Reopen(args)) => close::reopen(settle, args).await,
        Command::Period(PeriodCommand::Log(args)) => close::log(settle, args).await,
        Command::User(UserCommand::Add(args)) => close::add_user(settle, args).await,
        Command::User(UserCommand::List(args)) => close::list_users(settle, args.format).await,
        Command::User(UserCommand::Password(args)) => access::set_password(settle, args).await,
        Command::User(UserCommand::Disable(args)) => access::disable_user(settle, args).await,
        Command::User(UserCommand::Role(args)) => access::set_role(settle, args).await,
        Command::Token(command) => access::token(settle, command).await,
        Command::Portal(command) => portal::run(settle, command).await,
        Command::Approvals(command) => approvals::run(settle, command).await,
        Command::Reserve(args) => match args.command {
            Some(ReserveCommand::Rates(rates)) => close::rates(settle, rates).await,
            Some(ReserveCommand::Specific(specific)) => close::specific(settle, specific).await,
            None => close::reserve(settle, args).await,
        },
        Command::Recover(args) => close::recover(settle, args).await,
        Command::Correct(args) => close::correct(settle, args).await,
        Command::Audit(AuditCommand::Pack(args)) => audit::pack(settle, args).await,
        Command::Audit(AuditCommand::Verify(args)) => audit::verify(settle, args.format).await,
        Command::Audit(AuditCommand::Log(args)) => audit::log(settle, args).await,
        Command::Audit(AuditCommand::Confirmations(args)) => {
            audit::confirmations(settle, args).await
        }
        Command::Dispute(command) => dispute::run(settle, command).await,
        Command::Credit(command) => credit::run(settle, command).await,
        Command::Customer(CustomerCommand::Collection(args)) => {
            collections::collection(settle, args).await
        }
        Command::Dun(args) => collections::dun(settle, args).await,
        Command::Dunning(DunningCommand::Policies) => collections::policies(settle).await,
        Command::Dunning(DunningCommand::SetPolicy(args)) => {
            collections::set_policy(settle, args).await
        }
        Command::Dunning(DunningCommand::DeletePolicy(args)) => {
            collections::delete_policy(settle, args).await
        }
        Command::Dunning(DunningCommand::Actions(args)) => collections::actions(settle, args).await,
        Command::Worklist(args) => collections::worklist(settle, args).await,
        Command::Contact(ContactCommand::Log(args)) => collections::log_contact(settle, args).await,
        Command::Contact(ContactCommand::List(args)) => {
            collections::list_contacts(settle, args).await
        }
        Command::Contact(ContactCommand::Check(args)) => {
            collections::check_contact(settle, args).await
        }
        Command::Promise(PromiseCommand::Add(args)) => collections::add_promise(settle, args).await,
        Command::Promise(PromiseCommand::List(args)) => {
            collections::list_promises(settle, args).await
        }
        Command::Promise(PromiseCommand::Cancel(args)) => {
            collections::cancel_promise(settle, args).await
        }
        Command::Promise(PromiseCommand::Check(args)) => {
            collections::check_promises(settle, args).await
        }
        Command::Promise(PromiseCommand::Rates(args)) => {
            collections::promise_rates(settle, args).await
        }
        Command::Plan(PlanCommand::Create(args)) => collections::create_plan(settle, args).await,
        Command::Plan(PlanCommand::List(args)) => collections::list_plans(settle, args).await,
        Command::Escalation(EscalationCommand::List(args)) => {
            collections::list_escalations(settle, args).await
        }
        Command::Escalation(EscalationCommand::Close(args)) => {
            collections::close_escalation(settle, args).await
        }
        Command::Orders(command) => credit::orders(settle, command).await,
        Command::Accounts(AccountsCommand::List(args)) => accounts::list(settle, args.format).await,
        Command::Accounts(AccountsCommand::Map(args)) => accounts::map(settle, args).await,
        Command::Outbox(OutboxCommand::Send(args)) => outbox::send(settle, args).await,
        Command::Outbox(OutboxCommand::List(args)) => outbox::list(settle, args).await,
        Command::Outbox(OutboxCommand::Retry(args)) => outbox::retry(settle, args).await,
        Command::Outbox(OutboxCommand::Bounce(args)) => outbox::bounce(settle, args).await,
        Command::Email(args) => outbox::email(settle, args).await,
        Command::Init(_)
        | Command::Demo(_)
        | Command::Bench(_)
        | Command::Backup(_)
        | Command::Restore(_)
        | Command::Serve(_)
        | Command::RenderWorker => {
            unreachable!("handled before opening")
        }
    }
}

async fn init(db: &str, entity: &str, name: &str, currency: &str) -> Result<()> {
    let currency = Currency::from_code(currency).map_err(|e| anyhow!("--currency: {e}"))?;
    let (settle, report) = Settle::init(db, entity, name, currency)
        .await
        .with_context(|| format!("cannot initialise {}", settle_service::redact_location(db)))?;
    if report.from_version == report.to_version {
        println!("schema is current (version {})", report.to_version);
    } else {
        println!(
            "schema upgraded from version {} to {}",
            report.from_version, report.to_version
        );
    }
    if report.entity_created {
        println!(
            "created legal entity {} ({}, {})",
            report.entity.code, report.entity.name, report.entity.functional_currency
        );
    } else {
        println!("legal entity {} exists", report.entity.code);
    }
    settle.close().await;
    Ok(())
}

async fn verify(settle: &Settle, format: Format) -> Result<()> {
    let report = settle.verify().await?;
    if format == Format::Json {
        render::json(&serde_json::json!({
            "entries": report.entries,
            "postings": report.postings,
            "items": report.items,
            "payments": report.payments,
            "problems": report.problems,
        }))?;
    } else {
        println!(
            "checked {} entries, {} postings, {} open items, {} payments",
            report.entries, report.postings, report.items, report.payments
        );
        for problem in &report.problems {
            println!("PROBLEM: {problem}");
        }
    }
    if report.problems.is_empty() {
        if format != Format::Json {
            println!("ledger is consistent");
        }
        Ok(())
    } else {
        Err(anyhow!(
            "the ledger check found {} problem(s)",
            report.problems.len()
        ))
    }
}

/// A date argument, or today (the machine's local date) when left out.
pub fn date_or_today(field: &str, text: Option<&str>) -> Result<Date> {
    match text {
        Some(text) => parse_date(field, text),
        None => Ok(jiff::Zoned::now().date()),
    }
}

pub fn parse_date(field: &str, text: &str) -> Result<Date> {
    text.parse::<Date>()
        .map_err(|e| anyhow!("{field}: {text:?} is not a date (expected yyyy-mm-dd): {e}"))
}

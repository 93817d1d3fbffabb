//! The command line: what `settle` accepts. Parsing only; `commands` does the work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Accounts receivable and collections: exact ledgers, imports, payments, aging.
#[derive(Debug, Parser)]
#[command(name = "settle", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// The database: a SQLite file path, or a postgres:// URL.
    #[arg(
        long,
        global = true,
        env = "SETTLE_DATABASE_URL",
        default_value = "./settle.db"
    )]
    pub db: String,
    /// The legal entity to work in.
    #[arg(long, global = true, env = "SETTLE_ENTITY", default_value = "MAIN")]
    pub entity: String,
    /// Who is acting: a user added with `settle user add`. Closing, reopening and waiving need
    /// a manager or admin; adjustments and reserves record the name.
    #[arg(long, global = true, env = "SETTLE_USER")]
    pub user: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or upgrade the database schema and the legal entity.
    Init(InitArgs),
    /// Build a realistic demo company in a fresh SQLite file and print its aging.
    Demo(DemoArgs),
    /// Import customers or invoices from CSV.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Payments received.
    #[command(subcommand)]
    Payment(PaymentCommand),
    /// Match payments with unapplied cash to open items: apply the sure ones, propose the rest.
    Match(MatchArgs),
    /// Apply a payment's cash or a credit memo to an invoice, or accept or reject a suggestion.
    Apply(ApplyArgs),
    /// Reverse an application (the exact opposite entry).
    Unapply(UnapplyArgs),
    /// Issue a credit memo, optionally applied to an invoice at once.
    CreditMemo(MemoArgs),
    /// Issue a debit memo (extra charge, late interest).
    DebitMemo(MemoArgs),
    /// Adjust an open item's balance with a reason code.
    Adjust(AdjustArgs),
    /// Refund a customer's credit (unapplied cash or a credit memo) and pay it out.
    Refund(RefundArgs),
    /// Write off what is open on an invoice.
    WriteOff(WriteOffArgs),
    /// Customers.
    #[command(subcommand)]
    Customer(CustomerCommand),
    /// Run dunning: decide each account's reminder by its policy, record it with its rule, queue
    /// the emails. Running it twice for one day adds nothing.
    Dun(DunArgs),
    /// Dunning policies and the actions dunning took.
    #[command(subcommand)]
    Dunning(DunningCommand),
    /// The collector's worklist: accounts ranked by a score whose parts are shown.
    Worklist(WorklistArgs),
    /// The contact log: log a call, email, letter, meeting or note; list; check the guards.
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Promises to pay: record, list, cancel, judge; kept-promise rates.
    #[command(subcommand)]
    Promise(PromiseCommand),
    /// Payment plans: agree instalments over open invoices; list them with what is paid.
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Escalations to a manager: list them with their summaries, close them.
    #[command(subcommand)]
    Escalation(EscalationCommand),
    /// Invoices.
    #[command(subcommand)]
    Invoice(InvoiceCommand),
    /// Aging of open items as of a date.
    Aging(AgingArgs),
    /// Reports: the bank reconciliation, the matching metrics, the trial balance.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Export the journal, cash applications and reports (aging, KPIs, worklist, contact log)
    /// as CSV or XLSX.
    #[command(subcommand)]
    Export(ExportCommand),
    /// The general ledger: import what it says for a period, reconcile A/R with it.
    #[command(subcommand)]
    Gl(GlCommand),
    /// The chart of accounts: which general-ledger code each role posts to.
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// What matching learned and the rules users wrote: list, try on past payments, switch
    /// on and off.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Month-end close: show the period's checklist (--check), or close it: the aging at its
    /// end is frozen and nothing dated inside can be posted any more.
    Close(CloseArgs),
    /// Accounting periods: list them with their status, set a fiscal calendar, reopen the
    /// latest closed period, read the close log.
    #[command(subcommand)]
    Period(PeriodCommand),
    /// Users and their roles, passwords and disabling.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens: create one for a user (its secret is shown once), list, revoke.
    #[command(subcommand)]
    Token(crate::commands::access::TokenCommand),
    /// The customer portal: make a customer's link (its address is shown once), list the
    /// links, revoke one.
    #[command(subcommand)]
    Portal(crate::commands::portal::PortalCommand),
    /// Maker-checker: limits over which credit memos, write-offs and refunds wait for approval;
    /// the queue; approve or reject.
    #[command(subcommand)]
    Approvals(crate::commands::approvals::ApprovalsCommand),
    /// The bad-debt reserve: compute it for a period and book the adjusting entry; configure
    /// the rates; set specific reserves.
    #[command(args_conflicts_with_subcommands = true)]
    Reserve(ReserveArgs),
    /// Correct a posted entry by its exact opposite, dated in an open period and naming the
    /// original (an invoice, memo, payment, adjustment or reserve entry; applications are
    /// undone with `settle unapply`, write-offs with `settle recover`).
    Correct(CorrectArgs),
    /// Reinstate an amount written off on an invoice (Dr A/R · Cr Allowance), so that the
    /// customer's late payment applies as usual.
    Recover(RecoverArgs),
    /// For auditors: the period's pack (one archive with a manifest and checksums) and
    /// balance-confirmation requests for a sample of customers.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Run the server: the JSON API under /api/v1, the team's web pages, the customer portal
    /// and the background jobs, until SIGINT or SIGTERM.
    Serve(ServeArgs),
    /// Late-payment interest: reference rates, the charging policy, presets per customer or
    /// country, and the run that shows (and with --post charges) what overdue invoices owe.
    #[command(subcommand)]
    Interest(InterestCommand),
    /// Apply a payment's cash to its customer's open items in the legal order: costs (fixed
    /// compensation), then late interest, then principal, oldest due first.
    ApplyLegal(ApplyLegalArgs),
    /// Collection agencies: place an account (with an export file), recall it, report
    /// recoveries and commission.
    #[command(subcommand)]
    Agency(AgencyCommand),
    /// Disputes and deductions: open, review, annotate, resolve; held out of dunning.
    #[command(subcommand)]
    Dispute(crate::commands::dispute::DisputeCommand),
    /// Credit management: holds by hand and by rule, reviews, a customer's standing.
    #[command(subcommand)]
    Credit(crate::commands::credit::CreditCommand),
    /// Pending orders: released or held on credit, with every reason.
    #[command(subcommand)]
    Orders(crate::commands::credit::OrdersCommand),
    /// The email outbox: send what is queued, list it, retry a message, record a bounce.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Queue an email to a customer's billing contacts and note it on its contact log.
    Email(EmailArgs),
    /// Check the ledger: every entry balances, subledgers equal their control accounts.
    Verify(FormatArgs),
    /// Measure imports and aging on a large generated ledger.
    Bench(BenchArgs),
    /// Render documents for the `settle` that started this one, over standard input and
    /// output: the worker processes of a statement run.
    #[command(hide = true)]
    RenderWorker,
    /// Customer statements as PDF (open-item or balance-forward, with the aging at the foot),
    /// one per customer with a balance; --email queues them through the outbox.
    Statements(crate::commands::documents::StatementsArgs),
    /// Letters as PDF: dunning, payment receipt, payment-plan agreement, balance confirmation.
    #[command(subcommand)]
    Letter(crate::commands::documents::LetterCommand),
    /// The company's letterhead on documents: name, address, contact, tax id, how to pay, paper.
    #[command(subcommand)]
    Company(crate::commands::documents::CompanyCommand),
    /// Write a consistent backup of the whole database (every entity) to a file, while others
    /// keep writing; it restores into SQLite or PostgreSQL.
    Backup(crate::commands::backup::BackupArgs),
    /// Restore a backup into an empty database (or just check it with --check).
    Restore(crate::commands::backup::RestoreArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Name of the legal entity.
    #[arg(long, default_value = "Main company")]
    pub name: String,
    /// Functional currency of the legal entity (ISO 4217).
    #[arg(long, default_value = "USD")]
    pub currency: String,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed of the generator: the same seed builds the same company.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// How many customers.
    #[arg(long, default_value_t = 300)]
    pub customers: usize,
    /// The demo's "today": the year of activity ends here and the aging is taken on it.
    #[arg(long, default_value = "2026-10-31")]
    pub as_of: String,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import customers.csv (customer_id,name,email,phone,payment_terms,credit_limit,currency,country,tax_id,address).
    Customers(ImportArgs),
    /// Import invoices.csv (invoice_number,customer_id,issue_date,due_date,currency,amount,tax_amount,po_number,description).
    Invoices(InvoiceImportArgs),
    /// Import bank statements or remittance files (BAI2, camt.052/053/054, MT940, NACHA,
    /// X12 820 detected; CSV with --column-map): each customer credit posts once as a payment.
    Bank(BankImportArgs),
}

#[derive(Debug, Args)]
pub struct BankImportArgs {
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The chart's bank account (a cash account's short name) to post to, instead of the one
    /// mapped to the statement's account number.
    #[arg(long)]
    pub bank_account: Option<String>,
    /// Read the files as CSV with this column map (`key = value` lines; see the docs).
    #[arg(long)]
    pub column_map: Option<PathBuf>,
    /// Refuse a file whose own totals, counts or balances do not agree.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    pub file: PathBuf,
    /// Store the good rows and report the bad ones, instead of refusing the whole file.
    #[arg(long)]
    pub skip_invalid: bool,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct InvoiceImportArgs {
    #[command(flatten)]
    pub import: ImportArgs,
    /// Whether `amount` includes tax (gross: tax_amount is part of it) or not (net: the total
    /// is amount + tax_amount).
    #[arg(long, value_enum, default_value_t = AmountBasisArg::Gross)]
    pub amount_basis: AmountBasisArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AmountBasisArg {
    Gross,
    Net,
}

#[derive(Debug, Subcommand)]
pub enum PaymentCommand {
    /// Post a payment received into unapplied cash (exactly once per bank reference).
    Post(PaymentArgs),
}

#[derive(Debug, Args)]
pub struct WriteArgs {
    /// Repeating a command with the same key posts nothing the second time.
    #[arg(long)]
    pub idempotency_key: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct PaymentArgs {
    /// The payer's customer id; leave out for cash from a payer not identified yet.
    #[arg(long)]
    pub customer: Option<String>,
    #[arg(long)]
    pub amount: String,
    /// Defaults to the customer's currency.
    #[arg(long)]
    pub currency: Option<String>,
    /// Value date (yyyy-mm-dd); today when left out.
    #[arg(long)]
    pub date: Option<String>,
    #[arg(long, default_value = "wire")]
    pub method: String,
    /// The bank's reference for the credit.
    #[arg(long)]
    pub reference: String,
    #[arg(long, default_value = "OPERATING")]
    pub bank_account: String,
    #[arg(long, default_value = "")]
    pub payer_name: String,
    #[arg(long, default_value = "")]
    pub payer_account: String,
    #[arg(long, default_value = "")]
    pub memo: String,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("source").required(true))]
pub struct ApplyArgs {
    /// The payment whose unapplied cash to apply.
    #[arg(long, group = "source")]
    pub payment: Option<i64>,
    /// The credit memo whose credit to apply.
    #[arg(long, group = "source")]
    pub credit_memo: Option<String>,
    /// Accept the suggestion with this decision id (from `settle match`): book it as proposed.
    #[arg(long, group = "source")]
    pub accept: Option<i64>,
    /// Reject the suggestion with this decision id: nothing is booked.
    #[arg(long, group = "source")]
    pub reject: Option<i64>,
    /// The invoice (or debit memo) number.
    #[arg(long, required_unless_present_any = ["accept", "reject"])]
    pub invoice: Option<String>,
    /// How much; everything that fits when left out.
    #[arg(long)]
    pub amount: Option<String>,
    /// Date of the application; today when left out.
    #[arg(long)]
    pub date: Option<String>,
    /// Do not take an early-payment discount even when it is earned.
    #[arg(long)]
    pub no_discount: bool,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Args)]
pub struct UnapplyArgs {
    #[arg(long)]
    pub application: i64,
    #[arg(long)]
    pub date: Option<String>,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Args)]
pub struct MemoArgs {
    #[arg(long)]
    pub customer: String,
    /// Total of the memo, tax included.
    #[arg(long)]
    pub amount: String,
    /// The tax included in the amount.
    #[arg(long)]
    pub tax: Option<String>,
    /// Reason code (PRICING, DAMAGED, RETURN, LATE_INTEREST, …).
    #[arg(long)]
    pub reason: String,
    /// The memo's number; generated when left out.
    #[arg(long)]
    pub number: Option<String>,
    #[arg(long)]
    pub currency: Option<String>,
    #[arg(long)]
    pub date: Option<String>,
    #[arg(long)]
    pub due_date: Option<String>,
    #[arg(long, default_value = "")]
    pub description: String,
    /// Apply the credit memo to this invoice at once.
    #[arg(long)]
    pub apply_to: Option<String>,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Args)]
pub struct AdjustArgs {
    /// The invoice, debit or credit memo number.
    #[arg(long, alias = "item")]
    pub invoice: String,
    /// Signed change of the balance: -10.00 lowers what is owed.
    #[arg(long, allow_hyphen_values = true)]
    pub amount: String,
    #[arg(long)]
    pub reason: String,
    #[arg(long)]
    pub date: Option<String>,
    #[arg(long, default_value = "")]
    pub memo: String,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("source").required(true))]
pub struct RefundArgs {
    #[arg(long, group = "source")]
    pub payment: Option<i64>,
    #[arg(long, group = "source")]
    pub credit_memo: Option<String>,
    /// How much; all of the credit when left out.
    #[arg(long)]
    pub amount: Option<String>,
    #[arg(long, default_value = "CUSTOMER_REQUEST")]
    pub reason: String,
    /// The bank account the refund is paid from.
    #[arg(long, default_value = "OPERATING")]
    pub bank_account: String,
    #[arg(long)]
    pub date: Option<String>,
    #[arg(long, default_value = "")]
    pub memo: String,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Args)]
pub struct WriteOffArgs {
    #[arg(long)]
    pub invoice: String,
    /// How much; all that is open when left out.
    #[arg(long)]
    pub amount: Option<String>,
    #[arg(long, default_value = "BAD_DEBT")]
    pub reason: String,
    /// Charge bad debt expense directly instead of drawing on the allowance.
    #[arg(long)]
    pub direct: bool,
    #[arg(long)]
    pub date: Option<String>,
    #[arg(long, default_value = "")]
    pub memo: String,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Subcommand)]
pub enum CustomerCommand {
    /// A customer's account: open items, unapplied cash, activity, balance.
    Show(CustomerShowArgs),
    /// Create one customer.
    Add(Box<CustomerAddArgs>),
    /// Names the customer pays under, which matching recognises as the customer.
    #[command(subcommand)]
    Alias(AliasCommand),
    /// Show or change who collects the customer and how: collector, segment, time zone,
    /// do-not-contact, cease-communication, bankruptcy.
    Collection(CollectionArgs),
}

#[derive(Debug, Subcommand)]
pub enum AliasCommand {
    /// Add a name the customer pays under.
    Add(AliasArgs),
    /// List the customer's aliases, learned and entered.
    List(CustomerShowArgs),
    /// Remove one of the customer's aliases.
    Remove(AliasArgs),
}

#[derive(Debug, Args)]
pub struct AliasArgs {
    pub customer_id: String,
    /// The name, as a bank would show it.
    pub name: String,
    /// Create it as a trial: matching ignores it until `settle rules enable ID`; `settle rules
    /// try ID` shows what it would change.
    #[arg(long)]
    pub trial: bool,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules: aliases, reference habits, rejected pairings, with their status.
    List(RulesListArgs),
    /// Replay the payments already applied with the rule and without it: how many it would
    /// have matched, and which differ from what was booked. Nothing is stored.
    Try(RuleTryArgs),
    /// Enter how a customer cites invoices (a reference habit), enabled or on trial.
    AddHabit(HabitArgs),
    /// Switch a rule on: matching uses it.
    Enable(RuleIdArgs),
    /// Switch a rule off: matching ignores it.
    Disable(RuleIdArgs),
}

#[derive(Debug, Args)]
pub struct RulesListArgs {
    /// Only this customer's rules.
    #[arg(long)]
    pub customer: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("habit").required(true))]
pub struct HabitArgs {
    pub customer_id: String,
    /// The customer writes invoice numbers without this prefix (`INV-`).
    #[arg(long, group = "habit")]
    pub without_prefix: Option<String>,
    /// The customer cites purchase-order numbers instead of invoice numbers.
    #[arg(long, group = "habit")]
    pub purchase_order: bool,
    /// Create it as a trial: matching ignores it until `settle rules enable ID`.
    #[arg(long)]
    pub trial: bool,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct RuleIdArgs {
    pub id: i64,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct RuleTryArgs {
    pub id: i64,
    /// Score from which a match is applied without a person (0–1000).
    #[arg(long, default_value_t = 850)]
    pub auto_threshold: u32,
    /// Score from which a match is proposed to a clerk (0–1000).
    #[arg(long, default_value_t = 400)]
    pub suggest_threshold: u32,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct CustomerAddArgs {
    pub customer_id: String,
    #[arg(long)]
    pub name: String,
    #[arg(long, default_value = "USD")]
    pub currency: String,
    /// NET30, DUE_ON_RECEIPT, EOM30, 2/10 NET30, …
    #[arg(long, default_value = "NET30")]
    pub terms: String,
    #[arg(long)]
    pub credit_limit: Option<String>,
    #[arg(long, default_value = "")]
    pub email: String,
    #[arg(long, default_value = "")]
    pub phone: String,
    #[arg(long, default_value = "")]
    pub country: String,
    #[arg(long, default_value = "")]
    pub tax_id: String,
    #[arg(long, default_value = "")]
    pub address: String,
    /// low, medium, high or critical.
    #[arg(long, default_value = "medium")]
    pub risk_class: String,
    #[arg(long, default_value = "")]
    pub sales_rep: String,
    /// The customer's parent company (its code), which may pay this customer's invoices.
    #[arg(long, value_name = "CODE")]
    pub parent: Option<String>,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Subcommand)]
pub enum InvoiceCommand {
    /// Issue one invoice with its lines.
    Add(InvoiceAddArgs),
    /// The invoice (or memo) as PDF.
    Pdf(crate::commands::documents::InvoicePdfArgs),
}

#[derive(Debug, Args)]
pub struct InvoiceAddArgs {
    pub number: String,
    #[arg(long)]
    pub customer: String,
    /// Issue date; today when left out.
    #[arg(long)]
    pub date: Option<String>,
    /// Due date; from the customer's terms when left out.
    #[arg(long)]
    pub due_date: Option<String>,
    /// A line as DESCRIPTION=NET or DESCRIPTION=NET+TAX (repeat for more lines).
    #[arg(long = "line", required = true)]
    pub lines: Vec<String>,
    #[arg(long, default_value = "")]
    pub po_number: String,
    #[arg(long, default_value = "")]
    pub description: String,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Args)]
pub struct CustomerShowArgs {
    pub customer_id: String,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct AgingArgs {
    /// Balances as they stood at the end of this day; today when left out.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Age by due date or by invoice date.
    #[arg(long, value_enum, default_value_t = AgingBy::Due)]
    pub by: AgingBy,
    /// Upper day bounds of the past-due buckets.
    #[arg(long, default_value = "30,60,90", value_delimiter = ',')]
    pub buckets: Vec<u32>,
    /// One line per open item instead of one per customer.
    #[arg(long)]
    pub detail: bool,
    /// Print the aging frozen when this period closed, exactly as it was (not with --as-of,
    /// --by or --buckets).
    #[arg(long, conflicts_with_all = ["as_of", "buckets", "by"])]
    pub period: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AgingBy {
    Due,
    Invoice,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Bank statements checked, and cash receipts compared with the statements day by day.
    #[command(long_about = BANK_RECONCILIATION_HELP)]
    BankReconciliation(BankReconciliationArgs),
    /// How well payments are matched: hit rates, error rate, time from receipt to application.
    #[command(long_about = MATCHING_REPORT_HELP)]
    Matching(MatchingReportArgs),
    /// Every account's debits, credits and balance as of the end of a day, per currency.
    #[command(long_about = TRIAL_BALANCE_HELP)]
    TrialBalance(TrialBalanceArgs),
    /// Collection KPIs per currency: DSO, countback DSO, best possible DSO, ADD, CEI, overdue
    /// share, recovery rate, broken-promise rate; for the entity or per collector.
    #[command(long_about = KPIS_HELP)]
    Kpis(KpisArgs),
}

const TRIAL_BALANCE_HELP: &str = "\
Every account's debits, credits and balance as of the end of a day, per currency.

One row per account and currency that has postings dated on or before --as-of (every posting when
left out): the account's code, name and role, the sum of its debit postings, the sum of its
credit postings (positive) and its balance, debit − credit (positive for a debit balance).
Figures never add across currencies: the table ends with one TOTAL row per currency, whose debits
equal its credits and whose balance is zero when every entry balances. CSV and JSON carry the
account rows only, amounts as decimal strings. Exit code 1 if debits and credits differ in a
currency (run `settle verify`).";

#[derive(Debug, Args)]
pub struct TrialBalanceArgs {
    /// Balances at the end of this day (yyyy-mm-dd); every entry when left out.
    #[arg(long)]
    pub as_of: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

const BANK_RECONCILIATION_HELP: &str = "\
Bank statements checked, and cash receipts compared with the statements day by day.

Statements (those whose period ends between --from and --to): opening balance + credits − debits
must equal the closing balance; the difference is shown with the status balanced, out_of_balance
or no_balances (the statement gave no balances).

Days, per bank account, day and currency: posted receipts are the Dr Cash postings of payments
received into the bank account's cash account that day (imported or posted by hand with
`settle payment post`), posted returns the Cr Cash of receipts reversed for returned items.
Statement credits are every booked credit line that day (its booking date, else its value date;
a line seen in two statements counts once), statement returns the returned items debited.
Other debits (fees charged, our own payments) are not receipts and appear only in the statement
check. difference = (posted receipts − posted returns) − (statement credits − statement returns).

Each variance is signed as its effect on the difference, so a day's variances add up to it:
  not_on_statement   a payment posted in Settle with no statement line
  held_out           a statement credit not posted to A/R (fees, interest, transfers, a line not
                     imported as a payment)
  returned_item      a returned item the bank debited that Settle has not reversed
  amount_difference  the same bank reference for another amount in Settle than on the statement
  timing             posted on one day (the payment's value date), on the statement another
  currency           posted in another currency than the statement line or the bank account

Totals are per bank account and currency, never added across currencies. Amounts are decimal
strings. The exit code is 0 whatever the variances.";

const MATCHING_REPORT_HELP: &str = "\
How well cash application works, for the payments received (value date) between --from and --to.

An application stands unless a person undid it with `settle unapply`; one reversed because the bank
returned the payment stands (the cash was applied right; the bank took it back).

  payments                  payments received in the period, imported or posted by hand
  applied in full (auto)    payments whose standing automatic applications add up to their amount
  applied at all (auto)     payments with a standing automatic application
  by accepted suggestion    otherwise, payments with a standing application from a suggestion a
                            clerk accepted
  by hand                   otherwise, payments with a standing application a person made
  unapplied                 payments with no standing application
  (auto, suggestion, hand and unapplied count each payment once and add up to payments)
  invoices closed (auto)    of the invoices with a standing application of cash from a payment
                            that came from a statement line, those whose such applications were
                            all automatic and that are closed (or open again only by what
                            returned items took back)
  auto undone (error rate)  of the automatic applications made, those a person undid
  days to application       per standing application: its date minus the payment's value date,
                            in days (the ledger keeps dates, not times); median and 90th
                            percentile by the nearest-rank method

Shares are count / of, as percentages with one decimal rounded half up. --by groups payments by
the bank account they were received into, the customer they turned out to be from
((unidentified) if still unknown), or the rule of the first match decision on them ((no decision)
if never matched); a row ALL covers every payment.";

#[derive(Debug, Args)]
pub struct BankReconciliationArgs {
    /// One bank account (a cash account's short name); every bank account when left out.
    #[arg(long)]
    pub bank_account: Option<String>,
    /// First day (yyyy-mm-dd); the beginning of time when left out.
    #[arg(long, default_value = "0001-01-01")]
    pub from: String,
    /// Last day (yyyy-mm-dd); the end of time when left out.
    #[arg(long, default_value = "9999-12-31")]
    pub to: String,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct MatchingReportArgs {
    /// First value date of the payments counted (yyyy-mm-dd).
    #[arg(long, default_value = "0001-01-01")]
    pub from: String,
    /// Last value date of the payments counted (yyyy-mm-dd).
    #[arg(long, default_value = "9999-12-31")]
    pub to: String,
    /// Also one row per bank account, customer or rule.
    #[arg(long, value_enum)]
    pub by: Option<MetricsBy>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MetricsBy {
    BankAccount,
    Customer,
    Rule,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// The journal for a general ledger: CSV, hledger's journal or beancount.
    Journal(JournalArgs),
    /// Cash applications per statement line: bank_ref,invoice_number,amount,status.
    Applications(ExportApplicationsArgs),
    #[command(flatten)]
    Table(crate::commands::export::ExportTableCommand),
}

#[derive(Debug, Subcommand)]
pub enum GlCommand {
    /// Import the general ledger's balances, or its postings to A/R control, for a period.
    #[command(long_about = GL_IMPORT_HELP)]
    Import(GlImportArgs),
    /// Compare the general ledger with Settle's A/R control account and open items at the
    /// period's end, and explain every difference down to the entry.
    #[command(long_about = GL_RECONCILE_HELP)]
    Reconcile(GlReconcileArgs),
}

const GL_IMPORT_HELP: &str = "\
Import what the general ledger says for a period, from CSV. Two shapes, told apart by the header:

  balances  account,currency,balance  or  account,currency,debit,credit
            a trial balance or just the control account: each account's balance at the period
            end (debit positive). Accounts by code, as `settle accounts list` shows them; only
            A/R control is compared.
  detail    date,account,currency,debit,credit,reference,memo,source  (or amount, signed,
            instead of debit,credit)
            the GL's postings to the A/R control account. reference is Settle's journal entry id
            when the posting came from `settle export journal` (its entry_id column); source is
            free text such as settle, manual, ap. The GL's balance at the period end is the sum
            of the lines dated up to it: give the account's whole history, or begin with an
            opening line per currency (reference OPENING, its amount the balance at the start of
            its date). Lines dated after the period end may follow.

Amounts are decimals in the currency's precision (1234.50, JPY 1200). A file with a bad row
stores nothing and names each bad row's line and field. The same file imported again for the
period stores nothing; another file for the period supersedes the earlier import, which stays on
record.";

const GL_RECONCILE_HELP: &str = "\
Compare the general ledger with Settle at the end of a period, per currency: the GL's A/R control
balance (from the period's latest GL import), Settle's A/R control account (its postings dated up
to the period end) and Settle's open items then (open debit items − open credit items, which must
equal Settle's control account).

difference = Settle's A/R control − the GL's. Each difference is signed as its effect on it, so a
currency's differences add up to its difference:
  missing_in_gl      a Settle entry on A/R control with no GL line naming it (not exported or not
                     posted in the GL yet)
  missing_in_settle  a GL line whose reference names no Settle entry, from another source
  manual_entry       a GL line without reference, or whose source says manual: a journal made
                     straight to the control account
  timing             the same entry on both sides, dated on different sides of the cut-off
  amount_mismatch    the same entry for another amount (or currency, or on another account in
                     Settle)
  opening_balance    the balances at the start of a GL detail that begins with an OPENING line
                     already differed: carried from an earlier period
  unexplained        what no rule places; with balances only, the whole difference (import the
                     GL's postings to the control account to explain it down to the entry)

Amounts are decimal strings; totals never add across currencies. The exit code is 0 whatever the
differences, 1 when no general ledger was imported for the period.";

#[derive(Debug, Args)]
pub struct GlImportArgs {
    pub file: PathBuf,
    /// The period the file is for: yyyy-mm, or a fiscal period's name.
    #[arg(long)]
    pub period: String,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct GlReconcileArgs {
    /// The period: yyyy-mm, or a fiscal period's name.
    #[arg(long)]
    pub period: String,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct ExportApplicationsArgs {
    /// csv, json, or xlsx (the CSV's columns and the currency, as a workbook).
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    pub format: ExportFormat,
    /// Write to this file instead of standard output (required for xlsx).
    #[arg(long, required_if_eq("format", "xlsx"))]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
    Xlsx,
}

#[derive(Debug, Args)]
pub struct MatchArgs {
    /// Decide and show, but store and book nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Show every decision taken on the payment this bank reference posted, with its evidence.
    #[arg(long, value_name = "BANK_REF")]
    pub explain: Option<String>,
    /// Score from which a match is applied without a person (0–1000).
    #[arg(long, default_value_t = 850)]
    pub auto_threshold: u32,
    /// Score from which a match is proposed to a clerk (0–1000).
    #[arg(long, default_value_t = 400)]
    pub suggest_threshold: u32,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct JournalArgs {
    /// First entry date (yyyy-mm-dd); the beginning of time when left out.
    #[arg(long)]
    pub from: Option<String>,
    /// Last entry date (yyyy-mm-dd); the end of time when left out.
    #[arg(long)]
    pub to: Option<String>,
    /// One calendar month (yyyy-mm): its first to its last day.
    #[arg(long, value_name = "YYYY-MM", conflicts_with_all = ["from", "to"])]
    pub period: Option<String>,
    /// csv (one row per posting), ledger (hledger's journal, passes `hledger check --strict`),
    /// beancount (passes `bean-check`) or xlsx (the CSV's rows as a workbook).
    #[arg(long, value_enum, default_value_t = JournalFormat::Csv)]
    pub format: JournalFormat,
    /// Write to this file instead of standard output (required for xlsx).
    #[arg(long, required_if_eq("format", "xlsx"))]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum JournalFormat {
    Csv,
    Ledger,
    Beancount,
    Xlsx,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// How many invoices to generate and import.
    #[arg(long, default_value_t = 1_000_000)]
    pub invoices: usize,
    /// How many times to run each measurement (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Working directory for the generated files and databases.
    #[arg(long, default_value = "bench-data")]
    pub dir: PathBuf,
    /// Measure cash application instead: generated payments with known answers against
    /// generated open items, the engine on one thread.
    #[arg(long)]
    pub matching: bool,
    /// With --matching: how many open items.
    #[arg(long, default_value_t = 1_000_000)]
    pub open_items: usize,
    /// With --matching: how many statement lines.
    #[arg(long, default_value_t = 100_000)]
    pub lines: usize,
    /// Measure collections instead: the dunning run and the worklist on --invoices open
    /// invoices of --customers customers.
    #[arg(long)]
    pub collections: bool,
    /// With --collections: how many customers.
    #[arg(long, default_value_t = 100_000)]
    pub customers: usize,
    /// Measure statement rendering instead: this many two-page statements as PDF, and the
    /// same statements as HTML through WeasyPrint.
    #[arg(long)]
    pub statements: Option<usize>,
}

#[derive(Debug, Args)]
pub struct FormatArgs {
    /// Output for people (table) or for programs (csv, json).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// List the accounts and their roles.
    List(FormatArgs),
    /// Map a role to a general-ledger account (adds a cash account per bank account).
    Map(MapAccountArgs),
}

#[derive(Debug, Args)]
pub struct MapAccountArgs {
    /// AR_CONTROL, CASH, UNAPPLIED_CASH, REVENUE, SALES_RETURNS, SALES_DISCOUNTS, TAX_PAYABLE,
    /// BANK_FEES, INTEREST_INCOME, ALLOWANCE, BAD_DEBT_EXPENSE, REFUNDS_CLEARING, ROUNDING.
    #[arg(long)]
    pub role: String,
    #[arg(long)]
    pub code: String,
    #[arg(long)]
    pub name: String,
    /// For a cash account: the bank account's short name (payments name it with --bank-account).
    #[arg(long)]
    pub bank_account: Option<String>,
}

#[derive(Debug, Args)]
pub struct CloseArgs {
    /// The period, e.g. 2026-10 (or a fiscal period's name).
    #[arg(long)]
    pub period: String,
    /// Only show the checklist; change nothing.
    #[arg(long)]
    pub check: bool,
    /// Close despite a failed item, with the reason on record: KEY=REASON (keys: ledger,
    /// bank_files, statements, suggestions, unapplied_cash, reserve). Repeatable.
    #[arg(long, value_name = "KEY=REASON")]
    pub waive: Vec<String>,
    /// The day the close happens (the period must be over); today when left out.
    #[arg(long)]
    pub today: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Subcommand)]
pub enum PeriodCommand {
    /// The periods from --from to --to, each open or closed, with the lock.
    List(PeriodListArgs),
    /// Use a fiscal calendar from a CSV file (name,start_date,end_date; contiguous), or go
    /// back to calendar months with --months. Refused while any period is closed.
    Calendar(CalendarArgs),
    /// Reopen the latest closed period (a manager's act; the reason is on record).
    Reopen(ReopenArgs),
    /// The close log: closes, reopenings and calendar changes, who and when.
    Log(PeriodLogArgs),
}

#[derive(Debug, Args)]
pub struct PeriodListArgs {
    #[arg(long)]
    pub from: Option<String>,
    #[arg(long)]
    pub to: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct CalendarArgs {
    /// CSV with the header name,start_date,end_date.
    #[arg(long, conflicts_with = "months", required_unless_present = "months")]
    pub file: Option<PathBuf>,
    /// Calendar months again.
    #[arg(long)]
    pub months: bool,
}

#[derive(Debug, Args)]
pub struct ReopenArgs {
    pub period: String,
    #[arg(long)]
    pub reason: String,
}

#[derive(Debug, Args)]
pub struct PeriodLogArgs {
    #[arg(long)]
    pub period: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Register a user with a role (admin, manager, clerk, collector, sales, auditor).
    Add(UserAddArgs),
    /// Set or replace a user's password (read from standard input, at least 12 characters).
    Password(UserPasswordArgs),
    /// Users with their roles, whether they have a password, and whether they are disabled.
    List(FormatArgs),
    /// Disable a user: they can no longer sign in, use their tokens or approve.
    Disable(UserNameArgs),
    /// Give a user another role; it applies to their sessions and tokens at once.
    Role(UserRoleArgs),
}

#[derive(Debug, Args)]
pub struct UserRoleArgs {
    pub name: String,
    /// admin, manager, clerk, collector, sales or auditor.
    pub role: String,
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    pub name: String,
    #[arg(long)]
    pub role: String,
    #[arg(long, default_value = "")]
    pub full_name: String,
    /// Read the user's password from standard input (its first line; at least 12 characters).
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct UserPasswordArgs {
    pub name: String,
    /// Read the password from standard input (its first line). Required: a password is never
    /// an argument, where other users of the machine could read it.
    #[arg(long, required = true)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct UserNameArgs {
    pub name: String,
}

#[derive(Debug, Args)]
pub struct ReserveArgs {
    #[command(subcommand)]
    pub command: Option<ReserveCommand>,
    /// The period whose end the reserve is computed at and dated.
    #[arg(long)]
    pub period: Option<String>,
    /// configured: the rate per bucket set with `settle reserve rates`; history: rates
    /// measured from past write-offs (the loss-rate matrix).
    #[arg(long, value_enum, default_value_t = ReserveMethodArg::Configured)]
    pub method: ReserveMethodArg,
    /// With --method history: how many month ends to look back over.
    #[arg(long, default_value_t = 12)]
    pub months: u32,
    /// Rates for this run instead of the configured ones (LABEL=PERCENT,…).
    #[arg(long)]
    pub rates: Option<String>,
    /// Compute and show; book nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReserveMethodArg {
    Configured,
    History,
}

#[derive(Debug, Subcommand)]
pub enum ReserveCommand {
    /// Show the configured rate per aging bucket, or set them: current=1,1-30=3,31-60=10,61-90=25,90+=50.
    Rates(RatesArgs),
    /// A specific reserve on one customer from a date (0 ends it); its items leave the
    /// bucket rates' pool.
    Specific(SpecificReserveArgs),
}

#[derive(Debug, Args)]
pub struct RatesArgs {
    pub rates: Option<String>,
}

#[derive(Debug, Args)]
pub struct SpecificReserveArgs {
    #[arg(long)]
    pub customer: String,
    #[arg(long)]
    pub amount: String,
    /// The currency of the reserve; the customer's when left out.
    #[arg(long)]
    pub currency: Option<String>,
    #[arg(long)]
    pub reason: String,
    /// Effective from this day; today when left out.
    #[arg(long)]
    pub from: Option<String>,
}

#[derive(Debug, Args)]
pub struct RecoverArgs {
    #[arg(long)]
    pub invoice: String,
    #[arg(long)]
    pub amount: String,
    #[arg(long)]
    pub date: Option<String>,
    #[arg(long, default_value = "")]
    pub memo: String,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Write the auditor pack of a period as a tar archive: aging at period end (frozen when
    /// closed) with its items, journal, trial balance, GL reconciliation, adjustments with who
    /// made them, reserve runs, the close checklist and log; manifest.json and SHA256SUMS.
    Pack(AuditPackArgs),
    /// Balance-confirmation requests as of a period end for a sample of customers: a letter
    /// (.txt) and an email (.eml) each, and a register (confirmations.csv).
    Confirmations(ConfirmationArgs),
    /// Check the entity's hash-chained audit trail from its first row to its head: exit 0 with
    /// the count and the head hash when intact, 1 with the first broken row when not.
    Verify(FormatArgs),
    /// Read or export the audit trail: who changed what, when, from where, before and after.
    Log(AuditLogArgs),
}

#[derive(Debug, Args)]
pub struct AuditLogArgs {
    /// The first UTC day to show (yyyy-mm-dd).
    #[arg(long)]
    pub from: Option<String>,
    /// The last UTC day to show (yyyy-mm-dd), inclusive.
    #[arg(long)]
    pub to: Option<String>,
    /// Only changes by this user.
    #[arg(long)]
    pub actor: Option<String>,
    /// Only this operation (`post_payment`, `import_invoices`, `close_period`, …).
    #[arg(long)]
    pub operation: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct AuditPackArgs {
    #[arg(long)]
    pub period: String,
    /// The archive to write (.tar); an existing file is not overwritten.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ConfirmationArgs {
    #[arg(long)]
    pub period: String,
    /// The customers with the largest net balances, this many in each currency.
    #[arg(long, conflicts_with = "random", required_unless_present = "random")]
    pub largest: Option<usize>,
    /// This many customers drawn at random (with --seed, reproducible).
    #[arg(long)]
    pub random: Option<usize>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Where customers reply: the auditors' address.
    #[arg(long)]
    pub reply_to: String,
    /// A folder to write into (created; must be empty if it exists).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct CorrectArgs {
    /// The entry's id (as in `settle export journal`).
    #[arg(long)]
    pub entry: i64,
    /// The correction's date; today when left out. It must lie in an open period.
    #[arg(long)]
    pub date: Option<String>,
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Send the messages that are due, one at a time; report what was sent, retried, failed.
    Send(OutboxSendArgs),
    /// List the outbox, newest first.
    List(OutboxListArgs),
    /// Queue a failed, bounced or waiting message again now, with fresh attempts.
    Retry(OutboxRetryArgs),
    /// Record that a sent message bounced, by its Message-ID or from the bounce (.eml) itself.
    Bounce(OutboxBounceArgs),
}

#[derive(Debug, Args)]
pub struct OutboxSendArgs {
    /// smtp://[user:password@]host[:port][?tls=starttls|opportunistic] or
    /// smtps://[user:password@]host[:port].
    #[arg(long, env = "SETTLE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: String,
    /// The From address, e.g. "Acme receivables <ar@acme.example>".
    #[arg(long, env = "SETTLE_SMTP_FROM")]
    pub from: String,
    /// Stop after this many messages.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Send again a message left in flight (status sending) this many seconds ago by a
    /// sender that stopped. Keep it longer than a conversation with the server can take.
    #[arg(long, default_value_t = 600, value_name = "SECONDS")]
    pub reclaim_after: u64,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct OutboxListArgs {
    /// Only messages in this state: queued, sending, sent, failed or bounced.
    #[arg(long)]
    pub status: Option<String>,
    #[arg(long, default_value_t = 100)]
    pub limit: i64,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct OutboxRetryArgs {
    /// The outbox id (as listed).
    pub id: i64,
}

#[derive(Debug, Args)]
pub struct OutboxBounceArgs {
    /// The returned message's Message-ID, with its angle brackets.
    #[arg(required_unless_present = "report", conflicts_with = "report")]
    pub message_id: Option<String>,
    /// What the recipient's server said.
    #[arg(long, required_unless_present = "report")]
    pub reason: Option<String>,
    /// A delivery status notification saved as a file (.eml): the Message-ID and the reason
    /// are read from it.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EmailArgs {
    /// The customer's code.
    pub customer_id: String,
    /// Send the dunning letter of this level instead of a message of your own (0 friendly
    /// reminder before the due date, 1 first reminder, 2 second notice, 3 final notice).
    #[arg(long, value_name = "LEVEL", conflicts_with_all = ["subject", "text_file", "html_file", "attachments"])]
    pub letter: Option<u32>,
    /// Letter templates overriding the built-in ones (NAME.subject.txt, NAME.text.txt, NAME.html).
    #[arg(long, value_name = "DIR", requires = "letter")]
    pub templates: Option<PathBuf>,
    /// The letter's as-of date (days overdue are counted to it); today when left out.
    #[arg(long, requires = "letter")]
    pub as_of: Option<String>,
    #[arg(long, required_unless_present = "letter")]
    pub subject: Option<String>,
    /// The plain-text body.
    #[arg(long, value_name = "FILE", required_unless_present = "letter")]
    pub text_file: Option<PathBuf>,
    /// An HTML body, sent beside the text as an alternative.
    #[arg(long, value_name = "FILE")]
    pub html_file: Option<PathBuf>,
    /// A file to attach (repeat for more).
    #[arg(long = "attach", value_name = "FILE")]
    pub attachments: Vec<PathBuf>,
    #[command(flatten)]
    pub format: FormatArgs,
}

// ---- collections: KPIs, late-payment interest, agency placements ---------------------------

const KPIS_HELP: &str = "\
Collection KPIs per currency (figures never mix currencies), by the Credit Research Foundation's
definitions: DSO = ending receivables × days ÷ credit sales of the period; best possible DSO =
ending current receivables × days ÷ credit sales; ADD = DSO − best possible DSO; CEI = (beginning
receivables + credit sales ÷ N − ending receivables) ÷ (beginning receivables + credit sales ÷ N −
ending current receivables) × 100; countback DSO walks back month by month through credit sales.
dso_30 and cei cover the month ending at --as-of, the _90 figures the three months. A month-end
date walks calendar months; any other date walks back to the same day of earlier months.
Receivables are open debit items, gross; credit sales are invoices and debit memos, tax included.
Days and percentages are rounded to 2 decimals; money is exact; empty (null in JSON) where a
figure is undefined.";

#[derive(Debug, Args)]
pub struct KpisArgs {
    /// The date the figures are taken at (yyyy-mm-dd).
    #[arg(long)]
    pub as_of: String,
    /// Days a period counts in DSO: its actual days, or 365 or 360 a year.
    #[arg(long, default_value = "actual")]
    pub days_basis: String,
    /// For the entity, or per collector.
    #[arg(long, value_enum, default_value_t = KpiBy::Entity)]
    pub by: KpiBy,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KpiBy {
    Entity,
    Collector,
}

#[derive(Debug, Subcommand)]
pub enum InterestCommand {
    /// Reference rates (the ECB's, the Bank of England's, the Bundesbank's base rate).
    #[command(subcommand)]
    Rate(InterestRateCommand),
    /// Whether this entity charges late interest (off until switched on).
    Policy(InterestPolicyArgs),
    /// Which preset applies to a customer or to a country (`none`: no late interest).
    Assign(InterestAssignArgs),
    /// What overdue invoices owe as of a day; --post charges it as debit memos.
    #[command(long_about = INTEREST_RUN_HELP)]
    Run(InterestRunArgs),
}

const INTEREST_RUN_HELP: &str = "\
What overdue invoices owe in statutory late interest as of a day, per invoice of a customer whose
preset is eu (directive 2011/7/EU: reference rate + 8 points, EUR 40 per invoice), uk (Late
Payment of Commercial Debts (Interest) Act 1998: base rate + 8 points, GBP 40 / 70 / 100) or
germany (§288 BGB: base rate + 9 points, EUR 40). Interest runs from the day after the due date
(or after the last day charged) through --as-of, each day on the principal open at its end at the
reference rate then in force plus the margin, ÷ 365; each line is rounded once, half up. Fixed
compensation is charged once per invoice. Shown always; posted as debit memos (Dr A/R · Cr
Interest income) only with --post and when `settle interest policy --charge on` is set; the days
charged are recorded, so no day is charged twice.";

#[derive(Debug, Subcommand)]
pub enum InterestRateCommand {
    /// Enter the reference rate in force from a day.
    Set(InterestRateSetArgs),
    /// List the reference rates entered.
    List(FormatArgs),
}

#[derive(Debug, Args)]
pub struct InterestRateSetArgs {
    /// eu, uk or germany.
    #[arg(long)]
    pub preset: String,
    /// The first day the rate is in force (yyyy-mm-dd).
    #[arg(long)]
    pub from: String,
    /// The rate in percent, at most two decimals (4.50, -0.88).
    #[arg(long, allow_hyphen_values = true)]
    pub rate: String,
}

#[derive(Debug, Args)]
pub struct InterestPolicyArgs {
    /// on: `settle interest run --post` charges; off: it refuses.
    #[arg(long)]
    pub charge: OnOff,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("target").required(true))]
pub struct InterestAssignArgs {
    /// A customer's code.
    #[arg(long, group = "target")]
    pub customer: Option<String>,
    /// An ISO 3166 country code.
    #[arg(long, group = "target")]
    pub country: Option<String>,
    /// eu, uk, germany or none.
    #[arg(long)]
    pub preset: String,
}

#[derive(Debug, Args)]
pub struct InterestRunArgs {
    /// The last day charged (yyyy-mm-dd); the debit memos are dated on it.
    #[arg(long)]
    pub as_of: String,
    /// Charge what is shown as debit memos (only when the policy charges).
    #[arg(long)]
    pub post: bool,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct ApplyLegalArgs {
    /// The payment whose unapplied cash to apply.
    pub payment: i64,
    /// The customer, required when the payer is not identified yet.
    #[arg(long)]
    pub customer: Option<String>,
    /// Date of the applications; today when left out.
    #[arg(long)]
    pub date: Option<String>,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Subcommand)]
pub enum AgencyCommand {
    /// Place a customer's account with a collection agency and write the file it works from.
    Place(AgencyPlaceArgs),
    /// Recall a placed account: in-house collection resumes.
    Recall(AgencyRecallArgs),
    /// Per placement and currency: placed, recovered while placed, commission.
    Report(FormatArgs),
}

#[derive(Debug, Args)]
pub struct AgencyPlaceArgs {
    pub customer: String,
    #[arg(long)]
    pub agency: String,
    /// The agency's commission on what it recovers (25%, 12.5).
    #[arg(long)]
    pub commission: String,
    /// The export file (CSV): the customer, its open items, its contacts.
    #[arg(long)]
    pub out: PathBuf,
    /// Date of the placement; today when left out.
    #[arg(long)]
    pub date: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct AgencyRecallArgs {
    pub customer: String,
    /// Date of the recall; today when left out.
    #[arg(long)]
    pub date: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

impl OnOff {
    pub fn is_on(self) -> bool {
        self == OnOff::On
    }
}

#[derive(Debug, Args)]
pub struct CollectionArgs {
    /// The customer's code.
    pub customer: String,
    #[arg(long)]
    pub collector: Option<String>,
    /// The customer segment dunning policies select on (customer type, say).
    #[arg(long)]
    pub segment: Option<String>,
    /// IANA time zone for the contact window (Europe/Berlin, America/Chicago); "" for UTC.
    #[arg(long)]
    pub time_zone: Option<String>,
    #[arg(long, value_enum)]
    pub do_not_contact: Option<OnOff>,
    /// The customer asked in writing that we stop contacting them.
    #[arg(long, value_enum)]
    pub cease_communication: Option<OnOff>,
    /// In bankruptcy: every collection activity stops.
    #[arg(long, value_enum)]
    pub bankrupt: Option<OnOff>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct DunArgs {
    /// The run's day (default: today).
    #[arg(long)]
    pub as_of: Option<String>,
    /// The moment of the run, RFC 3339 (default: now): decides whether customers are inside
    /// their contact window.
    #[arg(long)]
    pub at: Option<String>,
    /// Show what would be done; record nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also list the actions the guards stopped (with --format json: the whole report, with
    /// `actions`, `blocked`, the promises and plans judged and the escalations opened).
    #[arg(long)]
    pub show_blocked: bool,
    /// Attach each email's dunning letter as PDF (levels 1 and above), laid out with the
    /// document templates; takes the time of rendering one letter per email.
    #[arg(long)]
    pub attach_letters: bool,
    /// A folder of Typst document templates for the attached letters (see docs/documents.md);
    /// used with --attach-letters. (Not `requires`: a value from the environment would then
    /// make every run without --attach-letters fail.)
    #[arg(long, env = "SETTLE_DOCUMENT_TEMPLATES")]
    pub document_templates: Option<PathBuf>,
    /// A directory of email templates that override the built-in ones file by file.
    #[arg(long, env = "SETTLE_TEMPLATES")]
    pub templates: Option<PathBuf>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Subcommand)]
pub enum DunningCommand {
    /// The policies in force (the standard one when none is stored), as JSON.
    Policies,
    /// Store a policy from a JSON file (replaces the one of the same name).
    SetPolicy(PolicyFileArgs),
    /// Remove a stored policy.
    DeletePolicy(PolicyNameArgs),
    /// The actions dunning recorded, newest first.
    Actions(DunningActionsArgs),
}

#[derive(Debug, Args)]
pub struct PolicyFileArgs {
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct PolicyNameArgs {
    pub name: String,
}

#[derive(Debug, Args)]
pub struct DunningActionsArgs {
    #[arg(long)]
    pub customer: Option<String>,
    #[arg(long, default_value_t = 100)]
    pub limit: i64,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct WorklistArgs {
    #[arg(long)]
    pub collector: Option<String>,
    #[arg(long)]
    pub segment: Option<String>,
    /// Oldest past-due item's bucket: current, 1-30, 31-60, 61-90, 91+.
    #[arg(long)]
    pub bucket: Option<String>,
    /// Only accounts with (yes) or without (no) an active dispute.
    #[arg(long, value_enum)]
    pub disputed: Option<YesNo>,
    #[arg(long)]
    pub as_of: Option<String>,
    /// The moment for the contact windows, RFC 3339 (default: now).
    #[arg(long)]
    pub at: Option<String>,
    #[arg(long)]
    pub limit: Option<usize>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum YesNo {
    Yes,
    No,
}

#[derive(Debug, Subcommand)]
pub enum ContactCommand {
    /// Log a contact.
    Log(ContactLogArgs),
    /// A customer's contact log, newest first.
    List(ContactListArgs),
    /// Whether the customer may be contacted now by a channel, or which guard forbids it.
    Check(ContactCheckArgs),
}

#[derive(Debug, Args)]
pub struct ContactLogArgs {
    pub customer: String,
    /// phone, email, letter, meeting or note.
    #[arg(long)]
    pub channel: String,
    /// outbound, inbound or internal (default: outbound, internal for a note).
    #[arg(long)]
    pub direction: Option<String>,
    #[arg(long)]
    pub subject: String,
    #[arg(long, default_value = "")]
    pub body: String,
    /// What came of it: reached, no answer, promised, disputed…
    #[arg(long, default_value = "")]
    pub outcome: String,
    /// When to follow up.
    #[arg(long)]
    pub next_step: Option<String>,
    /// When it happened, RFC 3339 (default: now).
    #[arg(long)]
    pub at: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct ContactListArgs {
    pub customer: String,
    #[arg(long, default_value_t = 50)]
    pub limit: i64,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct ContactCheckArgs {
    pub customer: String,
    #[arg(long, default_value = "phone")]
    pub channel: String,
    #[arg(long)]
    pub at: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PromiseCommand {
    /// Record a promise to pay.
    Add(PromiseAddArgs),
    /// List promises.
    List(PromiseListArgs),
    /// Cancel an open promise.
    Cancel(PromiseCancelArgs),
    /// Judge open promises and active plans as of a day (the dunning run does it too).
    Check(PromiseCheckArgs),
    /// Kept-promise rates per customer or per collector.
    Rates(PromiseRatesArgs),
}

#[derive(Debug, Args)]
pub struct PromiseAddArgs {
    pub customer: String,
    #[arg(long)]
    pub amount: String,
    /// The day the customer promised to pay by.
    #[arg(long)]
    pub date: String,
    /// The invoices it covers (repeat); none: the account.
    #[arg(long = "invoice")]
    pub invoices: Vec<String>,
    #[arg(long, default_value_t = 3)]
    pub grace_days: u32,
    /// The day it was made (default: today).
    #[arg(long)]
    pub on: Option<String>,
    #[arg(long, default_value = "")]
    pub note: String,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct PromiseListArgs {
    #[arg(long)]
    pub status: Option<String>,
    #[arg(long)]
    pub customer: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct PromiseCancelArgs {
    pub id: i64,
    #[arg(long)]
    pub on: Option<String>,
}

#[derive(Debug, Args)]
pub struct PromiseCheckArgs {
    #[arg(long)]
    pub as_of: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct PromiseRatesArgs {
    /// Per collector instead of per customer.
    #[arg(long)]
    pub by_collector: bool,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Agree a plan: equal monthly instalments (--instalments, --first-due) or by hand
    /// (--instalment DATE=AMOUNT, repeated).
    Create(PlanCreateArgs),
    /// Plans with their instalments and what is paid.
    List(PlanListArgs),
}

#[derive(Debug, Args)]
pub struct PlanCreateArgs {
    pub customer: String,
    #[arg(long = "invoice", required = true)]
    pub invoices: Vec<String>,
    /// The agreed total (default: what is open on the invoices).
    #[arg(long)]
    pub total: Option<String>,
    #[arg(long)]
    pub instalments: Option<u32>,
    #[arg(long)]
    pub first_due: Option<String>,
    /// DATE=AMOUNT, repeated in date order.
    #[arg(long = "instalment")]
    pub schedule: Vec<String>,
    #[arg(long, default_value_t = 5)]
    pub grace_days: u32,
    #[arg(long)]
    pub on: Option<String>,
    #[arg(long, default_value = "")]
    pub note: String,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct PlanListArgs {
    #[arg(long)]
    pub customer: Option<String>,
    #[arg(long)]
    pub as_of: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Subcommand)]
pub enum EscalationCommand {
    /// Open escalations (--all: closed ones too) with their summaries.
    List(EscalationListArgs),
    /// Close an escalation with the decision taken.
    Close(EscalationCloseArgs),
}

#[derive(Debug, Args)]
pub struct EscalationListArgs {
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct EscalationCloseArgs {
    pub id: i64,
    #[arg(long)]
    pub note: String,
    #[arg(long)]
    pub on: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A TOML file of settings (listen, public_url, log_format, secure_cookies,
    /// session_idle_minutes, [jobs] drop_folder, interval_seconds, matching, dunning,
    /// smtp_url, smtp_from). The environment (SETTLE_LISTEN, …) overrides it.
    #[arg(long, env = "SETTLE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Where to listen, over the file and the environment (default 127.0.0.1:8080).
    #[arg(long)]
    pub listen: Option<std::net::SocketAddr>,
}

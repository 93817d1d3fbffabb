//! The rows that issue documents with their journal entries, built without a connection.
//!
//! [`DocumentRows`] turns documents and entries into typed rows, and hands them out as
//! [`PreparedWrites`]: multi-row `INSERT` statements on PostgreSQL, the rows themselves on
//! SQLite (written by [`crate::sqlite_native`] without a statement per batch). Parents come
//! before children (items, their lines, entries, postings), so that a bulk import can prepare
//! them on one thread while another writes. [`crate::Tx`] uses it for single documents too.
//! Each row type names its columns once, in [`Row::write`], for both engines.

use jiff::civil::Date;
use settle_core::Currency;
use settle_core::document::NewDocument;
use settle_core::ids::{EntityId, EntryId, ItemId};
use settle_core::journal::{JournalEntry, Posting};

use crate::Engine;
use crate::bulk::{BulkInsert, Query, Value};
use crate::codec::{date_text, day_number, now};

const ENTRY_COLUMNS: &[&str] = &[
    "id",
    "entity_id",
    "kind",
    "entry_date",
    "memo",
    "reverses_id",
    "created_at",
];
const POSTING_COLUMNS: &[&str] = &[
    "entry_id",
    "line_no",
    "entity_id",
    "posting_date",
    "account",
    "currency",
    "amount_minor",
    "functional_minor",
    "customer_id",
    "item_id",
    "payment_id",
];
const ITEM_COLUMNS: &[&str] = &[
    "id",
    "entity_id",
    "customer_id",
    "kind",
    "number",
    "issue_date",
    "due_date",
    "currency",
    "terms",
    "is_credit",
    "net_minor",
    "tax_minor",
    "total_minor",
    "balance_minor",
    "last_activity",
    "issue_day",
    "due_day",
    "activity_day",
    "po_number",
    "description",
    "reason",
    "import_id",
];
const LINE_COLUMNS: &[&str] = &[
    "item_id",
    "line_no",
    "entity_id",
    "description",
    "net_minor",
    "tax_minor",
];

/// Receives one row's values, in the order of its table's columns.
pub(crate) trait ColumnSink {
    fn int(&mut self, value: i64);
    fn text(&mut self, value: &str);
    fn opt_int(&mut self, value: Option<i64>);
    fn opt_text(&mut self, value: Option<&str>);
    fn date(&mut self, value: Date) {
        self.text(&date_text(value));
    }
}

/// What every row of a batch shares.
#[derive(Debug)]
pub(crate) struct BatchContext {
    pub(crate) entity: i64,
    pub(crate) created_at: String,
}

/// A row of one table: its columns, and its values in that order.
pub(crate) trait Row {
    const TABLE: &'static str;
    const COLUMNS: &'static [&'static str];
    fn write(&self, context: &BatchContext, sink: &mut impl ColumnSink);
}

#[derive(Debug)]
pub(crate) struct ItemRow {
    id: i64,
    customer: i64,
    kind: &'static str,
    number: String,
    issue_date: Date,
    due_date: Date,
    currency: Currency,
    terms: String,
    is_credit: bool,
    net: i64,
    tax: i64,
    total: i64,
    balance: i64,
    po_number: String,
    description: String,
    reason: Option<&'static str>,
    import: Option<i64>,
}

impl Row for ItemRow {
    const TABLE: &'static str = "items";
    const COLUMNS: &'static [&'static str] = ITEM_COLUMNS;
    fn write(&self, context: &BatchContext, sink: &mut impl ColumnSink) {
        let issue_day = day_number(self.issue_date);
        sink.int(self.id);
        sink.int(context.entity);
        sink.int(self.customer);
        sink.text(self.kind);
        sink.text(&self.number);
        sink.date(self.issue_date);
        sink.date(self.due_date);
        sink.text(self.currency.code());
        sink.text(&self.terms);
        sink.int(i64::from(self.is_credit));
        sink.int(self.net);
        sink.int(self.tax);
        sink.int(self.total);
        sink.int(self.balance);
        sink.date(self.issue_date);
        sink.int(issue_day);
        sink.int(day_number(self.due_date));
        sink.int(issue_day);
        sink.text(&self.po_number);
        sink.text(&self.description);
        sink.opt_text(self.reason);
        sink.opt_int(self.import);
    }
}

#[derive(Debug)]
pub(crate) struct LineRow {
    item: i64,
    line_no: i64,
    description: String,
    net: i64,
    tax: i64,
}

impl Row for LineRow {
    const TABLE: &'static str = "item_lines";
    const COLUMNS: &'static [&'static str] = LINE_COLUMNS;
    fn write(&self, context: &BatchContext, sink: &mut impl ColumnSink) {
        sink.int(self.item);
        sink.int(self.line_no);
        sink.int(context.entity);
        sink.text(&self.description);
        sink.int(self.net);
        sink.int(self.tax);
    }
}

#[derive(Debug)]
pub(crate) struct EntryRow {
    id: i64,
    kind: &'static str,
    date: Date,
    memo: String,
    reverses: Option<i64>,
}

impl Row for EntryRow {
    const TABLE: &'static str = "journal_entries";
    const COLUMNS: &'static [&'static str] = ENTRY_COLUMNS;
    fn write(&self, context: &BatchContext, sink: &mut impl ColumnSink) {
        sink.int(self.id);
        sink.int(context.entity);
        sink.text(self.kind);
        sink.date(self.date);
        sink.text(&self.memo);
        sink.opt_int(self.reverses);
        sink.text(&context.created_at);
    }
}

#[derive(Debug)]
pub(crate) struct PostingRow {
    entry: i64,
    line_no: i64,
    date: Date,
    account: String,
    currency: Currency,
    amount: i64,
    functional: Option<i64>,
    customer: Option<i64>,
    item: Option<i64>,
    payment: Option<i64>,
}

impl PostingRow {
    fn new(entry: EntryId, line_no: i64, date: Date, posting: Posting) -> Self {
        PostingRow {
            entry: entry.0,
            line_no,
            date,
            account: posting.account,
            currency: posting.amount.currency(),
            amount: posting.amount.minor(),
            functional: posting.functional_minor,
            customer: posting.customer.map(|c| c.0),
            item: posting.item.map(|i| i.0),
            payment: posting.payment.map(|p| p.0),
        }
    }
}

impl Row for PostingRow {
    const TABLE: &'static str = "postings";
    const COLUMNS: &'static [&'static str] = POSTING_COLUMNS;
    fn write(&self, context: &BatchContext, sink: &mut impl ColumnSink) {
        sink.int(self.entry);
        sink.int(self.line_no);
        sink.int(context.entity);
        sink.date(self.date);
        sink.text(&self.account);
        sink.text(self.currency.code());
        sink.int(self.amount);
        sink.opt_int(self.functional);
        sink.opt_int(self.customer);
        sink.opt_int(self.item);
        sink.opt_int(self.payment);
    }
}

/// Rows of documents and entries, parents first.
#[derive(Debug)]
pub(crate) struct DocumentBatch {
    pub(crate) context: BatchContext,
    pub(crate) items: Vec<ItemRow>,
    pub(crate) lines: Vec<LineRow>,
    pub(crate) entries: Vec<EntryRow>,
    pub(crate) postings: Vec<PostingRow>,
}

impl DocumentBatch {
    fn is_empty(&self) -> bool {
        self.items.is_empty() && self.entries.is_empty()
    }

    /// Multi-row `INSERT`s of every row, parents first.
    fn into_statements(self, engine: Engine) -> Vec<Query> {
        fn add<R: Row>(engine: Engine, rows: &[R], context: &BatchContext, into: &mut Vec<Query>) {
            let mut insert = BulkInsert::new(engine, R::TABLE, R::COLUMNS);
            for row in rows {
                let mut values = ValueSink(Vec::with_capacity(R::COLUMNS.len()));
                row.write(context, &mut values);
                insert.push(values.0);
            }
            insert.drain(into);
        }
        let mut statements = Vec::new();
        add(engine, &self.items, &self.context, &mut statements);
        add(engine, &self.lines, &self.context, &mut statements);
        add(engine, &self.entries, &self.context, &mut statements);
        add(engine, &self.postings, &self.context, &mut statements);
        statements
    }
}

/// Collects a row's values for a bound statement.
struct ValueSink(Vec<Value>);

impl ColumnSink for ValueSink {
    fn int(&mut self, value: i64) {
        self.0.push(Value::Int(value));
    }
    fn text(&mut self, value: &str) {
        self.0.push(Value::Text(value.to_string()));
    }
    fn opt_int(&mut self, value: Option<i64>) {
        self.0.push(Value::OptInt(value));
    }
    fn opt_text(&mut self, value: Option<&str>) {
        self.0.push(Value::OptText(value.map(str::to_string)));
    }
}

/// Writes ready to run in a transaction ([`crate::Tx::execute`]), built away from any
/// connection (on another thread, say).
pub struct PreparedWrites(pub(crate) Writes);

pub(crate) enum Writes {
    Statements(Vec<Query>),
    Rows(DocumentBatch),
}

impl PreparedWrites {
    pub fn is_empty(&self) -> bool {
        match &self.0 {
            Writes::Statements(statements) => statements.is_empty(),
            Writes::Rows(batch) => batch.is_empty(),
        }
    }
}

/// Documents per hand-over: a full multi-row statement on PostgreSQL; on SQLite, enough that
/// the per-batch call costs nothing beside the rows.
fn batch_documents(engine: Engine) -> usize {
    match engine {
        Engine::Postgres => 1_000,
        Engine::Sqlite => 4_096,
    }
}

/// Buffers the rows of documents and entries of one entity and hands them out in batches.
pub struct DocumentRows {
    engine: Engine,
    batch: DocumentBatch,
}

impl DocumentRows {
    pub fn new(engine: Engine, entity: EntityId) -> Self {
        DocumentRows {
            engine,
            batch: DocumentBatch {
                context: BatchContext {
                    entity: entity.0,
                    created_at: now(),
                },
                items: Vec::new(),
                lines: Vec::new(),
                entries: Vec::new(),
                postings: Vec::new(),
            },
        }
    }

    /// Adds a document issued by `entry`; the item's balance starts as the entry's A/R posting.
    /// The core checked the document's totals before it made the entry.
    pub fn push_document(
        &mut self,
        item: &ItemId,
        entry_id: EntryId,
        document: &NewDocument,
        entry: &JournalEntry,
        import: Option<i64>,
    ) {
        self.push_document_owned(*item, entry_id, document.clone(), entry.clone(), import);
    }

    /// Adds a document with its issuing entry, taking both: their texts move into the rows
    /// instead of being copied (a bulk import builds millions of them).
    pub fn push_document_owned(
        &mut self,
        item: ItemId,
        entry_id: EntryId,
        document: NewDocument,
        entry: JournalEntry,
        import: Option<i64>,
    ) {
        let balance: i64 = entry
            .postings
            .iter()
            .filter(|p| p.item == Some(item))
            .map(|p| p.amount.minor())
            .sum();
        let (net, tax, total) = (document.net(), document.tax(), document.total());
        let (Ok(net), Ok(tax), Ok(total)) = (net, tax, total) else {
            unreachable!("the core checked the document's totals before it made the entry")
        };
        // A one-line document whose line says what its header says is its own line (most
        // imported invoices): the header holds the description and amounts.
        let header_is_the_line = matches!(document.lines.as_slice(),
                [only] if only.description == document.description);
        if !header_is_the_line {
            for (line_no, line) in document.lines.into_iter().enumerate() {
                self.batch.lines.push(LineRow {
                    item: item.0,
                    line_no: line_no as i64 + 1,
                    description: line.description,
                    net: line.net.minor(),
                    tax: line.tax.minor(),
                });
            }
        }
        self.batch.items.push(ItemRow {
            id: item.0,
            customer: document.customer.0,
            kind: document.kind.as_str(),
            number: document.number,
            issue_date: document.issue_date,
            due_date: document.due_date,
            currency: document.currency,
            terms: document.terms.to_string(),
            is_credit: !document.kind.is_debit(),
            net: net.minor(),
            tax: tax.minor(),
            total: total.minor(),
            balance,
            po_number: document.po_number,
            description: document.description,
            reason: document.reason.map(|r| r.code()),
            import,
        });
        self.push_entry_owned(entry_id, entry);
    }

    /// Adds one journal entry.
    pub fn push_entry(&mut self, entry_id: EntryId, entry: &JournalEntry) {
        self.push_entry_owned(entry_id, entry.clone());
    }

    fn push_entry_owned(&mut self, entry_id: EntryId, entry: JournalEntry) {
        for (line_no, posting) in entry.postings.into_iter().enumerate() {
            let row = PostingRow::new(entry_id, line_no as i64 + 1, entry.date, posting);
            self.batch.postings.push(row);
        }
        self.batch.entries.push(EntryRow {
            id: entry_id.0,
            kind: entry.kind.as_str(),
            date: entry.date,
            memo: entry.memo,
            reverses: entry.reverses.map(|e| e.0),
        });
    }

    /// The writes to run now: everything buffered, once a batch's worth is (else nothing).
    pub fn ready(&mut self) -> PreparedWrites {
        let limit = batch_documents(self.engine);
        let batch = &self.batch;
        if batch
            .items
            .len()
            .max(batch.entries.len())
            .max(batch.lines.len())
            >= limit
        {
            self.finish()
        } else {
            PreparedWrites(Writes::Statements(Vec::new()))
        }
    }

    /// Everything still buffered.
    pub fn finish(&mut self) -> PreparedWrites {
        let context = BatchContext {
            entity: self.batch.context.entity,
            created_at: self.batch.context.created_at.clone(),
        };
        // The next batch is likely the size of this one: room for it up front.
        let next = DocumentBatch {
            context,
            items: Vec::with_capacity(self.batch.items.len()),
            lines: Vec::with_capacity(self.batch.lines.len()),
            entries: Vec::with_capacity(self.batch.entries.len()),
            postings: Vec::with_capacity(self.batch.postings.len()),
        };
        let batch = std::mem::replace(&mut self.batch, next);
        PreparedWrites(match self.engine {
            Engine::Sqlite => Writes::Rows(batch),
            Engine::Postgres => Writes::Statements(batch.into_statements(self.engine)),
        })
    }
}

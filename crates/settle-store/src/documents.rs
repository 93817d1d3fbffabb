//! The rows that issue documents with their journal entries, built without a connection.
//!
//! [`DocumentRows`] turns documents and entries into multi-row `INSERT` statements, parents
//! before children (items, their lines, entries, postings), so that a bulk import can build
//! them on one thread while another writes. [`crate::Tx`] uses it for single documents too.

use settle_core::Money;
use settle_core::document::NewDocument;
use settle_core::ids::{EntityId, EntryId, ItemId};
use settle_core::journal::{JournalEntry, Posting};

use crate::Engine;
use crate::bulk::{BulkInsert, PreparedStatement, Value};
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

/// Buffers the rows of documents and entries of one entity and hands them out as statements.
pub struct DocumentRows {
    entity: EntityId,
    created_at: String,
    items: BulkInsert,
    lines: BulkInsert,
    entries: BulkInsert,
    postings: BulkInsert,
}

impl DocumentRows {
    pub fn new(engine: Engine, entity: EntityId) -> Self {
        DocumentRows {
            entity,
            created_at: now(),
            items: BulkInsert::new(engine, "items", ITEM_COLUMNS),
            lines: BulkInsert::new(engine, "item_lines", LINE_COLUMNS),
            entries: BulkInsert::new(engine, "journal_entries", ENTRY_COLUMNS),
            postings: BulkInsert::new(engine, "postings", POSTING_COLUMNS),
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
        let entity = self.entity;
        let balance = entry.item_deltas().get(item).map_or(0, Money::minor);
        let (net, tax, total) = (document.net(), document.tax(), document.total());
        let (Ok(net), Ok(tax), Ok(total)) = (net, tax, total) else {
            unreachable!("the core checked the document's totals before it made the entry")
        };
        let issue_date = date_text(document.issue_date);
        let row = [
            Value::Int(item.0),
            Value::Int(entity.0),
            Value::Int(document.customer.0),
            Value::Text(document.kind.as_str().to_string()),
            Value::Text(document.number.clone()),
            Value::Text(issue_date.clone()),
            Value::Text(date_text(document.due_date)),
            Value::Text(document.currency.code().to_string()),
            Value::Text(document.terms.to_string()),
            Value::Int(i64::from(!document.kind.is_debit())),
            Value::Int(net.minor()),
            Value::Int(tax.minor()),
            Value::Int(total.minor()),
            Value::Int(balance),
            Value::Text(issue_date),
            Value::Int(day_number(document.issue_date)),
            Value::Int(day_number(document.due_date)),
            Value::Int(day_number(document.issue_date)),
            Value::Text(document.po_number.clone()),
            Value::Text(document.description.clone()),
            Value::OptText(document.reason.map(|r| r.code().to_string())),
            Value::OptInt(import),
        ];
        self.items.push(row);
        // A one-line document whose line says what its header says is its own line (most
        // imported invoices): the header holds the description and amounts.
        let header_is_the_line = matches!(document.lines.as_slice(),
                [only] if only.description == document.description);
        if !header_is_the_line {
            for (line_no, line) in document.lines.iter().enumerate() {
                let row = [
                    Value::Int(item.0),
                    Value::Int(line_no as i64 + 1),
                    Value::Int(entity.0),
                    Value::Text(line.description.clone()),
                    Value::Int(line.net.minor()),
                    Value::Int(line.tax.minor()),
                ];
                self.lines.push(row);
            }
        }
        self.push_entry(entry_id, entry);
    }

    /// Adds one journal entry.
    pub fn push_entry(&mut self, entry_id: EntryId, entry: &JournalEntry) {
        let entry_date = date_text(entry.date);
        self.entries.push([
            Value::Int(entry_id.0),
            Value::Int(self.entity.0),
            Value::Text(entry.kind.as_str().to_string()),
            Value::Text(entry_date.clone()),
            Value::Text(entry.memo.clone()),
            Value::OptInt(entry.reverses.map(|e| e.0)),
            Value::Text(self.created_at.clone()),
        ]);
        for (line_no, posting) in entry.postings.iter().enumerate() {
            self.postings.push(posting_row(
                entry_id,
                line_no as i64 + 1,
                self.entity,
                &entry_date,
                posting,
            ));
        }
    }

    /// The statements to run now: everything buffered, once any table has a full statement's
    /// worth (parents first, so every row's parent is written before it).
    pub fn ready(&mut self) -> Vec<PreparedStatement> {
        let full = self.items.is_full()
            || self.lines.is_full()
            || self.entries.is_full()
            || self.postings.is_full();
        if full { self.finish() } else { Vec::new() }
    }

    /// Everything still buffered, as statements.
    pub fn finish(&mut self) -> Vec<PreparedStatement> {
        let mut statements = Vec::new();
        self.items.drain(&mut statements);
        self.lines.drain(&mut statements);
        self.entries.drain(&mut statements);
        self.postings.drain(&mut statements);
        statements
    }
}

fn posting_row(
    entry: EntryId,
    line_no: i64,
    entity: EntityId,
    date: &str,
    posting: &Posting,
) -> [Value; 11] {
    [
        Value::Int(entry.0),
        Value::Int(line_no),
        Value::Int(entity.0),
        Value::Text(date.to_string()),
        Value::Text(posting.account.clone()),
        Value::Text(posting.amount.currency().code().to_string()),
        Value::Int(posting.amount.minor()),
        Value::OptInt(posting.functional_minor),
        Value::OptInt(posting.customer.map(|c| c.0)),
        Value::OptInt(posting.item.map(|i| i.0)),
        Value::OptInt(posting.payment.map(|p| p.0)),
    ]
}

//! The tabular model every export fills: named columns with a kind, rows of typed values.
//!
//! Money stays [`Money`] (integer minor units with its currency) up to the writer; a money
//! column may hold several currencies, each cell formatted with its own currency's decimals.
//! A table knows nothing of files or formats.

use jiff::Timestamp;
use jiff::civil::Date;
use settle_core::Money;

/// What a column holds, and so how both writers show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    Integer,
    /// Amounts, each in its own currency's precision.
    Money,
    Date,
    /// An instant, shown in UTC.
    DateTime,
    /// A measure such as days, with this many decimals.
    Decimal {
        places: u8,
    },
    /// A percentage given in percent (56.35 for 56.35 %), with two decimals.
    Percent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
}

impl Column {
    pub fn new(name: impl Into<String>, kind: ColumnKind) -> Column {
        Column {
            name: name.into(),
            kind,
        }
    }
}

/// One cell. `Empty` fits every column; every other value fits the kinds named in
/// [`Value::fits`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Empty,
    Text(String),
    Integer(i64),
    Money(Money),
    Date(Date),
    DateTime(Timestamp),
    /// A decimal or a percentage, unrounded: the writers round to the column's places.
    Number(f64),
}

impl Value {
    pub fn text(text: impl Into<String>) -> Value {
        Value::Text(text.into())
    }

    /// A number that may be undefined (a ratio over zero): empty then.
    pub fn number(value: Option<f64>) -> Value {
        value.map_or(Value::Empty, Value::Number)
    }

    fn fits(&self, kind: ColumnKind) -> bool {
        match self {
            Value::Empty => true,
            Value::Text(_) => kind == ColumnKind::Text,
            Value::Integer(_) => kind == ColumnKind::Integer,
            Value::Money(_) => kind == ColumnKind::Money,
            Value::Date(_) => kind == ColumnKind::Date,
            Value::DateTime(_) => kind == ColumnKind::DateTime,
            Value::Number(_) => {
                matches!(kind, ColumnKind::Decimal { .. } | ColumnKind::Percent)
            }
        }
    }
}

/// A report as rows under typed columns; `name` becomes the sheet's name.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    name: String,
    columns: Vec<Column>,
    rows: Vec<Vec<Value>>,
}

impl Table {
    pub fn new(name: impl Into<String>, columns: Vec<Column>) -> Table {
        Table {
            name: name.into(),
            columns,
            rows: Vec::new(),
        }
    }

    /// Adds a row. A row of the wrong width or a value of the wrong kind is a bug in the
    /// report that built it, not bad input.
    pub fn push(&mut self, row: Vec<Value>) {
        assert_eq!(
            row.len(),
            self.columns.len(),
            "a {} row has {} values for {} columns",
            self.name,
            row.len(),
            self.columns.len()
        );
        for (value, column) in row.iter().zip(&self.columns) {
            assert!(
                value.fits(column.kind),
                "{} column {} ({:?}) cannot hold {value:?}",
                self.name,
                column.name,
                column.kind
            );
        }
        self.rows.push(row);
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    pub fn rows(&self) -> &[Vec<Value>] {
        &self.rows
    }
}

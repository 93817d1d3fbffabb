//! A row's columns read by name, whether the row came from the driver or from a JSON object
//! that SQLite built (`account_view.rs`): each kind of row has one decoder for both.

use serde_json::{Map, Value};
use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::{StoreError, StoreResult};

/// Columns by name.
pub(crate) trait Columns {
    fn cell<T: Cell>(&self, column: &'static str) -> StoreResult<T>;
}

/// A value one column holds: an integer or text, either of them maybe NULL.
pub(crate) trait Cell: Sized {
    fn from_row(row: &AnyRow, column: &'static str) -> StoreResult<Self>;
    /// `None` when the JSON value is of another kind.
    fn from_json(value: &Value) -> Option<Self>;
    const KIND: &'static str;
}

impl Columns for AnyRow {
    fn cell<T: Cell>(&self, column: &'static str) -> StoreResult<T> {
        T::from_row(self, column)
    }
}

/// One row as a JSON object of its columns, and the table it was read from (for errors).
pub(crate) struct JsonRow {
    pub table: &'static str,
    pub object: Map<String, Value>,
}

impl Columns for JsonRow {
    fn cell<T: Cell>(&self, column: &'static str) -> StoreResult<T> {
        let value = self.object.get(column).unwrap_or(&Value::Null);
        T::from_json(value).ok_or_else(|| StoreError::Corrupt {
            table: self.table,
            column,
            value: value.to_string(),
            reason: format!("expected {}", T::KIND),
        })
    }
}

/// The driver decodes each of these itself; JSON says which kind a value is.
macro_rules! cell {
    ($type:ty, $kind:literal, |$value:ident| $from_json:expr) => {
        impl Cell for $type {
            fn from_row(row: &AnyRow, column: &'static str) -> StoreResult<Self> {
                Ok(row.try_get::<$type, _>(column)?)
            }
            fn from_json($value: &Value) -> Option<Self> {
                $from_json
            }
            const KIND: &'static str = $kind;
        }
    };
}

cell!(i64, "an integer", |value| value.as_i64());
cell!(String, "text", |value| value.as_str().map(str::to_string));
cell!(Option<i64>, "an integer or null", |value| match value {
    Value::Null => Some(None),
    other => other.as_i64().map(Some),
});
cell!(Option<String>, "text or null", |value| match value {
    Value::Null => Some(None),
    other => other.as_str().map(|s| Some(s.to_string())),
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_cells_read_integers_text_and_null_and_name_what_they_expected() {
        let object: Map<String, Value> =
            serde_json::from_str(r#"{"id": 7, "name": "Ærø", "email": null}"#).unwrap();
        let row = JsonRow {
            table: "customers",
            object,
        };
        assert_eq!(row.cell::<i64>("id").unwrap(), 7);
        assert_eq!(row.cell::<String>("name").unwrap(), "Ærø");
        assert_eq!(row.cell::<Option<String>>("email").unwrap(), None);
        assert_eq!(row.cell::<Option<i64>>("id").unwrap(), Some(7));
        assert_eq!(row.cell::<Option<i64>>("email").unwrap(), None);
        let wrong = row.cell::<i64>("name").unwrap_err().to_string();
        assert!(
            wrong.contains("customers.name") && wrong.contains("expected an integer"),
            "{wrong}"
        );
        let missing = row.cell::<String>("phone").unwrap_err().to_string();
        assert!(missing.contains("customers.phone"), "{missing}");
    }
}

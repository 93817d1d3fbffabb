//! A table as JSON for the HTTP API: one object per row keyed by column name, amounts as
//! `{amount, currency}` with the amount as exact decimal text, dates as ISO 8601.

use serde_json::{Map, Value as Json, json};

use super::csv::{cell_text, places};
use super::table::{ColumnKind, Table, Value};

impl Table {
    pub fn to_json(&self) -> Json {
        let rows: Vec<Json> = self
            .rows()
            .iter()
            .map(|row| {
                let mut object = Map::new();
                for (value, column) in row.iter().zip(self.columns()) {
                    object.insert(column.name.clone(), cell(value, column.kind));
                }
                Json::Object(object)
            })
            .collect();
        json!({
            "name": self.name(),
            "columns": self.columns().iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            "rows": rows,
        })
    }
}

fn cell(value: &Value, kind: ColumnKind) -> Json {
    match value {
        Value::Empty => Json::Null,
        Value::Integer(n) => json!(n),
        Value::Money(money) => serde_json::to_value(money).unwrap_or(Json::Null),
        Value::Number(n) => {
            let factor = 10f64.powi(i32::from(places(kind)));
            json!((n * factor).round() / factor)
        }
        Value::Text(_) | Value::Date(_) | Value::DateTime(_) => {
            Json::String(cell_text(value, kind))
        }
    }
}

#[cfg(test)]
mod tests {
    use settle_core::{Currency, Money};

    use super::super::table::Column;
    use super::*;

    #[test]
    fn rows_are_keyed_by_column_and_money_stays_exact() {
        let mut table = Table::new(
            "aging",
            vec![
                Column::new("customer", ColumnKind::Text),
                Column::new("open", ColumnKind::Money),
                Column::new("share", ColumnKind::Percent),
            ],
        );
        table.push(vec![
            Value::text("ACME"),
            Value::Money(Money::new(123_456, Currency::EUR)),
            Value::Number(12.345),
        ]);
        let json = table.to_json();
        assert_eq!(json["rows"][0]["customer"], "ACME");
        assert_eq!(json["rows"][0]["open"]["amount"], "1234.56");
        assert_eq!(json["rows"][0]["open"]["currency"], "EUR");
        assert_eq!(json["rows"][0]["share"], 12.35);
    }
}

//! Multi-row `INSERT`s for imports: many rows per statement, so a million invoices cost a few
//! thousand round trips to the engine instead of millions.

use sqlx::any::AnyArguments;
use sqlx::{Any, AnyConnection, AssertSqlSafe};

use crate::{Engine, StoreResult};

/// One column value of a row to insert.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
}

/// Both engines accept at least 32 766 bound parameters per statement; stay well under.
const MAX_PARAMETERS: usize = 30_000;
const MAX_ROWS_PER_STATEMENT: usize = 1_000;

/// Buffers rows for one table and writes them a full statement at a time.
pub(crate) struct BulkInsert {
    table: &'static str,
    columns: &'static [&'static str],
    engine: Engine,
    rows_per_statement: usize,
    /// Built on the first full flush: most writers never fill a statement.
    full_statement: Option<String>,
    values: Vec<Value>,
}

/// The statement for `rows` rows. SQLite gets anonymous `?` parameters: it resolves numbered
/// ones through a linear list, which makes a statement of thousands of them quadratic to bind.
fn insert_sql(engine: Engine, table: &str, columns: &[&str], rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut parameter = 1;
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push('(');
        for column in 0..columns.len() {
            if column > 0 {
                sql.push(',');
            }
            match engine {
                Engine::Sqlite => sql.push('?'),
                Engine::Postgres => {
                    sql.push('$');
                    sql.push_str(&parameter.to_string());
                }
            }
            parameter += 1;
        }
        sql.push(')');
    }
    sql
}

impl BulkInsert {
    pub(crate) fn new(
        engine: Engine,
        table: &'static str,
        columns: &'static [&'static str],
    ) -> Self {
        let rows_per_statement = (MAX_PARAMETERS / columns.len()).min(MAX_ROWS_PER_STATEMENT);
        BulkInsert {
            table,
            columns,
            engine,
            rows_per_statement,
            full_statement: None,
            values: Vec::new(),
        }
    }

    /// Adds one row (its values in column order) to the buffer.
    pub(crate) fn push(&mut self, row: impl IntoIterator<Item = Value>) {
        let before = self.values.len();
        self.values.extend(row);
        debug_assert_eq!(
            self.values.len() - before,
            self.columns.len(),
            "{}",
            self.table
        );
    }

    /// Whether a full statement's worth of rows is buffered.
    pub(crate) fn is_full(&self) -> bool {
        self.values.len() >= self.rows_per_statement * self.columns.len()
    }

    /// Turns everything buffered into statements, a full statement's worth of rows each.
    pub(crate) fn drain(&mut self, into: &mut Vec<Query>) {
        let width = self.columns.len();
        while !self.values.is_empty() {
            let rows = (self.values.len() / width).min(self.rows_per_statement);
            let sql = if rows == self.rows_per_statement {
                let (engine, table, columns) = (self.engine, self.table, self.columns);
                self.full_statement
                    .get_or_insert_with(|| insert_sql(engine, table, columns, rows))
                    .clone()
            } else {
                insert_sql(self.engine, self.table, self.columns, rows)
            };
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for value in self.values.drain(..rows * width) {
                query = match value {
                    Value::Int(v) => query.bind(v),
                    Value::OptInt(v) => query.bind(v),
                    Value::Text(v) => query.bind(v),
                    Value::OptText(v) => query.bind(v),
                };
            }
            into.push(query);
        }
    }

    /// Writes everything buffered.
    pub(crate) async fn flush(&mut self, conn: &mut AnyConnection) -> StoreResult<()> {
        let mut statements = Vec::new();
        self.drain(&mut statements);
        execute(conn, statements).await
    }
}

/// A statement with its parameters bound, built away from any connection (on another thread,
/// say) and executed later in a transaction.
pub(crate) type Query = sqlx::query::Query<'static, Any, AnyArguments>;

pub(crate) async fn execute(conn: &mut AnyConnection, statements: Vec<Query>) -> StoreResult<()> {
    for statement in statements {
        statement.execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_shape() {
        assert_eq!(
            insert_sql(Engine::Postgres, "t", &["a", "b"], 2),
            "INSERT INTO t (a, b) VALUES ($1,$2),($3,$4)"
        );
        assert_eq!(
            insert_sql(Engine::Sqlite, "t", &["a", "b"], 2),
            "INSERT INTO t (a, b) VALUES (?,?),(?,?)"
        );
        let bulk = BulkInsert::new(Engine::Sqlite, "t", &["a"; 40]);
        assert_eq!(bulk.rows_per_statement, 750);
    }
}

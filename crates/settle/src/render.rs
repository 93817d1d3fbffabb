//! Output helpers: tables for people, CSV and JSON for programs.

use std::io::Write;

use comfy_table::{Cell, CellAlignment, LineStyle, Table, TableStyle};

/// A header rule and nothing else: long tables stay readable.
const STYLE: TableStyle =
    TableStyle::new().header_separator(LineStyle::none().fill('─').junction(' '));

pub fn table(headers: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_style(STYLE);
    table.set_header(headers.iter().copied().map(Cell::new));
    table
}

/// A right-aligned cell, for amounts and counts.
pub fn num(text: impl Into<String>) -> Cell {
    Cell::new(text.into()).set_alignment(CellAlignment::Right)
}

pub fn json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

pub fn csv_out() -> csv::Writer<std::io::StdoutLock<'static>> {
    csv::Writer::from_writer(std::io::stdout().lock())
}

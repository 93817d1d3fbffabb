//! A fiscal calendar from CSV: `name,start_date,end_date`, one period a row, in order. The file
//! is taken whole or not at all: any bad row refuses it, naming each; then the core checks the
//! periods are contiguous, named once each and none inverted.

use std::path::Path;

use settle_core::period::{Calendar, Period};

use super::{Limits, parse_date, read_file, row_of};
use crate::error::{RowError, ServiceError, ServiceResult};

const COLUMNS: &[&str] = &["name", "start_date", "end_date"];

/// Longest period name kept.
const MAX_NAME: usize = 64;

/// Reads a fiscal calendar's file (see the module note).
pub fn read_fiscal_calendar(path: &Path) -> ServiceResult<Vec<Period>> {
    let file = read_file(path, Limits::CSV)?;
    parse_fiscal_calendar(&file.name, &file.bytes)
}

/// Parses a fiscal calendar's CSV and checks it as the core would before storing it.
pub fn parse_fiscal_calendar(file: &str, bytes: &[u8]) -> ServiceResult<Vec<Period>> {
    let (columns, mut reader) = super::header(file, bytes, COLUMNS, COLUMNS)?;
    let mut periods = Vec::new();
    let mut errors: Vec<RowError> = Vec::new();
    for record in reader.records() {
        let (line, row) = match row_of(file, &columns, record) {
            Ok(row) => row,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        let name = columns.get(&row, "name");
        if name.is_empty() || name.chars().count() > MAX_NAME {
            errors.push(columns.error(line, "name", "must have 1 to 64 characters"));
        }
        let start = parse_date(
            &columns,
            line,
            "start_date",
            columns.get(&row, "start_date"),
        )
        .map_err(|e| errors.push(e))
        .ok();
        let end = parse_date(&columns, line, "end_date", columns.get(&row, "end_date"))
            .map_err(|e| errors.push(e))
            .ok();
        if let (Some(start), Some(end)) = (start, end) {
            periods.push(Period {
                name: name.to_string(),
                start,
                end,
            });
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(ServiceError::FileRejected {
            file: file.to_string(),
            errors,
        });
    }
    if periods.is_empty() {
        return Err(ServiceError::BadFile {
            file: file.to_string(),
            message: "no periods (use --months for calendar months)".to_string(),
        });
    }
    Calendar::fiscal(periods.clone()).map_err(|e| ServiceError::BadFile {
        file: file.to_string(),
        message: e.to_string(),
    })?;
    Ok(periods)
}

//! Cutting a NACHA file into its 94-character records, and reading fixed-position fields.
//!
//! Tolerated, because real files do it: CRLF or LF, trailing spaces stripped (short records are
//! padded back), no line breaks at all (records run together), missing `9` padding, blank
//! lines, lower case. Refused: a record longer than 94 characters (multi-byte characters make a
//! record longer than 94 bytes, and shift every field after them).

use crate::error::{FormatError, Location};

pub(super) const RECORD_LENGTH: usize = 94;

/// One record, padded to 94 bytes, with the physical line it came from.
pub(super) struct Record {
    data: [u8; RECORD_LENGTH],
    pub line: usize,
}

impl Record {
    pub fn kind(&self) -> u8 {
        self.data[0]
    }

    /// A `9` record of nothing but nines: block padding.
    pub fn is_padding(&self) -> bool {
        self.data.iter().all(|&b| b == b'9')
    }

    /// The bytes at 1-based inclusive positions, as the NACHA layouts number them.
    pub fn field(&self, from: usize, to: usize) -> &[u8] {
        from.checked_sub(1)
            .and_then(|start| self.data.get(start..to))
            .unwrap_or_default()
    }

    /// A field as trimmed text; `None` when blank. Lenient about non-UTF-8 names.
    pub fn text(&self, from: usize, to: usize) -> Option<String> {
        let raw = self.field(from, to).trim_ascii();
        (!raw.is_empty()).then(|| String::from_utf8_lossy(raw).into_owned())
    }

    /// A zero-filled numeric field.
    pub fn number(&self, from: usize, to: usize, name: &str) -> Result<u64, FormatError> {
        let raw = self.field(from, to);
        if raw.is_empty() || !raw.iter().all(u8::is_ascii_digit) {
            return Err(self.error(
                name,
                format!(
                    "{:?} (positions {from}-{to}) is not a zero-filled number",
                    String::from_utf8_lossy(raw)
                ),
            ));
        }
        raw.iter().try_fold(0u64, |acc, digit| {
            acc.checked_mul(10)
                .and_then(|acc| acc.checked_add(u64::from(digit - b'0')))
                .ok_or_else(|| self.error(name, "number too large"))
        })
    }

    pub fn error(&self, field: &str, message: impl Into<String>) -> FormatError {
        FormatError::new(Location::Line(self.line), field, message)
    }
}

/// The records of a file, in order.
pub(super) fn split(bytes: &[u8]) -> Result<Vec<Record>, FormatError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut records = Vec::with_capacity(bytes.len() / (RECORD_LENGTH + 1) + 1);
    for (index, raw_line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = index + 1;
        let raw_line = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);
        let content = raw_line.trim_ascii_end();
        if content.is_empty() {
            continue;
        }
        if raw_line.len() > RECORD_LENGTH && raw_line.len().is_multiple_of(RECORD_LENGTH) {
            // Records written without line breaks, each a full 94 characters.
            for chunk in raw_line.chunks(RECORD_LENGTH) {
                if !chunk.trim_ascii_end().is_empty() {
                    records.push(record(chunk, line)?);
                }
            }
            continue;
        }
        // Shorter records lost their trailing spaces and are padded back; a longer one has
        // something in it that shifts or follows the fields, so it is refused.
        if raw_line.len() > RECORD_LENGTH {
            return Err(FormatError::new(
                Location::Line(line),
                "record",
                format!(
                    "the record is {} bytes long; NACHA records are {RECORD_LENGTH} characters",
                    raw_line.len()
                ),
            ));
        }
        records.push(record(content, line)?);
    }
    Ok(records)
}

fn record(content: &[u8], line: usize) -> Result<Record, FormatError> {
    let trimmed = content.trim_ascii_end();
    if trimmed.len() > RECORD_LENGTH {
        return Err(FormatError::new(
            Location::Line(line),
            "record",
            "longer than 94 characters",
        ));
    }
    if let Some(position) = trimmed.iter().position(|b| !b.is_ascii()) {
        return Err(FormatError::new(
            Location::Line(line),
            "record",
            format!(
                "non-ASCII byte at position {}: NACHA records are ASCII",
                position + 1
            ),
        ));
    }
    let mut data = [b' '; RECORD_LENGTH];
    data.get_mut(..trimmed.len())
        .unwrap_or_default()
        .copy_from_slice(trimmed);
    Ok(Record { data, line })
}

/// Whether an ABA routing number's ninth digit is its check digit (weights 3, 7, 1).
pub(super) fn routing_check_digit_valid(routing: &[u8]) -> bool {
    if routing.len() != 9 || !routing.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let weights = [3u32, 7, 1, 3, 7, 1, 3, 7, 1];
    let sum: u32 = routing
        .iter()
        .zip(weights)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_padded_and_run_together_records_split() {
        let short = b"9000000000001000000000000000000000000000000000000000000";
        let records = split(short).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].field(56, 94), [b' '; 39]);
        let mut joined = vec![b'1'; 94];
        joined.extend(vec![b'9'; 94]);
        joined.extend(b"\r\n");
        assert_eq!(split(&joined).unwrap().len(), 2);
        assert!(split(&[b'6'; 95]).is_err());
        let mut trailing = vec![b'1'; 94];
        trailing.extend(b"   \n");
        assert!(split(&trailing).is_err());
    }

    #[test]
    fn routing_numbers_carry_a_check_digit() {
        assert!(routing_check_digit_valid(b"231380104"));
        assert!(routing_check_digit_valid(b"021000021"));
        assert!(!routing_check_digit_valid(b"231380105"));
    }
}

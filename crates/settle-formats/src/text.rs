//! Byte-level helpers the line formats share: physical lines, lenient decoding, dates, digits.
//!
//! Parsers work on byte slices of the input and turn only the fields they keep into `String`s,
//! so that a large file costs one pass and a few allocations per statement line.

use jiff::civil::Date;

/// The input without a UTF-8 byte-order mark.
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Physical lines, numbered from 1, without their terminator. Accepts `\r\n`, `\n` and a lone
/// `\r` (old Mac exports), and a last line without a terminator.
#[derive(Clone)]
pub(crate) struct Lines<'a> {
    rest: &'a [u8],
    number: usize,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Lines {
            rest: bytes,
            number: 0,
        }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = (usize, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        self.number += 1;
        let (line, rest) = match memchr::memchr2(b'\n', b'\r', self.rest) {
            Some(end) => {
                let after = if self.rest.get(end) == Some(&b'\r')
                    && self.rest.get(end + 1) == Some(&b'\n')
                {
                    end + 2
                } else {
                    end + 1
                };
                (
                    self.rest.get(..end).unwrap_or_default(),
                    self.rest.get(after..).unwrap_or_default(),
                )
            }
            None => (self.rest, &[][..]),
        };
        self.rest = rest;
        Some((self.number, line))
    }
}

/// Removes ASCII spaces and tabs at both ends.
pub(crate) fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |last| last + 1);
    bytes.get(start..end).unwrap_or_default()
}

/// Removes control characters (SOH, ETX, SUB and the like, which some exports wrap messages in)
/// and spaces at both ends.
pub(crate) fn trim_controls(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b > b' ').unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| b > b' ')
        .map_or(start, |i| i + 1);
    bytes.get(start..end).unwrap_or_default()
}

/// Decodes a field: UTF-8 when it is, otherwise Windows-1252 (which many banks still write),
/// so that no byte is lost or replaced.
pub(crate) fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&b| windows_1252(b)).collect(),
    }
}

/// Appends a field decoded as [`decode`] does, so that several pieces can be joined into one
/// `String` without a `String` per piece.
pub(crate) fn decode_into(out: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => out.push_str(text),
        Err(_) => out.extend(bytes.iter().map(|&b| windows_1252(b))),
    }
}

/// Decoded and trimmed; `None` when nothing is left.
pub(crate) fn non_empty(bytes: &[u8]) -> Option<String> {
    let trimmed = trim(bytes);
    (!trimmed.is_empty()).then(|| decode(trimmed))
}

pub(crate) fn windows_1252(byte: u8) -> char {
    // 0x80..=0x9F are printable in Windows-1252 where Latin-1 has C1 controls.
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match byte {
        0x80..=0x9F => HIGH
            .get(usize::from(byte - 0x80))
            .copied()
            .unwrap_or(char::REPLACEMENT_CHARACTER),
        _ => char::from(byte),
    }
}

/// A run of ASCII digits as a number; `None` for empty input, any other byte, or overflow.
pub(crate) fn digits_u64(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() {
        return None;
    }
    bytes.iter().try_fold(0u64, |acc, &b| {
        if b.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

/// Two ASCII digits as a number.
pub(crate) fn two_digits(bytes: &[u8]) -> Option<i8> {
    match bytes {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
            i8::try_from((a - b'0') * 10 + (b - b'0')).ok()
        }
        _ => None,
    }
}

/// The century of a two-digit year: banks have written 20YY since the formats' own examples;
/// 70–99 are read as 19YY so that archived statements from before 2000 still read right.
pub(crate) fn full_year(yy: i8) -> i16 {
    if yy >= 70 {
        1900 + i16::from(yy)
    } else {
        2000 + i16::from(yy)
    }
}

/// `YYMMDD` as a date; `None` when it is not six digits or not a calendar date.
pub(crate) fn yymmdd(bytes: &[u8]) -> Option<Date> {
    let (year, month, day) = yymmdd_parts(bytes)?;
    Date::new(year, month, day).ok()
}

/// `YYMMDD` split into numbers, without checking that the day exists in that month.
pub(crate) fn yymmdd_parts(bytes: &[u8]) -> Option<(i16, i8, i8)> {
    if bytes.len() != 6 {
        return None;
    }
    let year = full_year(two_digits(bytes.get(0..2)?)?);
    let month = two_digits(bytes.get(2..4)?)?;
    let day = two_digits(bytes.get(4..6)?)?;
    Some((year, month, day))
}

/// The last day of a month that exists, for dates such as 30 February that some banks write.
pub(crate) fn clamp_day(year: i16, month: i8, day: i8) -> Option<Date> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let first = Date::new(year, month, 1).ok()?;
    let last = first.days_in_month();
    Date::new(year, month, day.min(last)).ok()
}

/// A short, printable excerpt of input for an error message.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    const MAX: usize = 40;
    let shown = bytes.get(..MAX).unwrap_or(bytes);
    let mut text = decode(shown);
    if bytes.len() > MAX {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_accept_every_terminator() {
        let lines: Vec<_> = Lines::new(b"a\r\nb\nc\rd").collect();
        assert_eq!(
            lines,
            vec![
                (1, &b"a"[..]),
                (2, &b"b"[..]),
                (3, &b"c"[..]),
                (4, &b"d"[..])
            ]
        );
        let lines: Vec<_> = Lines::new(b"a\n\nb\n").collect();
        assert_eq!(lines, vec![(1, &b"a"[..]), (2, &b""[..]), (3, &b"b"[..])]);
    }

    #[test]
    fn decode_falls_back_to_windows_1252() {
        assert_eq!(decode("Straße".as_bytes()), "Straße");
        assert_eq!(decode(b"Stra\xdfe \x80"), "Straße €");
    }

    #[test]
    fn dates_and_digits() {
        assert_eq!(yymmdd(b"040621"), Some(jiff::civil::date(2004, 6, 21)));
        assert_eq!(yymmdd(b"990101"), Some(jiff::civil::date(1999, 1, 1)));
        assert_eq!(yymmdd(b"040631"), None);
        assert_eq!(yymmdd(b"04062"), None);
        assert_eq!(clamp_day(2017, 2, 30), Some(jiff::civil::date(2017, 2, 28)));
        assert_eq!(digits_u64(b"99999999999999999999"), None);
        assert_eq!(digits_u64(b"0042"), Some(42));
        assert_eq!(digits_u64(b"4 2"), None);
    }
}

//! Splitting X12 text into segments and elements, with the separators the interchange declares.
//!
//! X12 delimiters are single bytes chosen by the sender and declared by position in the
//! fixed-width ISA header: the element separator is its 4th byte, the component separator its
//! 16th element, the segment terminator the byte after that. They are never assumed.

use crate::error::{FormatError, Location};

/// The three delimiters of an X12 interchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Separators {
    pub element: u8,
    pub component: u8,
    pub segment: u8,
}

impl Separators {
    /// The most common choice (`*`, `>`, `~`), for fragments that declare nothing.
    pub const COMMON: Separators = Separators {
        element: b'*',
        component: b'>',
        segment: b'~',
    };

    /// Guesses the delimiters of a bare fragment (such as the payment-related information of
    /// NACHA addenda, `RMR*IV*INV123**1250.00\`): the element separator is the first byte after
    /// the leading segment id, the terminator the first of `~`, `\`, `'` or a line break that
    /// appears. An ISA header, when present, is read instead.
    pub fn guess(fragment: &[u8]) -> Option<Separators> {
        if let Ok(declared) = read_isa(fragment) {
            return Some(declared);
        }
        let start = fragment.iter().position(|b| !b.is_ascii_whitespace())?;
        let rest = fragment.get(start..)?;
        let id_len = rest
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if !(2..=3).contains(&id_len) {
            return None;
        }
        let element = *rest.get(id_len)?;
        if element.is_ascii_alphanumeric() || element.is_ascii_whitespace() {
            return None;
        }
        let segment = rest
            .iter()
            .copied()
            .find(|b| matches!(b, b'~' | b'\\' | b'\'' | b'\n') && *b != element)
            .unwrap_or(b'~');
        let component = if element == b'>' { b':' } else { b'>' };
        Some(Separators {
            element,
            component,
            segment,
        })
    }
}

/// Field widths of ISA01..ISA16.
const ISA_WIDTHS: [usize; 16] = [2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1];

/// The separators an ISA header declares, or why it is not a valid ISA: the header is fixed
/// width, so every separator must sit at its position.
pub(super) fn read_isa(bytes: &[u8]) -> Result<Separators, String> {
    if !bytes.starts_with(b"ISA") {
        return Err("the interchange must start with an ISA segment".into());
    }
    let element = *bytes.get(3).ok_or("ISA is cut short")?;
    if element.is_ascii_alphanumeric() || element.is_ascii_whitespace() || !element.is_ascii() {
        return Err(format!(
            "byte 0x{element:02X} after ISA cannot be an element separator (X12 delimiters are single ASCII characters)"
        ));
    }
    let mut position = 3;
    for (index, width) in ISA_WIDTHS.iter().enumerate() {
        if bytes.get(position) != Some(&element) {
            return Err(format!(
                "ISA is not the fixed-width 106-character header: the separator before ISA{:02} should be at character {}",
                index + 1,
                position + 1
            ));
        }
        position += 1 + width;
    }
    let component = *bytes.get(104).ok_or("ISA is cut short")?;
    let segment = *bytes.get(105).ok_or("ISA has no segment terminator")?;
    if segment == element || segment.is_ascii_alphanumeric() || !segment.is_ascii() {
        return Err(format!(
            "byte 0x{segment:02X} after ISA16 cannot be a segment terminator"
        ));
    }
    Ok(Separators {
        element,
        component,
        segment,
    })
}

/// One segment: its id and elements (element 1 is `elements[0]`).
#[derive(Debug)]
pub(super) struct Segment<'a> {
    pub id: &'a [u8],
    pub elements: Vec<&'a [u8]>,
    /// Physical line where the segment starts (files are often one line, hence `ordinal`).
    pub line: usize,
    /// Position of the segment in the text, from 1.
    pub ordinal: usize,
}

impl<'a> Segment<'a> {
    pub fn id_str(&self) -> String {
        String::from_utf8_lossy(self.id).into_owned()
    }

    /// Element `n` (1-based), trimmed; empty when absent.
    pub fn element(&self, n: usize) -> &'a [u8] {
        n.checked_sub(1)
            .and_then(|index| self.elements.get(index))
            .map_or(&[][..], |value| value.trim_ascii())
    }

    /// Element `n` as text, `None` when empty. Lenient about non-UTF-8 (Latin-1 names).
    pub fn text(&self, n: usize) -> Option<String> {
        let raw = self.element(n);
        (!raw.is_empty()).then(|| String::from_utf8_lossy(raw).into_owned())
    }

    pub fn is(&self, id: &str) -> bool {
        self.id == id.as_bytes()
    }

    pub fn error(&self, element: usize, message: impl Into<String>) -> FormatError {
        let field = if element == 0 {
            self.id_str()
        } else {
            format!("{}{element:02}", self.id_str())
        };
        FormatError::new(
            Location::Line(self.line),
            field,
            format!("segment {}: {}", self.ordinal, message.into()),
        )
    }
}

/// Splits text into segments. Line breaks after a terminator are layout, not content.
pub(super) fn split(bytes: &[u8], separators: Separators, first_line: usize) -> Vec<Segment<'_>> {
    let mut segments = Vec::new();
    let mut line = first_line;
    let mut ordinal = 0;
    for raw in bytes.split(|&b| b == separators.segment) {
        let leading = raw.iter().take_while(|b| b.is_ascii_whitespace()).count();
        line += raw
            .get(..leading)
            .unwrap_or_default()
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        let body = raw.get(leading..).unwrap_or_default();
        let segment_line = line;
        line += body.iter().filter(|&&b| b == b'\n').count();
        let body = body.trim_ascii_end();
        if body.is_empty() {
            continue;
        }
        ordinal += 1;
        let mut parts = body.split(|&b| b == separators.element);
        let id = parts.next().unwrap_or_default().trim_ascii();
        segments.push(Segment {
            id,
            elements: parts.collect(),
            line: segment_line,
            ordinal,
        });
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISA: &[u8] = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *230628*0219*U*00401*000000001*0*P*>~";

    #[test]
    fn isa_declares_the_separators() {
        assert_eq!(ISA.len(), 106);
        assert_eq!(read_isa(ISA).unwrap(), Separators::COMMON);
        let other = ISA
            .iter()
            .map(|&b| match b {
                b'*' => b'|',
                b'~' => b'\n',
                other => other,
            })
            .collect::<Vec<u8>>();
        let separators = read_isa(&other).unwrap();
        assert_eq!((separators.element, separators.segment), (b'|', b'\n'));
    }

    #[test]
    fn a_shifted_or_multibyte_isa_is_refused() {
        assert!(read_isa(b"ISA*00*   *00").is_err());
        assert!(read_isa("ISA¦00¦          ¦".as_bytes()).is_err());
    }

    #[test]
    fn fragments_guess_their_separators() {
        let guessed = Separators::guess(b"RMR*IV*INV123**1250.00\\").unwrap();
        assert_eq!((guessed.element, guessed.segment), (b'*', b'\\'));
        assert!(Separators::guess(b"free text payment").is_none());
    }
}

//! A streaming walk over an XML document that keeps only the path of open elements.
//!
//! The camt reader needs, at each closing tag, the element's path and its text: nothing more. So
//! this walks quick-xml's events over the whole input (no DOM), keeps the local names of the open
//! elements (namespace prefixes dropped, since banks use any prefix or none), counts same-named
//! siblings for error paths, and gathers an element's text across the pieces quick-xml splits it
//! into. It refuses a DTD outright: camt has none, and a DTD is where entity expansion attacks
//! live. Only the five predefined entities and character references are resolved.

use std::cell::Cell;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use settle_core::Currency;

use crate::error::{FormatError, Location};

/// Elements that repeat in camt: their paths carry a 1-based index (`Ntry[3]`), so that an
/// error points at the right one.
const REPEATING: &[&str] = &[
    "Stmt",
    "Rpt",
    "Ntfctn",
    "Bal",
    "Ntry",
    "NtryDtls",
    "TxDtls",
    "Ustrd",
    "Strd",
    "RfrdDocInf",
];

/// Deeper nesting than any camt schema has: refuse it rather than let a hostile file grow the
/// stack without bound.
const MAX_DEPTH: usize = 64;

/// One open element.
struct Frame<'a> {
    /// Index among consecutive same-named siblings, from 1. XML Schema sequences keep repeated
    /// elements together, so "consecutive" is the same as "among siblings" for camt.
    index: u32,
    /// Byte offset of its `<`, to compute its line only when an error needs it.
    start: usize,
    /// The `Ccy` attribute, read when the element opens (only amounts have one).
    currency: Option<Currency>,
    last_child: Option<&'a str>,
    last_child_count: u32,
}

/// What the walk has reached.
pub(super) enum Step {
    /// An element opened; its path is [`Cursor::names`].
    Open,
    /// An element closes; its path is still [`Cursor::names`] and its text is [`Cursor::text`].
    Close,
    End,
}

pub(super) struct Cursor<'a> {
    input: &'a str,
    reader: Reader<&'a [u8]>,
    names: Vec<&'a str>,
    frames: Vec<Frame<'a>>,
    text: String,
    /// Set after a Close step: the element is popped before the next step.
    pop_pending: bool,
    /// An empty element (`<a/>`) is reported as Open, then Close.
    close_pending: bool,
    /// The namespace bound to the root element's prefix (or the default one).
    root_namespace: Option<String>,
    /// (byte offset, its line) of the last line computed: locations are asked for in document
    /// order, so counting on from there keeps line numbers linear in the file's size.
    line_cache: Cell<(usize, usize)>,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(input: &'a str) -> Self {
        let mut reader = Reader::from_str(input);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
        Cursor {
            input,
            reader,
            names: Vec::with_capacity(16),
            frames: Vec::with_capacity(16),
            text: String::new(),
            pop_pending: false,
            close_pending: false,
            root_namespace: None,
            line_cache: Cell::new((0, 1)),
        }
    }

    /// The root element's namespace, when it declares one.
    pub(super) fn root_namespace(&self) -> Option<&str> {
        self.root_namespace.as_deref()
    }

    /// Local names of the open elements, outermost first.
    pub(super) fn names(&self) -> &[&'a str] {
        &self.names
    }

    /// The text of the element that is closing, as written (not trimmed).
    pub(super) fn text(&self) -> &str {
        &self.text
    }

    /// The `Ccy` attribute of the innermost open element.
    pub(super) fn currency(&self) -> Option<Currency> {
        self.frames.last().and_then(|frame| frame.currency)
    }

    pub(super) fn next(&mut self) -> Result<Step, FormatError> {
        if self.close_pending {
            self.close_pending = false;
            self.text.clear();
            self.pop_pending = true;
            return Ok(Step::Close);
        }
        if self.pop_pending {
            self.pop_pending = false;
            self.names.pop();
            self.frames.pop();
            self.text.clear();
        }
        loop {
            let before = position(&self.reader);
            let event = match self.reader.read_event() {
                Ok(event) => event,
                Err(error) => {
                    let at = usize::try_from(self.reader.error_position()).unwrap_or(before);
                    return Err(self.error_at(at, "XML", format!("not well-formed XML: {error}")));
                }
            };
            match event {
                Event::Start(start) => {
                    self.open(&start, before)?;
                    return Ok(Step::Open);
                }
                Event::Empty(start) => {
                    self.open(&start, before)?;
                    self.close_pending = true;
                    return Ok(Step::Open);
                }
                Event::End(_) => {
                    if self.frames.is_empty() {
                        return Err(self.error_at(
                            before,
                            "XML",
                            "closing tag without an opening tag",
                        ));
                    }
                    self.pop_pending = true;
                    return Ok(Step::Close);
                }
                Event::Text(text) => {
                    if !self.frames.is_empty() {
                        self.text.push_str(&text.xml10_content());
                    } else if !text.trim().is_empty() {
                        return Err(self.error_at(before, "XML", "text outside the root element"));
                    }
                }
                Event::CData(data) => self.text.push_str(&data.xml10_content()),
                Event::GeneralRef(reference) => self.push_reference(&reference, before)?,
                Event::DocType(_) => {
                    return Err(self.error_at(
                        before,
                        "DOCTYPE",
                        "a DTD is not allowed in a camt document (entities are never expanded)",
                    ));
                }
                Event::Eof => {
                    if !self.frames.is_empty() {
                        return Err(self.error_here("XML", "the document ends inside an element"));
                    }
                    return Ok(Step::End);
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            }
        }
    }

    fn open(&mut self, start: &BytesStart<'_>, offset: usize) -> Result<(), FormatError> {
        if self.frames.len() >= MAX_DEPTH {
            return Err(self.error_at(offset, "XML", "elements nested too deeply for camt"));
        }
        let qualified_len = start.name().as_ref().len();
        // The name borrowed from the input itself (after the `<`), so that the path outlives
        // quick-xml's event.
        let qualified = offset
            .checked_add(1)
            .and_then(|from| self.input.get(from..from.checked_add(qualified_len)?))
            .ok_or_else(|| self.error_at(offset, "XML", "element name out of place"))?;
        let local = match qualified.rsplit_once(':') {
            Some((_, local)) => local,
            None => qualified,
        };
        if self.frames.is_empty() {
            self.root_namespace = self.namespace_of(start, qualified)?;
        }
        let index = match self.frames.last_mut() {
            Some(parent) => {
                parent.last_child_count = if parent.last_child == Some(local) {
                    parent.last_child_count.saturating_add(1)
                } else {
                    1
                };
                parent.last_child = Some(local);
                parent.last_child_count
            }
            None => 1,
        };
        self.names.push(local);
        self.frames.push(Frame {
            index,
            start: offset,
            currency: None,
            last_child: None,
            last_child_count: 0,
        });
        if local.ends_with("Amt") {
            let currency = self.currency_attribute(start)?;
            if let Some(frame) = self.frames.last_mut() {
                frame.currency = currency;
            }
        }
        self.text.clear();
        Ok(())
    }

    fn namespace_of(
        &self,
        start: &BytesStart<'_>,
        qualified: &str,
    ) -> Result<Option<String>, FormatError> {
        let wanted = match qualified.split_once(':') {
            Some((prefix, _)) => format!("xmlns:{prefix}"),
            None => "xmlns".to_string(),
        };
        for attribute in start.attributes() {
            let attribute = attribute
                .map_err(|error| self.error_here("@xmlns", format!("bad attribute: {error}")))?;
            if attribute.key.as_ref() == wanted.as_str() {
                return Ok(Some(attribute.value.trim().to_string()));
            }
        }
        Ok(None)
    }

    fn currency_attribute(&self, start: &BytesStart<'_>) -> Result<Option<Currency>, FormatError> {
        for attribute in start.attributes() {
            let attribute = attribute
                .map_err(|error| self.error_here("@Ccy", format!("bad attribute: {error}")))?;
            if attribute.key.local_name().as_ref() == "Ccy" {
                let code = attribute.value.trim();
                return Currency::from_code(code)
                    .map(Some)
                    .map_err(|error| self.error_here("@Ccy", error.to_string()));
            }
        }
        Ok(None)
    }

    fn push_reference(
        &mut self,
        reference: &quick_xml::events::BytesRef<'_>,
        offset: usize,
    ) -> Result<(), FormatError> {
        if reference.is_char_ref() {
            match reference.resolve_char_ref() {
                Ok(Some(c)) => self.text.push(c),
                _ => return Err(self.error_at(offset, "XML", "bad character reference")),
            }
            return Ok(());
        }
        let resolved = match &**reference {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "apos" => '\'',
            "quot" => '"',
            other => {
                return Err(self.error_at(
                    offset,
                    "XML",
                    format!("undeclared entity &{other}; (camt documents have no DTD)"),
                ));
            }
        };
        self.text.push(resolved);
        Ok(())
    }

    /// The location of the innermost open element.
    pub(super) fn location(&self) -> Location {
        let mut path = String::with_capacity(self.names.len() * 8);
        for (name, frame) in self.names.iter().zip(&self.frames) {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(name);
            if REPEATING.contains(name) {
                path.push('[');
                path.push_str(&frame.index.to_string());
                path.push(']');
            }
        }
        let start = self.frames.last().map_or(0, |frame| frame.start);
        Location::Xml {
            path,
            line: self.line_at(start),
        }
    }

    /// An error at the innermost open element.
    pub(super) fn error_here(&self, field: &str, message: impl Into<String>) -> FormatError {
        FormatError::new(self.location(), field, message)
    }

    fn error_at(&self, offset: usize, field: &str, message: impl Into<String>) -> FormatError {
        let mut location = self.location();
        if let Location::Xml { line, .. } = &mut location {
            *line = self.line_at(offset);
        }
        FormatError::new(location, field, message)
    }
}

impl Cursor<'_> {
    fn line_at(&self, offset: usize) -> usize {
        let (cached_offset, cached_line) = self.line_cache.get();
        let line = if offset >= cached_offset {
            let between = self
                .input
                .as_bytes()
                .get(cached_offset..offset.min(self.input.len()));
            cached_line
                + between
                    .unwrap_or_default()
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
        } else {
            line_of(self.input, offset)
        };
        if offset >= cached_offset && offset <= self.input.len() {
            self.line_cache.set((offset, line));
        }
        line
    }
}

fn position(reader: &Reader<&[u8]>) -> usize {
    usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX)
}

/// The 1-based line of a byte offset.
pub(super) fn line_of(input: &str, offset: usize) -> usize {
    let end = offset.min(input.len());
    let before = input.as_bytes().get(..end).unwrap_or_default();
    1 + before.iter().filter(|&&b| b == b'\n').count()
}

//! Ledger rows set by the engine rather than laid out cell by cell by Typst.
//!
//! A statement is mostly rows, and Typst's table lays out, measures and tags every cell: two
//! thirds of a long statement's time. When a template's `ledger-table` has rows of a fixed
//! height whose cells are all text given as data (not content), `common.typ` lays out one
//! empty slot a row instead, labelled `<settle-ledger-row>` and carrying the row's cells and
//! the columns' geometry (offsets and widths in points, alignment, inset, font size, fonts and
//! colour). Typst still breaks the table between pages and repeats its header. After layout
//! the engine shapes each cell's text with the same shaper Typst uses (rustybuzz), with the
//! first of the listed fonts that has each character, and places it where Typst would have:
//! on the line's baseline below the cell's top inset, aligned in the column, cut at the
//! cell's edge when it does not fit.
//!
//! The footer's line naming the document and the customer is set the same way: the footer
//! holds a slot for it (`<settle-running-line>`, with the geometry and `anchor: "baseline"`,
//! since an inline slot marks its line's baseline), and the line's text stands once in the
//! document (`<settle-running-text>`). The footer is then the same on every document of a run,
//! and Typst's caches serve everything the documents share instead of laying it out again for
//! each page style that differs.
//!
//! Text in a right-to-left script would need the bidirectional algorithm, which this does not
//! attempt: the engine lets Typst lay out any document whose data holds such text
//! ([`needs_typst_rows`]). A template without slots is untouched.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use ecow::EcoString;
use rustybuzz::{BufferFlags, Feature, ShapePlan, UnicodeBuffer};
use typst::World;
use typst::foundations::{Array, Content, Dict, FromValue, Value};
use typst::introspection::{MetadataElem, Tag};
use typst::layout::{Abs, Em, Frame, FrameItem, Point, Size};
use typst::model::Document;
use typst::syntax::Span;
use typst::text::{
    FontBook, FontInstance, FontStretch, FontStyle, FontVariant, FontVariations, FontWeight, Glyph,
    Lang, TextItem,
};
use typst::visualize::{Curve, Paint};
use typst_layout::{Page, PagedDocument};

use crate::stamp::{find_labelled, has_label};

/// The `sys.inputs` key that tells `common.typ` the engine sets ledger rows, and its value.
pub(crate) const ROWS_INPUT: &str = "settle-ledger-rows";
pub(crate) const ROWS_STAMPED: &str = "stamped";

/// The label of a row's slot.
const ROW_LABEL: &str = "settle-ledger-row";
/// The label of a slot for the document's running line (on every page, in the footer).
const RUNNING_SLOT_LABEL: &str = "settle-running-line";
/// The label of the metadata that holds the running line's text, once in the document.
const RUNNING_TEXT_LABEL: &str = "settle-running-text";

/// Cached shaping results are dropped once there are this many, about 10 MB: a run of
/// statements shapes the same dates and words again and again, and a new amount on nearly
/// every line, which would otherwise grow the cache for as long as the run lasts.
const MAX_SHAPED: usize = 20_000;

/// A slot whose row could not be read: the template passed something else than a row.
#[derive(Debug)]
pub(crate) struct SlotError {
    pub span: Span,
    pub message: String,
}

/// Whether `json` holds a character of a right-to-left script, which only Typst sets right.
pub(crate) fn needs_typst_rows(json: &[u8]) -> bool {
    // Every such character is at or above U+0590, so it takes two or more bytes in UTF-8 and
    // a JSON escape (`\u05d0`) would spell it in ASCII: both are looked for.
    let text = String::from_utf8_lossy(json);
    text.chars().any(is_right_to_left)
        || text
            .match_indices("\\u")
            .filter_map(|(at, _)| text.get(at + 2..at + 6))
            .filter_map(|hex| u32::from_str_radix(hex, 16).ok())
            .filter_map(char::from_u32)
            .any(is_right_to_left)
}

/// Hebrew, Arabic, Syriac, Thaana, N'Ko, Samaritan, Mandaic and their presentation forms, and
/// the right-to-left scripts outside the Basic Multilingual Plane.
fn is_right_to_left(c: char) -> bool {
    matches!(c as u32,
        0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF | 0x10800..=0x10FFF | 0x1E800..=0x1EFFF)
}

/// Shapes and places ledger rows; one per engine, shared by its threads.
#[derive(Default)]
pub(crate) struct RowSetter {
    shaped: Mutex<HashMap<ShapeKey, Arc<Shaped>>>,
    plans: Mutex<HashMap<PlanKey, Arc<ShapePlan>>>,
}

/// A variable font's instance depends on the text's size (its optical size axis), and so do
/// the shaping plan and the shaped advances: the keys hold the size, as the bits of its points.
#[derive(Clone, PartialEq, Eq, Hash)]
struct ShapeKey {
    font: usize,
    size: u64,
    features: Arc<str>,
    text: EcoString,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct PlanKey {
    font: usize,
    size: u64,
    features: Arc<str>,
    script: [u8; 4],
}

/// A run of text shaped in one font.
struct Shaped {
    glyphs: Vec<Glyph>,
    width: Em,
}

impl RowSetter {
    /// The document with every slot's row set; the document itself when it has no slots.
    ///
    /// A row's text goes into the frame that holds its slot, right after the slot's tag: it is
    /// drawn with the table and, in the tagged PDF, stands inside the table's row.
    pub fn set_rows(
        &self,
        document: PagedDocument,
        world: &dyn World,
    ) -> Result<PagedDocument, SlotError> {
        let mut selector = FontSelector::new(world);
        let running = running_text(&document)?;
        let mut pages = Vec::with_capacity(document.pages().len());
        let mut changed = false;
        for page in document.pages() {
            let mut page: Page = page.clone();
            if let Some(frame) = self.set_in_frame(&page.frame, running.as_ref(), &mut selector)? {
                page.frame = frame;
                changed = true;
            }
            pages.push(page);
        }
        if !changed {
            return Ok(document);
        }
        Ok(PagedDocument::new(
            pages.into(),
            Document::info(&document).clone(),
        ))
    }

    /// `frame` with the rows of the slots in it (and in the frames it holds) set; `None` when
    /// it holds no slot.
    fn set_in_frame(
        &self,
        frame: &Frame,
        running: Option<&Cell>,
        selector: &mut FontSelector<'_>,
    ) -> Result<Option<Frame>, SlotError> {
        let mut items: Option<Vec<(Point, FrameItem)>> = None;
        for (index, (position, item)) in frame.items().enumerate() {
            let before = || frame.items().take(index).cloned().collect::<Vec<_>>();
            match item {
                FrameItem::Group(group) => {
                    if let Some(inner) = self.set_in_frame(&group.frame, running, selector)? {
                        let mut group = group.clone();
                        group.frame = inner;
                        items
                            .get_or_insert_with(before)
                            .push((*position, FrameItem::Group(group)));
                        continue;
                    }
                }
                FrameItem::Tag(Tag::Start(content, _))
                    if is_slot(content) || has_label(content, RUNNING_SLOT_LABEL) =>
                {
                    let row = Row::read(content, running)?;
                    let items = items.get_or_insert_with(before);
                    items.push((*position, item.clone()));
                    self.set_row(&row, *position, selector, items);
                    continue;
                }
                _ => {}
            }
            if let Some(items) = &mut items {
                items.push((*position, item.clone()));
            }
        }
        Ok(items.map(|items| {
            let mut set = frame.clone();
            set.clear();
            set.push_multiple(items);
            set
        }))
    }

    fn set_row(
        &self,
        row: &Row,
        at: Point,
        selector: &mut FontSelector<'_>,
        out: &mut Vec<(Point, FrameItem)>,
    ) {
        let geometry = &row.geometry;
        let size = Abs::pt(geometry.size);
        for (column, cell) in row.cells.iter().enumerate() {
            let (Some(&x), Some(&width)) = (geometry.x.get(column), geometry.width.get(column))
            else {
                break;
            };
            let mut items = Vec::new();
            let mut text_width = Abs::zero();
            let mut cap_height = Abs::zero();
            for run in &cell.runs {
                let fill = run.fill.clone().unwrap_or_else(|| geometry.fill.clone());
                let variant = FontVariant::new(run.style, run.weight, FontStretch::NORMAL);
                for (font, text) in selector.segments(&geometry.fonts, variant, &run.text) {
                    let Some(instance) = selector.instance(font, variant, size) else {
                        continue;
                    };
                    let shaped = self.shape(font, size, &instance, &geometry.features, text);
                    cap_height = cap_height.max(instance.metrics().cap_height.at(size));
                    let item = TextItem {
                        font: instance,
                        size,
                        fill: fill.clone(),
                        stroke: None,
                        lang: geometry.lang,
                        region: None,
                        text: EcoString::from(text),
                        glyphs: shaped.glyphs.clone(),
                    };
                    items.push((text_width, item));
                    text_width += shaped.width.at(size);
                }
            }
            if items.is_empty() {
                continue;
            }
            let inner = Abs::pt(width - 2.0 * geometry.inset).max(Abs::zero());
            let left = at.x + Abs::pt(x + geometry.inset);
            let baseline = match geometry.anchor {
                Anchor::Top => at.y + Abs::pt(geometry.top) + cap_height,
                Anchor::Baseline => at.y + Abs::pt(geometry.top),
            };
            if cell.clip && text_width > inner {
                // Cut at the cell's edge, as `one-line` does in Typst's table: a box one em
                // high from the line's top, as wide as the cell inside its inset.
                let mut clipped = Frame::hard(Size::new(inner, size));
                for (offset, item) in items {
                    clipped.push(Point::new(offset, cap_height), FrameItem::Text(item));
                }
                clipped.clip(Curve::rect(clipped.size()));
                let top = Point::new(left, baseline - cap_height);
                out.push((
                    top,
                    FrameItem::Group(typst::layout::GroupItem::new(clipped)),
                ));
                continue;
            }
            // Text wider than its cell overflows on the side its alignment points away from.
            let start = match geometry.align.get(column).map(String::as_str) {
                Some("right" | "end") => left + inner - text_width,
                Some("center") => left + (inner - text_width) / 2.0,
                _ => left,
            };
            for (offset, item) in items {
                out.push((Point::new(start + offset, baseline), FrameItem::Text(item)));
            }
        }
    }

    /// `text` shaped in `font`, from the cache when it was shaped before.
    fn shape(
        &self,
        font: usize,
        size: Abs,
        instance: &FontInstance,
        features: &Arc<str>,
        text: &str,
    ) -> Arc<Shaped> {
        let key = ShapeKey {
            font,
            size: size_bits(size),
            features: features.clone(),
            text: EcoString::from(text),
        };
        if let Some(shaped) = lock(&self.shaped).get(&key) {
            return shaped.clone();
        }
        let mut buffer = UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        // Typst drops default ignorables too, so that they do not end up in copied text.
        buffer.set_flags(BufferFlags::REMOVE_DEFAULT_IGNORABLES);
        let plan = self.plan(font, size, instance, features, &buffer);
        let output = rustybuzz::shape_with_plan(instance.rusty(), &plan, buffer);
        let infos = output.glyph_infos();
        let positions = output.glyph_positions();
        let mut glyphs = Vec::with_capacity(infos.len());
        let mut width = Em::zero();
        for (i, (info, position)) in infos.iter().zip(positions).enumerate() {
            // A glyph stands for its whole cluster's text, as in Typst, so that a ligature
            // copies as its letters.
            let end = infos[i + 1..]
                .iter()
                .find(|next| next.cluster != info.cluster)
                .map_or(text.len(), |next| next.cluster as usize);
            let x_advance = instance.to_em(position.x_advance);
            width += x_advance;
            glyphs.push(Glyph {
                id: info.glyph_id as u16,
                x_advance,
                x_offset: instance.to_em(position.x_offset),
                y_advance: Em::zero(),
                y_offset: instance.to_em(position.y_offset),
                range: to_u16(info.cluster as usize)..to_u16(end),
                span: (Span::detached(), 0),
            });
        }
        let shaped = Arc::new(Shaped { glyphs, width });
        let mut cache = lock(&self.shaped);
        if cache.len() >= MAX_SHAPED {
            cache.clear();
        }
        cache.insert(key, shaped.clone());
        shaped
    }

    /// The shaping plan for this font, features and the buffer's script: building one costs
    /// more than shaping a short text with it.
    fn plan(
        &self,
        font: usize,
        size: Abs,
        instance: &FontInstance,
        features: &Arc<str>,
        buffer: &UnicodeBuffer,
    ) -> Arc<ShapePlan> {
        let key = PlanKey {
            font,
            size: size_bits(size),
            features: features.clone(),
            script: buffer.script().tag().to_bytes(),
        };
        if let Some(plan) = lock(&self.plans).get(&key) {
            return plan.clone();
        }
        let features: Vec<Feature> = features
            .split(',')
            .filter_map(|setting| setting.split_once('='))
            .map(|(tag, value)| {
                Feature::new(
                    rustybuzz::ttf_parser::Tag::from_bytes_lossy(tag.as_bytes()),
                    value.parse().unwrap_or(1),
                    ..,
                )
            })
            .collect();
        let plan = Arc::new(ShapePlan::new(
            instance.rusty(),
            buffer.direction(),
            Some(buffer.script()),
            buffer.language().as_ref(),
            &features,
        ));
        lock(&self.plans).insert(key, plan.clone());
        plan
    }
}

fn size_bits(size: Abs) -> u64 {
    size.to_pt().to_bits()
}

fn to_u16(offset: usize) -> u16 {
    u16::try_from(offset).unwrap_or(u16::MAX)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a cache leaves a cache that is still whole.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn is_slot(content: &Content) -> bool {
    has_label(content, ROW_LABEL)
}

/// The running line's text, when the document has one: the value of the first metadata
/// labelled `<settle-running-text>`, a cell as a ledger row's.
fn running_text(document: &PagedDocument) -> Result<Option<Cell>, SlotError> {
    let Some(content) = document.pages().iter().find_map(|page| {
        find_labelled(&page.frame, Point::zero(), RUNNING_TEXT_LABEL).map(|(_, content)| content)
    }) else {
        return Ok(None);
    };
    let cell = content
        .to_packed::<MetadataElem>()
        .ok_or_else(|| "the label must be on `metadata(..)`".to_string())
        .and_then(|metadata| Cell::read(&metadata.value));
    cell.map(Some).map_err(|message| SlotError {
        span: content.span(),
        message: format!("<{RUNNING_TEXT_LABEL}>: {message}"),
    })
}

/// Picks fonts by character and instantiates them, remembering both for one document.
struct FontSelector<'a> {
    world: &'a dyn World,
    by_family: HashMap<(EcoString, FontVariant), Option<usize>>,
    fallback: HashMap<(char, FontVariant), Option<usize>>,
    instances: HashMap<(usize, FontVariant, u64), Option<FontInstance>>,
}

impl<'a> FontSelector<'a> {
    fn new(world: &'a dyn World) -> Self {
        FontSelector {
            world,
            by_family: HashMap::new(),
            fallback: HashMap::new(),
            instances: HashMap::new(),
        }
    }

    /// `text` cut where the font that shows it changes: each character in the first of
    /// `families` that has it, else in any font that has it, else in the first family (whose
    /// `.notdef` the engine's glyph check then reports). As in Typst, a space between words of
    /// another script is the first family's.
    fn segments<'t>(
        &mut self,
        families: &[EcoString],
        variant: FontVariant,
        text: &'t str,
    ) -> Vec<(usize, &'t str)> {
        let mut segments: Vec<(usize, &'t str)> = Vec::new();
        let mut start = 0;
        let mut current: Option<usize> = None;
        for (at, c) in text.char_indices() {
            let font = self.font_for(families, variant, c);
            if let Some(previous) = current.filter(|&previous| previous != font) {
                segments.push((previous, &text[start..at]));
                start = at;
            }
            current = Some(font);
        }
        if let Some(font) = current {
            segments.push((font, &text[start..]));
        }
        segments
    }

    fn font_for(&mut self, families: &[EcoString], variant: FontVariant, c: char) -> usize {
        let book: &FontBook = self.world.book();
        let mut first = None;
        for family in families {
            let Some(index) = self.family(family, variant) else {
                continue;
            };
            first.get_or_insert(index);
            if book
                .info(index)
                .is_some_and(|info| info.coverage.contains(c as u32))
            {
                return index;
            }
        }
        let fallback = *self
            .fallback
            .entry((c, variant))
            .or_insert_with(|| book.select_fallback(None, variant, c.encode_utf8(&mut [0; 4])));
        // With no font for it at all, the character is set as the `.notdef` of the first
        // font there is, and the engine's glyph check names it.
        fallback.or(first).unwrap_or(0)
    }

    fn family(&mut self, family: &EcoString, variant: FontVariant) -> Option<usize> {
        let book: &FontBook = self.world.book();
        *self
            .by_family
            .entry((family.clone(), variant))
            .or_insert_with(|| book.select(&family.to_lowercase(), variant))
    }

    fn instance(&mut self, font: usize, variant: FontVariant, size: Abs) -> Option<FontInstance> {
        let world = self.world;
        self.instances
            .entry((font, variant, size_bits(size)))
            .or_insert_with(|| {
                world
                    .font(font)
                    .map(|font| font.instantiate(variant, size, &FontVariations::default()))
            })
            .clone()
    }
}

/// One slot's row, read from its metadata.
struct Row {
    geometry: Geometry,
    cells: Vec<Cell>,
}

/// A cell's text. A plain string may run past the cell's edge, as in Typst's table; runs are
/// cut at the edge, as `one-line` cuts them there.
#[derive(Clone)]
struct Cell {
    runs: Vec<Run>,
    clip: bool,
}

struct Geometry {
    x: Vec<f64>,
    width: Vec<f64>,
    align: Vec<String>,
    inset: f64,
    top: f64,
    size: f64,
    fonts: Vec<EcoString>,
    fill: Paint,
    features: Arc<str>,
    lang: Lang,
    anchor: Anchor,
}

/// Where a slot stands against its text: at the top of the row (a block-level slot, whose text
/// sits `top` plus the font's cap height lower), or on the line's baseline (an inline slot).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Anchor {
    Top,
    Baseline,
}

#[derive(Clone)]
struct Run {
    text: EcoString,
    fill: Option<Paint>,
    style: FontStyle,
    weight: FontWeight,
}

impl Row {
    /// A ledger row's slot, its cells its own; or a running line's slot, whose one cell is the
    /// document's `running` text.
    fn read(content: &Content, running: Option<&Cell>) -> Result<Row, SlotError> {
        let is_running = has_label(content, RUNNING_SLOT_LABEL);
        let read = || -> Result<Row, String> {
            let metadata = content.to_packed::<MetadataElem>().ok_or(if is_running {
                "the label must be on `metadata((geometry: ..))`"
            } else {
                "the label must be on `metadata((geometry: .., cells: ..))`"
            })?;
            let row = dict(&metadata.value, "the slot's value")?;
            let geometry = Geometry::read(dict(field(row, "geometry")?, "geometry")?)?;
            let cells = if is_running {
                let text = running.ok_or_else(|| {
                    format!("the document has no <{RUNNING_TEXT_LABEL}> to set in it")
                })?;
                vec![text.clone()]
            } else {
                array(field(row, "cells")?, "cells")?
                    .iter()
                    .map(Cell::read)
                    .collect::<Result<_, _>>()?
            };
            Ok(Row { geometry, cells })
        };
        read().map_err(|message| SlotError {
            span: content.span(),
            message: format!(
                "a <{}> slot: {message}",
                if is_running {
                    RUNNING_SLOT_LABEL
                } else {
                    ROW_LABEL
                }
            ),
        })
    }
}

impl Geometry {
    fn read(geometry: &Dict) -> Result<Geometry, String> {
        let numbers = |key: &str| -> Result<Vec<f64>, String> {
            array(field(geometry, key)?, key)?
                .iter()
                .map(|v| number(v, key))
                .collect()
        };
        let strings = |key: &str| -> Result<Vec<EcoString>, String> {
            array(field(geometry, key)?, key)?
                .iter()
                .map(|v| string(v, key).map(EcoString::from))
                .collect()
        };
        let features = Arc::from(features(geometry)?);
        Ok(Geometry {
            x: numbers("x")?,
            width: numbers("width")?,
            align: strings("align")?.iter().map(|s| s.to_string()).collect(),
            inset: number(field(geometry, "inset")?, "inset")?,
            top: number(field(geometry, "top")?, "top")?,
            size: number(field(geometry, "size")?, "size")?,
            fonts: strings("fonts")?,
            fill: Paint::from_value(field(geometry, "fill")?.clone())
                .map_err(|e| format!("fill: {}", e.message()))?,
            features,
            // The language only labels the text in the PDF; an unknown code falls back to English.
            lang: match geometry.get("lang") {
                Ok(Value::Str(code)) => code.as_str().parse().unwrap_or(Lang::ENGLISH),
                _ => Lang::ENGLISH,
            },
            anchor: match geometry.get("anchor") {
                Err(_) => Anchor::Top,
                Ok(Value::Str(anchor)) if anchor.as_str() == "top" => Anchor::Top,
                Ok(Value::Str(anchor)) if anchor.as_str() == "baseline" => Anchor::Baseline,
                Ok(other) => {
                    return Err(format!(
                        "anchor is \"top\" or \"baseline\", not {}",
                        other.ty().short_name()
                    ));
                }
            },
        })
    }
}

impl Cell {
    /// A string, a run, or an array of strings and runs; `none` is an empty cell.
    fn read(cell: &Value) -> Result<Cell, String> {
        let (runs, clip) = match cell {
            Value::None => (Vec::new(), false),
            Value::Str(_) => (vec![Run::read(cell)?], false),
            Value::Array(runs) => (runs.iter().map(Run::read).collect::<Result<_, _>>()?, true),
            other => (vec![Run::read(other)?], true),
        };
        Ok(Cell { runs, clip })
    }
}

impl Run {
    fn read(run: &Value) -> Result<Run, String> {
        match run {
            Value::Str(text) => Ok(Run {
                text: text.as_str().into(),
                fill: None,
                style: FontStyle::Normal,
                weight: FontWeight::REGULAR,
            }),
            Value::Dict(run) => Ok(Run {
                text: string(field(run, "text")?, "text")?.into(),
                fill: optional(run, "fill")?,
                style: optional(run, "style")?.unwrap_or(FontStyle::Normal),
                weight: optional(run, "weight")?.unwrap_or(FontWeight::REGULAR),
            }),
            other => Err(format!(
                "a cell's text is a string or a (text: ..) run, not {}",
                other.ty().short_name()
            )),
        }
    }
}

/// The OpenType features the text is shaped with, as `tag=value,…`: what Typst derives from
/// the same text settings (only those differing from the shaper's defaults), then the
/// template's own `features`.
fn features(geometry: &Dict) -> Result<String, String> {
    let mut settings: Vec<(String, u32)> = Vec::new();
    let setting = |key: &str| geometry.get(key).ok().cloned().unwrap_or(Value::Auto);
    if matches!(setting("kerning"), Value::Bool(false)) {
        settings.push(("kern".into(), 0));
    }
    if matches!(setting("ligatures"), Value::Bool(false)) {
        settings.push(("liga".into(), 0));
        settings.push(("clig".into(), 0));
    }
    match setting("number-type") {
        Value::Str(kind) if kind.as_str() == "lining" => settings.push(("lnum".into(), 1)),
        Value::Str(kind) if kind.as_str() == "old-style" => settings.push(("onum".into(), 1)),
        _ => {}
    }
    match setting("number-width") {
        Value::Str(kind) if kind.as_str() == "tabular" => settings.push(("tnum".into(), 1)),
        Value::Str(kind) if kind.as_str() == "proportional" => settings.push(("pnum".into(), 1)),
        _ => {}
    }
    match setting("features") {
        Value::Array(tags) => {
            for tag in tags.iter() {
                settings.push((string(tag, "features")?.to_string(), 1));
            }
        }
        Value::Dict(tags) => {
            for (tag, value) in tags.iter() {
                let value = match value {
                    Value::Int(n) => u32::try_from(*n).unwrap_or(0),
                    Value::Bool(on) => u32::from(*on),
                    other => return Err(format!("features: {tag} is {}", other.ty().short_name())),
                };
                settings.push((tag.to_string(), value));
            }
        }
        _ => {}
    }
    Ok(settings
        .iter()
        .map(|(tag, value)| format!("{tag}={value}"))
        .collect::<Vec<_>>()
        .join(","))
}

fn field<'d>(dict: &'d Dict, key: &str) -> Result<&'d Value, String> {
    dict.get(key).map_err(|_| format!("no `{key}`"))
}

fn optional<T: FromValue>(dict: &Dict, key: &str) -> Result<Option<T>, String> {
    match dict.get(key) {
        Ok(value) => T::from_value(value.clone())
            .map(Some)
            .map_err(|e| format!("{key}: {}", e.message())),
        Err(_) => Ok(None),
    }
}

fn dict<'v>(value: &'v Value, what: &str) -> Result<&'v Dict, String> {
    match value {
        Value::Dict(dict) => Ok(dict),
        other => Err(format!(
            "{what} is a dictionary, not {}",
            other.ty().short_name()
        )),
    }
}

fn array<'v>(value: &'v Value, what: &str) -> Result<&'v Array, String> {
    match value {
        Value::Array(array) => Ok(array),
        other => Err(format!(
            "{what} is an array, not {}",
            other.ty().short_name()
        )),
    }
}

fn number(value: &Value, what: &str) -> Result<f64, String> {
    match value {
        Value::Int(n) => Ok(*n as f64),
        Value::Float(n) if n.is_finite() => Ok(*n),
        other => Err(format!(
            "{what} holds numbers of points, not {}",
            other.ty().short_name()
        )),
    }
}

fn string<'v>(value: &'v Value, what: &str) -> Result<&'v str, String> {
    match value {
        Value::Str(text) => Ok(text.as_str()),
        other => Err(format!(
            "{what} holds strings, not {}",
            other.ty().short_name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use typst::introspection::Tag;
    use typst::layout::{Frame, FrameItem, Point};
    use typst::text::TextItem;
    use typst_layout::PagedDocument;

    use super::{ROW_LABEL, needs_typst_rows};
    use crate::templates::{TemplateFile, Templates};
    use crate::{DocumentError, Engine, EngineOptions, FontSource, sample};

    fn engine(statement: Option<&str>) -> Engine {
        let mut templates = Templates::builtin();
        if let Some(text) = statement {
            templates.files.insert(
                "statement.typ".to_string(),
                TemplateFile {
                    text: text.to_string(),
                    origin: "test statement.typ".to_string(),
                },
            );
        }
        Engine::new(EngineOptions {
            templates: Some(templates),
            fonts: FontSource {
                system: false,
                dirs: Vec::new(),
            },
            workers: None,
        })
        .expect("the engine starts")
    }

    /// Every run of text, with its page and the position of its baseline's start.
    fn runs(document: &PagedDocument) -> Vec<(usize, Point, TextItem)> {
        fn walk(
            frame: &Frame,
            origin: Point,
            page: usize,
            out: &mut Vec<(usize, Point, TextItem)>,
        ) {
            for (position, item) in frame.items() {
                match item {
                    FrameItem::Group(group) => {
                        let moved = Point::new(group.transform.tx, group.transform.ty);
                        walk(&group.frame, origin + *position + moved, page, out);
                    }
                    FrameItem::Text(text) => out.push((page, origin + *position, text.clone())),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        for (page, laid_out) in document.pages().iter().enumerate() {
            walk(&laid_out.frame, Point::zero(), page, &mut out);
        }
        out
    }

    /// Every run of text: page, position of its baseline's start, fill and text.
    fn texts(document: &PagedDocument) -> Vec<(usize, Point, String, String)> {
        runs(document)
            .into_iter()
            .map(|(page, at, run)| (page, at, format!("{:?}", run.fill), run.text.to_string()))
            .collect()
    }

    /// Every glyph: page, position of its origin on the baseline, fill and the text it shows.
    fn glyphs(document: &PagedDocument) -> Vec<(usize, Point, String, String)> {
        let mut glyphs = Vec::new();
        for (page, at, run) in runs(document) {
            let mut x = at.x;
            for glyph in &run.glyphs {
                glyphs.push((
                    page,
                    Point::new(x + glyph.x_offset.at(run.size), at.y),
                    format!("{:?}", run.fill),
                    run.text[glyph.range()].to_string(),
                ));
                x += glyph.x_advance.at(run.size);
            }
        }
        glyphs
    }

    fn slots(document: &PagedDocument) -> usize {
        fn count(frame: &Frame) -> usize {
            frame
                .items()
                .map(|(_, item)| match item {
                    FrameItem::Group(group) => count(&group.frame),
                    FrameItem::Tag(Tag::Start(content, _)) if super::is_slot(content) => 1,
                    _ => 0,
                })
                .sum()
        }
        document.pages().iter().map(|page| count(&page.frame)).sum()
    }

    #[test]
    fn rows_set_by_the_engine_stand_where_typst_sets_them() {
        let engine = engine(None);
        let mut statements = vec![sample::statement(0, 60), sample::statement(2, 3)];
        let mut activity = sample::statement(1, 50);
        if let crate::model::DocumentBody::Statement(body) = &mut activity.body {
            body.kind = crate::model::StatementKind::BalanceForward;
            body.from = Some("2026-10-01".parse().expect("a date"));
        }
        statements.push(activity);
        for data in &statements {
            let stamped = engine.lay_out_for_test(data, false).expect("lays out");
            let typst = engine.lay_out_for_test(data, true).expect("lays out");
            assert!(slots(&stamped) >= 3, "the engine set the rows");
            assert_eq!(slots(&typst), 0, "Typst set the rows");
            assert_eq!(stamped.pages().len(), typst.pages().len());
            // Glyph by glyph: Typst cuts a line into runs where the script changes (Latin,
            // Cyrillic), the engine where the font does, and the glyphs stand alike either way.
            let stamped = glyphs(&stamped);
            let typst = glyphs(&typst);
            assert_eq!(stamped.len(), typst.len(), "the same glyphs");
            for (page, at, fill, text) in &typst {
                let twin = stamped.iter().find(|(p, a, f, t)| {
                    p == page
                        && t == text
                        && f == fill
                        && (a.x - at.x).to_pt().abs() < 0.01
                        && (a.y - at.y).to_pt().abs() < 0.01
                });
                assert!(
                    twin.is_some(),
                    "{text:?} in {fill} at {at:?} on page {page} is not where Typst sets it; \
                     the engine has: {:?}",
                    stamped
                        .iter()
                        .filter(|(_, _, _, t)| t == text)
                        .collect::<Vec<_>>()
                );
            }
        }
    }

    #[test]
    fn names_in_chinese_japanese_and_korean_stand_where_typst_sets_them() {
        // The system's CJK font (the document tests need one too; `.ci/run` installs it).
        let engine = Engine::new(EngineOptions {
            templates: None,
            fonts: FontSource {
                system: true,
                dirs: Vec::new(),
            },
            workers: None,
        })
        .expect("the engine starts");
        for name in 3..=5 {
            let mut data = sample::statement(name, 4);
            if let crate::model::DocumentBody::Statement(body) = &mut data.body {
                body.sections[0].lines[1].description = "東京 delivery 서울".to_string();
            }
            let stamped = glyphs(&engine.lay_out_for_test(&data, false).expect("lays out"));
            let typst = glyphs(&engine.lay_out_for_test(&data, true).expect("lays out"));
            assert_eq!(stamped.len(), typst.len(), "the same glyphs");
            for (page, at, _, text) in &typst {
                assert!(
                    stamped.iter().any(|(p, a, _, t)| p == page
                        && t == text
                        && (a.x - at.x).to_pt().abs() < 0.01
                        && (a.y - at.y).to_pt().abs() < 0.01),
                    "{text:?} at {at:?} on page {page} of {} is not where Typst sets it",
                    sample::NAMES[name]
                );
            }
        }
    }

    #[test]
    fn every_page_names_the_document_and_customer_in_its_footer() {
        let engine = engine(None);
        let data = sample::statement(0, 60);
        let document = engine.lay_out_for_test(&data, false).expect("lays out");
        assert!(
            document.pages().len() >= 2,
            "a statement of two pages or more"
        );
        let line = "Statement 2026-10-31 · Société Générale d'Équipement Müller & Søn (C0001)";
        let texts = texts(&document);
        for page in 0..document.pages().len() {
            let on_page: Vec<_> = texts.iter().filter(|(p, ..)| *p == page).collect();
            assert!(
                on_page.iter().any(|(_, _, _, t)| t == line),
                "page {page} has no running line: {:?}",
                on_page.iter().map(|(.., t)| t).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn a_running_line_too_long_for_the_footer_is_cut_at_its_column() {
        let engine = engine(None);
        let mut data = sample::statement(0, 3);
        data.letterhead.customer.name = "Very Long Customer Name ".repeat(8);
        let document = engine.lay_out_for_test(&data, false).expect("lays out");
        fn clipped_widths(frame: &Frame, out: &mut Vec<f64>) {
            for (_, item) in frame.items() {
                if let FrameItem::Group(group) = item {
                    if group.clip.is_some()
                        && group.frame.items().any(|(_, item)| {
                            matches!(item, FrameItem::Text(text) if text.text.starts_with("Statement"))
                        })
                    {
                        out.push(group.frame.width().to_pt());
                    }
                    clipped_widths(&group.frame, out);
                }
            }
        }
        let mut widths = Vec::new();
        clipped_widths(&document.pages()[0].frame, &mut widths);
        // A4 less the side margins (20 mm and 18 mm) and the page number's 24 mm.
        let column = (210.0 - 20.0 - 18.0 - 24.0) / 25.4 * 72.0;
        assert_eq!(widths.len(), 1, "one clipped running line: {widths:?}");
        assert!(
            (widths[0] - column).abs() < 0.01,
            "{} against {column}",
            widths[0]
        );
    }

    /// The template error of rendering a statement with `statement.typ` replaced: its file,
    /// line and message.
    fn template_error(statement: &str) -> (String, usize, String) {
        match engine(Some(statement)).render(&sample::statement(0, 1)) {
            Err(DocumentError::Template {
                template,
                line,
                message,
                ..
            }) => (template, line, message),
            Err(other) => panic!("expected a template error, got {other}"),
            Ok(_) => panic!("expected a template error, got a document"),
        }
    }

    #[test]
    fn a_running_line_slot_without_its_text_is_an_error_at_its_line() {
        let (template, line, message) = template_error(
            "#import \"common.typ\": *\n\n#metadata((geometry: (x: (0,), width: (100,), align: (\"left\",), inset: 0, top: 0, size: 9, fonts: (\"Inter\",), fill: black))) <settle-running-line>\n",
        );
        assert_eq!((template.as_str(), line), ("test statement.typ", 3));
        assert!(
            message.contains("settle-running-line") && message.contains("settle-running-text"),
            "{message}"
        );
    }

    #[test]
    fn right_to_left_text_anywhere_in_the_data_leaves_the_rows_to_typst() {
        assert!(needs_typst_rows("{\"name\":\"שלום\"}".as_bytes()));
        assert!(needs_typst_rows(br#"{"name":"\u0627\u0644"}"#));
        assert!(!needs_typst_rows(
            "{\"name\":\"Müller 東京 Ωμέγα\"}".as_bytes()
        ));
        assert!(!needs_typst_rows(br#"{"name":"\u00fc"}"#));
        let mut data = sample::statement(0, 5);
        data.letterhead.customer.name = "חברת הדוגמה בע\"מ".to_string();
        let engine = engine(None);
        let error = engine.render(&data).expect_err("Inter has no Hebrew");
        assert!(
            matches!(error, DocumentError::MissingGlyphs { .. }),
            "Typst laid it out and found the Hebrew missing: {error}"
        );
    }

    #[test]
    fn a_row_no_font_can_show_is_refused_naming_the_characters() {
        let mut data = sample::statement(0, 5);
        if let crate::model::DocumentBody::Statement(body) = &mut data.body {
            body.sections[0].lines[2].description = "東京 delivery".to_string();
        }
        let error = engine(None).render(&data).expect_err("no CJK font");
        match error {
            DocumentError::MissingGlyphs { characters, .. } => {
                assert_eq!(characters, "京東", "{characters}");
            }
            other => panic!("expected missing glyphs, got {other}"),
        }
    }

    #[test]
    fn cells_given_as_content_are_laid_out_by_typst() {
        let statement = r#"#import "common.typ": *
#show: settle-page.with("Statement", data.body.as_of)
#ledger-table(
  columns: (30mm, 1fr), row-height: 6mm, align: (left, right),
  header: ("Reference", "Amount"),
  rows: data.body.sections.first().lines.map(l => ([*#l.reference*], l.amount.text)),
)
"#;
        let engine = engine(Some(statement));
        let document = engine
            .lay_out_for_test(&sample::statement(0, 5), false)
            .expect("lays out");
        assert_eq!(slots(&document), 0);
        assert!(
            texts(&document)
                .iter()
                .any(|(_, _, _, t)| t == "INV-100001")
        );
    }

    #[test]
    fn a_slot_without_a_row_is_an_error_at_its_line() {
        let (template, line, message) = template_error(
            "#import \"common.typ\": *\n\n#metadata((cells: ())) <settle-ledger-row>\n",
        );
        assert_eq!((template.as_str(), line), ("test statement.typ", 3));
        assert!(
            message.contains(ROW_LABEL) && message.contains("geometry"),
            "{message}"
        );
    }
}

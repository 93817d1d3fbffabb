//! Page numbers stamped after layout.
//!
//! "Page 2 of 3" needs the page count, and Typst knows it only by introspection, which lays
//! the whole document out a second time: half the cost of a statement. So the built-in
//! templates put an empty slot, labelled `<settle-page-number>`, where the number goes; the
//! engine lays the document out once, counts its pages, and then places the template's own
//! `page-label(page, pages)` at each page's slot. The labels are laid out by Typst from the
//! same `common.typ` (so they take its font, size and colour) once per page count and kept.
//!
//! A user's template may still number pages with `context counter(page)`: it then has no slot,
//! nothing is stamped, and Typst lays it out twice as before.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use typst::foundations::{Bytes, Content};
use typst::introspection::Tag;
use typst::layout::{Abs, Frame, FrameItem, Point};
use typst::model::Document;
use typst::syntax::{FileId, Source};
use typst_layout::{Page, PagedDocument};

use crate::world::file_id;

/// The label of the slot a template leaves for the page number.
const SLOT_LABEL: &str = "settle-page-number";

/// The document that lays out the labels `page-label(1, n)` … `page-label(n, n)`, one a page,
/// each page as large as its label.
const LABELS_SOURCE: &str = r#"#import "common.typ": page-label
#let pages = json("data.json").pages
#set page(width: auto, height: auto, margin: 0pt, fill: none)
#for page in range(1, pages + 1) {
  if page > 1 { pagebreak() }
  page-label(page, pages)
}
"#;

/// The file the label document is compiled from; not a name a user's template can take.
pub(crate) const LABELS_FILE: &str = "_settle-page-labels.typ";

pub(crate) fn labels_source() -> (FileId, Source) {
    let id = file_id(LABELS_FILE).expect("a plain file name is a valid path");
    (id, Source::new(id, LABELS_SOURCE.to_string()))
}

/// The data the label document reads.
pub(crate) fn labels_data(pages: usize) -> Bytes {
    Bytes::new(format!("{{\"pages\":{pages}}}").into_bytes())
}

/// Laid-out labels by page count.
#[derive(Default)]
pub(crate) struct LabelCache {
    by_count: Mutex<HashMap<usize, Arc<Vec<Frame>>>>,
}

impl LabelCache {
    pub fn get(&self, pages: usize) -> Option<Arc<Vec<Frame>>> {
        self.lock().get(&pages).cloned()
    }

    pub fn insert(&self, pages: usize, labels: Arc<Vec<Frame>>) {
        self.lock().insert(pages, labels);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<usize, Arc<Vec<Frame>>>> {
        // A panic while holding the lock leaves a map that is still whole.
        self.by_count.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Where each page's slot is, in page coordinates; `None` for a page without one.
pub(crate) fn slots(document: &PagedDocument) -> Vec<Option<Point>> {
    document
        .pages()
        .iter()
        .map(|page| find_slot(&page.frame, Point::zero()))
        .collect()
}

fn find_slot(frame: &Frame, origin: Point) -> Option<Point> {
    find_labelled(frame, origin, SLOT_LABEL).map(|(at, _)| at)
}

/// The first element in `frame` (or the frames it holds) labelled `name`, with where it
/// starts, `frame` standing at `origin`.
pub(crate) fn find_labelled<'f>(
    frame: &'f Frame,
    origin: Point,
    name: &str,
) -> Option<(Point, &'f Content)> {
    frame.items().find_map(|(position, item)| match item {
        FrameItem::Group(group) => {
            let translation = Point::new(group.transform.tx, group.transform.ty);
            find_labelled(&group.frame, origin + *position + translation, name)
        }
        FrameItem::Tag(Tag::Start(content, _)) if has_label(content, name) => {
            Some((origin + *position, content))
        }
        _ => None,
    })
}

/// Whether `content` carries the label `name`: how a template marks a slot for the engine.
pub(crate) fn has_label(content: &Content, name: &str) -> bool {
    content
        .label()
        .is_some_and(|label| label.resolve().as_str() == name)
}

/// The label pages of the label document, without the tags that tie them to that document.
pub(crate) fn label_frames(labels: &PagedDocument) -> Vec<Frame> {
    labels
        .pages()
        .iter()
        .map(|page| without_tags(&page.frame))
        .collect()
}

fn without_tags(frame: &Frame) -> Frame {
    let mut bare = Frame::hard(frame.size());
    if frame.has_baseline() {
        bare.set_baseline(frame.baseline());
    }
    for (position, item) in frame.items() {
        match item {
            FrameItem::Tag(_) => {}
            FrameItem::Group(group) => {
                let mut group = group.clone();
                group.frame = without_tags(&group.frame);
                bare.push(*position, FrameItem::Group(group));
            }
            other => bare.push(*position, other.clone()),
        }
    }
    bare
}

/// How far below its frame's top a label's text sits on its baseline.
fn baseline(frame: &Frame) -> Option<Abs> {
    frame.items().find_map(|(position, item)| match item {
        FrameItem::Text(_) => Some(position.y),
        FrameItem::Group(group) => {
            baseline(&group.frame).map(|inner| position.y + group.transform.ty + inner)
        }
        _ => None,
    })
}

/// The document with each page's label placed so that it ends at the slot, its text on the
/// slot's baseline (Typst marks an inline slot at its line's start, on the line's baseline).
pub(crate) fn stamp(
    document: &PagedDocument,
    slots: &[Option<Point>],
    labels: &[Frame],
) -> PagedDocument {
    let pages = document
        .pages()
        .iter()
        .zip(slots)
        .zip(labels)
        .map(|((page, slot), label)| {
            let mut page: Page = page.clone();
            if let Some(slot) = slot {
                let size = label.size();
                let above = baseline(label).unwrap_or(size.y);
                let at = Point::new(slot.x - size.x, slot.y - above);
                page.frame.push_frame(at, label.clone());
            }
            page
        })
        .collect();
    PagedDocument::new(pages, Document::info(document).clone())
}

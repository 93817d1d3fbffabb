//! The check that a laid-out document shows every character it was given.
//!
//! Typst falls back through every loaded font and, when none has a glyph, draws the font's
//! `.notdef` box (glyph 0) and carries on. On a statement that is a customer name printed as
//! empty boxes, so the engine refuses the document instead, naming the characters.

use std::collections::BTreeSet;

use typst::layout::{Frame, FrameItem};
use typst_layout::PagedDocument;

/// The characters drawn as `.notdef`, in order, once each; empty when every glyph was found.
pub fn missing_glyphs(document: &PagedDocument) -> String {
    let mut missing = BTreeSet::new();
    for page in document.pages() {
        collect(&page.frame, &mut missing);
    }
    missing.into_iter().collect()
}

fn collect(frame: &Frame, missing: &mut BTreeSet<char>) {
    for (_, item) in frame.items() {
        match item {
            FrameItem::Group(group) => collect(&group.frame, missing),
            FrameItem::Text(text) => {
                for glyph in text.glyphs.iter().filter(|g| g.id == 0) {
                    let chars = text.text.get(glyph.range()).unwrap_or_default();
                    missing.extend(chars.chars().filter(|c| !c.is_whitespace()));
                }
            }
            _ => {}
        }
    }
}

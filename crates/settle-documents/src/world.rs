//! The Typst world one document is compiled in: the engine's shared library, fonts and
//! parsed templates, plus this document's `data.json`.
//!
//! File ids are interned by Typst for the life of the process (at most 65,535), so every
//! document uses the same few ids — one per template and one for `data.json` — and only the
//! bytes behind `data.json` change.

use std::collections::HashMap;
use std::sync::LazyLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, World};

use crate::fonts::FontStore;

/// The file a template reads its data from.
pub(crate) const DATA_FILE: &str = "data.json";

pub(crate) fn file_id(name: &str) -> Option<FileId> {
    let vpath = VirtualPath::new(format!("/{name}")).ok()?;
    Some(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

pub(crate) static DATA_ID: LazyLock<FileId> =
    LazyLock::new(|| file_id(DATA_FILE).expect("a plain file name is a valid path"));

/// What every document shares, built once per engine.
pub(crate) struct Shared {
    /// The library for templates whose ledger rows the engine sets (see [`crate::ledger`]).
    pub library: LazyHash<Library>,
    /// The library for templates whose ledger rows Typst lays out.
    pub typst_rows_library: LazyHash<Library>,
    pub book: LazyHash<FontBook>,
    pub fonts: FontStore,
    pub sources: HashMap<FileId, Source>,
    pub assets: HashMap<FileId, Bytes>,
}

/// One document's world.
pub(crate) struct DocumentWorld<'a> {
    pub shared: &'a Shared,
    pub main: FileId,
    pub data: Bytes,
    /// Whether Typst lays out the ledger rows rather than the engine.
    pub typst_rows: bool,
}

impl World for DocumentWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        if self.typst_rows {
            &self.shared.typst_rows_library
        } else {
            &self.shared.library
        }
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.shared.book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        match self.shared.sources.get(&id) {
            Some(source) => Ok(source.clone()),
            None if id == *DATA_ID || self.shared.assets.contains_key(&id) => {
                Err(FileError::NotSource)
            }
            None => Err(not_found(id)),
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == *DATA_ID {
            return Ok(self.data.clone());
        }
        if let Some(bytes) = self.shared.assets.get(&id) {
            return Ok(bytes.clone());
        }
        match self.shared.sources.get(&id) {
            Some(source) => Ok(Bytes::from_string(source.clone())),
            None => Err(not_found(id)),
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.shared.fonts.font(index)
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // Documents carry their own dates; a template asking for "today" would make the same
        // statement differ from one run to the next.
        None
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_without_slash().into())
}

//! The fonts documents are set in: two bundled files and whatever the system and the user add.
//!
//! Inter (regular and bold, SIL Open Font License 1.1, see `fonts/LICENSE-Inter.txt`) is
//! compiled in and covers Latin with its accents, Greek and Cyrillic: the default documents look
//! the same on every machine. CJK fonts weigh 4–20 MB each, too much to carry in the binary, so
//! Chinese, Japanese and Korean names come from the system's font folders (Debian's
//! `fonts-droid-fallback` or `fonts-noto-cjk`) or from a folder the user names. Font files are
//! indexed once at start-up and parsed only when a document first needs one of their glyphs.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use typst::foundations::Bytes;
use typst::text::{Font, FontBook, FontInfo};

use crate::DocumentError;

/// The font files compiled in, by file name.
pub const BUNDLED_FONTS: &[(&str, &[u8])] = &[
    (
        "Inter-Regular.otf",
        include_bytes!("../fonts/Inter-Regular.otf"),
    ),
    ("Inter-Bold.otf", include_bytes!("../fonts/Inter-Bold.otf")),
];

/// Where the system keeps fonts on Linux (fontconfig's defaults).
const SYSTEM_FONT_DIRS: &[&str] = &["/usr/share/fonts", "/usr/local/share/fonts"];

/// The largest font file read: larger files are skipped rather than loaded.
const MAX_FONT_BYTES: u64 = 64 * 1024 * 1024;

/// Where the fonts come from.
#[derive(Debug, Clone, Default)]
pub struct FontSource {
    /// Also index the system's font folders (for CJK and other scripts Inter lacks).
    pub system: bool,
    /// Folders of the user's own fonts, searched recursively.
    pub dirs: Vec<PathBuf>,
}

/// How many fonts were found, for `--verbose` output and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FontSummary {
    pub families: Vec<String>,
}

/// One face: where its bytes are and, once needed, the parsed font.
struct Slot {
    path: Option<PathBuf>,
    index: u32,
    bytes: Option<Bytes>,
    font: OnceLock<Option<Font>>,
}

impl Slot {
    fn get(&self) -> Option<Font> {
        self.font
            .get_or_init(|| {
                let bytes = match &self.bytes {
                    Some(bytes) => bytes.clone(),
                    None => Bytes::new(std::fs::read(self.path.as_ref()?).ok()?),
                };
                Font::new(bytes, self.index)
            })
            .clone()
    }
}

/// Every face the engine can use, indexed in a [`FontBook`].
pub(crate) struct FontStore {
    pub book: FontBook,
    slots: Vec<Slot>,
}

impl FontStore {
    pub fn load(source: &FontSource) -> Result<FontStore, DocumentError> {
        let mut store = FontStore {
            book: FontBook::new(),
            slots: Vec::new(),
        };
        for (_, data) in BUNDLED_FONTS {
            let bytes = Bytes::new(*data);
            for (index, info) in FontInfo::iter(data).enumerate() {
                store.push(info, None, index as u32, Some(bytes.clone()));
            }
        }
        if source.system {
            for dir in SYSTEM_FONT_DIRS {
                // A missing system folder is normal (a minimal container); a broken file is
                // skipped, as fontconfig does.
                let _ = store.index_dir(Path::new(dir), false);
            }
        }
        for dir in &source.dirs {
            store.index_dir(dir, true)?;
        }
        Ok(store)
    }

    fn push(&mut self, info: FontInfo, path: Option<PathBuf>, index: u32, bytes: Option<Bytes>) {
        self.book.push(info);
        self.slots.push(Slot {
            path,
            index,
            bytes,
            font: OnceLock::new(),
        });
    }

    fn index_dir(&mut self, dir: &Path, strict: bool) -> Result<(), DocumentError> {
        let error = |message: String| DocumentError::Fonts {
            path: dir.to_path_buf(),
            message,
        };
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| error(e.to_string()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                self.index_dir(&path, strict)?;
                continue;
            }
            let is_font = path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                matches!(
                    e.to_ascii_lowercase().as_str(),
                    "ttf" | "otf" | "ttc" | "otc"
                )
            });
            let small = path.metadata().is_ok_and(|m| m.len() <= MAX_FONT_BYTES);
            if !is_font || !small {
                continue;
            }
            let data = match std::fs::read(&path) {
                Ok(data) => data,
                Err(e) if strict => {
                    return Err(DocumentError::Fonts {
                        path,
                        message: e.to_string(),
                    });
                }
                Err(_) => continue,
            };
            for (index, info) in FontInfo::iter(&data).enumerate() {
                self.push(info, Some(path.clone()), index as u32, None);
            }
        }
        Ok(())
    }

    pub fn font(&self, index: usize) -> Option<Font> {
        self.slots.get(index)?.get()
    }

    pub fn summary(&self) -> FontSummary {
        let mut families: Vec<String> = self.book.families().map(|(f, _)| f.to_string()).collect();
        families.dedup();
        FontSummary { families }
    }
}

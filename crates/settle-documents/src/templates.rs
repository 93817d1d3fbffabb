//! The templates documents are laid out with: Typst files compiled into the program, and a
//! folder of the user's that overrides any of them file by file.
//!
//! A template `NAME.typ` lays out one kind of document (`invoice`, `statement`, `dunning`,
//! `receipt`, `plan`, `confirmation`); `common.typ` holds the letterhead, the address block,
//! the page footer and the table style they share. A template reads its data with
//! `json("data.json")`. The user's folder may also hold images (a `logo.svg` or `logo.png`)
//! that templates load by name. Nothing outside that folder can be read by a template.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::DocumentError;

/// The longest template file read from a user's folder.
const MAX_TEMPLATE_BYTES: u64 = 256 * 1024;
/// The largest image read from a user's folder.
const MAX_ASSET_BYTES: u64 = 4 * 1024 * 1024;

/// The built-in templates, by file name.
pub const BUILTIN_TEMPLATES: &[(&str, &str)] = &[
    ("common.typ", include_str!("templates/common.typ")),
    ("invoice.typ", include_str!("templates/invoice.typ")),
    ("statement.typ", include_str!("templates/statement.typ")),
    ("dunning.typ", include_str!("templates/dunning.typ")),
    ("receipt.typ", include_str!("templates/receipt.typ")),
    ("plan.typ", include_str!("templates/plan.typ")),
    (
        "confirmation.typ",
        include_str!("templates/confirmation.typ"),
    ),
];

/// One template: its text and where it came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TemplateFile {
    pub text: String,
    pub origin: String,
}

/// The templates and images a document can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templates {
    pub(crate) files: BTreeMap<String, TemplateFile>,
    pub(crate) assets: BTreeMap<String, Vec<u8>>,
}

impl Templates {
    /// The templates compiled into the program.
    pub fn builtin() -> Templates {
        let files = BUILTIN_TEMPLATES
            .iter()
            .map(|(name, text)| {
                (
                    name.to_string(),
                    TemplateFile {
                        text: text.to_string(),
                        origin: format!("built-in {name}"),
                    },
                )
            })
            .collect();
        Templates {
            files,
            assets: BTreeMap::new(),
        }
    }

    /// The built-in templates with every `*.typ` file and image of `dir` over them.
    pub fn from_dir(dir: &Path) -> Result<Templates, DocumentError> {
        let mut templates = Templates::builtin();
        let error = |path: &Path, message: String| DocumentError::TemplateFile {
            path: path.to_path_buf(),
            message,
        };
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| error(dir, e.to_string()))?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(|e| error(dir, e.to_string()))?;
        paths.sort();
        for path in paths {
            let (Some(name), Some(extension)) = (
                path.file_name().and_then(|n| n.to_str()),
                path.extension().and_then(|e| e.to_str()),
            ) else {
                continue;
            };
            if !path.is_file() {
                continue;
            }
            let size = path
                .metadata()
                .map_err(|e| error(&path, e.to_string()))?
                .len();
            match extension.to_ascii_lowercase().as_str() {
                "typ" => {
                    if size > MAX_TEMPLATE_BYTES {
                        return Err(error(
                            &path,
                            format!(
                                "{size} bytes; a template may have at most {MAX_TEMPLATE_BYTES}"
                            ),
                        ));
                    }
                    let text =
                        std::fs::read_to_string(&path).map_err(|e| error(&path, e.to_string()))?;
                    templates.files.insert(
                        name.to_string(),
                        TemplateFile {
                            text,
                            origin: path.display().to_string(),
                        },
                    );
                }
                "png" | "jpg" | "jpeg" | "svg" | "gif" | "webp" => {
                    if size > MAX_ASSET_BYTES {
                        return Err(error(
                            &path,
                            format!("{size} bytes; an image may have at most {MAX_ASSET_BYTES}"),
                        ));
                    }
                    let bytes = std::fs::read(&path).map_err(|e| error(&path, e.to_string()))?;
                    templates.assets.insert(name.to_string(), bytes);
                }
                _ => {}
            }
        }
        Ok(templates)
    }

    /// Adds an image templates can load by `name`, unless the folder already has one of that
    /// name (the folder's file wins).
    pub fn add_image(&mut self, name: &str, bytes: Vec<u8>) {
        self.assets.entry(name.to_string()).or_insert(bytes);
    }

    /// The logo the letterhead shows, if the folder has one: `logo.svg`, else `logo.png`.
    pub fn logo(&self) -> Option<&str> {
        ["logo.svg", "logo.png", "logo.jpg"]
            .into_iter()
            .find(|name| self.assets.contains_key(*name))
    }

    /// Whether a template `NAME.typ` exists.
    pub fn has(&self, name: &str) -> bool {
        self.files.contains_key(&format!("{name}.typ"))
    }
}

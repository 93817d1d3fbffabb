//! What can go wrong while rendering a document, each case naming what to fix.

use std::path::PathBuf;

/// A document could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// A template (built in or the user's) failed to compile or to lay out.
    #[error("{template}:{line}:{column}: {message}")]
    Template {
        /// Where the template came from: `built-in statement.typ` or the user's file path.
        template: String,
        /// 1-based; 0 when Typst could not place the error in a file.
        line: usize,
        column: usize,
        message: String,
    },
    /// A template file could not be read, or is not what a template must be.
    #[error("template {path}: {message}")]
    TemplateFile { path: PathBuf, message: String },
    /// No template for this kind of document.
    #[error("no template {0:?}")]
    MissingTemplate(String),
    /// A font file or folder could not be read.
    #[error("fonts {path}: {message}")]
    Fonts { path: PathBuf, message: String },
    /// Text that no loaded font can show: the PDF would print empty boxes ("tofu").
    #[error(
        "{document}: no font has a glyph for {characters:?} (install a font for this script, \
         for example Debian's fonts-noto-cjk, or pass --fonts DIR)"
    )]
    MissingGlyphs {
        document: String,
        characters: String,
    },
    /// The data could not be handed to the template.
    #[error("document data: {0}")]
    Data(#[from] serde_json::Error),
    /// The threads documents are rendered on could not be started.
    #[error("rendering threads: {0}")]
    Threads(String),
    /// A worker process rendering documents could not be started, or stopped answering.
    #[error("render worker: {0}")]
    Worker(String),
    /// Typst laid the document out but could not write the PDF.
    #[error("PDF export of {document}: {message}")]
    Export { document: String, message: String },
}

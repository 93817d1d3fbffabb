//! The engine: fonts, templates and Typst's library built once, then one document at a time
//! (from any number of threads) into PDF bytes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use typst::diag::{Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Dict, Str, Value};
use typst::layout::Frame;
use typst::syntax::{FileId, Source};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, WorldExt};
use typst_layout::PagedDocument;
use typst_pdf::PdfOptions;

use crate::fonts::{FontSource, FontStore, FontSummary};
use crate::ledger::{self, RowSetter};
use crate::model::DocumentData;
use crate::stamp::{self, LabelCache};
use crate::templates::Templates;
use crate::workers::{RENDER_STACK_BYTES, Worker, WorkerCommand, on_one_render_thread};
use crate::world::{DocumentWorld, Shared, file_id};
use crate::{DocumentError, check};

/// How many documents are rendered between two trims of Typst's memo caches: often enough
/// that a run of 100,000 statements stays in bounded memory, rarely enough that the layout
/// of what every document shares (letterhead, table header) stays cached.
const EVICT_EVERY: u64 = 256;
/// A cached result unused for this many trims is dropped.
const EVICT_MAX_AGE: usize = 4;

/// What a run does with each document as it is done: its index and the PDF or the error.
pub type EachRendered<'a, E> =
    dyn Fn(usize, Result<Rendered, DocumentError>) -> Result<(), E> + Sync + 'a;

/// What the engine is built from.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    pub templates: Option<Templates>,
    pub fonts: FontSource,
    /// How to start worker processes for [`Engine::render_each`]: with one, a run on `n`
    /// threads renders on this process and `n - 1` workers; without, on `n` threads here.
    pub workers: Option<WorkerCommand>,
}

/// A rendered document.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub pdf: Vec<u8>,
    pub pages: usize,
}

/// Renders documents; `Sync`, so a run shares one engine across threads.
pub struct Engine {
    shared: Shared,
    templates: Templates,
    fonts: FontSource,
    workers: Option<WorkerCommand>,
    /// Workers started by an earlier run, kept for the next one (their start-up, the fonts
    /// indexed and the templates parsed, is paid once per engine).
    idle_workers: Mutex<Vec<Worker>>,
    rendered_by_workers: AtomicU64,
    origins: HashMap<FileId, String>,
    rendered: AtomicU64,
    labels_id: FileId,
    labels: LabelCache,
    rows: RowSetter,
}

impl Engine {
    pub fn new(options: EngineOptions) -> Result<Engine, DocumentError> {
        let templates = options.templates.unwrap_or_else(Templates::builtin);
        let fonts = FontStore::load(&options.fonts)?;
        let mut sources = HashMap::new();
        let mut origins = HashMap::new();
        for (name, file) in &templates.files {
            let id = file_id(name).ok_or_else(|| DocumentError::TemplateFile {
                path: file.origin.clone().into(),
                message: "not a usable file name".to_string(),
            })?;
            sources.insert(id, Source::new(id, file.text.clone()));
            origins.insert(id, file.origin.clone());
        }
        let (labels_id, labels_source) = stamp::labels_source();
        sources.insert(labels_id, labels_source);
        let mut assets = HashMap::new();
        for (name, bytes) in &templates.assets {
            if let Some(id) = file_id(name) {
                assets.insert(id, Bytes::new(bytes.clone()));
            }
        }
        let shared = Shared {
            library: LazyHash::new(
                Library::builder()
                    .with_inputs(Dict::from_iter([(
                        Str::from(ledger::ROWS_INPUT),
                        Value::Str(Str::from(ledger::ROWS_STAMPED)),
                    )]))
                    .build(),
            ),
            typst_rows_library: LazyHash::new(Library::default()),
            book: LazyHash::new(fonts.book.clone()),
            fonts,
            sources,
            assets,
        };
        Ok(Engine {
            shared,
            templates,
            fonts: options.fonts,
            workers: options.workers,
            idle_workers: Mutex::new(Vec::new()),
            rendered_by_workers: AtomicU64::new(0),
            origins,
            rendered: AtomicU64::new(0),
            labels_id,
            labels: LabelCache::default(),
            rows: RowSetter::default(),
        })
    }

    /// The templates this engine renders with.
    pub fn templates(&self) -> &Templates {
        &self.templates
    }

    pub fn fonts(&self) -> FontSummary {
        self.shared.fonts.summary()
    }

    /// How many documents worker processes have rendered (or refused) for this engine.
    pub fn rendered_by_workers(&self) -> u64 {
        self.rendered_by_workers.load(Ordering::Relaxed)
    }

    /// Renders one document into a PDF.
    pub fn render(&self, data: &DocumentData) -> Result<Rendered, DocumentError> {
        let json = serde_json::to_vec(data)?;
        self.render_json(data.template(), &|| data.describe(), json)
    }

    /// Renders template `NAME.typ` with `json` as its `data.json`; `describe` names the
    /// document in errors.
    pub(crate) fn render_json(
        &self,
        name: &str,
        describe: &dyn Fn() -> String,
        json: Vec<u8>,
    ) -> Result<Rendered, DocumentError> {
        let typst_rows = ledger::needs_typst_rows(&json);
        let document = self.lay_out(name, json, typst_rows)?;
        let missing = check::missing_glyphs(&document);
        if !missing.is_empty() {
            return Err(DocumentError::MissingGlyphs {
                document: describe(),
                characters: missing,
            });
        }
        let pdf = typst_pdf::pdf(&document, &PdfOptions::default()).map_err(|errors| {
            DocumentError::Export {
                document: describe(),
                message: errors
                    .iter()
                    .map(|e| e.message.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            }
        })?;
        let pages = document.pages().len();
        drop(document);
        if self.rendered.fetch_add(1, Ordering::Relaxed) % EVICT_EVERY == EVICT_EVERY - 1 {
            typst::comemo::evict(EVICT_MAX_AGE);
        }
        Ok(Rendered { pdf, pages })
    }

    /// Template `NAME.typ` laid out with `json` as its data, ledger rows set and pages
    /// numbered: by Typst alone when `typst_rows`.
    fn lay_out(
        &self,
        name: &str,
        json: Vec<u8>,
        typst_rows: bool,
    ) -> Result<PagedDocument, DocumentError> {
        let template = format!("{name}.typ");
        let main = file_id(&template)
            .filter(|id| self.shared.sources.contains_key(id))
            .ok_or_else(|| DocumentError::MissingTemplate(template.clone()))?;
        let world = DocumentWorld {
            shared: &self.shared,
            main,
            typst_rows,
            data: Bytes::new(json),
        };
        let document = typst::compile::<PagedDocument>(&world)
            .output
            .map_err(|errors| self.diagnostic(&world, &template, &errors))?;
        let document = self.rows.set_rows(document, &world).map_err(|error| {
            self.diagnostic(
                &world,
                &template,
                &[SourceDiagnostic::error(error.span, error.message)],
            )
        })?;
        self.number_pages(document)
    }

    /// One document laid out as [`Engine::render`] would, with the ledger rows set by the
    /// engine or by Typst as asked, for tests that compare the two.
    #[cfg(test)]
    pub(crate) fn lay_out_for_test(
        &self,
        data: &DocumentData,
        typst_rows: bool,
    ) -> Result<PagedDocument, DocumentError> {
        self.lay_out(data.template(), serde_json::to_vec(data)?, typst_rows)
    }

    /// Renders `documents` `threads` at a time and hands each one, with its index, to `each`
    /// as soon as it is done (in no particular order); stops soon after the first error, the
    /// rendering's or `each`'s, and returns it.
    ///
    /// With a worker command, one document at a time is rendered here and the others in
    /// `threads - 1` worker processes (see [`crate::workers`]); else on `threads` threads of
    /// this process.
    pub fn render_each<E>(
        &self,
        documents: &[DocumentData],
        threads: usize,
        each: &EachRendered<'_, E>,
    ) -> Result<(), E>
    where
        E: From<DocumentError> + Send,
    {
        let lanes = threads.max(1).min(documents.len());
        match &self.workers {
            Some(command) if lanes > 1 => {
                self.render_each_with_workers(command, documents, lanes, each)
            }
            _ => self.render_each_on_threads(documents, threads, each),
        }
    }

    /// The pool is rayon's, the one Typst itself lays pages out on: documents side by side
    /// and Typst's own parallel work share the same threads instead of crowding the cores
    /// with twice as many.
    fn render_each_on_threads<E>(
        &self,
        documents: &[DocumentData],
        threads: usize,
        each: &EachRendered<'_, E>,
    ) -> Result<(), E>
    where
        E: From<DocumentError> + Send,
    {
        use rayon::prelude::*;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .thread_name(|i| format!("settle-render-{i}"))
            // A thread waiting inside Typst's parallel layout takes up other work of the
            // pool, another whole document among it, on top of its own stack.
            .stack_size(RENDER_STACK_BYTES)
            .build()
            .map_err(|e| E::from(DocumentError::Threads(e.to_string())))?;
        pool.install(|| {
            documents
                .par_iter()
                .enumerate()
                .try_for_each(|(index, data)| each(index, self.render(data)))
        })
    }

    fn render_each_with_workers<E>(
        &self,
        command: &WorkerCommand,
        documents: &[DocumentData],
        lanes: usize,
        each: &EachRendered<'_, E>,
    ) -> Result<(), E>
    where
        E: From<DocumentError> + Send,
    {
        let next = AtomicUsize::new(0);
        let stopped = AtomicBool::new(false);
        let first_error: Mutex<Option<E>> = Mutex::new(None);
        let stop = |error: E| {
            stopped.store(true, Ordering::Relaxed);
            if let Ok(mut first) = first_error.lock()
                && first.is_none()
            {
                *first = Some(error);
            }
        };
        // The next document nobody has taken, unless the run has stopped.
        let take = || {
            if stopped.load(Ordering::Relaxed) {
                return None;
            }
            let index = next.fetch_add(1, Ordering::Relaxed);
            documents.get(index).map(|data| (index, data))
        };
        let worker_lane = || {
            let mut worker = match self.checkout_worker(command) {
                Ok(worker) => worker,
                Err(error) => return stop(E::from(error)),
            };
            while let Some((index, data)) = take() {
                let json = match serde_json::to_vec(data) {
                    Ok(json) => json,
                    Err(error) => {
                        stop(E::from(error.into()));
                        break;
                    }
                };
                match worker.render(data.template(), &data.describe(), &json) {
                    Ok(rendered) => {
                        self.rendered_by_workers.fetch_add(1, Ordering::Relaxed);
                        if let Err(error) = each(index, rendered) {
                            stop(error);
                        }
                    }
                    // The worker is gone: its lane ends, and the run with it.
                    Err(broken) => return stop(E::from(broken)),
                }
            }
            self.checkin_worker(worker);
        };
        let own_lane = || {
            while let Some((index, data)) = take() {
                if let Err(error) = each(index, self.render(data)) {
                    stop(error);
                }
            }
        };
        std::thread::scope(|scope| {
            // The other lanes only pass documents to their workers and wait.
            let mut lanes_started = Vec::new();
            for lane in 1..lanes {
                let started = std::thread::Builder::new()
                    .name(format!("settle-render-{lane}"))
                    .spawn_scoped(scope, worker_lane);
                match started {
                    Ok(handle) => lanes_started.push(handle),
                    Err(e) => stop(E::from(DocumentError::Threads(e.to_string()))),
                }
            }
            if let Err(error) = on_one_render_thread("settle-render-0", own_lane) {
                stop(E::from(error));
            }
            for handle in lanes_started {
                if handle.join().is_err() {
                    stop(E::from(DocumentError::Threads(
                        "a rendering thread panicked".to_string(),
                    )));
                }
            }
        });
        match first_error.into_inner() {
            Ok(Some(error)) => Err(error),
            _ => Ok(()),
        }
    }

    /// An idle worker of an earlier run, or a new one.
    fn checkout_worker(&self, command: &WorkerCommand) -> Result<Worker, DocumentError> {
        let idle = self
            .idle_workers
            .lock()
            .ok()
            .and_then(|mut idle| idle.pop());
        match idle {
            Some(worker) => Ok(worker),
            None => Worker::start(command, &self.templates, &self.fonts),
        }
    }

    fn checkin_worker(&self, worker: Worker) {
        if let Ok(mut idle) = self.idle_workers.lock() {
            idle.push(worker);
        }
    }

    /// The document with its page numbers stamped into the slots its template left for them
    /// (see [`crate::stamp`]); a document without slots is returned as it is.
    fn number_pages(&self, document: PagedDocument) -> Result<PagedDocument, DocumentError> {
        let slots = stamp::slots(&document);
        if slots.iter().all(Option::is_none) {
            return Ok(document);
        }
        let labels = self.page_labels(slots.len())?;
        Ok(stamp::stamp(&document, &slots, &labels))
    }

    /// `page-label(1, pages)` … `page-label(pages, pages)` laid out, once per page count.
    fn page_labels(&self, pages: usize) -> Result<Arc<Vec<Frame>>, DocumentError> {
        if let Some(labels) = self.labels.get(pages) {
            return Ok(labels);
        }
        let world = DocumentWorld {
            shared: &self.shared,
            main: self.labels_id,
            data: stamp::labels_data(pages),
            typst_rows: false,
        };
        let document = typst::compile::<PagedDocument>(&world)
            .output
            .map_err(|errors| self.diagnostic(&world, "common.typ", &errors))?;
        let labels = Arc::new(stamp::label_frames(&document));
        if labels.len() != pages {
            return Err(DocumentError::Template {
                template: self.origin_of("common.typ"),
                line: 0,
                column: 0,
                message: format!(
                    "page-label must lay out on one page; {pages} labels took {} pages",
                    labels.len()
                ),
            });
        }
        self.labels.insert(pages, labels.clone());
        Ok(labels)
    }

    /// The first error as the template file (the user's path or `built-in NAME`), line and
    /// column it points at, with Typst's hints.
    fn diagnostic(
        &self,
        world: &DocumentWorld<'_>,
        main: &str,
        errors: &[SourceDiagnostic],
    ) -> DocumentError {
        let Some(error) = errors
            .iter()
            .find(|e| e.severity == Severity::Error)
            .or(errors.first())
        else {
            return DocumentError::Template {
                template: main.to_string(),
                line: 0,
                column: 0,
                message: "Typst failed without a message".to_string(),
            };
        };
        let mut message = error.message.to_string();
        for hint in &error.hints {
            message.push_str("; hint: ");
            message.push_str(&hint.v);
        }
        let located = error.span.id().and_then(|id| {
            let origin = match self.origins.get(&id) {
                Some(origin) => origin.clone(),
                None => id.vpath().get_without_slash().to_string(),
            };
            let range = world.range(error.span)?;
            let source = self.shared.sources.get(&id)?;
            let (line, column) = source.lines().byte_to_line_column(range.start)?;
            Some((origin, line + 1, column + 1))
        });
        // An error raised inside a function call is placed at the call's site in the
        // template when Typst cannot place it at the source of the error.
        let located = located.or_else(|| {
            error.trace.iter().find_map(|point| {
                let id = point.span.id()?;
                let range = world.range(point.span)?;
                let source = self.shared.sources.get(&id)?;
                let (line, column) = source.lines().byte_to_line_column(range.start)?;
                Some((self.origins.get(&id)?.clone(), line + 1, column + 1))
            })
        });
        let (template, line, column) = located.unwrap_or_else(|| (self.origin_of(main), 0, 0));
        DocumentError::Template {
            template,
            line,
            column,
            message,
        }
    }

    fn origin_of(&self, name: &str) -> String {
        file_id(name)
            .and_then(|id| self.origins.get(&id).cloned())
            .unwrap_or_else(|| name.to_string())
    }
}

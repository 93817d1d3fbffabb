//! Documents rendered in worker processes, one per core beside the calling process.
//!
//! Typst keeps its memo caches in process-wide tables. Two threads laying out two documents
//! in one process share them, wait on each other's locks and trim each other's entries, so a
//! second thread added only about half a core's worth of documents. A worker is the same
//! program started again in render mode (`settle render-worker`): it builds its own engine from
//! the templates and fonts the caller hands it, then renders the documents it is sent one at a
//! time, with caches of its own.
//!
//! The conversation runs over the worker's standard input and output: frames of a 4-byte
//! little-endian length and that many bytes. First the caller sends the templates, images and
//! font folders, and the worker answers whether its engine could be built; then, for each
//! document, the caller sends its template's name, its description and its data as JSON, and
//! the worker answers with the PDF and its page count, or with the error, which keeps its kind
//! (a template error still names the template's file, line and column).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{BufReader, BufWriter, Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use crate::DocumentError;
use crate::engine::{Engine, EngineOptions, Rendered};
use crate::fonts::FontSource;
use crate::templates::{TemplateFile, Templates};

/// The first frame of a conversation: a worker of another version refuses it.
const GREETING: &[u8] = b"settle-render-worker 1";
/// The first byte of every answer: ready after the setup, a document, or an error. Anything
/// else is not a worker speaking.
const READY: u8 = b'R';
const DONE: u8 = b'D';
const FAILED: u8 = b'F';
/// The largest frame either side accepts: a PDF, a template set with its images, or the data
/// of a document with tens of thousands of lines all stay well under it.
const MAX_FRAME: usize = 512 * 1024 * 1024;
/// The stack a document is laid out on: Typst recurses once per nested element, and a thread
/// of rayon's pool waiting inside Typst's own parallel layout may take up another document's
/// work on the same stack.
pub(crate) const RENDER_STACK_BYTES: usize = 64 << 20;

/// How to start a worker: a program that calls [`serve_stdio`], with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerCommand {
    pub program: PathBuf,
    pub args: Vec<String>,
}

/// A running worker, owned by one rendering lane at a time.
pub(crate) struct Worker {
    child: Child,
    input: Option<BufWriter<ChildStdin>>,
    output: BufReader<ChildStdout>,
}

impl Worker {
    /// Starts a worker and waits until its engine is built from `templates` and `fonts`.
    pub fn start(
        command: &WorkerCommand,
        templates: &Templates,
        fonts: &FontSource,
    ) -> Result<Worker, DocumentError> {
        let mut child = Command::new(&command.program)
            .args(&command.args)
            // Typst's own parallel layout would add a thread per core to every worker; the
            // workers are the parallelism.
            .env("RAYON_NUM_THREADS", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                worker_error(format!("cannot start {}: {e}", command.program.display()))
            })?;
        let (Some(input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(worker_error("started without its pipes".to_string()));
        };
        let mut worker = Worker {
            child,
            input: Some(BufWriter::new(input)),
            output: BufReader::new(output),
        };
        let mut frame = Frame::default();
        frame.bytes(GREETING);
        encode_setup(&mut frame, templates, fonts);
        worker.send(&frame)?;
        let mut reply = worker.receive()?;
        match reply.u8()? {
            READY => Ok(worker),
            FAILED => Err(decode_error(&mut reply)?),
            other => Err(out_of_turn(other)),
        }
    }

    /// Renders one document. The outer error is the worker's own failure (it died, or spoke
    /// out of turn), after which it is not used again; the inner one is the document's.
    pub fn render(
        &mut self,
        template: &str,
        describe: &str,
        json: &[u8],
    ) -> Result<Result<Rendered, DocumentError>, DocumentError> {
        let mut frame = Frame::default();
        frame.str(template);
        frame.str(describe);
        frame.bytes(json);
        self.send(&frame).map_err(|e| self.died(describe, e))?;
        let mut reply = self.receive().map_err(|e| self.died(describe, e))?;
        match reply.u8()? {
            DONE => {
                let pages = reply.u32()? as usize;
                let pdf = reply.bytes()?.to_vec();
                Ok(Ok(Rendered { pdf, pages }))
            }
            FAILED => Ok(Err(decode_error(&mut reply)?)),
            other => Err(out_of_turn(other)),
        }
    }

    fn send(&mut self, frame: &Frame) -> Result<(), DocumentError> {
        let input = self
            .input
            .as_mut()
            .ok_or_else(|| worker_error("its input is closed".to_string()))?;
        write_frame(input, &frame.0)
            .and_then(|()| input.flush())
            .map_err(|e| worker_error(format!("cannot send: {e}")))
    }

    fn receive(&mut self) -> Result<Reader, DocumentError> {
        match read_frame(&mut self.output) {
            Ok(Some(bytes)) => Ok(Reader::new(bytes)),
            Ok(None) => Err(worker_error("closed its output".to_string())),
            Err(e) => Err(worker_error(format!("cannot read its answer: {e}"))),
        }
    }

    /// The error for a worker that stopped answering while it had `describe`, with how it
    /// ended when it has.
    fn died(&mut self, describe: &str, error: DocumentError) -> DocumentError {
        self.input = None;
        let ended = match self.child.try_wait() {
            Ok(Some(status)) => format!(" ({status})"),
            _ => String::new(),
        };
        worker_error(format!(
            "stopped while rendering {describe}{ended}: {error}"
        ))
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing its input ends a worker's loop; one that does not end is stopped.
        self.input = None;
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Serves one caller on this process's standard input and output until the caller closes
/// them: what `settle render-worker` runs. The documents are laid out on a thread with a
/// stack large enough for Typst.
pub fn serve_stdio() -> Result<(), DocumentError> {
    on_one_render_thread("settle-render-worker", || {
        let input = std::io::stdin().lock();
        let output = std::io::stdout().lock();
        serve(BufReader::new(input), BufWriter::new(output))
    })?
}

/// Runs `work` on a rayon pool of one thread, with the stack a document is laid out on.
///
/// Typst lays pages out with rayon. Called from outside a pool, each of its parallel steps
/// hands the work to the global pool's threads and back, and those threads then spin a while
/// waiting for more: CPU that a process rendering one document at a time beside others does not
/// have to spare. Inside a pool of one, the same steps run in place on the calling thread.
pub(crate) fn on_one_render_thread<T: Send>(
    name: &str,
    work: impl FnOnce() -> T + Send,
) -> Result<T, DocumentError> {
    let name = name.to_string();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .thread_name(move |_| name.clone())
        .stack_size(RENDER_STACK_BYTES)
        .build()
        .map_err(|e| DocumentError::Threads(e.to_string()))?;
    pool.install(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)))
        .map_err(|_| DocumentError::Threads("a rendering thread panicked".to_string()))
}

/// The worker's side of the conversation.
pub fn serve(mut input: impl Read, mut output: impl Write) -> Result<(), DocumentError> {
    let io = |e: std::io::Error| worker_error(format!("talking to the caller: {e}"));
    let Some(setup) = read_frame(&mut input).map_err(io)? else {
        return Ok(());
    };
    let mut setup = Reader::new(setup);
    if setup.bytes()? != GREETING {
        return Err(worker_error(
            "the caller is not a Settle of this version".to_string(),
        ));
    }
    let (templates, fonts) = decode_setup(&mut setup)?;
    let engine = Engine::new(EngineOptions {
        templates: Some(templates),
        fonts,
        workers: None,
    });
    let mut answer = |reply: Frame| {
        write_frame(&mut output, &reply.0)
            .and_then(|()| output.flush())
            .map_err(io)
    };
    let mut reply = Frame::default();
    let engine = match engine {
        Ok(engine) => {
            reply.u8(READY);
            engine
        }
        Err(error) => {
            reply.u8(FAILED);
            encode_error(&mut reply, &error);
            answer(reply)?;
            return Err(error);
        }
    };
    answer(reply)?;
    while let Some(job) = read_frame(&mut input).map_err(io)? {
        let mut job = Reader::new(job);
        let template = job.string()?;
        let describe = job.string()?;
        let json = job.bytes()?.to_vec();
        let mut reply = Frame::default();
        match engine.render_json(&template, &|| describe.clone(), json) {
            Ok(rendered) => {
                reply.u8(DONE);
                reply.u32(rendered.pages as u32);
                reply.bytes(&rendered.pdf);
            }
            Err(error) => {
                reply.u8(FAILED);
                encode_error(&mut reply, &error);
            }
        }
        answer(reply)?;
    }
    Ok(())
}

fn worker_error(message: String) -> DocumentError {
    DocumentError::Worker(message)
}

fn out_of_turn(first: u8) -> DocumentError {
    worker_error(format!(
        "answered with a message that starts with byte {first}: not a render worker of this version"
    ))
}

fn encode_setup(frame: &mut Frame, templates: &Templates, fonts: &FontSource) {
    frame.u32(templates.files.len() as u32);
    for (name, file) in &templates.files {
        frame.str(name);
        frame.str(&file.origin);
        frame.str(&file.text);
    }
    frame.u32(templates.assets.len() as u32);
    for (name, bytes) in &templates.assets {
        frame.str(name);
        frame.bytes(bytes);
    }
    frame.u8(u8::from(fonts.system));
    frame.u32(fonts.dirs.len() as u32);
    for dir in &fonts.dirs {
        frame.path(dir);
    }
}

fn decode_setup(setup: &mut Reader) -> Result<(Templates, FontSource), DocumentError> {
    let mut files = BTreeMap::new();
    for _ in 0..setup.u32()? {
        let name = setup.string()?;
        let origin = setup.string()?;
        let text = setup.string()?;
        files.insert(name, TemplateFile { text, origin });
    }
    let mut assets = BTreeMap::new();
    for _ in 0..setup.u32()? {
        let name = setup.string()?;
        assets.insert(name, setup.bytes()?.to_vec());
    }
    let system = setup.u8()? != 0;
    let mut dirs = Vec::new();
    for _ in 0..setup.u32()? {
        dirs.push(setup.path()?);
    }
    Ok((Templates { files, assets }, FontSource { system, dirs }))
}

/// An error as its kind and fields, so that the caller reports it as if it had rendered the
/// document itself.
fn encode_error(frame: &mut Frame, error: &DocumentError) {
    match error {
        DocumentError::Template {
            template,
            line,
            column,
            message,
        } => {
            frame.u8(0);
            frame.str(template);
            frame.u32(*line as u32);
            frame.u32(*column as u32);
            frame.str(message);
        }
        DocumentError::MissingGlyphs {
            document,
            characters,
        } => {
            frame.u8(1);
            frame.str(document);
            frame.str(characters);
        }
        DocumentError::Export { document, message } => {
            frame.u8(2);
            frame.str(document);
            frame.str(message);
        }
        DocumentError::MissingTemplate(name) => {
            frame.u8(3);
            frame.str(name);
        }
        DocumentError::TemplateFile { path, message } => {
            frame.u8(4);
            frame.path(path);
            frame.str(message);
        }
        DocumentError::Fonts { path, message } => {
            frame.u8(5);
            frame.path(path);
            frame.str(message);
        }
        DocumentError::Worker(message) => {
            frame.u8(6);
            frame.str(message);
        }
        // Data and thread errors arise on the caller's side, not in a worker.
        other => {
            frame.u8(6);
            frame.str(&other.to_string());
        }
    }
}

fn decode_error(reply: &mut Reader) -> Result<DocumentError, DocumentError> {
    Ok(match reply.u8()? {
        0 => DocumentError::Template {
            template: reply.string()?,
            line: reply.u32()? as usize,
            column: reply.u32()? as usize,
            message: reply.string()?,
        },
        1 => DocumentError::MissingGlyphs {
            document: reply.string()?,
            characters: reply.string()?,
        },
        2 => DocumentError::Export {
            document: reply.string()?,
            message: reply.string()?,
        },
        3 => DocumentError::MissingTemplate(reply.string()?),
        4 => DocumentError::TemplateFile {
            path: reply.path()?,
            message: reply.string()?,
        },
        5 => DocumentError::Fonts {
            path: reply.path()?,
            message: reply.string()?,
        },
        6 => DocumentError::Worker(reply.string()?),
        kind => {
            return Err(worker_error(format!(
                "answered with an error of kind {kind}"
            )));
        }
    })
}

fn write_frame(output: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    output.write_all(&(bytes.len() as u32).to_le_bytes())?;
    output.write_all(bytes)
}

/// The next frame, or `None` when the other side closed the pipe between frames.
fn read_frame(input: &mut impl Read) -> std::io::Result<Option<Vec<u8>>> {
    let mut length = [0u8; 4];
    let mut filled = 0;
    while filled < length.len() {
        match input.read(&mut length[filled..])? {
            0 if filled == 0 => return Ok(None),
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => filled += n,
        }
    }
    let length = u32::from_le_bytes(length) as usize;
    if length > MAX_FRAME {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a frame of {length} bytes; at most {MAX_FRAME}"),
        ));
    }
    let mut bytes = vec![0; length];
    input.read_exact(&mut bytes)?;
    Ok(Some(bytes))
}

/// A message being written: fields one after another, variable-length ones after their
/// length.
#[derive(Default)]
struct Frame(Vec<u8>);

impl Frame {
    fn u8(&mut self, value: u8) {
        self.0.push(value);
    }

    fn u32(&mut self, value: u32) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }

    fn bytes(&mut self, value: &[u8]) {
        self.u32(value.len() as u32);
        self.0.extend_from_slice(value);
    }

    fn str(&mut self, value: &str) {
        self.bytes(value.as_bytes());
    }

    /// A path as the system's bytes: a folder's name need not be UTF-8.
    fn path(&mut self, value: &Path) {
        self.bytes(value.as_os_str().as_bytes());
    }
}

/// A message being read, field by field, in the order [`Frame`] wrote them.
struct Reader {
    bytes: Vec<u8>,
    at: usize,
}

impl Reader {
    fn new(bytes: Vec<u8>) -> Reader {
        Reader { bytes, at: 0 }
    }

    fn take(&mut self, length: usize) -> Result<&[u8], DocumentError> {
        let end = self
            .at
            .checked_add(length)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| worker_error("sent a message cut short".to_string()))?;
        let field = &self.bytes[self.at..end];
        self.at = end;
        Ok(field)
    }

    fn u8(&mut self) -> Result<u8, DocumentError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, DocumentError> {
        let field = self.take(4)?;
        Ok(u32::from_le_bytes([field[0], field[1], field[2], field[3]]))
    }

    fn bytes(&mut self) -> Result<&[u8], DocumentError> {
        let length = self.u32()? as usize;
        self.take(length)
    }

    fn string(&mut self) -> Result<String, DocumentError> {
        let field = self.bytes()?;
        String::from_utf8(field.to_vec())
            .map_err(|_| worker_error("sent text that is not UTF-8".to_string()))
    }

    fn path(&mut self) -> Result<PathBuf, DocumentError> {
        Ok(PathBuf::from(OsString::from_vec(self.bytes()?.to_vec())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_crosses_the_pipe_unchanged() {
        let errors = [
            DocumentError::Template {
                template: "templates/statement.typ".to_string(),
                line: 12,
                column: 7,
                message: "unknown variable: totl".to_string(),
            },
            DocumentError::MissingGlyphs {
                document: "statement C-1 as of 2026-10-31".to_string(),
                characters: "株式".to_string(),
            },
            DocumentError::Export {
                document: "invoice INV-9".to_string(),
                message: "font has no name".to_string(),
            },
            DocumentError::MissingTemplate("receipt.typ".to_string()),
            DocumentError::TemplateFile {
                path: PathBuf::from("templates/logo.png"),
                message: "too large".to_string(),
            },
            DocumentError::Fonts {
                path: PathBuf::from("fonts"),
                message: "permission denied".to_string(),
            },
            DocumentError::Worker("stopped".to_string()),
        ];
        for error in errors {
            let mut frame = Frame::default();
            encode_error(&mut frame, &error);
            let mut reader = Reader::new(frame.0);
            let decoded = decode_error(&mut reader).unwrap();
            assert_eq!(decoded.to_string(), error.to_string());
            assert_eq!(
                std::mem::discriminant(&decoded),
                std::mem::discriminant(&error)
            );
        }
    }

    #[test]
    fn a_message_cut_short_is_an_error_not_a_panic() {
        let mut frame = Frame::default();
        frame.str("statement");
        let cut = frame.0[..frame.0.len() - 2].to_vec();
        let mut reader = Reader::new(cut);
        assert!(matches!(reader.string(), Err(DocumentError::Worker(_))));
        let mut reader = Reader::new(vec![0xff, 0xff, 0xff, 0x7f]);
        assert!(reader.bytes().is_err());
    }

    #[test]
    fn the_setup_crosses_the_pipe_unchanged() {
        let mut templates = Templates::builtin();
        templates.add_image("logo.png", vec![0x89, b'P', b'N', b'G', 0, 1, 2]);
        let fonts = FontSource {
            system: true,
            dirs: vec![
                PathBuf::from("fonts/extra"),
                PathBuf::from(OsString::from_vec(b"Schriften/\xe4".to_vec())),
            ],
        };
        let mut frame = Frame::default();
        encode_setup(&mut frame, &templates, &fonts);
        let mut reader = Reader::new(frame.0);
        let (decoded, decoded_fonts) = decode_setup(&mut reader).unwrap();
        assert_eq!(decoded, templates);
        assert_eq!(decoded_fonts.system, fonts.system);
        assert_eq!(decoded_fonts.dirs, fonts.dirs);
    }

    #[test]
    fn frames_are_read_back_and_a_clean_close_is_no_frame() {
        let mut pipe = Vec::new();
        write_frame(&mut pipe, b"first").unwrap();
        write_frame(&mut pipe, b"").unwrap();
        let mut input = pipe.as_slice();
        assert_eq!(read_frame(&mut input).unwrap(), Some(b"first".to_vec()));
        assert_eq!(read_frame(&mut input).unwrap(), Some(Vec::new()));
        assert_eq!(read_frame(&mut input).unwrap(), None);
        let mut torn: &[u8] = &[5, 0];
        assert!(read_frame(&mut torn).is_err());
    }
}

//! The engine on made-up documents: every built-in template renders, statements break across
//! pages, a broken user template is reported with its file and line, and text no font can
//! show is refused rather than printed as empty boxes.

use settle_documents::model::{DocumentBody, Paper};
use settle_documents::{
    DocumentError, Engine, EngineOptions, FontSource, Templates, WorkerCommand, sample,
};

fn engine(templates: Option<Templates>, system: bool) -> Engine {
    engine_with(templates, system, None)
}

fn engine_with(
    templates: Option<Templates>,
    system: bool,
    workers: Option<WorkerCommand>,
) -> Engine {
    Engine::new(EngineOptions {
        templates,
        fonts: FontSource {
            system,
            dirs: Vec::new(),
        },
        workers,
    })
    .expect("the engine starts")
}

fn latin_only(index: usize) -> settle_documents::model::DocumentData {
    // Index 0, 1, 2, 6 and 7 are Latin, Greek and Cyrillic names, which Inter covers.
    sample::statement(index, 10)
}

#[test]
fn a_statement_renders_to_a_pdf_with_inter_alone() {
    let engine = engine(None, false);
    for index in [0, 1, 2, 6, 7] {
        let rendered = engine.render(&latin_only(index)).expect("renders");
        assert!(rendered.pdf.starts_with(b"%PDF-"));
        assert_eq!(rendered.pages, 1);
    }
}

#[test]
fn a_long_statement_breaks_across_pages_on_both_paper_sizes() {
    let engine = engine(None, false);
    let mut data = sample::statement(0, 80);
    let a4 = engine.render(&data).expect("renders").pages;
    data.letterhead.paper = Paper::UsLetter;
    let letter = engine.render(&data).expect("renders").pages;
    assert!(a4 >= 2 && letter >= 2, "{a4} and {letter} pages");
}

#[test]
fn cjk_without_a_cjk_font_is_refused_naming_the_characters() {
    let engine = engine(None, false);
    let error = engine
        .render(&sample::statement(3, 5))
        .expect_err("no CJK font");
    match error {
        DocumentError::MissingGlyphs {
            document,
            characters,
        } => {
            assert!(document.contains("C0004"), "{document}");
            assert!(characters.contains('東'), "{characters}");
        }
        other => panic!("expected missing glyphs, got {other}"),
    }
}

#[test]
fn a_broken_user_template_names_its_file_and_line() {
    let dir = std::env::temp_dir().join(format!("settle-templates-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("statement.typ"),
        "#import \"common.typ\": *\n\n#let total = data.body.no_such_field\n",
    )
    .unwrap();
    let templates = Templates::from_dir(&dir).expect("the folder reads");
    let engine = engine(Some(templates), false);
    let error = engine
        .render(&latin_only(0))
        .expect_err("broken template")
        .to_string();
    let path = dir.join("statement.typ").display().to_string();
    assert!(error.starts_with(&format!("{path}:3:")), "{error}");
    assert!(error.contains("no_such_field"), "{error}");
    std::fs::write(
        dir.join("statement.typ"),
        "#import \"common.typ\": *\n#let x = (1, 2\n",
    )
    .unwrap();
    let engine = self::engine(Some(Templates::from_dir(&dir).unwrap()), false);
    let error = engine
        .render(&latin_only(0))
        .expect_err("syntax error")
        .to_string();
    assert!(error.starts_with(&format!("{path}:")), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_user_template_overrides_the_built_in_one() {
    let dir = std::env::temp_dir().join(format!("settle-override-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("statement.typ"),
        "#import \"common.typ\": *\n#show: settle-page.with(\"Kontoauszug\", data.body.as_of)\n= Kontoauszug #data.customer.name\n",
    )
    .unwrap();
    let engine = engine(Some(Templates::from_dir(&dir).unwrap()), false);
    let rendered = engine.render(&latin_only(0)).expect("renders");
    assert_eq!(rendered.pages, 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_built_in_template_compiles() {
    let engine = engine(None, false);
    let data = latin_only(0);
    let DocumentBody::Statement(_) = &data.body else {
        panic!("a statement")
    };
    assert!(Templates::builtin().has("statement"));
    for name in [
        "invoice",
        "statement",
        "dunning",
        "receipt",
        "plan",
        "confirmation",
        "common",
    ] {
        assert!(Templates::builtin().has(name), "{name}");
    }
    engine.render(&data).expect("statement");
}

/// The worker program the tests start: this crate's `render_worker` example, which cargo
/// builds beside the tests. A missing one fails the tests that need it.
fn worker_command() -> WorkerCommand {
    let test = std::env::current_exe().expect("the test knows its own path");
    let profile = test
        .parent()
        .and_then(|deps| deps.parent())
        .expect("tests live in target/PROFILE/deps");
    let program = profile.join("examples").join("render_worker");
    assert!(
        program.is_file(),
        "{} is missing: `cargo test` builds it with the tests",
        program.display()
    );
    WorkerCommand {
        program,
        args: Vec::new(),
    }
}

fn engine_with_workers(templates: Option<Templates>, workers: WorkerCommand) -> Engine {
    engine_with(templates, false, Some(workers))
}

/// Every document of `documents`, rendered `threads` at a time, in order.
fn render_all(
    engine: &Engine,
    documents: &[settle_documents::model::DocumentData],
    threads: usize,
) -> Result<Vec<settle_documents::Rendered>, DocumentError> {
    let done = std::sync::Mutex::new(Vec::new());
    engine.render_each(documents, threads, &|index, rendered| {
        done.lock().unwrap().push((index, rendered?));
        Ok::<(), DocumentError>(())
    })?;
    let mut done = done.into_inner().unwrap();
    done.sort_by_key(|(index, _)| *index);
    Ok(done.into_iter().map(|(_, rendered)| rendered).collect())
}

#[test]
fn worker_processes_render_the_same_pdfs_as_this_process() {
    let documents: Vec<_> = (0..24)
        .map(|i| latin_only([0, 1, 2, 6, 7][i % 5] + 8 * i))
        .collect();
    let alone = engine(None, false);
    let engine = engine_with_workers(None, worker_command());
    // Twice: the second run reuses the workers the first one started.
    for run in 0..2 {
        let before = engine.rendered_by_workers();
        let rendered = render_all(&engine, &documents, 3).expect("renders");
        let by_workers = engine.rendered_by_workers() - before;
        assert!(
            by_workers > 0,
            "run {run}: the two workers rendered none of the 24"
        );
        for (data, rendered) in documents.iter().zip(&rendered) {
            let here = alone.render(data).expect("renders here");
            assert_eq!(rendered.pages, here.pages);
            assert!(
                rendered.pdf == here.pdf,
                "{}: the same bytes from a worker as from this process",
                data.describe()
            );
        }
    }
}

#[test]
fn a_broken_template_in_a_worker_is_named_with_its_file_and_line() {
    let dir = std::env::temp_dir().join(format!("settle-worker-template-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("statement.typ"),
        "#import \"common.typ\": *\n\n#data.body.no_such_field\n",
    )
    .unwrap();
    let templates = Templates::from_dir(&dir).unwrap();
    let engine = engine_with_workers(Some(templates), worker_command());
    let documents: Vec<_> = (0..8).map(|i| latin_only(8 * i)).collect();
    // Each lane stops at its first document's error; the run reports one of them, and a
    // worker's reads exactly as this process's would.
    let error = render_all(&engine, &documents, 2).expect_err("the template is broken");
    match error {
        DocumentError::Template {
            template,
            line,
            message,
            ..
        } => {
            assert!(template.ends_with("statement.typ"), "{template}");
            assert_eq!(line, 3);
            assert!(message.contains("no_such_field"), "{message}");
        }
        other => panic!("expected a template error, got {other}"),
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_worker_that_cannot_start_or_does_not_answer_fails_the_run_naming_it() {
    let documents: Vec<_> = (0..4).map(|i| latin_only(8 * i)).collect();
    let missing = WorkerCommand {
        program: "/nonexistent/settle".into(),
        args: Vec::new(),
    };
    let error = render_all(&engine_with_workers(None, missing), &documents, 2)
        .expect_err("no such program");
    assert!(
        matches!(&error, DocumentError::Worker(m) if m.contains("cannot start /nonexistent/settle")),
        "{error}"
    );
    // A program that ends at once, and one that answers nonsense (echoes what it is sent).
    for program in ["true", "cat"] {
        let command = WorkerCommand {
            program: program.into(),
            args: Vec::new(),
        };
        let error = render_all(&engine_with_workers(None, command), &documents, 2)
            .expect_err("not a worker");
        assert!(
            matches!(error, DocumentError::Worker(_)),
            "{program}: {error}"
        );
    }
    // One lane is this process: one thread needs no worker.
    let missing = WorkerCommand {
        program: "/nonexistent/settle".into(),
        args: Vec::new(),
    };
    let engine = engine_with_workers(None, missing);
    assert_eq!(
        render_all(&engine, &documents, 1).expect("renders").len(),
        4
    );
    assert_eq!(engine.rendered_by_workers(), 0);
}

//! The engine on made-up documents: every built-in template renders, statements break across
//! pages, a broken user template is reported with its file and line, and text no font can
//! show is refused rather than printed as empty boxes.

use settle_documents::model::{DocumentBody, Paper};
use settle_documents::{DocumentError, Engine, EngineOptions, FontSource, Templates, sample};

fn engine(templates: Option<Templates>, system: bool) -> Engine {
    Engine::new(EngineOptions {
        templates,
        fonts: FontSource {
            system,
            dirs: Vec::new(),
        },
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

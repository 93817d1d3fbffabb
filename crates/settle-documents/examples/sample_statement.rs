//! Writes made-up statements as PDF into a folder, to look at a template change without a
//! ledger: `cargo run -p settle-documents --example sample_statement -- OUT [LINES] [TEMPLATES]`.

use settle_documents::{Engine, EngineOptions, FontSource, Templates, sample};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = std::path::PathBuf::from(args.next().unwrap_or_else(|| "samples".to_string()));
    let lines: usize = args.next().map_or(Ok(45), |n| n.parse())?;
    let templates = args
        .next()
        .map(|dir| Templates::from_dir(std::path::Path::new(&dir)))
        .transpose()?;
    let engine = Engine::new(EngineOptions {
        templates,
        fonts: FontSource {
            system: true,
            dirs: Vec::new(),
        },
        workers: None,
    })?;
    std::fs::create_dir_all(&out)?;
    for index in 0..sample::NAMES.len() {
        let rendered = engine.render(&sample::statement(index, lines))?;
        let path = out.join(format!("sample-{index}.pdf"));
        std::fs::write(&path, &rendered.pdf)?;
        println!("{} ({} pages)", path.display(), rendered.pages);
    }
    Ok(())
}

//! Times rendering per sample name, optionally with a templates folder:
//! `cargo run --release -p settle-documents --example timing [-- TEMPLATES]`.

use std::time::Instant;
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use settle_documents::{Engine, EngineOptions, FontSource, sample};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let templates = std::env::args()
        .nth(1)
        .map(|dir| settle_documents::Templates::from_dir(std::path::Path::new(&dir)))
        .transpose()?;
    let engine = Engine::new(EngineOptions {
        templates,
        fonts: FontSource {
            system: true,
            dirs: Vec::new(),
        },
        workers: None,
    })?;
    for name in 0..sample::NAMES.len() {
        engine.render(&sample::statement(name, 45))?;
        let started = Instant::now();
        for i in 1..=20 {
            engine.render(&sample::statement(name + i * sample::NAMES.len(), 45))?;
        }
        println!(
            "{name} {}: {:.1} ms each",
            sample::NAMES[name],
            started.elapsed().as_secs_f64() * 1000.0 / 20.0
        );
    }
    Ok(())
}

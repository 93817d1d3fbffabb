//! Times rendering per sample name, optionally with a templates folder, for the first NAMES
//! names only and COUNT statements a name (20; over 100, the CPU time of every 100 is shown):
//! `cargo run --release -p settle-documents --example timing [-- TEMPLATES|- [NAMES [COUNT]]]`.
//!
//! It renders on one thread of a rayon pool of one, as each process of a statement run does;
//! with `SETTLE_TIMING_GLOBAL_POOL=1`, on the main thread beside rayon's global pool instead.

use std::time::Instant;
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use settle_documents::{Engine, EngineOptions, FontSource, sample};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("SETTLE_TIMING_GLOBAL_POOL").is_some() {
        return time();
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .stack_size(64 << 20)
        .build()?
        .install(|| time().map_err(|e| e.to_string()))
        .map_err(Into::into)
}

fn time() -> Result<(), Box<dyn std::error::Error>> {
    let names: usize = std::env::args()
        .nth(2)
        .map_or(Ok(sample::NAMES.len()), |n| n.parse())?;
    let count: usize = std::env::args().nth(3).map_or(Ok(20), |n| n.parse())?;
    let templates = std::env::args()
        .nth(1)
        .filter(|dir| dir != "-")
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
    for name in 0..names.min(sample::NAMES.len()) {
        engine.render(&sample::statement(name, 45))?;
        let started = Instant::now();
        let cpu_started = cpu_seconds();
        let mut window = cpu_seconds();
        for i in 1..=count {
            engine.render(&sample::statement(name + i * sample::NAMES.len(), 45))?;
            if count > 100 && i % 100 == 0 {
                println!(
                    "  statements {}-{i}: {:.1} ms of CPU each",
                    i - 99,
                    (cpu_seconds() - window) * 1000.0 / 100.0
                );
                window = cpu_seconds();
            }
        }
        println!(
            "{name} {}: {:.1} ms each, {:.1} ms of CPU",
            sample::NAMES[name],
            started.elapsed().as_secs_f64() * 1000.0 / count as f64,
            (cpu_seconds() - cpu_started) * 1000.0 / count as f64
        );
    }
    Ok(())
}

/// This process's time on a CPU so far, over all its threads (Linux's scheduler statistics; 0
/// elsewhere), which a busy neighbour on a shared machine disturbs less than the wall clock.
fn cpu_seconds() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<f64>().ok())
        .sum::<f64>()
        / 1e9
}

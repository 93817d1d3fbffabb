//! `settle bench --statements N`: N two-page customer statements rendered to PDF by Settle's
//! engine on every core, and in the same run the same statements as HTML rendered to PDF by
//! WeasyPrint (the obvious alternative: an HTML template and a CSS paged-media renderer), with
//! as many worker processes as Settle has threads. Medians of several runs.
//!
//! The statements are the made-up ones of `settle_documents::sample` (names in several
//! scripts), so the benchmark needs no ledger; both renderers get the same text, the same
//! table, the same font (Inter, written beside the HTML) and the same page size.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use settle_documents::model::{DocumentBody, DocumentData};
use settle_documents::{BUNDLED_FONTS, Engine, EngineOptions, FontSource, WorkerCommand, sample};

use crate::{ServiceError, ServiceResult};

/// Open items on each benchmark statement: with the letterhead and the aging, two A4 pages.
pub const LINES_PER_STATEMENT: usize = 45;

#[derive(Debug, Clone)]
pub struct StatementBenchOptions {
    pub statements: usize,
    pub runs: usize,
    pub threads: usize,
    pub dir: PathBuf,
    /// Run WeasyPrint too (`python3 -m weasyprint` must import).
    pub weasyprint: bool,
    /// Render in worker processes, as `settle statements` does.
    pub workers: Option<WorkerCommand>,
}

#[derive(Debug, Clone, Default)]
pub struct StatementBenchResult {
    pub statements: usize,
    pub pages_per_statement: f64,
    pub bytes_per_statement: f64,
    /// Seconds per run, Settle's engine (fonts and templates loaded before the clock starts).
    pub settle_seconds: Vec<f64>,
    /// With worker processes: seconds per run of the same engine on threads of this process
    /// alone, each run right after the one with workers, on statements of its own.
    pub settle_threads_seconds: Vec<f64>,
    /// The start-up before the first run: templates parsed, fonts loaded, one statement in
    /// each script rendered.
    pub warm_up_seconds: f64,
    /// Seconds per run, WeasyPrint (interpreter start and imports before the clock starts).
    pub weasyprint_seconds: Vec<f64>,
    pub weasyprint_pages_per_statement: f64,
    pub weasyprint_version: String,
}

/// Runs the benchmark; `log` hears progress.
pub fn run(
    options: &StatementBenchOptions,
    log: &dyn Fn(&str),
) -> ServiceResult<StatementBenchResult> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ServiceError::Io { path, source }
    };
    std::fs::create_dir_all(&options.dir).map_err(io(&options.dir))?;
    // Every run renders statements of its own (other amounts and numbers), so that no run
    // finds the previous run's documents in Typst's caches.
    let batch = |run: usize| -> Vec<DocumentData> {
        (0..options.statements)
            .map(|i| sample::statement(run * options.statements + i, LINES_PER_STATEMENT))
            .collect()
    };
    let statements = batch(0);
    let engine_with = |workers: Option<WorkerCommand>| {
        Engine::new(EngineOptions {
            templates: None,
            fonts: FontSource {
                system: true,
                dirs: Vec::new(),
            },
            workers,
        })
    };
    let engine = engine_with(options.workers.clone())?;
    // The first documents start the workers, parse the templates and every font they need
    // (the CJK fonts are several megabytes each): timed apart, as the start-up a statement
    // run pays once. Each script comes round once per thread, so that every worker most
    // likely meets each.
    let started = Instant::now();
    let warm_up: Vec<DocumentData> = (0..sample::NAMES.len() * options.threads.max(1))
        .map(|index| sample::statement(1_000_000 + index, LINES_PER_STATEMENT))
        .collect();
    render_all(&engine, &warm_up, options.threads)?;
    let mut result = StatementBenchResult {
        statements: options.statements,
        warm_up_seconds: started.elapsed().as_secs_f64(),
        ..StatementBenchResult::default()
    };
    // The alternative the workers replaced, measured beside them: the same engine on threads.
    let threads_engine = match options.workers {
        Some(_) => {
            let engine = engine_with(None)?;
            render_all(&engine, &warm_up, options.threads)?;
            Some(engine)
        }
        None => None,
    };
    for run in 0..options.runs {
        if let Some(engine) = &threads_engine {
            let statements = batch(options.runs + run + 1);
            let started = Instant::now();
            render_all(engine, &statements, options.threads)?;
            let seconds = started.elapsed().as_secs_f64();
            log(&format!(
                "run {}: settle on {} threads in one process, {} statements in {seconds:.2} s",
                run + 1,
                options.threads,
                statements.len()
            ));
            result.settle_threads_seconds.push(seconds);
        }
        let statements = batch(run + 1);
        let started = Instant::now();
        let (pages, bytes) = render_all(&engine, &statements, options.threads)?;
        let seconds = started.elapsed().as_secs_f64();
        result.pages_per_statement = pages as f64 / statements.len() as f64;
        result.bytes_per_statement = bytes as f64 / statements.len() as f64;
        log(&format!(
            "run {}: settle {} statements ({pages} pages) in {seconds:.2} s",
            run + 1,
            statements.len()
        ));
        result.settle_seconds.push(seconds);
    }
    if options.weasyprint {
        let html_dir = options.dir.join("statements-html");
        std::fs::create_dir_all(&html_dir).map_err(io(&html_dir))?;
        for (name, bytes) in BUNDLED_FONTS {
            let path = html_dir.join(name);
            std::fs::write(&path, bytes).map_err(io(&path))?;
        }
        for (i, data) in statements.iter().enumerate() {
            let path = html_dir.join(format!("statement-{i:05}.html"));
            std::fs::write(&path, statement_html(data)).map_err(io(&path))?;
        }
        let script = options.dir.join("weasyprint_bench.py");
        std::fs::write(&script, WEASYPRINT_SCRIPT).map_err(io(&script))?;
        for run in 0..options.runs {
            let output = std::process::Command::new("python3")
                .arg(&script)
                .arg(&html_dir)
                .arg(options.threads.to_string())
                .output()
                .map_err(io(&script))?;
            if !output.status.success() {
                return Err(ServiceError::Refused(format!(
                    "WeasyPrint failed (pip install weasyprint): {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                )));
            }
            let text = String::from_utf8_lossy(&output.stdout);
            let mut fields = text.split_whitespace();
            let (Some(version), Some(seconds), Some(pages)) =
                (fields.next(), fields.next(), fields.next())
            else {
                return Err(ServiceError::Refused(format!("WeasyPrint said {text:?}")));
            };
            let seconds: f64 = seconds.parse().unwrap_or(f64::NAN);
            let pages: f64 = pages.parse().unwrap_or(f64::NAN);
            log(&format!(
                "run {}: weasyprint {version} {} statements ({pages} pages) in {seconds:.2} s",
                run + 1,
                statements.len()
            ));
            result.weasyprint_version = version.to_string();
            result.weasyprint_pages_per_statement = pages / statements.len() as f64;
            result.weasyprint_seconds.push(seconds);
        }
    }
    Ok(result)
}

fn render_all(
    engine: &Engine,
    statements: &[DocumentData],
    threads: usize,
) -> ServiceResult<(usize, usize)> {
    let pages = AtomicUsize::new(0);
    let bytes = AtomicUsize::new(0);
    engine.render_each(statements, threads, &|_, rendered| -> ServiceResult<()> {
        let rendered = rendered?;
        pages.fetch_add(rendered.pages, Ordering::Relaxed);
        bytes.fetch_add(rendered.pdf.len(), Ordering::Relaxed);
        Ok(())
    })?;
    Ok((pages.into_inner(), bytes.into_inner()))
}

/// Times WeasyPrint over every HTML file of a folder with N worker processes, after the
/// imports; prints `VERSION SECONDS PAGES`.
const WEASYPRINT_SCRIPT: &str = r#"
import sys, time, glob, os
from multiprocessing import Pool
import weasyprint

def render(path):
    document = weasyprint.HTML(filename=path).render()
    document.write_pdf(path[:-5] + ".pdf")
    return len(document.pages)

if __name__ == "__main__":
    folder, workers = sys.argv[1], int(sys.argv[2])
    files = sorted(glob.glob(os.path.join(folder, "*.html")))
    with Pool(workers) as pool:
        pool.map(render, files[:workers])  # warm-up: imports and fonts in every worker
        start = time.perf_counter()
        pages = sum(pool.map(render, files, chunksize=8))
        seconds = time.perf_counter() - start
    print(weasyprint.__version__, f"{seconds:.3f}", pages)
"#;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The statement as the HTML an HTML-to-PDF pipeline would use: the same letterhead, table
/// (its header repeated on each page by `thead`), totals and aging.
pub fn statement_html(data: &DocumentData) -> String {
    let DocumentBody::Statement(statement) = &data.body else {
        return String::new();
    };
    let lh = &data.letterhead;
    let c = &lh.company;
    let mut html = String::with_capacity(32 * 1024);
    let _ = write!(
        html,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Statement {as_of}</title><style>
@font-face {{ font-family: Inter; src: url(Inter-Regular.otf); font-weight: 400; }}
@font-face {{ font-family: Inter; src: url(Inter-Bold.otf); font-weight: 700; }}
@page {{ size: A4; margin: 18mm 18mm 22mm 20mm;
  @bottom-left {{ content: "{company}"; font: 7.5pt Inter; color: #61707d; }}
  @bottom-right {{ content: "Page " counter(page) " of " counter(pages); font: 7.5pt Inter; color: #61707d; }} }}
body {{ font: 9pt Inter, "Droid Sans Fallback", sans-serif; color: #1f2933; }}
.head {{ display: flex; justify-content: space-between; }}
.name {{ font-size: 13pt; font-weight: 700; }} .muted {{ color: #61707d; font-size: 8pt; }}
.addr {{ margin-top: 12mm; display: flex; justify-content: space-between; }}
h1 {{ color: #1d4e89; font-size: 16pt; margin: 0; }}
table {{ width: 100%; border-collapse: collapse; margin-top: 8mm; font-size: 8.5pt; }}
th {{ text-align: left; border-bottom: 0.7pt solid #1f2933; padding: 1.6mm 2.2mm; }}
td {{ border-bottom: 0.3pt solid #c9d2db; padding: 1.6mm 2.2mm; }}
tr:nth-child(even) td {{ background: #f3f6f9; }} .r {{ text-align: right; }}
.totals {{ width: 80mm; margin-left: auto; margin-top: 4mm; }} .aging {{ page-break-inside: avoid; }}
</style></head><body>
<div class="head"><div><div class="name">{company}</div><div class="muted">{address}</div></div>
<div class="muted">{phone}<br>{email}<br>{website}<br>Tax ID {tax}</div></div>
<div class="addr"><div><div class="muted">{company}</div><b>{customer}</b><br>{customer_address}</div>
<div><h1>Statement</h1><div>Statement date <b>{as_of}</b><br>Customer {code}</div></div></div>
"#,
        as_of = statement.as_of,
        company = escape(&c.name),
        address = c
            .address
            .iter()
            .map(|l| escape(l))
            .collect::<Vec<_>>()
            .join("<br>"),
        phone = escape(&c.phone),
        email = escape(&c.email),
        website = escape(&c.website),
        tax = escape(&c.tax_id),
        customer = escape(&lh.customer.name),
        customer_address = lh
            .customer
            .address
            .iter()
            .map(|l| escape(l))
            .collect::<Vec<_>>()
            .join("<br>"),
        code = escape(&lh.customer.code),
    );
    let text = |m: &settle_core::Money| settle_documents::model::format_amount(*m);
    for section in &statement.sections {
        let cur = section.currency.code();
        let _ = write!(
            html,
            "<table><thead><tr><th>Date</th><th>Reference</th><th>Due</th><th class=r>Days over</th>\
             <th class=r>Amount {cur}</th><th class=r>Balance</th></tr></thead><tbody>"
        );
        for line in &section.lines {
            let _ = write!(
                html,
                "<tr><td>{}</td><td>{} <span class=muted>{}</span></td><td>{}</td><td class=r>{}</td><td class=r>{}</td><td class=r>{}</td></tr>",
                line.date,
                escape(&line.reference),
                escape(&line.description),
                line.due_date.map(|d| d.to_string()).unwrap_or_default(),
                line.days_overdue
                    .filter(|d| *d > 0)
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                text(&line.amount),
                text(&line.balance),
            );
        }
        let _ = write!(
            html,
            "</tbody></table><table class=totals><tr><td>Charges</td><td class=r>{}</td></tr>\
             <tr><td>Credits</td><td class=r>-{}</td></tr><tr><td><b>Amount due {cur}</b></td><td class=r><b>{}</b></td></tr></table>",
            text(&section.charges),
            text(&section.credits),
            text(&section.amount_due)
        );
        let a = &section.aging;
        let _ = write!(html, "<table class=aging><thead><tr>");
        for label in a
            .labels
            .iter()
            .map(String::as_str)
            .chain(["Open items", "Credits", "Net due"])
        {
            let _ = write!(html, "<th class=r>{}</th>", escape(label));
        }
        let _ = write!(html, "</tr></thead><tr>");
        for m in a.buckets.iter().chain([&a.total, &a.unapplied, &a.net]) {
            let _ = write!(html, "<td class=r>{}</td>", text(m));
        }
        let _ = write!(html, "</tr></table>");
    }
    let _ = write!(
        html,
        "<div style=\"margin-top:6mm;border:0.5pt solid #c9d2db;padding:3mm\"><b>How to pay</b><br>{}</div></body></html>",
        c.remittance
            .iter()
            .map(|l| escape(l))
            .collect::<Vec<_>>()
            .join("<br>")
    );
    html
}

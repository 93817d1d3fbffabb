//! Charts drawn on the server as SVG: bars for the aging, lines for a trend. Text in the
//! SVG is escaped like any HTML text.

use std::fmt::Write;

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 70.0;
const BOTTOM: f64 = 30.0;
const TOP: f64 = 12.0;

/// Text made safe inside HTML or SVG.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A round step for the axis, so that its labels read as plain numbers.
fn nice_step(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let rough = max / 4.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let fraction = rough / magnitude;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

fn axis(out: &mut String, top: f64) {
    let step = nice_step(top);
    let plot = HEIGHT - BOTTOM - TOP;
    let mut value = 0.0;
    while value <= top + step / 2.0 {
        let y = HEIGHT - BOTTOM - plot * value / top.max(step);
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" x2="{WIDTH}" y1="{y:.1}" y2="{y:.1}" stroke="#dde2ea"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            LEFT - 6.0,
            y + 4.0,
            thousands(value)
        );
        value += step;
    }
}

fn thousands(value: f64) -> String {
    let whole = value.round() as i64;
    let digits = whole.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if whole < 0 { format!("-{out}") } else { out }
}

/// One bar per bucket, labelled below, its value above.
pub fn bars(title: &str, labels: &[String], values: &[f64]) -> String {
    let max = values.iter().copied().fold(0.0, f64::max);
    let top = (max / nice_step(max)).ceil().max(1.0) * nice_step(max);
    let plot = HEIGHT - BOTTOM - TOP;
    let slot = (WIDTH - LEFT) / labels.len().max(1) as f64;
    let mut out = format!(
        r#"<svg role="img" aria-label="{}" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        escape(title),
        escape(title)
    );
    axis(&mut out, top);
    for (i, (label, value)) in labels.iter().zip(values).enumerate() {
        let height = plot * value / top;
        let x = LEFT + slot * i as f64 + slot * 0.15;
        let y = HEIGHT - BOTTOM - height;
        let colour = if i == 0 {
            "#1f5fbf"
        } else {
            ["#f2a900", "#e07000", "#c84300", "#b3261e"][(i - 1).min(3)]
        };
        let _ = write!(
            out,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{height:.1}" fill="{colour}"><title>{}: {}</title></rect><text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text><text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            slot * 0.7,
            escape(label),
            thousands(*value),
            x + slot * 0.35,
            HEIGHT - BOTTOM + 16.0,
            escape(label),
            x + slot * 0.35,
            (y - 4.0).max(TOP),
            thousands(*value)
        );
    }
    out.push_str("</svg>");
    out
}

/// The aging's buckets of its first currency as bars; `None` when nothing is open.
pub fn aging(aging: &settle_core::aging::AgingReport) -> Option<String> {
    let row = aging.totals.first()?;
    let values: Vec<f64> = row
        .buckets
        .iter()
        .map(|m| m.minor() as f64 / 10f64.powi(i32::from(m.currency().exponent())))
        .collect();
    Some(bars(
        &format!("Aging in {}", row.currency.code()),
        &aging.labels,
        &values,
    ))
}

/// Lines over the same labels, one per series (name, colour, values; `None` is a gap).
pub fn lines(title: &str, labels: &[String], series: &[(&str, &str, Vec<Option<f64>>)]) -> String {
    let max = series
        .iter()
        .flat_map(|(_, _, values)| values.iter().flatten())
        .copied()
        .fold(0.0, f64::max);
    let top = (max / nice_step(max)).ceil().max(1.0) * nice_step(max);
    let plot = HEIGHT - BOTTOM - TOP;
    let step = (WIDTH - LEFT - 20.0) / (labels.len().max(2) - 1) as f64;
    let mut out = format!(
        r#"<svg role="img" aria-label="{}" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        escape(title),
        escape(title)
    );
    axis(&mut out, top);
    for (i, label) in labels.iter().enumerate() {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            LEFT + 10.0 + step * i as f64,
            HEIGHT - BOTTOM + 16.0,
            escape(label)
        );
    }
    for (n, (name, colour, values)) in series.iter().enumerate() {
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                v.map(|v| {
                    format!(
                        "{:.1},{:.1}",
                        LEFT + 10.0 + step * i as f64,
                        HEIGHT - BOTTOM - plot * v / top
                    )
                })
            })
            .collect();
        let _ = write!(
            out,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/><text x="{:.1}" y="{:.1}" fill="{colour}">{}</text>"#,
            points.join(" "),
            LEFT + 10.0 + 90.0 * n as f64,
            TOP + 4.0,
            escape(name)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_escape_labels_and_scale_to_a_round_top() {
        let svg = bars(
            "Aging <USD>",
            &["1-30".into(), "<b>".into()],
            &[1500.0, 250.0],
        );
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert!(svg.contains(">1,500<"), "{svg}");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(1000.0), 500.0);
        assert_eq!(nice_step(90.0), 50.0);
        assert_eq!(nice_step(0.0), 1.0);
        assert_eq!(thousands(1234567.0), "1,234,567");
    }
}

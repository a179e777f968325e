//! The timeout lateness of one executor's cases, per mode, as an SVG strip plot: one row per
//! mode, one dot per case that ended in the timeout error, at seen − max(D, asked), with ε
//! marked.

use super::escape;
use overtime_harness::{Mode, Ms, SuiteResult};
use std::fmt::Write;
use std::time::Duration;

const WIDTH: f64 = 920.0;
const LEFT: f64 = 92.0;
const RIGHT: f64 = 190.0;
const ROW: f64 = 34.0;
const TOP: f64 = 26.0;

/// The strip plot, or `None` when no case timed out.
pub fn svg(result: &SuiteResult, modes: &[Mode]) -> Option<String> {
    let rows: Vec<(Mode, Vec<(&str, Duration)>)> = modes
        .iter()
        .map(|&m| {
            let values = result
                .cases
                .iter()
                .filter(|c| c.mode == m)
                .filter_map(|c| c.timeout_lateness.map(|l| (c.case.as_str(), l)))
                .collect();
            (m, values)
        })
        .collect();
    if rows.iter().all(|(_, v)| v.is_empty()) {
        return None;
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let eps = ms(result.epsilon);
    let max = rows
        .iter()
        .flat_map(|(_, v)| v.iter().map(|(_, l)| ms(*l)))
        .fold(eps, f64::max)
        * 1.08;
    let max = max.max(0.001);
    let plot = WIDTH - LEFT - RIGHT;
    let x = |v: f64| LEFT + plot * (v / max).clamp(0.0, 1.0);
    let height = TOP + ROW * rows.len() as f64 + 10.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg class="lateness" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11" role="img" aria-label="timeout lateness per mode"><rect width="{WIDTH}" height="{height}" fill="#fff"/>"##
    );
    let ex = x(eps);
    let _ = write!(
        s,
        r##"<line x1="{ex:.1}" y1="{:.1}" x2="{ex:.1}" y2="{:.1}" stroke="#c0392b" stroke-dasharray="5,3"/><text x="{ex:.1}" y="{:.1}" text-anchor="middle" fill="#c0392b">ε = {}</text><text x="{LEFT}" y="{:.1}" fill="#666">0</text>"##,
        TOP - 6.0,
        height - 8.0,
        TOP - 10.0,
        Ms(result.epsilon),
        TOP - 10.0
    );
    for (i, (mode, values)) in rows.iter().enumerate() {
        let y = TOP + ROW * i as f64 + ROW / 2.0;
        let _ = write!(
            s,
            r##"<text x="8" y="{:.1}" fill="#333">{mode}</text><line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/>"##,
            y + 4.0,
            LEFT + plot
        );
        for (j, (case, l)) in values.iter().enumerate() {
            let jitter = ((j * 7) % 5) as f64 * 3.0 - 6.0;
            let _ = write!(
                s,
                r##"<circle cx="{:.1}" cy="{:.1}" r="4" fill="#1f77b4" fill-opacity="0.7"><title>{}: {}</title></circle>"##,
                x(ms(*l)),
                y + jitter,
                escape(case),
                Ms(*l)
            );
        }
        let summary = if values.is_empty() {
            "no case timed out".to_string()
        } else {
            let mut sorted: Vec<Duration> = values.iter().map(|(_, l)| *l).collect();
            sorted.sort();
            format!(
                "n {}, median {}, max {}",
                sorted.len(),
                Ms(sorted[sorted.len() / 2]),
                Ms(sorted[sorted.len() - 1])
            )
        };
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" fill="#333">{}</text>"##,
            WIDTH - RIGHT + 10.0,
            y + 4.0,
            escape(&summary)
        );
    }
    s.push_str("</svg>");
    Some(s)
}

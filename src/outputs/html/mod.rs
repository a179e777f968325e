//! `--html DIR`: a static report for people, self-contained (no network, no script): an index
//! with every executor's matrix, and a page per executor with its matrix (each failing or
//! inconclusive cell links to its cases), the timeout lateness per mode, and every failing or
//! inconclusive case drawn as a timeline ([`timeline`]) with its evidence beside it.

mod lateness;
mod timeline;

use super::baseline::Comparison;
use super::contract_fields;
use crate::merge::modes_of;
use overtime_harness::{
    CaseResult, Millis, Mode, Property, PropertyResult, SuiteResult, VerdictKind,
};
use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::Path;

const STYLE: &str = r#"
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; max-width: 1500px; }
h1 { font-size: 1.5em; } h2 { font-size: 1.25em; margin-top: 1.6em; } h3 { font-size: 1.05em; }
code { background: #f4f4f4; padding: 0 .2em; }
table.matrix { border-collapse: collapse; margin: .5em 0; }
table.matrix th, table.matrix td { border: 1px solid #ccc; padding: .2em .6em; text-align: left; }
td.pass { background: #e3f4e5; } td.fail { background: #f9d6d2; font-weight: bold; }
td.inconclusive { background: #fff0c2; } td.not_applicable { color: #999; }
td a { color: inherit; }
.case { border-top: 1px solid #ddd; padding-top: .4em; margin-top: 1.2em; }
.case-body { display: flex; flex-wrap: wrap; gap: 1.2em; align-items: flex-start; }
.evidence { flex: 1 1 380px; min-width: 320px; }
.evidence li { margin-bottom: .4em; }
.evidence code, .evidence pre { word-break: break-all; white-space: pre-wrap; }
.fail-text { color: #a12a1d; } .inconclusive-text { color: #8a6d00; }
.muted { color: #777; } .known { color: #8a6d00; }
svg { max-width: 100%; height: auto; border: 1px solid #eee; }
"#;

/// Writes the report of `results` into `dir`.
pub fn write(
    dir: &Path,
    results: &[SuiteResult],
    comparison: Option<&Comparison>,
    command: &str,
) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let pages = page_names(results);
    let save = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    save("index.html", index(results, &pages, comparison, command))?;
    for (result, page) in results.iter().zip(&pages) {
        save(page, executor_page(result, comparison, command))?;
    }
    Ok(())
}

/// Escapes text for HTML and SVG.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A file name per executor, unique, from its name.
fn page_names(results: &[SuiteResult]) -> Vec<String> {
    let mut used = BTreeSet::new();
    results
        .iter()
        .map(|r| {
            let slug: String = r
                .profile
                .name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "._-".contains(c) {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            let mut name = format!("{slug}.html");
            let mut n = 2;
            while !used.insert(name.clone()) || name == "index.html" {
                name = format!("{slug}-{n}.html");
                n += 1;
            }
            name
        })
        .collect()
}

fn head(title: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n",
        escape(title)
    )
}

fn cell_text(v: VerdictKind) -> &'static str {
    match v {
        VerdictKind::Pass => "PASS",
        VerdictKind::Fail => "FAIL",
        VerdictKind::Inconclusive => "INCONCL",
        VerdictKind::NotApplicable => "n/a",
    }
}

fn row_anchor(mode: Mode, property: Property) -> String {
    format!("m-{mode}-{}", property.id())
}

fn case_anchor(case: &CaseResult) -> String {
    let name: String = case
        .case
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("case-{}-{name}", case.mode)
}

/// The contract line of an executor, from its rows (each row carries its own contract).
fn contract_text(result: &SuiteResult) -> String {
    let mut seen: Vec<String> = Vec::new();
    for row in &result.results {
        let fields: Vec<String> = contract_fields(row)
            .into_iter()
            .map(|(k, v)| format!("{k} <code>{}</code>", escape(&v)))
            .collect();
        let text = fields.join(", ");
        if !seen.contains(&text) {
            seen.push(text);
        }
    }
    let mut text = seen.join("; ");
    let _ = write!(
        text,
        ", cancels running tasks: {}",
        result.profile.contract.cancels_running
    );
    text
}

/// The matrix of `result` as a table; failing and inconclusive cells link to `page#anchor`.
fn matrix(result: &SuiteResult, page: &str, comparison: Option<&Comparison>) -> String {
    let modes = modes_of(result);
    let mut s = String::from("<table class=\"matrix\"><tr><th>property</th><th>level</th>");
    for m in &modes {
        let _ = write!(s, "<th>{m}</th>");
    }
    s.push_str("</tr>\n");
    for p in Property::ALL {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td>",
            escape(&p.label()),
            p.level().as_str()
        );
        for &m in &modes {
            match result.result(m, p) {
                Some(r) => {
                    let known = comparison.is_some_and(|c| c.is_known_failure(&r.executor, m, p));
                    let text = format!(
                        "{}{}",
                        cell_text(r.verdict),
                        if known { " (known)" } else { "" }
                    );
                    let linked = matches!(r.verdict, VerdictKind::Fail | VerdictKind::Inconclusive);
                    let inner = if linked {
                        format!("<a href=\"{page}#{}\">{text}</a>", row_anchor(m, p))
                    } else {
                        text
                    };
                    let _ = write!(
                        s,
                        "<td class=\"{}\" title=\"{}\">{inner}</td>",
                        r.verdict.as_str(),
                        escape(&r.evidence)
                    );
                }
                None => s.push_str("<td>-</td>"),
            }
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
    s
}

fn index(
    results: &[SuiteResult],
    pages: &[String],
    comparison: Option<&Comparison>,
    command: &str,
) -> String {
    let mut s = head("overtime conformance report");
    let _ = writeln!(
        s,
        "<h1>overtime conformance report</h1><p class=\"muted\">Generated by <code>{}</code>. \
         Verdicts follow <code>specs/timeout-semantics.md</code>; each executor's page draws \
         every failing or inconclusive case.</p>",
        escape(command)
    );
    if let Some(c) = comparison {
        let _ = writeln!(
            s,
            "<h2>Against the baseline</h2><pre>{}</pre>",
            escape(&c.render())
        );
    }
    s.push_str("<table class=\"matrix\"><tr><th>executor</th><th>conforms</th><th>MUST failures</th><th>case runs</th><th>wall time</th></tr>\n");
    for (r, page) in results.iter().zip(pages) {
        let _ = writeln!(
            s,
            "<tr><td><a href=\"{page}\">{}</a></td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{:.1} s</td></tr>",
            escape(&r.profile.name),
            if r.conforms() { "pass" } else { "fail" },
            if r.conforms() { "yes" } else { "no" },
            r.must_failures().len(),
            r.cases.len(),
            r.wall_time.as_secs_f64()
        );
    }
    s.push_str("</table>\n");
    for (r, page) in results.iter().zip(pages) {
        let _ = writeln!(
            s,
            "<h2 id=\"{}\"><a href=\"{page}\">{}</a></h2><p>{}; ε = {} ms.</p>",
            escape(page),
            escape(&r.profile.name),
            contract_text(r),
            Millis(r.epsilon)
        );
        s.push_str(&matrix(r, page, comparison));
    }
    s.push_str("</body></html>\n");
    s
}

fn executor_page(result: &SuiteResult, comparison: Option<&Comparison>, command: &str) -> String {
    let name = &result.profile.name;
    let mut s = head(&format!("overtime: {name}"));
    let _ = writeln!(
        s,
        "<p><a href=\"index.html\">&larr; all executors</a></p><h1>{}</h1><p>{}; ε = {} ms. \
         Wall time {:.1} s, {} case runs, {} retries. Conforms: <b>{}</b>.</p>\
         <p class=\"muted\">Generated by <code>{}</code>.</p>",
        escape(name),
        contract_text(result),
        Millis(result.epsilon),
        result.wall_time.as_secs_f64(),
        result.cases.len(),
        result.total_retries(),
        if result.conforms() { "yes" } else { "no" },
        escape(command)
    );
    s.push_str(&matrix(result, "", comparison));
    let modes = modes_of(result);
    s.push_str("<h2>Timeout lateness per mode</h2>\n");
    match lateness::svg(result, &modes) {
        Some(svg) => {
            s.push_str("<p class=\"muted\">One dot per case that ended in the timeout error: seen − max(D, asked).</p>\n");
            s.push_str(&svg);
        }
        None => s.push_str("<p class=\"muted\">No case ended in the timeout error.</p>\n"),
    }
    let flagged: Vec<&PropertyResult> = result
        .results
        .iter()
        .filter(|r| matches!(r.verdict, VerdictKind::Fail | VerdictKind::Inconclusive))
        .collect();
    if !flagged.is_empty() {
        s.push_str("<h2>Failing and inconclusive properties</h2>\n");
    }
    for row in flagged {
        let known =
            comparison.is_some_and(|c| c.is_known_failure(&row.executor, row.mode, row.property));
        let _ = writeln!(
            s,
            "<h3 id=\"{}\">{} {} [{}]: {}{}</h3><ul>",
            row_anchor(row.mode, row.property),
            row.mode,
            escape(&row.property.label()),
            row.level.as_str(),
            cell_text(row.verdict),
            if known {
                " <span class=\"known\">(known failure, accepted by the baseline)</span>"
            } else {
                ""
            }
        );
        for case in result.cases.iter().filter(|c| c.mode == row.mode) {
            if let Some(v) = case
                .verdicts
                .iter()
                .find(|v| v.property == row.property && v.verdict == row.verdict)
            {
                let _ = writeln!(
                    s,
                    "<li><a href=\"#{}\">{}</a>: {}</li>",
                    case_anchor(case),
                    escape(&case.case),
                    escape(&v.evidence)
                );
            }
        }
        s.push_str("</ul>\n");
    }
    let cases: Vec<&CaseResult> = result
        .cases
        .iter()
        .filter(|c| matches!(c.worst(), VerdictKind::Fail | VerdictKind::Inconclusive))
        .collect();
    if !cases.is_empty() {
        s.push_str("<h2>Failing and inconclusive cases</h2>\n");
    }
    for (i, case) in cases.into_iter().enumerate() {
        s.push_str(&case_section(result, case, i));
    }
    s.push_str("</body></html>\n");
    s
}

fn case_section(result: &SuiteResult, case: &CaseResult, i: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<section class=\"case\" id=\"{}\"><h3>{} · {} — {}</h3><div class=\"case-body\"><div>",
        case_anchor(case),
        case.mode,
        escape(&case.case),
        case.worst().as_str().to_uppercase()
    );
    match &case.trace {
        Some(trace) => {
            let title = format!("{} in {} mode", case.case, case.mode);
            s.push_str(&timeline::svg(trace, result.epsilon, &format!("t{i}"), &title));
            if let Some(follow) = &trace.follow_up {
                s.push_str("<p class=\"muted\">The follow-up call (judged by P11 reusable):</p>");
                let title = format!("{} in {} mode, follow-up call", case.case, case.mode);
                s.push_str(&timeline::svg(follow, result.epsilon, &format!("t{i}f"), &title));
            }
        }
        None => s.push_str(
            "<p class=\"muted\">No trace in the results file: write it with <code>--traces failing</code> (the default) or <code>--traces all</code>.</p>",
        ),
    }
    s.push_str("</div><div class=\"evidence\"><ul>");
    for v in &case.verdicts {
        let class = match v.verdict {
            VerdictKind::Fail => "fail-text",
            VerdictKind::Inconclusive => "inconclusive-text",
            _ => continue,
        };
        let _ = write!(
            s,
            "<li class=\"{class}\"><b>{} {}</b> [{}] {}: {}</li>",
            v.id,
            escape(v.property.name()),
            v.property.level().as_str(),
            v.verdict.as_str(),
            escape(&v.evidence)
        );
    }
    s.push_str("</ul>");
    if let Some(trace) = &case.trace {
        let consumer = serde_json::to_string(&trace.consumer).unwrap_or_default();
        let tasks: Vec<String> = trace
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| format!("{i}: {}", serde_json::to_string(t).unwrap_or_default()))
            .collect();
        let _ = write!(
            s,
            "<p class=\"muted\">{} task(s), n_jobs {}, timeout {}; consumer <code>{}</code>; retries {}, harness lateness {}.</p><details><summary>tasks</summary><pre>{}</pre></details>",
            trace.call.n_tasks,
            trace.call.n_jobs,
            trace.call.timeout.map_or("none".to_string(), |t| format!("{} ms", Millis(t))),
            escape(&consumer),
            case.retries,
            overtime_harness::Ms(case.harness_lateness),
            escape(&tasks.join("\n"))
        );
    }
    s.push_str("</div></div></section>\n");
    s
}

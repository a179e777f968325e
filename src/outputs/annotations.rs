//! GitHub Actions workflow commands (`::error title=…::…`), printed when `GITHUB_ACTIONS` is
//! `true`: a MUST failure (with a baseline: a regression) is an error, a SHOULD failure or an
//! inconclusive MUST verdict a warning, a failure the baseline accepts a notice. Each names
//! the scenario file of its first failing case when there is one, so it shows on that file.

use super::baseline::Comparison;
use super::results::ResultsFile;
use overtime_harness::{Level, PropertyResult, SuiteResult, VerdictKind};
use std::path::Path;

/// The annotation lines for `doc`.
pub fn lines(doc: &ResultsFile, comparison: Option<&Comparison>) -> Vec<String> {
    let mut out = Vec::new();
    for result in &doc.executors {
        for row in &result.results {
            let known = comparison
                .is_some_and(|c| c.is_known_failure(&row.executor, row.mode, row.property));
            let (command, what) = match (row.verdict, row.level) {
                (VerdictKind::Fail, _) if known => ("notice", "known failure (baseline)"),
                (VerdictKind::Fail, Level::Must) => ("error", "FAIL"),
                (VerdictKind::Fail, Level::Should) => ("warning", "FAIL (SHOULD)"),
                (VerdictKind::Inconclusive, Level::Must) => ("warning", "inconclusive"),
                _ => continue,
            };
            let title = format!(
                "overtime {what}: {} {} {}",
                row.executor,
                row.mode,
                row.property.label()
            );
            out.push(command_line(
                command,
                &title,
                file_of(result, row),
                &row.evidence,
            ));
        }
        if let Some(c) = comparison {
            for l in c
                .lateness_regressed
                .iter()
                .filter(|l| l.executor == result.profile.name)
            {
                let title = format!("overtime lateness regressed: {} {}", l.executor, l.mode);
                let message = format!(
                    "median timeout lateness {:?} -> {:?} over {} case(s), tolerance {:?}",
                    l.was, l.now, l.cases, c.tolerance
                );
                out.push(command_line("error", &title, None, &message));
            }
        }
    }
    out
}

/// The scenario file of the first case that failed `row`, if it is in the working directory.
fn file_of(result: &SuiteResult, row: &PropertyResult) -> Option<String> {
    let case = result.cases.iter().find(|c| {
        c.mode == row.mode
            && c.verdicts
                .iter()
                .any(|v| v.property == row.property && v.verdict == row.verdict)
    })?;
    let path = format!("specs/scenarios/{}.toml", case.case);
    Path::new(&path).is_file().then_some(path)
}

fn command_line(command: &str, title: &str, file: Option<String>, message: &str) -> String {
    let mut properties = vec![format!("title={}", escape_property(title))];
    if let Some(file) = file {
        properties.push(format!("file={}", escape_property(&file)));
    }
    format!(
        "::{command} {}::{}",
        properties.join(","),
        escape_data(message)
    )
}

/// Escapes a message as the runner expects.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (title, file), which also may not hold `:` or `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_and_messages_are_escaped() {
        let line = command_line("error", "a: b, c", Some("x.toml".into()), "50% late\nnext");
        assert_eq!(
            line,
            "::error title=a%3A b%2C c,file=x.toml::50%25 late%0Anext"
        );
    }
}

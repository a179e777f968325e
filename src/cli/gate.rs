//! The end of every judging command: write the outputs (JSON, markdown, JUnit, HTML), compare
//! with the baseline, annotate for GitHub Actions, print the summary, and decide the exit code.

use super::writable;
use super::{Ending, EXIT_INCONCLUSIVE};
use crate::cli::interrupt::{out, outln};
use crate::outputs::baseline;
use crate::outputs::{annotations, html, junit, ResultsFile, Traces};
use overtime_harness::{report, Level, Millis, SuiteResult, VerdictKind};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the results go, and what they are gated against.
#[derive(clap::Args)]
pub struct OutputArgs {
    /// Write the results as JSON (schema: specs/results-schema.md).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Which cases' traces the JSON keeps: failing (those with a failing or inconclusive
    /// verdict, what --html draws), all, or none.
    #[arg(long, value_enum, default_value_t = Traces::Failing)]
    pub traces: Traces,
    /// Write the markdown report.
    #[arg(long)]
    pub markdown: Option<PathBuf>,
    /// Write JUnit XML: one test case per executor × mode × property.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Write the HTML report into this directory: index.html and one page per executor, with
    /// the timeline of every failing or inconclusive case.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Gate against a results file recorded earlier (--json): pass when nothing got worse
    /// than it (no new FAIL, no PASS -> FAIL, lateness within --lateness-tolerance-ms).
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// With --baseline: how much the median timeout lateness of an executor in a mode may grow
    /// over the baseline's [default: ε/2].
    #[arg(long, allow_negative_numbers = true)]
    pub lateness_tolerance_ms: Option<Millis>,
}

impl OutputArgs {
    /// Every output asked for, as (option, path): files and the HTML directory.
    pub fn places(&self) -> Vec<(&'static str, &Path)> {
        [
            ("--json", &self.json),
            ("--markdown", &self.markdown),
            ("--junit", &self.junit),
            ("--html", &self.html),
        ]
        .into_iter()
        .filter_map(|(option, path)| path.as_deref().map(|p| (option, p)))
        .collect()
    }
}

/// The outputs, checked before the run so that a long run does not end in "cannot write".
pub struct Gate<'a> {
    args: &'a OutputArgs,
    baseline: Option<(PathBuf, ResultsFile)>,
}

impl<'a> Gate<'a> {
    /// Loads the baseline and checks that every output can be written.
    pub fn prepare(args: &'a OutputArgs) -> Result<Gate<'a>, String> {
        writable::distinct(&args.places())?;
        let files = [
            ("--json", &args.json),
            ("--markdown", &args.markdown),
            ("--junit", &args.junit),
        ];
        for (option, path) in files {
            if let Some(path) = path {
                writable::file(option, path)?;
            }
        }
        if let Some(dir) = &args.html {
            writable::directory("--html", dir, true)?;
        }
        let baseline = match &args.baseline {
            Some(path) => Some((path.clone(), ResultsFile::load(path)?)),
            None => None,
        };
        if args.lateness_tolerance_ms.is_some() && baseline.is_none() {
            return Err("--lateness-tolerance-ms only applies with --baseline".into());
        }
        Ok(Gate { args, baseline })
    }

    /// Fails early when the baseline was recorded at another ε or T: its verdicts would not
    /// be comparable.
    pub fn expect_run(&self, epsilon: Millis, timeout: Millis) -> Result<(), String> {
        match &self.baseline {
            Some((path, base)) => baseline::comparable(path, base, epsilon, Some(timeout)),
            None => Ok(()),
        }
    }

    /// Writes the outputs of `doc`, prints the verdict, and decides the gate. An output that
    /// cannot be written does not hide the verdict: the verdict line is printed first and the
    /// write errors after it, on stderr; a failing or inconclusive gate keeps its ending (exit
    /// 1 or 3), and a passing one becomes `Err` (exit 2), since the run did not produce what
    /// was asked.
    pub fn finish(&self, doc: &ResultsFile, command: &str) -> Result<Ending, String> {
        let comparison = match &self.baseline {
            Some((path, base)) => {
                let tolerance = self.args.lateness_tolerance_ms.map(Duration::from);
                Some(baseline::compare(path, base, doc, tolerance)?)
            }
            None => None,
        };
        let write_errors = self.write_outputs(doc, comparison.as_ref(), command);
        if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
            for line in annotations::lines(doc, comparison.as_ref()) {
                outln!("{line}");
            }
        }
        let conforms = summary(&doc.executors);
        let ending = match &comparison {
            Some(c) => {
                out!("{}", c.render());
                Ending::from(c.passes())
            }
            None => conforms,
        };
        if write_errors.is_empty() {
            return Ok(ending);
        }
        let errors = write_errors.join("; ");
        if ending == Ending::Passes {
            return Err(format!("{errors} (the run itself passed)"));
        }
        eprintln!("overtime: {errors}");
        Ok(ending)
    }

    /// Writes the outputs of an interrupted run's partial results (no gate, no verdict line:
    /// the caller says the run was interrupted); what cannot be written is said on stderr.
    pub fn write_partial(&self, doc: &ResultsFile, command: &str) {
        for error in self.write_outputs(doc, None, command) {
            eprintln!("overtime: {error}");
        }
    }

    /// Writes every output asked for; what could not be written, one message each.
    fn write_outputs(
        &self,
        doc: &ResultsFile,
        comparison: Option<&baseline::Comparison>,
        command: &str,
    ) -> Vec<String> {
        let mut written: Vec<(&str, Result<(), String>)> = Vec::new();
        if let Some(path) = &self.args.json {
            written.push(("--json", doc.keeping(self.args.traces).save(path)));
        }
        if let Some(path) = &self.args.markdown {
            written.push((
                "--markdown",
                write(path, &report::markdown(&doc.executors, command)),
            ));
        }
        if let Some(path) = &self.args.junit {
            let xml = junit::xml(doc, comparison);
            written.push(("--junit", xml.and_then(|text| write(path, &text))));
        }
        if let Some(dir) = &self.args.html {
            written.push((
                "--html",
                html::write(dir, &doc.executors, comparison, command),
            ));
        }
        written
            .into_iter()
            .filter_map(|(option, result)| result.err().map(|e| format!("{option}: {e}")))
            .collect()
    }
}

/// Prints the verdict of a run without a baseline: it conforms, fails, or (no failure, but a
/// MUST verdict inconclusive) cannot say, with one line on why.
fn summary(results: &[SuiteResult]) -> Ending {
    let failures: usize = results.iter().map(|r| r.must_failures().len()).sum();
    let inconclusive = results
        .iter()
        .flat_map(|r| &r.results)
        .filter(|r| r.level == Level::Must && r.verdict == VerdictKind::Inconclusive)
        .count();
    if failures == 0 && inconclusive == 0 {
        outln!("conforms: every MUST property passes");
        Ending::Passes
    } else if failures == 0 {
        outln!(
            "inconclusive: no MUST violation, but {inconclusive} MUST verdict(s) could not be \
             judged (the harness itself was late, or a failure was within the run's timing \
             noise, on every attempt; the evidence says which): re-run on a quieter machine or \
             raise --epsilon-ms (exit {EXIT_INCONCLUSIVE})"
        );
        Ending::Inconclusive
    } else {
        outln!(
            "does not conform: {failures} MUST violation(s), {inconclusive} inconclusive MUST \
             verdict(s)"
        );
        Ending::Fails
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

//! `--baseline PATH.json`: gate on "nothing got worse" instead of "everything passes", so a
//! library with known, accepted failures can keep its gate on and still catch regressions.
//!
//! The comparison is per executor × mode × property of the matrix, each executor paired with
//! the baseline's executor of the same name (or, when each side has exactly one executor, with
//! that one: a new version of a library against the old one's results):
//!
//! - **regressed** — the verdict got worse: PASS → FAIL, a FAIL with no FAIL in the baseline
//!   (a new property, a new mode, a new executor), PASS → inconclusive (not confirmed), or a
//!   PASS that is no longer judged (not applicable). A MUST regression fails the gate; a SHOULD
//!   one is reported.
//! - **lateness** — the median timeout lateness (seen − max(D, asked)) of an executor in a
//!   mode, over the cases that timed out in both runs, grew by more than the tolerance
//!   (default ε/2): that fails the gate too.
//! - **improved** — FAIL or inconclusive → PASS, or the lateness median dropped by more than
//!   the tolerance: reported.
//! - a FAIL in both is a **known failure**, accepted by the baseline.

use super::results::ResultsFile;
use overtime_harness::{Level, Millis, Mode, Ms, Property, SuiteResult, VerdictKind};
use std::fmt::Write;
use std::path::Path;
use std::time::Duration;

/// One row whose verdict differs from (or, for a known failure, equals) the baseline's.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub executor: String,
    pub mode: Mode,
    pub property: Property,
    pub level: Level,
    /// The baseline's verdict; `None` when the baseline has no such row.
    pub was: Option<VerdictKind>,
    pub now: VerdictKind,
    /// The current evidence (for a regression) or the baseline's (for an improvement).
    pub evidence: String,
}

impl Change {
    /// True for a change that fails the gate.
    pub fn gates(&self) -> bool {
        self.level == Level::Must
    }

    fn line(&self) -> String {
        let was = self
            .was
            .map_or("no verdict".to_string(), |v| label(v).to_string());
        format!(
            "{} {} {} [{}]: {was} -> {}: {}",
            self.executor,
            self.mode,
            self.property.label(),
            self.level.as_str(),
            label(self.now),
            self.evidence
        )
    }
}

/// The median timeout lateness of one executor in one mode, then and now.
#[derive(Debug, Clone, PartialEq)]
pub struct LatenessChange {
    pub executor: String,
    pub mode: Mode,
    pub cases: usize,
    pub was: Duration,
    pub now: Duration,
}

/// The comparison of a run with its baseline.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    pub baseline: String,
    pub tolerance: Duration,
    pub regressed: Vec<Change>,
    pub improved: Vec<Change>,
    pub known_failures: Vec<Change>,
    pub lateness_regressed: Vec<LatenessChange>,
    pub lateness_improved: Vec<LatenessChange>,
    /// Pairings and what could not be compared.
    pub notes: Vec<String>,
}

/// The badness of a verdict: a change to a higher rank is a regression.
fn rank(v: VerdictKind) -> u8 {
    match v {
        VerdictKind::Fail => 2,
        VerdictKind::Inconclusive => 1,
        _ => 0,
    }
}

fn label(v: VerdictKind) -> &'static str {
    match v {
        VerdictKind::Pass => "PASS",
        VerdictKind::Fail => "FAIL",
        VerdictKind::Inconclusive => "inconclusive",
        VerdictKind::NotApplicable => "n/a",
    }
}

/// Fails when `baseline` was recorded at another ε (or T) than `epsilon` (`timeout`).
pub fn comparable(
    path: &Path,
    baseline: &ResultsFile,
    epsilon: Millis,
    timeout: Option<Millis>,
) -> Result<(), String> {
    let refresh = "refresh the baseline (see `--baseline` in docs/check.md)";
    if baseline.epsilon_ms != epsilon {
        return Err(format!(
            "the baseline {} was recorded at ε = {} ms, this run is at ε = {epsilon} ms: \
             verdicts at another tolerance are not comparable; pass --epsilon-ms {}, or {refresh}",
            path.display(),
            baseline.epsilon_ms,
            baseline.epsilon_ms
        ));
    }
    if let (Some(run), Some(t)) = (&baseline.run, timeout) {
        if run.timeout_ms != t {
            return Err(format!(
                "the baseline {} was recorded with T = {} ms, this run uses T = {t} ms: its \
                 cases are not the same; pass --timeout-ms {}, or {refresh}",
                path.display(),
                run.timeout_ms,
                run.timeout_ms
            ));
        }
    }
    Ok(())
}

/// Compares `current` with `baseline` (read from `path`). `tolerance` defaults to ε/2.
pub fn compare(
    path: &Path,
    baseline: &ResultsFile,
    current: &ResultsFile,
    tolerance: Option<Duration>,
) -> Result<Comparison, String> {
    comparable(
        path,
        baseline,
        current.epsilon_ms,
        current.run.as_ref().map(|r| r.timeout_ms),
    )?;
    let mut c = Comparison {
        baseline: path.display().to_string(),
        tolerance: tolerance.unwrap_or(current.epsilon_ms.0 / 2),
        ..Comparison::default()
    };
    let single = baseline.executors.len() == 1 && current.executors.len() == 1;
    for now in &current.executors {
        let name = &now.profile.name;
        let was = baseline
            .executors
            .iter()
            .find(|b| &b.profile.name == name)
            .or_else(|| single.then(|| &baseline.executors[0]));
        match was {
            Some(was) if &was.profile.name != name => c.notes.push(format!(
                "{name} compared with the baseline's only executor, {}",
                was.profile.name
            )),
            Some(_) => {}
            None => c.notes.push(format!(
                "{name} is not in the baseline: each of its failures is new"
            )),
        }
        compare_rows(&mut c, was, now);
        if let Some(was) = was {
            compare_lateness(&mut c, was, now);
        }
    }
    for b in &baseline.executors {
        let paired = current
            .executors
            .iter()
            .any(|e| e.profile.name == b.profile.name)
            || single;
        if !paired {
            c.notes.push(format!(
                "{} is in the baseline but was not checked",
                b.profile.name
            ));
        }
    }
    if let (Some(b), Some(n)) = (&baseline.run, &current.run) {
        if b.cases != n.cases || b.modes != n.modes {
            c.notes.push(
                "this run covered other cases or modes than the baseline: only the rows both \
                 judged compare exactly"
                    .into(),
            );
        }
    }
    Ok(c)
}

fn compare_rows(c: &mut Comparison, was: Option<&SuiteResult>, now: &SuiteResult) {
    for row in &now.results {
        let before = was.and_then(|w| w.result(row.mode, row.property));
        let change = |was: Option<VerdictKind>, evidence: &str| Change {
            executor: now.profile.name.clone(),
            mode: row.mode,
            property: row.property,
            level: row.level,
            was,
            now: row.verdict,
            evidence: evidence.to_string(),
        };
        let was_kind = before.map(|b| b.verdict);
        let (r_was, r_now) = (was_kind.map_or(0, rank), rank(row.verdict));
        let no_longer_judged =
            was_kind == Some(VerdictKind::Pass) && row.verdict == VerdictKind::NotApplicable;
        if r_now > r_was || no_longer_judged {
            c.regressed.push(change(was_kind, &row.evidence));
        } else if r_now < r_was && row.verdict == VerdictKind::Pass {
            let evidence = before.map_or(String::new(), |b| format!("was: {}", b.evidence));
            c.improved.push(change(was_kind, &evidence));
        } else if r_now == 2 && r_was == 2 {
            c.known_failures.push(change(was_kind, &row.evidence));
        }
    }
}

fn compare_lateness(c: &mut Comparison, was: &SuiteResult, now: &SuiteResult) {
    let modes: Vec<Mode> = now
        .results
        .iter()
        .map(|r| r.mode)
        .fold(Vec::new(), |mut v, m| {
            if !v.contains(&m) {
                v.push(m);
            }
            v
        });
    for mode in modes {
        let mut pairs: Vec<(Duration, Duration)> = Vec::new();
        for case in now.cases.iter().filter(|k| k.mode == mode) {
            let before = was
                .cases
                .iter()
                .find(|k| k.mode == mode && k.case == case.case)
                .and_then(|k| k.timeout_lateness);
            if let (Some(b), Some(n)) = (before, case.timeout_lateness) {
                pairs.push((b, n));
            }
        }
        if pairs.is_empty() {
            continue;
        }
        let change = LatenessChange {
            executor: now.profile.name.clone(),
            mode,
            cases: pairs.len(),
            was: median(pairs.iter().map(|p| p.0).collect()),
            now: median(pairs.iter().map(|p| p.1).collect()),
        };
        if change.now > change.was + c.tolerance {
            c.lateness_regressed.push(change);
        } else if change.now + c.tolerance < change.was {
            c.lateness_improved.push(change);
        }
    }
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2
    }
}

impl Comparison {
    /// True when nothing got worse in a way that fails the gate.
    pub fn passes(&self) -> bool {
        !self.regressed.iter().any(Change::gates) && self.lateness_regressed.is_empty()
    }

    /// Whether `executor` failed `property` in `mode` in the baseline too.
    pub fn is_known_failure(&self, executor: &str, mode: Mode, property: Property) -> bool {
        self.known_failures
            .iter()
            .any(|k| k.executor == executor && k.mode == mode && k.property == property)
    }

    /// The lateness regression of `executor` in `mode`, if any.
    pub fn lateness_regression(&self, executor: &str, mode: Mode) -> Option<&LatenessChange> {
        self.lateness_regressed
            .iter()
            .find(|l| l.executor == executor && l.mode == mode)
    }

    /// What a person reads: what regressed, what improved, the verdict, how to refresh.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "baseline {}:", self.baseline);
        for note in &self.notes {
            let _ = writeln!(out, "  note: {note}");
        }
        let (gating, reported): (Vec<&Change>, Vec<&Change>) =
            self.regressed.iter().partition(|c| c.gates());
        let mut section = |title: &str, lines: Vec<String>| {
            if !lines.is_empty() {
                let _ = writeln!(out, "  {title}:");
                for l in lines {
                    let _ = writeln!(out, "    {l}");
                }
            }
        };
        section(
            "REGRESSED (fails the gate)",
            gating.iter().map(|c| c.line()).collect(),
        );
        section(
            "lateness REGRESSED (fails the gate)",
            self.lateness_regressed
                .iter()
                .map(|l| self.lateness_line(l))
                .collect(),
        );
        section(
            "regressed, SHOULD (reported, does not fail the gate)",
            reported.iter().map(|c| c.line()).collect(),
        );
        section("improved", self.improved.iter().map(Change::line).collect());
        section(
            "lateness improved",
            self.lateness_improved
                .iter()
                .map(|l| self.lateness_line(l))
                .collect(),
        );
        section(
            "known failures, accepted by the baseline",
            self.known_failures
                .iter()
                .map(|k| format!("{} {} {}", k.executor, k.mode, k.property.label()))
                .collect(),
        );
        let regressions = gating.len() + self.lateness_regressed.len();
        if self.passes() {
            let _ = writeln!(
                out,
                "passes against the baseline: nothing got worse ({} improved, {} known failure(s))",
                self.improved.len() + self.lateness_improved.len(),
                self.known_failures.len()
            );
        } else {
            let _ = writeln!(
                out,
                "fails against the baseline: {regressions} regression(s)"
            );
        }
        let _ = writeln!(
            out,
            "to accept these results as the new baseline, run the same command with --json {} \
             in place of --baseline {} (or `overtime merge` the shards with --json) and commit the file",
            self.baseline, self.baseline
        );
        out
    }

    fn lateness_line(&self, l: &LatenessChange) -> String {
        format!(
            "{} {}: median timeout lateness {} -> {} over {} case(s) that timed out in both \
             (tolerance {})",
            l.executor,
            l.mode,
            Ms(l.was),
            Ms(l.now),
            l.cases,
            Ms(self.tolerance)
        )
    }
}

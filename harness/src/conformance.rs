//! Runs the whole suite for one executor and folds the per-case verdicts into one verdict per
//! mode × property — the conformance matrix. The JSON form is `specs/results-schema.md`.

use crate::case::Case;
use crate::case_executor::CaseExecutor;
use crate::catalogue::catalogue;
use crate::millis;
use crate::model::{DeadlineAnchor, ErrorOrder, Mode, OnTimeout, Profile, TimeoutClock};
use crate::properties::{Level, Property, VerdictKind};
use crate::run::{CaseRun, RunConfig};
use crate::runner::run_case;
use crate::trace::Trace;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The verdict on one property in one mode, over every case of the suite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyResult {
    pub executor: String,
    pub mode: Mode,
    /// The contract of this mode (`Profile::contract_for`), dimension by dimension.
    pub clock: TimeoutClock,
    pub on_timeout: OnTimeout,
    pub error_order: ErrorOrder,
    pub deadline_anchor: DeadlineAnchor,
    pub property: Property,
    pub id: String,
    pub level: Level,
    pub verdict: VerdictKind,
    /// For a failure: the first failing case and its evidence. Otherwise a summary.
    pub evidence: String,
    /// How many cases gave each verdict.
    pub cases: CaseCounts,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseCounts {
    pub pass: usize,
    pub fail: usize,
    pub inconclusive: usize,
    pub not_applicable: usize,
}

/// One case in one mode, as the JSON records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    pub case: String,
    pub mode: Mode,
    pub retries: u32,
    #[serde(rename = "harness_lateness_ms", with = "millis::rounded")]
    pub harness_lateness: Duration,
    /// How late the timeout was seen against max(D, asked), when the case timed out (Abort).
    #[serde(rename = "timeout_lateness_ms", with = "millis::rounded::opt")]
    pub timeout_lateness: Option<Duration>,
    pub verdicts: Vec<CaseVerdict>,
    /// The case's trace. A run keeps every trace in memory; what a results file keeps is up
    /// to its writer (`overtime check --traces`: by default those of failing and inconclusive
    /// cases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Trace>,
}

impl CaseResult {
    /// The worst verdict of the case: fail, else inconclusive, else pass or not applicable.
    pub fn worst(&self) -> VerdictKind {
        let has = |k| self.verdicts.iter().any(|v| v.verdict == k);
        if has(VerdictKind::Fail) {
            VerdictKind::Fail
        } else if has(VerdictKind::Inconclusive) {
            VerdictKind::Inconclusive
        } else if has(VerdictKind::Pass) {
            VerdictKind::Pass
        } else {
            VerdictKind::NotApplicable
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseVerdict {
    pub property: Property,
    pub id: String,
    pub verdict: VerdictKind,
    pub evidence: String,
}

/// Everything one executor's run of the suite produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SuiteResult {
    pub profile: Profile,
    #[serde(rename = "epsilon_ms", with = "millis::rounded")]
    pub epsilon: Duration,
    #[serde(rename = "wall_time_ms", with = "millis::rounded")]
    pub wall_time: Duration,
    pub results: Vec<PropertyResult>,
    pub cases: Vec<CaseResult>,
}

impl SuiteResult {
    /// True when no MUST property failed in any mode.
    pub fn conforms(&self) -> bool {
        !self
            .results
            .iter()
            .any(|r| r.level == Level::Must && r.verdict == VerdictKind::Fail)
    }

    /// The MUST failures, for the summary line.
    pub fn must_failures(&self) -> Vec<&PropertyResult> {
        self.results
            .iter()
            .filter(|r| r.level == Level::Must && r.verdict == VerdictKind::Fail)
            .collect()
    }

    pub fn result(&self, mode: Mode, property: Property) -> Option<&PropertyResult> {
        self.results
            .iter()
            .find(|r| r.mode == mode && r.property == property)
    }

    pub fn total_retries(&self) -> u32 {
        self.cases.iter().map(|c| c.retries).sum()
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    pub run: RunConfig,
    pub modes: Vec<Mode>,
    pub cases: Vec<Case>,
}

impl Default for SuiteOptions {
    fn default() -> Self {
        SuiteOptions {
            run: RunConfig::default(),
            modes: Mode::ALL.to_vec(),
            cases: catalogue(),
        }
    }
}

/// Runs every case in every requested mode the executor supports; `on_case` sees each run as
/// it finishes (for progress output).
pub fn run_suite(
    executor: &Arc<dyn CaseExecutor>,
    options: &SuiteOptions,
    mut on_case: impl FnMut(&CaseRun),
) -> SuiteResult {
    let started = Instant::now();
    let profile = executor.declared_profile();
    let mut runs: Vec<CaseRun> = Vec::new();
    for &mode in &options.modes {
        if !profile.modes.contains(&mode) {
            continue;
        }
        for case in &options.cases {
            let run = run_case(executor, case, mode, &options.run);
            on_case(&run);
            runs.push(run);
        }
    }
    fold(
        profile,
        &options.modes,
        options.run.epsilon,
        runs,
        started.elapsed(),
    )
}

/// Folds case runs into the matrix (see [`fold_cases`]), keeping each run's trace with its case.
pub fn fold(
    profile: Profile,
    modes: &[Mode],
    epsilon: Duration,
    runs: Vec<CaseRun>,
    wall_time: Duration,
) -> SuiteResult {
    let cases = runs
        .into_iter()
        .map(|run| CaseResult {
            case: run.case,
            mode: run.mode,
            retries: run.retries,
            harness_lateness: run.harness_lateness,
            timeout_lateness: run.timeout_lateness,
            verdicts: run
                .verdicts
                .into_iter()
                .map(|(p, v)| CaseVerdict {
                    property: p,
                    id: p.id().to_string(),
                    verdict: v.verdict,
                    evidence: v.evidence,
                })
                .collect(),
            trace: Some(run.trace),
        })
        .collect();
    fold_cases(profile, modes, epsilon, cases, wall_time)
}

/// Folds case results into the matrix: any failing case fails the property in that mode; else
/// any pass passes it; else inconclusive; else not applicable. The results of shards of one
/// run, put together in the run's order, fold into exactly the matrix of the whole run.
pub fn fold_cases(
    profile: Profile,
    modes: &[Mode],
    epsilon: Duration,
    cases: Vec<CaseResult>,
    wall_time: Duration,
) -> SuiteResult {
    let mut results = Vec::new();
    for &mode in modes {
        let contract = profile.contract_for(mode);
        for property in Property::ALL {
            let mut counts = CaseCounts::default();
            let mut first_fail: Option<(&str, &CaseVerdict)> = None;
            let mut first_other: Option<(&str, &CaseVerdict)> = None;
            for case in cases.iter().filter(|c| c.mode == mode) {
                let Some(v) = case.verdicts.iter().find(|v| v.property == property) else {
                    continue;
                };
                match v.verdict {
                    VerdictKind::Pass => counts.pass += 1,
                    VerdictKind::Fail => counts.fail += 1,
                    VerdictKind::Inconclusive => counts.inconclusive += 1,
                    VerdictKind::NotApplicable => counts.not_applicable += 1,
                }
                if v.verdict == VerdictKind::Fail && first_fail.is_none() {
                    first_fail = Some((&case.case, v));
                } else if first_other.is_none() && v.verdict == VerdictKind::NotApplicable {
                    first_other = Some((&case.case, v));
                }
            }
            let (verdict, evidence) = if !profile.modes.contains(&mode) {
                (
                    VerdictKind::NotApplicable,
                    format!("{} does not support {mode} mode", profile.name),
                )
            } else if let Some((case, v)) = first_fail {
                (VerdictKind::Fail, format!("case {case}: {}", v.evidence))
            } else if counts.pass > 0 {
                (
                    VerdictKind::Pass,
                    format!("passed in {} case(s)", counts.pass),
                )
            } else if counts.inconclusive > 0 {
                (
                    VerdictKind::Inconclusive,
                    format!(
                        "{} case(s) inconclusive: the harness was late, or a failure was within \
                         the run's timing noise (each case's evidence says which)",
                        counts.inconclusive
                    ),
                )
            } else {
                (
                    VerdictKind::NotApplicable,
                    first_other
                        .map(|(_, v)| v.evidence.clone())
                        .unwrap_or_else(|| "no case ran".into()),
                )
            };
            results.push(PropertyResult {
                executor: profile.name.clone(),
                mode,
                clock: contract.clock,
                on_timeout: contract.on_timeout,
                error_order: contract.error_order,
                deadline_anchor: contract.deadline_anchor,
                property,
                id: property.id().to_string(),
                level: property.level(),
                verdict,
                evidence,
                cases: counts,
            });
        }
    }
    SuiteResult {
        profile,
        epsilon,
        wall_time,
        results,
        cases,
    }
}

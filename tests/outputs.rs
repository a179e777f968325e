//! What `check` and `merge` write, judged on simulated runs (deterministic, virtual time): the
//! JUnit XML parsed back, shards merged into byte-for-byte the results of the whole run, the
//! baseline's verdict on a regression and on the same results, and the HTML report's pages and
//! timelines (well-formed SVG, one per failing case). `tests/cli.rs` runs the binary.

use overtime::harness::catalogue::catalogue;
use overtime::harness::{fold, Case, Millis, Mode, Property, SuiteResult, VerdictKind};
use overtime::merge::merge;
use overtime::mutants::{Mutant, SimulatedMutant};
use overtime::outputs::baseline::compare;
use overtime::outputs::{html, junit, ResultsFile, RunPlan, Traces};
use overtime::reference::simulated::{self, SimExecutor};
use overtime::reference::ReferenceExecutor;
use overtime::shard::{plan, select, Shard};
use quick_junit::{Report, TestCaseStatus};
use std::path::Path;
use std::time::Duration;

/// The run `check --shard` makes, in simulated time: the executors' work in run order, only
/// `shard`'s items, folded per executor. Wall times are zero, so that files compare whole.
fn simulated_run(shard: Option<Shard>) -> ResultsFile {
    let reference = ReferenceExecutor::default();
    let mutant = SimulatedMutant::new(Mutant::LosesRacingResult).expect("a core defect");
    let profiles = vec![reference.simulated_profile(), mutant.simulated_profile()];
    let cases = catalogue();
    let modes = Mode::ALL.to_vec();
    let work = select(plan(&profiles, &modes, cases.len()), shard);
    let mut executors = Vec::new();
    for (index, profile) in profiles.into_iter().enumerate() {
        let runs = work
            .iter()
            .filter(|w| w.executor == index)
            .map(|w| {
                let case: &Case = &cases[w.case];
                match index {
                    0 => simulated::run_case(&reference, case, w.mode),
                    _ => simulated::run_case(&mutant, case, w.mode),
                }
            })
            .collect();
        executors.push(fold(profile, &modes, Duration::ZERO, runs, Duration::ZERO));
    }
    let run = RunPlan {
        timeout_ms: Millis(overtime::harness::catalogue::CATALOGUE_TIMEOUT),
        modes,
        cases: cases.iter().map(|c| c.name.clone()).collect(),
        shard,
    };
    ResultsFile::new(Millis(Duration::ZERO), run, executors)
}

/// The file as `--json` writes it (failing traces kept), read back.
fn written(doc: &ResultsFile) -> ResultsFile {
    let text = serde_json::to_string_pretty(&doc.keeping(Traces::Failing)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn json(doc: &ResultsFile) -> String {
    serde_json::to_string_pretty(&doc.keeping(Traces::Failing)).unwrap()
}

fn mutant(doc: &ResultsFile) -> &SuiteResult {
    &doc.executors[1]
}

#[test]
fn shards_merged_are_byte_for_byte_the_whole_run() {
    let whole = simulated_run(None);
    assert!(!mutant(&whole).conforms(), "the mutant must fail something");
    for count in [2, 3, 7] {
        let shards: Vec<(String, ResultsFile)> = (1..=count)
            .map(|index| {
                let shard = Shard { index, count };
                (
                    format!("shard-{shard}"),
                    written(&simulated_run(Some(shard))),
                )
            })
            .collect();
        let merged = merge(&shards).unwrap_or_else(|e| panic!("{count} shards: {e}"));
        assert_eq!(json(&merged), json(&whole), "{count} shards merged");
    }
}

#[test]
fn a_missing_or_repeated_shard_is_refused_by_name() {
    let one = written(&simulated_run(Some(Shard { index: 1, count: 3 })));
    let two = written(&simulated_run(Some(Shard { index: 2, count: 3 })));
    let e = merge(&[("a".into(), one.clone()), ("b".into(), two)]).unwrap_err();
    assert!(e.contains("3/3 missing"), "{e}");
    let e = merge(&[("a".into(), one.clone()), ("b".into(), one)]).unwrap_err();
    assert!(e.contains("given twice: a and b"), "{e}");
}

#[test]
fn junit_parses_back_with_one_test_case_per_executor_mode_and_property() {
    let doc = simulated_run(None);
    let xml = junit::xml(&doc, None).unwrap();
    let report = Report::deserialize_from_str(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    assert_eq!(report.test_suites.len(), doc.executors.len());
    for (suite, result) in report.test_suites.iter().zip(&doc.executors) {
        assert_eq!(suite.name.as_str(), result.profile.name);
        assert_eq!(
            suite.test_cases.len(),
            Mode::ALL.len() * Property::ALL.len()
        );
        for (case, row) in suite.test_cases.iter().zip(&result.results) {
            assert_eq!(case.name.as_str(), row.property.label());
            assert_eq!(
                case.classname.as_ref().map(|c| c.as_str().to_string()),
                Some(format!("{}.{}", row.executor, row.mode))
            );
            match (&case.status, row.verdict) {
                (TestCaseStatus::Success { .. }, VerdictKind::Pass) => {}
                (
                    TestCaseStatus::NonSuccess {
                        message,
                        ty,
                        description,
                        ..
                    },
                    VerdictKind::Fail,
                ) => {
                    assert_eq!(
                        message.as_ref().map(|m| m.as_str()),
                        Some(row.evidence.as_str())
                    );
                    assert_eq!(ty.as_ref().map(|t| t.as_str()), Some(row.level.as_str()));
                    let listed = description
                        .as_ref()
                        .map(|d| d.as_str().to_string())
                        .unwrap_or_default();
                    assert!(listed.lines().count() == row.cases.fail, "{listed}");
                }
                (TestCaseStatus::Skipped { message, .. }, VerdictKind::NotApplicable) => {
                    let m = message.as_ref().map(|m| m.as_str()).unwrap_or_default();
                    assert!(m.starts_with("not applicable: "), "{m}");
                }
                (status, verdict) => panic!("{verdict:?} written as {status:?}"),
            }
        }
    }
    let failures = report
        .test_suites
        .iter()
        .flat_map(|s| &s.test_cases)
        .filter(|c| matches!(c.status, TestCaseStatus::NonSuccess { .. }))
        .count();
    let fails = doc
        .executors
        .iter()
        .flat_map(|e| &e.results)
        .filter(|r| r.verdict == VerdictKind::Fail)
        .count();
    assert!(fails > 0);
    assert_eq!(failures, fails);
}

#[test]
fn the_baseline_passes_its_own_results_and_names_a_regression() {
    let doc = simulated_run(None);
    let reference_only = |d: &ResultsFile| ResultsFile {
        executors: vec![d.executors[0].clone()],
        ..d.clone()
    };
    let mutant_only = |d: &ResultsFile| ResultsFile {
        executors: vec![d.executors[1].clone()],
        ..d.clone()
    };
    let path = Path::new("baseline.json");
    let same = compare(path, &mutant_only(&doc), &mutant_only(&doc), None).unwrap();
    assert!(same.passes(), "{}", same.render());
    assert!(same.regressed.is_empty() && same.improved.is_empty());
    assert!(
        !same.known_failures.is_empty(),
        "the mutant's failures are known to itself"
    );

    // The reference's results as the baseline of the mutant: one executor each, paired.
    let worse = compare(path, &reference_only(&doc), &mutant_only(&doc), None).unwrap();
    assert!(!worse.passes());
    let text = worse.render();
    assert!(text.contains("REGRESSED"), "{text}");
    assert!(
        text.contains("P04 exactly_once [MUST]: PASS -> FAIL"),
        "{text}"
    );
    assert!(
        text.contains("compared with the baseline's only executor, reference"),
        "{text}"
    );
    assert!(
        text.contains("--json baseline.json"),
        "how to refresh: {text}"
    );
    // And the other way round, everything that failed is an improvement.
    let better = compare(path, &mutant_only(&doc), &reference_only(&doc), None).unwrap();
    assert!(better.passes(), "{}", better.render());
    let failed_then = worse
        .regressed
        .iter()
        .filter(|c| c.now == VerdictKind::Fail)
        .count();
    let passes_now = better
        .improved
        .iter()
        .filter(|c| c.was == Some(VerdictKind::Fail))
        .count();
    assert_eq!(passes_now, failed_then, "{}", better.render());

    // Another ε: not comparable.
    let other = ResultsFile {
        epsilon_ms: Millis(Duration::from_millis(20)),
        ..mutant_only(&doc)
    };
    let e = compare(path, &other, &mutant_only(&doc), None).unwrap_err();
    assert!(e.contains("--epsilon-ms 20"), "{e}");
}

#[test]
fn the_baseline_gates_on_lateness_beyond_the_tolerance() {
    let base = simulated_run(None);
    let mut late = base.clone();
    let tolerance = Duration::from_millis(5);
    let mut shifted = 0;
    for case in late.executors.iter_mut().flat_map(|e| &mut e.cases) {
        if case.mode == Mode::Ordered {
            if let Some(l) = &mut case.timeout_lateness {
                *l += tolerance * 2;
                shifted += 1;
            }
        }
    }
    assert!(shifted > 0, "some ordered case must time out");
    let c = compare(Path::new("b.json"), &base, &late, Some(tolerance)).unwrap();
    assert!(!c.passes());
    assert!(
        c.lateness_regressed.iter().all(|l| l.mode == Mode::Ordered),
        "{c:?}"
    );
    let text = c.render();
    assert!(text.contains("lateness REGRESSED"), "{text}");
    let c = compare(Path::new("b.json"), &base, &late, Some(tolerance * 3)).unwrap();
    assert!(c.passes(), "{}", c.render());
}

#[test]
fn the_html_report_draws_every_failing_case_as_well_formed_svg() {
    let doc = written(&simulated_run(None));
    let dir = std::env::temp_dir().join(format!("overtime-html-{}", std::process::id()));
    html::write(&dir, &doc.executors, None, "overtime check").unwrap();
    let index = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let page = std::fs::read_to_string(dir.join("mutant-loses-racing-result.html"))
        .unwrap_or_else(|e| panic!("{e}; index:\n{index}"));
    assert!(
        index.contains("href=\"mutant-loses-racing-result.html#m-"),
        "cells link to the page"
    );
    let failing = mutant(&doc)
        .cases
        .iter()
        .filter(|c| c.worst() == VerdictKind::Fail)
        .count();
    assert!(failing > 0);
    let svgs: Vec<&str> = page
        .split("<svg class=\"timeline\"")
        .skip(1)
        .map(|rest| rest.split("</svg>").next().unwrap())
        .collect();
    let follow_ups = page.matches("follow-up call (judged by P11").count();
    assert_eq!(svgs.len(), failing + follow_ups);
    for svg in svgs {
        let text = format!("<svg{svg}</svg>");
        let mut reader = quick_xml::Reader::from_str(&text);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("malformed SVG: {e}\n{text}"),
            }
        }
        assert!(text.contains("class=\"task"), "tasks drawn: {text}");
        assert!(text.contains("class=\"due\""), "due times drawn: {text}");
    }
    let reference = std::fs::read_to_string(dir.join("reference.html")).unwrap();
    assert!(
        !reference.contains("<svg class=\"timeline\""),
        "the reference fails nothing"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

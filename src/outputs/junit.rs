//! `--junit PATH`: the results as JUnit XML (quick-junit), for a CI system's test view.
//!
//! One test suite per executor; one test case per mode × property, named `P01 liveness` in
//! class `<executor>.<mode>`. A failure's message is the evidence of the first failing case
//! and its text lists every failing case with its evidence; its type is the property's level
//! (`MUST`, or `SHOULD`, which does not fail the gate). Inconclusive verdicts (the harness
//! itself was late) and properties that do not apply are skipped, with the reason. With a
//! baseline, a failure the baseline has too is skipped as a known failure, so the test view
//! agrees with the gate.

use super::baseline::Comparison;
use super::contract_fields;
use super::results::ResultsFile;
use overtime_harness::{PropertyResult, SuiteResult, VerdictKind};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

/// The JUnit XML document of `doc`.
pub fn xml(doc: &ResultsFile, comparison: Option<&Comparison>) -> Result<String, String> {
    report(doc, comparison)
        .to_string()
        .map_err(|e| format!("cannot write the JUnit XML: {e}"))
}

/// The JUnit report of `doc`.
pub fn report(doc: &ResultsFile, comparison: Option<&Comparison>) -> Report {
    let mut report = Report::new("overtime");
    for result in &doc.executors {
        let mut suite = TestSuite::new(result.profile.name.as_str());
        suite.set_time(result.wall_time);
        suite.add_property(("epsilon_ms", doc.epsilon_ms.to_string().as_str()));
        for row in &result.results {
            suite.add_test_case(test_case(result, row, comparison));
        }
        report.add_test_suite(suite);
    }
    report
}

fn test_case(
    result: &SuiteResult,
    row: &PropertyResult,
    comparison: Option<&Comparison>,
) -> TestCase {
    let known =
        comparison.is_some_and(|c| c.is_known_failure(&row.executor, row.mode, row.property));
    let status = match row.verdict {
        VerdictKind::Pass => TestCaseStatus::success(),
        VerdictKind::Fail if known => {
            let mut s = TestCaseStatus::skipped();
            s.set_type("known-failure")
                .set_message(format!(
                    "known failure, accepted by the baseline: {}",
                    row.evidence
                ))
                .set_description(failing_cases(result, row));
            s
        }
        VerdictKind::Fail => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_type(row.level.as_str())
                .set_message(row.evidence.as_str())
                .set_description(failing_cases(result, row));
            s
        }
        VerdictKind::Inconclusive => {
            let mut s = TestCaseStatus::skipped();
            s.set_type("inconclusive").set_message(format!(
                "inconclusive, the harness itself was late: {}",
                row.evidence
            ));
            s
        }
        VerdictKind::NotApplicable => {
            let mut s = TestCaseStatus::skipped();
            s.set_type("not-applicable")
                .set_message(format!("not applicable: {}", row.evidence));
            s
        }
    };
    let mut case = TestCase::new(row.property.label(), status);
    case.set_classname(format!("{}.{}", row.executor, row.mode));
    case.add_property(("level", row.level.as_str()));
    for (key, value) in contract_fields(row) {
        case.add_property((key.as_str(), value.as_str()));
    }
    case
}

/// Every failing case of `row`'s property in its mode, one per line, with its evidence.
fn failing_cases(result: &SuiteResult, row: &PropertyResult) -> String {
    result
        .cases
        .iter()
        .filter(|c| c.mode == row.mode)
        .filter_map(|c| {
            let v = c.verdicts.iter().find(|v| v.property == row.property)?;
            (v.verdict == VerdictKind::Fail).then(|| format!("case {}: {}", c.case, v.evidence))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

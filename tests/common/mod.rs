//! Shared by the root tests (and the throughput example): judging the reference executor in
//! simulated and real time, and rendering traces and verdicts as text.

// Each test binary uses part of this module.
#![allow(dead_code)]

use overtime::harness::campaign::{judged, Judged, Levels};
use overtime::harness::strategies::GeneratedCall;
use overtime::harness::{
    run_suite, CaseExecutor, CaseRun, Mode, OnTimeout, Property, SuiteOptions, VerdictKind,
};
use overtime::reference::simulated::{self, SimExecutor};
use std::sync::Arc;

/// Simulates `call` on `executor` and judges it, every property counting (MUST and SHOULD).
pub fn judge_simulated<E: SimExecutor>(executor: &E, call: &GeneratedCall) -> Judged {
    judged(
        &simulated::run_case(executor, &call.case, call.mode).verdicts,
        Levels::All,
    )
}

/// The failures of `run`, one line each.
pub fn failures(run: &CaseRun) -> Vec<(Property, String)> {
    run.verdicts
        .iter()
        .filter(|(_, v)| v.is_fail())
        .map(|(p, v)| (*p, v.evidence.clone()))
        .collect()
}

/// A stamp in milliseconds, exact to the nanosecond: `100 ms`, `100.001 ms`.
pub fn exact_ms(at: overtime::harness::Stamp) -> String {
    let (whole, frac) = (at.0 / 1_000_000, at.0 % 1_000_000);
    if frac == 0 {
        format!("{whole} ms")
    } else {
        format!("{whole}.{} ms", format!("{frac:06}").trim_end_matches('0'))
    }
}

/// A trace as text, one event a line, stamps exact, for people and snapshots:
/// `  100.001 ms  answered timeout`.
pub fn render_trace(trace: &overtime::harness::Trace) -> String {
    use overtime::harness::{Answer, Event};
    let mut out = String::new();
    for e in &trace.events {
        let what = match &e.event {
            Event::CallMade => "call_made".to_string(),
            Event::CallSent => "call_sent".to_string(),
            Event::CallReturned => "call_returned".to_string(),
            Event::TaskStarted { task } => format!("task_started {task}"),
            Event::TaskEnded { task, end } => format!("task_ended {task} {end:?}").to_lowercase(),
            Event::NextAsked => "next_asked".to_string(),
            Event::Answered(answer) => match answer {
                Answer::Item { task } => format!("answered item {task}"),
                Answer::TimedOut { task } => format!("answered timed_out {task}"),
                Answer::Timeout => "answered timeout".to_string(),
                Answer::TaskFailed { task } => format!("answered task_failed {task}"),
                Answer::ExecutorError { message } => format!("answered executor_error {message:?}"),
                Answer::End => "answered end".to_string(),
            },
            Event::DropBegun => "drop_begun".to_string(),
            Event::DropReturned => "drop_returned".to_string(),
            Event::WatchdogFired => "watchdog_fired".to_string(),
        };
        out.push_str(&format!("{:>14}  {what}\n", exact_ms(e.at)));
    }
    if let Some(follow) = &trace.follow_up {
        out.push_str("  follow-up call:\n");
        out.push_str(&render_trace(follow));
    }
    out
}

/// The verdicts as text, one property a line: `P01 liveness  pass  timeout due 100 ms, …`.
pub fn render_verdicts(run: &CaseRun) -> String {
    let mut out = String::new();
    for (property, verdict) in &run.verdicts {
        out.push_str(
            format!(
                "{:<26} {:<14} {}",
                property.label(),
                verdict.verdict.as_str(),
                verdict.evidence
            )
            .trim_end(),
        );
        out.push('\n');
    }
    out
}

/// Whether the catalogue must exercise `property` (judge it pass) in `mode` under
/// `on_timeout`; the others may be not applicable, but never fail.
pub fn must_be_exercised(property: Property, mode: Mode, on_timeout: OnTimeout) -> bool {
    match property {
        Property::PartialResults => mode == Mode::Unordered && on_timeout == OnTimeout::Abort,
        // Under PerTask a timeout is a marker: it never competes with an error.
        Property::TimeoutPrecedence => on_timeout == OnTimeout::Abort,
        Property::CompletionOrder => mode == Mode::Unordered,
        // A List call hands everything back at once: there is no iteration to drop.
        Property::DropReturns => mode != Mode::List,
        _ => true,
    }
}

/// Runs the catalogue on `executor` in `mode` (real time, default ε) and panics listing every
/// property that failed, was inconclusive, or was not exercised where it must be.
pub fn assert_conforms(executor: Arc<dyn CaseExecutor>, mode: Mode) {
    let options = SuiteOptions {
        modes: vec![mode],
        ..SuiteOptions::default()
    };
    let result = run_suite(&executor, &options, |_| {});
    let on_timeout = result.profile.contract_for(mode).on_timeout;
    let mut problems = Vec::new();
    for property in Property::ALL {
        let Some(r) = result.result(mode, property) else {
            problems.push(format!("{}: no verdict", property.label()));
            continue;
        };
        match r.verdict {
            VerdictKind::Pass => {}
            VerdictKind::NotApplicable if !must_be_exercised(property, mode, on_timeout) => {}
            other => problems.push(format!("{}: {:?}: {}", property.label(), other, r.evidence)),
        }
    }
    assert!(
        problems.is_empty(),
        "{} in {mode} mode:\n  {}",
        result.profile.name,
        problems.join("\n  ")
    );
}

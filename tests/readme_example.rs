//! The README's example executor, run through the suite: the harness must find what is wrong
//! with it (it ignores `n_jobs`) and nothing else. A drift guard keeps the README's code and
//! this file the same, and the README's suite line compiles here as written.

use libtest_mimic::Arguments;
use overtime_harness::{run_suite, CaseExecutor, Property, Suite, SuiteOptions, VerdictKind};
use std::sync::Arc;

// README:begin
use overtime_harness::{
    Call, CallError, Contract, Executor, Mode, NeverStop, OnTimeout, Outcome, Profile, Slot,
    TimeoutClock,
};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Instant;

struct ThreadPerTask;

impl Executor for ThreadPerTask {
    fn profile(&self) -> Profile {
        Profile {
            name: "thread-per-task".into(),
            modes: vec![Mode::List],
            contract: Contract {
                clock: TimeoutClock::Overall,
                on_timeout: OnTimeout::Abort,
                cancels_running: false,
                ..Contract::default()
            },
            ..Profile::default()
        }
    }

    fn run(&self, call: Call) -> Outcome {
        Outcome::List(run_list(call))
    }
}

/// Every task on a thread of its own; the results in input order, or the first error.
fn run_list(call: Call) -> Result<Vec<Slot>, CallError> {
    let deadline = call.timeout.map(|t| Instant::now() + t);
    let n = call.tasks.len();
    let (tx, rx) = mpsc::channel();
    for task in call.tasks {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let _ = tx.send((task.index(), task.run(&NeverStop)));
        });
    }
    drop(tx); // once every worker is gone (even one that died), a receive errs
    let mut slots = vec![None; n];
    for _ in 0..n {
        let received = match deadline {
            Some(d) => rx.recv_timeout(d.saturating_duration_since(Instant::now())),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        let (index, result) = received.map_err(|e| match e {
            RecvTimeoutError::Timeout => CallError::Timeout { task: None },
            RecvTimeoutError::Disconnected => CallError::ExecutorError("a worker died".into()),
        })?;
        slots[index] = Some(Slot::Item(result?));
    }
    Ok(slots.into_iter().flatten().collect())
}
// README:end

/// The README's last line, as written: in the README's test file it is the test binary's
/// `main`; here it is compiled but not called (this file's own tests run it below).
#[allow(dead_code)] // `as_written::main` is the README's entry point, not this test's
mod as_written {
    use super::*;
    // README:suite
    overtime_harness::suite!(thread_per_task, ThreadPerTask);
}

#[test]
fn the_suite_finds_that_it_ignores_n_jobs_and_nothing_else() {
    let executor: Arc<dyn CaseExecutor> = Arc::new(ThreadPerTask);
    let result = run_suite(&executor, &SuiteOptions::default(), |_| {});
    let list = |p| result.result(Mode::List, p).map(|r| r.verdict);
    assert_eq!(list(Property::BoundedConcurrency), Some(VerdictKind::Fail));
    let evidence = &result
        .result(Mode::List, Property::BoundedConcurrency)
        .unwrap()
        .evidence;
    assert!(evidence.contains("with n_jobs"), "{evidence}");
    for p in [
        Property::Liveness,
        Property::NoPremature,
        Property::ExactlyOnce,
        Property::Order,
        Property::ErrorPropagation,
        Property::AbortStopsDispatch,
        Property::Reusable,
    ] {
        let evidence = result
            .result(Mode::List, p)
            .map(|r| r.evidence.clone())
            .unwrap_or_default();
        assert_eq!(
            list(p),
            Some(VerdictKind::Pass),
            "{}: {evidence}",
            p.label()
        );
    }
    for mode in [Mode::Ordered, Mode::Unordered] {
        let r = result.result(mode, Property::Liveness).unwrap();
        assert_eq!(r.verdict, VerdictKind::NotApplicable);
        assert!(r.evidence.contains("does not support"), "{}", r.evidence);
    }
}

/// The suite's own trials, as `cargo test` runs them: P09 fails in List mode, with the
/// evidence, and every other property trial of List mode passes.
#[test]
fn the_suite_trials_fail_p09_in_list_mode_and_nothing_else() {
    let suite = Suite::new("thread_per_task", || ThreadPerTask);
    let names: Vec<String> = suite
        .trials()
        .iter()
        .map(|t| t.name().to_string())
        .collect();
    assert!(names.contains(&"thread_per_task::list::p09_bounded_concurrency".to_string()));
    assert!(names.contains(&"thread_per_task::unordered::generated_workloads".to_string()));
    // The inner run's own report goes to a file: its expected failure is not this test's.
    let log = std::env::temp_dir().join(format!("overtime-readme-{}.log", std::process::id()));
    let args = Arguments {
        filter: Some("thread_per_task::list::p".into()),
        test_threads: Some(1),
        logfile: Some(log.display().to_string()),
        ..Arguments::default()
    };
    let conclusion = libtest_mimic::run(&args, suite.trials());
    let report = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    assert!(
        report.contains("violates P09 bounded_concurrency in list mode"),
        "{report}"
    );
    let properties = Property::ALL.len() as u64;
    assert_eq!(conclusion.num_passed, properties - 1, "{conclusion:?}");
    assert_eq!(conclusion.num_failed, 1, "{conclusion:?}");
}

#[test]
fn readme_shows_this_code() {
    let readme = include_str!("../README.md");
    let this = include_str!("readme_example.rs");
    let begin = this.find("// README:begin\n").expect("marker") + "// README:begin\n".len();
    let end = this.find("// README:end").expect("marker");
    assert!(
        readme.contains(&this[begin..end]),
        "README.md's example and tests/readme_example.rs have drifted apart"
    );
    let suite_line = "overtime_harness::suite!(thread_per_task, ThreadPerTask);";
    assert!(this.contains(&format!("// README:suite\n    {suite_line}")));
    assert!(
        readme.contains(&format!("{suite_line}\n```")),
        "the README's example must end with the suite line compiled here"
    );
}

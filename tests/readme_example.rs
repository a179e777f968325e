//! The README's example executor, run through the suite: the harness must find what is wrong
//! with it (it ignores `n_jobs`) and nothing else. A drift guard keeps the README's code and
//! this file the same.

use overtime_harness::conformance::{run_suite, SuiteOptions};
use overtime_harness::properties::{Property, VerdictKind};
use std::sync::Arc;

// README:begin
use overtime_harness::{
    Call, CallError, Contract, Executor, Mode, NeverStop, OnTimeout, Outcome, Profile, Slot,
    TimeoutClock,
};
use std::sync::mpsc;
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
            },
        }
    }

    fn run(&self, call: Call) -> Outcome {
        let deadline = call.timeout.map(|t| Instant::now() + t);
        let n = call.tasks.len();
        let (tx, rx) = mpsc::channel();
        for task in call.tasks {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let index = task.index();
                let _ = tx.send((index, task.run(&NeverStop)));
            });
        }
        let mut slots = vec![None; n];
        for _ in 0..n {
            let received = match deadline {
                Some(d) => rx
                    .recv_timeout(d.saturating_duration_since(Instant::now()))
                    .map_err(|_| CallError::Timeout { task: None }),
                None => rx.recv().map_err(|e| CallError::Executor(e.to_string())),
            };
            let (index, result) = match received {
                Ok(r) => r,
                Err(e) => return Outcome::List(Err(e)),
            };
            match result {
                Ok(output) => slots[index] = Some(Slot::Value(output)),
                Err(f) => {
                    return Outcome::List(Err(CallError::TaskFailed {
                        task: f.task,
                        message: f.message,
                    }))
                }
            }
        }
        Outcome::List(Ok(slots.into_iter().flatten().collect()))
    }
}
// README:end

#[test]
fn the_suite_finds_that_it_ignores_n_jobs_and_nothing_else() {
    let executor: Arc<dyn Executor> = Arc::new(ThreadPerTask);
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
        assert_eq!(list(p), Some(VerdictKind::Pass), "{}", p.label());
    }
    for mode in [Mode::Ordered, Mode::Unordered] {
        let r = result.result(mode, Property::Liveness).unwrap();
        assert_eq!(r.verdict, VerdictKind::NotApplicable);
        assert!(r.evidence.contains("does not support"), "{}", r.evidence);
    }
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
}

//! A smoke model of the threaded driver under loom, on virtual time: one task that returns at
//! once races its own deadline. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p overtime-reference --release --test loom_smoke`.
#![cfg(loom)]

use overtime_harness::{CallError, Contract, Mode, OnTimeout, Output, Slot, TimeoutClock};
use overtime_reference::clock::VirtualClock;
use overtime_reference::core::CoreConfig;
use overtime_reference::threaded::{Job, ThreadedCall};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[test]
fn a_result_and_its_deadline_race_both_ways_and_each_answer_is_consistent() {
    // Outside the model (std atomics): which outcomes some execution reached.
    static RESULT_FIRST: AtomicBool = AtomicBool::new(false);
    static DEADLINE_FIRST: AtomicBool = AtomicBool::new(false);

    loom::model(|| {
        let contract = Contract {
            clock: TimeoutClock::TaskRuntime,
            on_timeout: OnTimeout::Abort,
            cancels_running: true,
        };
        let config = CoreConfig::new(
            1,
            1,
            Some(Duration::from_millis(100)),
            Mode::Unordered,
            contract,
        );
        let jobs: Vec<Job> = vec![Box::new(|_stop| Ok(Output { task: 0 }))];
        let mut call = ThreadedCall::start(config, jobs, VirtualClock::new());
        match call.next() {
            Some(Ok(Slot::Value(output))) => {
                assert_eq!(output.task, 0);
                RESULT_FIRST.store(true, Ordering::Relaxed);
            }
            Some(Err(CallError::Timeout { task: Some(0) })) => {
                DEADLINE_FIRST.store(true, Ordering::Relaxed);
            }
            other => panic!("unexpected first answer {other:?}"),
        }
        assert!(call.next().is_none(), "one answer, then the end");
    });

    assert!(
        RESULT_FIRST.load(Ordering::Relaxed),
        "no execution saw the result first"
    );
    assert!(
        DEADLINE_FIRST.load(Ordering::Relaxed),
        "no execution saw the deadline first"
    );
}

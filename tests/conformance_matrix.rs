//! The reference executor against the whole catalogue, in every mode × clock × on-timeout
//! combination, in real time (ε 50 ms, with the runner's watchdog).

use overtime::harness::conformance::{run_suite, SuiteOptions};
use overtime::harness::properties::{Property, VerdictKind};
use overtime::harness::{Contract, Executor, Mode, OnTimeout, TimeoutClock};
use overtime::reference::ReferenceExecutor;
use rstest::rstest;
use std::sync::Arc;

/// Whether a property must have been exercised (judged pass) by the catalogue in this
/// combination; the others may be not applicable, but never fail.
fn must_be_exercised(property: Property, mode: Mode, contract: Contract) -> bool {
    match property {
        Property::PartialResults => {
            mode == Mode::Unordered && contract.on_timeout == OnTimeout::Abort
        }
        Property::CompletionOrder => mode == Mode::Unordered,
        // A List call hands everything back at once: there is no iteration to drop.
        Property::DropReturns => mode != Mode::List,
        _ => true,
    }
}

#[rstest]
fn reference_conforms(
    #[values(Mode::List, Mode::Ordered, Mode::Unordered)] mode: Mode,
    #[values(
        TimeoutClock::TaskRuntime,
        TimeoutClock::ResultWait,
        TimeoutClock::Overall
    )]
    clock: TimeoutClock,
    #[values(OnTimeout::Abort, OnTimeout::PerTask)] on_timeout: OnTimeout,
) {
    let contract = Contract {
        clock,
        on_timeout,
        cancels_running: true,
    };
    let executor: Arc<dyn Executor> = Arc::new(ReferenceExecutor::new(contract));
    let options = SuiteOptions {
        modes: vec![mode],
        ..SuiteOptions::default()
    };
    let result = run_suite(&executor, &options, |_| {});
    let mut problems = Vec::new();
    for property in Property::ALL {
        let Some(r) = result.result(mode, property) else {
            problems.push(format!("{}: no verdict", property.label()));
            continue;
        };
        match r.verdict {
            VerdictKind::Pass => {}
            VerdictKind::NotApplicable if !must_be_exercised(property, mode, contract) => {}
            other => problems.push(format!("{}: {:?}: {}", property.label(), other, r.evidence)),
        }
    }
    assert!(
        problems.is_empty(),
        "reference {contract} in {mode} mode:\n  {}",
        problems.join("\n  ")
    );
}

//! The reference executor against the whole catalogue, in every mode × clock × on-timeout
//! combination, in real time (the default ε, 20 ms, with the runner's watchdog).

use overtime::harness::{Contract, DeadlineAnchor, ErrorOrder, Mode, OnTimeout, TimeoutClock};
use overtime::reference::ReferenceExecutor;
use rstest::rstest;
use std::sync::Arc;

mod common;

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
        ..Contract::default()
    };
    common::assert_conforms(Arc::new(ReferenceExecutor::new(contract)), mode);
}

/// The dimensions after the clock and the on-timeout behaviour, in real time: errors at their
/// turn in input order, and an overall clock anchored at the consumer's first pull.
#[rstest]
fn reference_conforms_with_the_other_dimensions(
    #[values(Mode::List, Mode::Ordered, Mode::Unordered)] mode: Mode,
    #[values(
        Contract { error_order: ErrorOrder::InputOrder, ..ReferenceExecutor::DEFAULT_CONTRACT },
        Contract {
            clock: TimeoutClock::Overall,
            deadline_anchor: DeadlineAnchor::FirstPull,
            ..ReferenceExecutor::DEFAULT_CONTRACT
        }
    )]
    contract: Contract,
) {
    common::assert_conforms(Arc::new(ReferenceExecutor::new(contract)), mode);
}

//! A contract per mode: a profile whose modes keep different promises is judged, mode by mode,
//! against the contract of that mode — in the trace, the verdicts and the report — in
//! simulated time (ε = 0) on the whole catalogue.

use overtime::harness::catalogue::catalogue;
use overtime::harness::report;
use overtime::harness::{
    fold, CallParams, Contract, DeadlineAnchor, ErrorOrder, Level, Mode, OnTimeout, Profile,
    TimeoutClock,
};
use overtime::reference::core::{Core, CoreConfig};
use overtime::reference::simulated::{self, SimExecutor};
use std::collections::BTreeMap;
use std::time::Duration;

/// The reference core, declaring `declared` and running each call with `runs`'s contract for
/// its mode.
struct PerMode {
    declared: Profile,
    runs: Profile,
}

impl SimExecutor for PerMode {
    type Machine = Core;

    fn simulated_profile(&self) -> Profile {
        self.declared.clone()
    }

    fn start(&self, call: &CallParams) -> Core {
        Core::new(CoreConfig::new(*call, self.runs.contract_for(call.mode)))
    }
}

/// `Executor.map` for List and Ordered (overall from the call, errors in input order) and
/// `as_completed` for Unordered (overall from the first pull, fail-fast), as a profile.
fn map_and_as_completed() -> Profile {
    let map = Contract {
        clock: TimeoutClock::Overall,
        on_timeout: OnTimeout::Abort,
        cancels_running: true,
        error_order: ErrorOrder::InputOrder,
        deadline_anchor: DeadlineAnchor::Call,
    };
    let as_completed = Contract {
        error_order: ErrorOrder::FailFast,
        deadline_anchor: DeadlineAnchor::FirstPull,
        ..map
    };
    Profile {
        name: "map-and-as-completed".into(),
        modes: Mode::ALL.to_vec(),
        contract: map,
        per_mode: BTreeMap::from([(Mode::Unordered, as_completed)]),
    }
}

fn run(executor: &PerMode) -> overtime::harness::SuiteResult {
    let runs = Mode::ALL
        .into_iter()
        .flat_map(|mode| {
            catalogue()
                .into_iter()
                .map(move |case| simulated::run_case(executor, &case, mode))
        })
        .collect();
    fold(
        executor.declared.clone(),
        &Mode::ALL,
        Duration::ZERO,
        runs,
        Duration::ZERO,
    )
}

#[test]
fn each_mode_is_judged_against_its_own_contract() {
    let profile = map_and_as_completed();
    let executor = PerMode {
        declared: profile.clone(),
        runs: profile.clone(),
    };
    for mode in Mode::ALL {
        let case = &catalogue()[0];
        let trace = simulated::simulate(&executor, case, mode);
        assert_eq!(trace.contract, profile.contract_for(mode), "{mode}");
    }
    let result = run(&executor);
    assert!(result.conforms(), "{:?}", result.must_failures());
    for row in &result.results {
        let declared = profile.contract_for(row.mode);
        assert_eq!(
            (row.clock, row.error_order, row.deadline_anchor),
            (
                declared.clock,
                declared.error_order,
                declared.deadline_anchor
            ),
            "the JSON row repeats its mode's contract"
        );
    }
    // The report shows each mode's contract.
    let matrix = report::matrix(&result, &Mode::ALL);
    assert!(
        matrix.contains("ordered   clock overall, on_timeout abort, error_order input_order"),
        "{matrix}"
    );
    assert!(
        matrix.contains("unordered clock overall, on_timeout abort, deadline_anchor first_pull"),
        "{matrix}"
    );
}

#[test]
fn a_mode_that_breaks_its_own_contract_fails_alone() {
    // Declared: as_completed's contract in Unordered. Run: the call-anchored clock there too,
    // so a consumer that starts late sees the timeout before it was due from its first pull.
    let declared = map_and_as_completed();
    let runs = Profile {
        per_mode: BTreeMap::from([(
            Mode::Unordered,
            Contract {
                error_order: ErrorOrder::FailFast,
                ..declared.contract
            },
        )]),
        ..declared.clone()
    };
    let result = run(&PerMode { declared, runs });
    let failing: Vec<(Mode, String)> = result
        .must_failures()
        .iter()
        .map(|r| (r.mode, r.evidence.clone()))
        .collect();
    assert!(
        failing.iter().all(|(mode, _)| *mode == Mode::Unordered) && !failing.is_empty(),
        "{failing:#?}"
    );
    assert!(
        failing
            .iter()
            .any(|(_, evidence)| evidence.contains("from the first pull")),
        "{failing:#?}"
    );
    assert!(result
        .results
        .iter()
        .filter(|r| r.mode != Mode::Unordered && r.level == Level::Must)
        .all(|r| !matches!(r.verdict, overtime::harness::VerdictKind::Fail)));
}

//! Generated workloads in simulated time, judged exactly (ε = 0):
//!
//! - the reference executor keeps every property (MUST and SHOULD) on generated calls of 0–64
//!   tasks, in every mode, with each of its six contracts and with the other dimensions of
//!   the contract (errors at their turn in input order, an overall clock anchored at the first
//!   pull);
//! - an executor that ignores the deadline in unordered mode (joblib #1586) is caught, and its
//!   failure shrinks to a call of at most three tasks, printed as a scenario file that reads
//!   back and still fails;
//! - every generated call prints as a scenario file that reads back to the same call.
//!
//! `PROPTEST_CASES` sets the calls per contract (default 2,000); `PROPTEST_RNG_SEED` replays a
//! run (each run prints its seed).

use overtime::harness::campaign::{check, Campaign, CampaignError};
use overtime::harness::scenario;
use overtime::harness::strategies::Workloads;
use overtime::harness::{CallParams, Executor, Mode, Profile, Property};
use overtime::reference::core::Core;
use overtime::reference::simulated::{self, SimExecutor};
use overtime::reference::ReferenceExecutor;
use proptest::prelude::*;
use std::path::PathBuf;

mod common;

/// Generated calls per contract: 12,000 by default for the six contracts, 16,000 more for the
/// eight with another dimension away from its default.
const CALLS_PER_CONTRACT: u32 = 2_000;

#[test]
fn the_reference_keeps_every_property_on_generated_calls() {
    for executor in ReferenceExecutor::every_dimension() {
        let profile = executor.simulated_profile();
        let strategy = Workloads::simulated(profile.modes.clone()).calls();
        let campaign = Campaign::from_env(CALLS_PER_CONTRACT);
        let result = check(&campaign, &profile, &strategy, |call| {
            common::judge_simulated(&executor, call)
        });
        match result {
            Ok(tally) => println!("{:<34} {tally}", profile.name),
            Err(error) => panic!("{error}"),
        }
    }
}

/// The reference core with no timeout in unordered mode: joblib #1586 as an executor.
struct IgnoresUnorderedDeadline(ReferenceExecutor);

impl SimExecutor for IgnoresUnorderedDeadline {
    type Machine = Core;

    fn simulated_profile(&self) -> Profile {
        Profile {
            name: "ignores-unordered-deadline".into(),
            ..Executor::profile(&self.0)
        }
    }

    fn start(&self, call: &CallParams) -> Core {
        let mut shape = *call;
        if shape.mode == Mode::Unordered {
            shape.timeout = None;
        }
        SimExecutor::start(&self.0, &shape)
    }
}

#[test]
fn an_executor_ignoring_the_unordered_deadline_is_caught_and_shrunk_to_three_tasks_at_most() {
    let executor = IgnoresUnorderedDeadline(ReferenceExecutor::default());
    let profile = executor.simulated_profile();
    let strategy = Workloads::simulated(profile.modes.clone()).calls();
    let result = check(
        &Campaign::from_env(CALLS_PER_CONTRACT),
        &profile,
        &strategy,
        |call| common::judge_simulated(&executor, call),
    );
    let found = match result {
        Err(CampaignError::Found(found)) => found,
        other => panic!("the defect was not caught: {other:?}"),
    };
    println!("{found}");
    assert_eq!(found.call.mode, Mode::Unordered, "{found}");
    assert!(
        found.call.case.tasks.len() <= 3,
        "not shrunk enough:\n{found}"
    );
    assert_eq!(found.property, Property::Liveness, "{found}");

    // The printed file is a scenario: it reads back, still fails on this executor, and passes
    // on the reference.
    let path = PathBuf::from(format!("specs/regressions/{}.toml", found.scenario_name()));
    let case = scenario::parse(&found.scenario_toml(), &path)
        .unwrap_or_else(|e| panic!("the printed scenario does not parse: {e}"));
    let on_defect = simulated::run_case(&executor, &case, Mode::Unordered);
    assert!(on_defect.first_failure().is_some(), "{case:?}");
    let on_reference = simulated::run_case(&executor.0, &case, Mode::Unordered);
    assert!(on_reference.first_failure().is_none(), "{on_reference:?}");
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 500,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_generated_call_prints_as_a_scenario_that_reads_back_unchanged(
        call in Workloads::simulated(Mode::ALL.to_vec()).calls()
    ) {
        let text = scenario::to_toml(&call.case);
        let path = PathBuf::from("specs/scenarios/generated.toml");
        prop_assert_eq!(scenario::parse(&text, &path), Ok(call.case), "{}", text);
    }
}

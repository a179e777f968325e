//! Detection power: every mutant of the zoo is caught by the default configuration (the
//! catalogue at the default ε, in real time) — at least one MUST property fails — while the
//! reference executor passes the same suite (tests/conformance_matrix.rs).

use overtime::harness::catalogue::catalogue;
use overtime::harness::SuiteOptions;
use overtime::mutants::Mutant;
use overtime::zoo::{catch_real_time, catch_simulated};
use rstest::rstest;

#[rstest]
fn mutant_is_caught(
    #[values(
        Mutant::UnorderedNeverTimesOut,
        Mutant::ChecksAfterCompletion,
        Mutant::PollsCoarsely,
        Mutant::WrongStartInstant,
        Mutant::Premature,
        Mutant::LosesRacingResult,
        Mutant::DuplicatesResult,
        Mutant::OrderedOutOfOrder,
        Mutant::DropBlocks,
        Mutant::DispatchAfterAbort,
        Mutant::ExceedsNJobs,
        Mutant::ErrorSwallowed,
        Mutant::LateErrorWins,
        Mutant::ErrorWaitsForTheRest,
        Mutant::NaiveCollectThenCompare,
        Mutant::NaiveBlockingRecv,
        Mutant::ZeroMeansNoTimeout,
        Mutant::RestartsOnResult,
        Mutant::WaitFromLastResult,
        Mutant::DropWaitsForIdleWorkers
    )]
    mutant: Mutant,
) {
    let (catch, _) = catch_real_time(mutant, &SuiteOptions::default());
    assert!(
        catch.caught(),
        "mutant {} ({}) was not caught by any MUST property",
        mutant.name(),
        mutant.about()
    );
}

/// In simulated time (ε = 0), every mutant whose defect is in the core's logic is caught too.
#[test]
fn every_core_mutant_is_caught_in_simulated_time() {
    let cases = catalogue();
    let mut simulated = 0;
    for mutant in Mutant::ALL {
        let Some(catch) = catch_simulated(mutant, &cases) else {
            assert!(
                !mutant.is_core_defect(),
                "{} should simulate",
                mutant.name()
            );
            continue;
        };
        simulated += 1;
        assert!(
            catch.caught(),
            "mutant {} ({}) was not caught in simulated time",
            mutant.name(),
            mutant.about()
        );
    }
    assert_eq!(simulated, 15, "the mutants whose defect is in the core");
}

#[test]
fn the_zoo_lists_every_mutant_once() {
    let mut names: Vec<&str> = Mutant::ALL.iter().map(|m| m.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), Mutant::ALL.len());
    assert!(Mutant::ALL
        .iter()
        .all(|m| Mutant::parse(m.name()) == Some(*m)));
}

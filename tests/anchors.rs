//! Anchor separation: a timeout clock started (or restarted) at the wrong instant — the call,
//! the first pull, the task's start, the task becoming head of line, the previous completion,
//! the consumer's ask, the latest result, a previous timeout — misses its due time by the
//! distance between that instant and the right one, and is only caught when that distance is
//! well beyond ε. For every mode × clock, the catalogue must hold a case in which every
//! plausible wrong anchor lies at least 3ε (at the default scale: ε = 20 ms, T = 100 ms) from
//! the correct one — for an overall clock in the lazy modes, with either declared deadline
//! anchor (the call or the first pull). Computed from simulated runs of the reference (both
//! on-timeout behaviours); a gap is named by mode, clock, declared anchor and wrong anchor.

use overtime::harness::catalogue::catalogue;
use overtime::harness::{
    anchor_gaps, Anchor, Contract, DeadlineAnchor, Mode, OnTimeout, TimeoutClock, DEFAULT_EPSILON,
};
use overtime::reference::{simulated, ReferenceExecutor};
use std::collections::BTreeMap;
use std::time::Duration;

/// The wrong anchors that can exist in `mode` (a List call has no pulls and delivers nothing
/// before its end; an Unordered stream has no head of line), minus the correct one and those
/// that coincide with it by definition: an overall clock owes one due time, so there is no
/// previous timeout to restart from; a List's result_wait chain restarts each wait where the
/// previous slot's wait ended, which after a timeout is that timeout.
fn plausible(mode: Mode, contract: &Contract) -> Vec<Anchor> {
    let clock = contract.clock;
    let correct = Anchor::correct(contract, mode);
    Anchor::ALL
        .into_iter()
        .filter(|a| *a != correct)
        .filter(|a| {
            *a != Anchor::PreviousTimeout
                || !(clock == TimeoutClock::Overall
                    || (clock == TimeoutClock::ResultWait && mode == Mode::List))
        })
        .filter(|a| match mode {
            Mode::List => !matches!(
                a,
                Anchor::FirstPull | Anchor::ConsumerAsk | Anchor::LatestResult
            ),
            Mode::Ordered => true,
            Mode::Unordered => *a != Anchor::HeadOfLine,
        })
        .collect()
}

/// Every clock, and for an overall clock in the lazy modes both deadline anchors (in List mode
/// the first pull is the call).
fn clocks_and_anchors(mode: Mode) -> Vec<(TimeoutClock, DeadlineAnchor)> {
    let mut out = Vec::new();
    for clock in TimeoutClock::ALL {
        out.push((clock, DeadlineAnchor::Call));
        if clock == TimeoutClock::Overall && mode != Mode::List {
            out.push((clock, DeadlineAnchor::FirstPull));
        }
    }
    out
}

#[test]
fn every_wrong_anchor_lies_three_epsilon_from_the_right_one_in_some_case() {
    let needed = DEFAULT_EPSILON * 3;
    let cases = catalogue();
    let mut missing = Vec::new();
    let mut table = String::new();
    for mode in Mode::ALL {
        for (clock, deadline_anchor) in clocks_and_anchors(mode) {
            let contract = Contract {
                clock,
                deadline_anchor,
                cancels_running: true,
                ..Contract::default()
            };
            // The widest separation of each wrong anchor, and the case that gives it.
            let mut best: BTreeMap<Anchor, (Duration, String)> = BTreeMap::new();
            for on_timeout in OnTimeout::ALL {
                let executor = ReferenceExecutor::new(Contract {
                    on_timeout,
                    ..contract
                });
                for case in &cases {
                    let trace = simulated::simulate(&executor, case, mode);
                    for gap in anchor_gaps(&trace) {
                        let entry = best
                            .entry(gap.wrong)
                            .or_insert((Duration::ZERO, String::new()));
                        if gap.separation > entry.0 {
                            *entry = (gap.separation, format!("{} ({on_timeout})", case.name));
                        }
                    }
                }
            }
            for anchor in plausible(mode, &contract) {
                let (widest, case) = best
                    .get(&anchor)
                    .cloned()
                    .unwrap_or((Duration::ZERO, "no case".into()));
                table.push_str(&format!(
                    "{mode:<9} {clock:<12} {deadline_anchor:<10} {:<32} {:>10?} {case}\n",
                    anchor.as_str(),
                    widest
                ));
                if widest < needed {
                    missing.push(format!(
                        "{mode} × {clock} (anchored at {deadline_anchor}) × {anchor}: widest separation {widest:?} ({case}), \
                         needs {needed:?}"
                    ));
                }
            }
        }
    }
    println!("{table}");
    assert!(
        missing.is_empty(),
        "wrong clock anchors the catalogue cannot tell from the right one:\n  {}",
        missing.join("\n  ")
    );
}

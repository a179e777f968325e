//! What the checker reads off a trace that a picture of it needs: where each due time D fell
//! and why, the liveness cut, the first failure and the abort. Reports draw these beside the
//! trace's own events, so a timeline shows exactly the instants the verdicts were judged
//! against, computed by the same code.

use super::due::Target;
use super::facts::Facts;
use crate::trace::{Stamp, Trace};
use std::time::Duration;

/// One due time of the trace's contract (spec §2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueMark {
    /// The instant D.
    pub due: Stamp,
    /// The tasks whose completion by D it decides.
    pub tasks: Vec<usize>,
    /// For a ResultWait deadline in a lazy mode, the pull whose wait it is.
    pub pull: Option<usize>,
    /// How D was computed, with the numbers (the evidence's wording).
    pub why: String,
    /// True when the liveness cut dropped it: nothing was owed at D any more.
    pub after_cut: bool,
}

/// The checker's instants on one trace, judged at tolerance ε.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marks {
    pub epsilon: Duration,
    /// Every due time of the contract, earliest first.
    pub due: Vec<DueMark>,
    /// The liveness cut (spec §2.2), if the trace has one.
    pub cut: Option<Stamp>,
    /// The first task failure while the call was live: (task, instant).
    pub first_failure: Option<(usize, Stamp)>,
    /// When the call was aborted (timeout due, failure or drop), and how to say it.
    pub abort: Option<(Stamp, String)>,
    /// The same for the follow-up call, when the trace has one.
    pub follow_up: Option<Box<Marks>>,
}

/// The checker's instants on `trace` at tolerance `epsilon`.
pub fn marks(trace: &Trace, epsilon: Duration) -> Marks {
    of(&Facts::of(trace, epsilon))
}

fn of(facts: &Facts) -> Marks {
    Marks {
        epsilon: facts.epsilon,
        due: facts
            .all_obligations
            .iter()
            .map(|o| DueMark {
                due: o.due,
                tasks: match &o.target {
                    Target::Task(t) => vec![*t],
                    Target::AnyOf(ts) => ts.clone(),
                },
                pull: o.pull,
                why: o.why.clone(),
                after_cut: !facts.obligations.contains(o),
            })
            .collect(),
        cut: facts.cut,
        first_failure: facts.first_failure,
        abort: facts.abort.clone(),
        follow_up: facts.follow_up.as_deref().map(|f| Box::new(of(f))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::properties::test_support::*;

    #[test]
    fn a_hung_task_has_its_due_time_and_no_cut() {
        let trace = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, vec![hang()])
            .call(0.0)
            .returned(0.5)
            .start(0, 1.0)
            .ask(2.0)
            .watchdog(1_000.0)
            .build();
        let m = marks(&trace, dur(20.0));
        assert_eq!(m.due.len(), 1);
        assert_eq!(m.due[0].due, ms(101.0));
        assert_eq!(m.due[0].tasks, vec![0]);
        assert!(!m.due[0].after_cut);
        assert!(m.due[0].why.contains("due 101 ms"), "{}", m.due[0].why);
        assert_eq!(m.cut, None);
    }

    #[test]
    fn an_early_drop_cuts_the_due_times_after_it() {
        let trace = TraceBuilder::new(Ordered, TaskRuntime, Abort, 2, 100.0, vec![hang()])
            .call(0.0)
            .returned(0.5)
            .start(0, 1.0)
            .drop_begun(50.0)
            .drop_returned(51.0)
            .build();
        let m = marks(&trace, dur(20.0));
        assert_eq!(m.cut, Some(ms(50.0)));
        assert_eq!(m.due.len(), 1);
        assert!(m.due[0].after_cut, "{:?}", m.due);
    }
}

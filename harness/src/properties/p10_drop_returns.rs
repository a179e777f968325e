//! P10 drop_returns — MUST: dropping an iteration returns within ε, even with hung tasks.
//!
//! See `specs/timeout-semantics.md`, P10.

use super::facts::Facts;
use super::verdict::{Level, Rule, Verdict};
use crate::trace::Ms;

pub(super) const RULE: Rule = Rule {
    id: "P10",
    name: "drop_returns",
    level: Level::Must,
    summary: "dropping an iteration returns within ε, even with hung tasks",
    judge: drop_returns,
};

/// P10: dropping an unfinished iteration returns within ε.
fn drop_returns(f: &Facts) -> Verdict {
    let Some(begun) = f.drop_begun else {
        return Verdict::not_applicable("the consumer did not drop an unfinished iteration");
    };
    match f.drop_returned {
        Some(returned) if returned > begun.plus(f.epsilon) => Verdict::fail(format!(
            "the drop began at {begun} and returned at {returned}, {} later (ε {})",
            Ms(returned.since(begun)),
            f.tolerance
        )),
        Some(returned) => Verdict::pass(format!("drop took {}", Ms(returned.since(begun)))),
        None => Verdict::fail(format!(
            "the drop began at {begun} and had not returned {}",
            match f.watchdog {
                Some(w) => format!("when the watchdog ended the case at {w} (hung)"),
                None => format!("by the end of the trace at {}", f.last),
            }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    /// The consumer takes one result and drops the iteration at 10 ms while task 1 hangs.
    fn dropped_at_10() -> TraceBuilder {
        let tasks = vec![sleep(5.0), hang()];
        TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 1000.0, tasks)
            .call(0.0)
            .ran(0, 0.0, 5.0)
            .start(1, 0.0)
            .pull(0.0, 5.0, item(0))
            .drop_begun(10.0)
    }

    #[test]
    fn p10_slow_drop_fails() {
        let trace = dropped_at_10().drop_returned(500.0).build();
        check(&trace, EPS, &super::RULE).fails_with(&[
            "began at 10 ms",
            "returned at 500 ms",
            "490 ms later",
            "ε 50 ms",
        ]);
    }

    #[test]
    fn p10_drop_that_never_returns_fails() {
        let trace = dropped_at_10().watchdog(1500.0).build();
        check(&trace, EPS, &super::RULE).fails_with(&["began at 10 ms", "1.50 s", "hung"]);
    }

    #[test]
    fn p10_quick_drop_passes() {
        let trace = dropped_at_10().drop_returned(10.5).build();
        let v = check(&trace, EPS, &super::RULE);
        v.passes();
        assert!(v.evidence.contains("0.5 ms"), "{}", v.evidence);
    }

    #[test]
    fn p10_not_applicable_without_drop() {
        let trace = hung_pair_timeout_seen_at(100.0);
        check(&trace, EPS, &super::RULE).is_not_applicable();
    }
}

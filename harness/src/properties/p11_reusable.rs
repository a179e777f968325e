//! P11 reusable — MUST: after a timeout, the executor serves a new call correctly.
//!
//! See `specs/timeout-semantics.md`, P11.

use super::evidence::{describe, list};
use super::facts::Facts;
use super::verdict::{Level, Rule, Verdict};
use crate::trace::{Answer, Stamp};

pub(super) const RULE: Rule = Rule {
    id: "P11",
    name: "reusable",
    level: Level::Must,
    summary: "after a timeout, the executor serves a new call correctly",
    judge: reusable,
};

/// P11: after a call that timed out, the next call is served correctly.
fn reusable(f: &Facts) -> Verdict {
    let Some(next) = &f.follow_up else {
        return Verdict::not_applicable("the case made no follow-up call");
    };
    if !f.timed_out() {
        return Verdict::not_applicable("the first call did not time out");
    }
    let n = next.call.n_tasks;
    let answers: Vec<&(Stamp, Answer)> = next
        .pulls
        .iter()
        .filter_map(|p| p.answer.as_ref())
        .collect();
    let items: Vec<usize> = answers
        .iter()
        .filter_map(|(_, a)| match a {
            Answer::Item { task } => Some(*task),
            _ => None,
        })
        .collect();
    let in_order: Vec<usize> = (0..n).collect();
    let mut sorted = items.clone();
    sorted.sort_unstable();
    let complete = if next.call.mode.keeps_input_order() {
        items == in_order
    } else {
        sorted == in_order
    };
    match next.terminal() {
        Some((_, Answer::End)) if complete => Verdict::pass(""),
        Some((at, answer)) => Verdict::fail(format!(
            "after the timeout, the follow-up call of {n} fast tasks ended at {at} with {} having delivered tasks [{}]",
            describe(answer),
            list(&items)
        )),
        None => Verdict::fail(format!(
            "after the timeout, the follow-up call of {n} fast tasks never ended ({} results delivered)",
            items.len()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    /// A follow-up call of 4 fast tasks that delivers `delivered`, then ends normally.
    fn follow_up_delivering(delivered: &[usize]) -> Trace {
        let mut b = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, vec![sleep(1.0); 4])
            .call(0.0)
            .ran(0, 0.0, 1.0)
            .ran(1, 0.0, 1.0)
            .ran(2, 1.0, 2.0)
            .ran(3, 1.0, 2.0);
        let mut at = 1.0;
        for &task in delivered {
            b = b.pull(at, at + 0.5, item(task));
            at += 0.5;
        }
        b.pull(at, at + 0.5, Answer::End).build()
    }

    #[test]
    fn p11_follow_up_missing_a_result_fails() {
        let trace = hung_pair_timeout_seen_at(100.0);
        let trace = TraceBuilder { trace }
            .follow_up(follow_up_delivering(&[0, 1, 2]))
            .build();
        check(&trace, EPS, &super::RULE).fails_with(&[
            "follow-up call of 4",
            "ended at 3 ms",
            "end of the stream",
            "[0, 1, 2]",
        ]);
    }

    #[test]
    fn p11_full_follow_up_passes() {
        let trace = hung_pair_timeout_seen_at(100.0);
        let trace = TraceBuilder { trace }
            .follow_up(follow_up_delivering(&[1, 0, 3, 2]))
            .build();
        check(&trace, EPS, &super::RULE).passes();
    }

    #[test]
    fn p11_follow_up_that_hangs_fails() {
        let next = TraceBuilder::new(Unordered, TaskRuntime, Abort, 2, 100.0, vec![sleep(1.0); 4])
            .call(0.0)
            .ask(0.0)
            .watchdog(1500.0)
            .build();
        let trace = TraceBuilder {
            trace: hung_pair_timeout_seen_at(100.0),
        }
        .follow_up(next)
        .build();
        check(&trace, EPS, &super::RULE).fails_with(&["never ended", "0 results"]);
    }

    #[test]
    fn p11_not_applicable() {
        // The first call did not time out.
        let trace = three_quick_tasks(Unordered)
            .pull(0.0, 10.0, item(0))
            .pull(10.0, 20.0, item(1))
            .pull(20.0, 30.0, item(2))
            .pull(30.0, 30.0, Answer::End)
            .follow_up(follow_up_delivering(&[0, 1, 2]))
            .build();
        check(&trace, EPS, &super::RULE).is_not_applicable();
        // No follow-up call.
        check(&hung_pair_timeout_seen_at(100.0), EPS, &super::RULE).is_not_applicable();
    }
}

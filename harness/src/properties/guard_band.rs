//! Guard bands: a failure by less than the harness's own timing noise is not a verdict.
//!
//! A real-time run measures how late the harness itself was ([`Noise`]): its probe's worst
//! wake-up lateness, how far a task body on a thread of its own overran its duration, and the
//! uncertainty of the executor's clock readings. A failure whose threshold a run would meet
//! were ε larger by no more than that noise is within the noise: the instants it hinges on
//! are not known that precisely, so it becomes inconclusive, with its margin in the evidence,
//! and the runner runs the case again. A failure beyond the noise stays a failure, and so does
//! one that no larger ε excuses (a task run twice, too many at once): the margin is found by
//! judging the same trace again, so every property gets the band without a line of its own.
//! Simulated time has no noise: its verdicts are never touched (ε = 0 stays exact).

use super::{judge_property, Property, Verdict};
use crate::trace::{Ms, Trace};
use std::time::Duration;

/// The harness's own measured timing noise during one case run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Noise {
    /// The probe's worst wake-up lateness.
    pub probe: Duration,
    /// How far a task body on a thread of its own overran its duration.
    pub bodies: Duration,
    /// The uncertainty of the executor's clock readings (0 when the harness stamps them).
    pub clock: Duration,
}

impl Noise {
    /// How far the run's instants may be off: the worse of the two lateness measures (both are
    /// the scheduler's delay), plus the clock's uncertainty.
    pub fn total(&self) -> Duration {
        self.probe.max(self.bodies) + self.clock
    }

    fn describe(&self) -> String {
        let mut parts = vec![format!("probe lateness {}", Ms(self.probe))];
        if !self.bodies.is_zero() {
            parts.push(format!("task-body overrun {}", Ms(self.bodies)));
        }
        if !self.clock.is_zero() {
            parts.push(format!("clock-read uncertainty {}", Ms(self.clock)));
        }
        parts.join(", ")
    }
}

/// How the evidence of a failure within the noise begins.
const WITHIN_NOISE: &str = "exceeded ε by ";

/// Whether `verdict` is a failure the guard band made inconclusive.
pub fn within_noise(verdict: &Verdict) -> bool {
    verdict.verdict == super::VerdictKind::Inconclusive
        && verdict.evidence.starts_with(WITHIN_NOISE)
}

/// How finely a margin is measured.
const RESOLUTION: Duration = Duration::from_nanos(1);

/// By how much `property` fails on `trace` at `epsilon`: the least extra tolerance (to the
/// nanosecond) at which it no longer fails, if that is at most `within`. `None` when it does
/// not fail, or still fails with ε larger by `within`.
pub fn excess(
    trace: &Trace,
    epsilon: Duration,
    property: Property,
    within: Duration,
) -> Option<Duration> {
    let fails = |extra: Duration| judge_property(trace, epsilon + extra, property).is_fail();
    if within.is_zero() || !fails(Duration::ZERO) || fails(within) {
        return None;
    }
    // Fails at `lo`, does not at `hi`.
    let (mut lo, mut hi) = (Duration::ZERO, within);
    while hi - lo > RESOLUTION {
        let mid = lo + (hi - lo) / 2;
        if fails(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(hi)
}

/// Turns every failure in `verdicts` (judged on `trace` at `epsilon`) that exceeded its
/// threshold by no more than `noise` into an inconclusive verdict naming its margin and the
/// noise; how many it turned.
pub fn guard_band(
    trace: &Trace,
    epsilon: Duration,
    noise: &Noise,
    verdicts: &mut [(Property, Verdict)],
) -> usize {
    let mut turned = 0;
    for (property, verdict) in verdicts.iter_mut() {
        if !verdict.is_fail() {
            continue;
        }
        let Some(by) = excess(trace, epsilon, *property, noise.total()) else {
            continue;
        };
        *verdict = Verdict::inconclusive(format!(
            "{WITHIN_NOISE}{}, within this run's timing noise of {} ({}): not judged on this \
             run ({})",
            Ms(by),
            Ms(noise.total()),
            noise.describe(),
            verdict.evidence
        ));
        turned += 1;
    }
    turned
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::{judge, Property, VerdictKind};
    use super::{guard_band, Noise};

    fn noise(probe_ms: f64) -> Noise {
        Noise {
            probe: dur(probe_ms),
            ..Noise::default()
        }
    }

    fn banded(trace: &Trace, noise: &Noise) -> Vec<(Property, super::Verdict)> {
        let mut verdicts = judge(trace, dur(EPS)).verdicts;
        guard_band(trace, dur(EPS), noise, &mut verdicts);
        verdicts
    }

    fn liveness(verdicts: &[(Property, super::Verdict)]) -> &super::Verdict {
        &verdicts
            .iter()
            .find(|(p, _)| *p == Property::Liveness)
            .expect("P01 is judged")
            .1
    }

    #[test]
    fn a_timeout_seen_late_by_less_than_the_noise_is_inconclusive() {
        // Due at 100 ms, ε 50 ms: seen at 150.4 ms is 0.4 ms over, the run's noise 1.1 ms.
        let verdicts = banded(&hung_pair_timeout_seen_at(150.4), &noise(1.1));
        let v = liveness(&verdicts);
        assert_eq!(v.verdict, VerdictKind::Inconclusive, "{}", v.evidence);
        assert!(super::within_noise(v));
        for needle in [
            "exceeded ε by 0.4 ms",
            "timing noise of 1.1 ms",
            "probe lateness 1.1 ms",
            "50.4 ms late",
        ] {
            assert!(v.evidence.contains(needle), "{needle:?} in {}", v.evidence);
        }
    }

    #[test]
    fn a_timeout_seen_late_by_more_than_the_noise_still_fails() {
        let verdicts = banded(&hung_pair_timeout_seen_at(152.0), &noise(1.1));
        assert!(
            liveness(&verdicts).is_fail(),
            "{}",
            liveness(&verdicts).evidence
        );
    }

    #[test]
    fn the_clock_uncertainty_widens_the_band() {
        let wide = Noise {
            clock: dur(1.5),
            ..noise(1.1)
        };
        let verdicts = banded(&hung_pair_timeout_seen_at(152.0), &wide);
        let v = liveness(&verdicts);
        assert_eq!(v.verdict, VerdictKind::Inconclusive, "{}", v.evidence);
        assert!(
            v.evidence.contains("clock-read uncertainty 1.5 ms"),
            "{}",
            v.evidence
        );
    }

    #[test]
    fn without_noise_nothing_changes() {
        let trace = hung_pair_timeout_seen_at(150.001);
        let judged = judge(&trace, dur(EPS)).verdicts;
        assert!(liveness(&judged).is_fail());
        assert_eq!(banded(&trace, &Noise::default()), judged);
    }

    #[test]
    fn a_failure_no_tolerance_excuses_stays_a_failure() {
        // Task 2 is delivered twice: P04 fails whatever ε is, and noise does not excuse it.
        let trace = three_quick_tasks(Unordered)
            .pull(0.0, 10.0, item(0))
            .pull(10.0, 20.0, item(1))
            .pull(20.0, 30.0, item(2))
            .pull(30.0, 31.0, item(2))
            .pull(31.0, 32.0, Answer::End)
            .build();
        let judged = judge(&trace, dur(EPS)).verdicts;
        let verdicts = banded(&trace, &noise(30.0));
        let p04 = |v: &[(Property, super::Verdict)]| {
            v.iter()
                .find(|(p, _)| *p == Property::ExactlyOnce)
                .map(|(_, v)| v.is_fail())
        };
        assert_eq!(p04(&judged), Some(true));
        assert_eq!(p04(&verdicts), Some(true));
    }
}

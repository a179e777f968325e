//! `cargo bench -p overtime-benches --bench lateness`: the wall time of one call that times
//! out after T = 5 ms (two hung tasks, `n_jobs` 2, abort), per executor, clock and mode: T plus
//! the time the executor takes to show the timeout and return. `reports/perf.md` section (a)
//! reads the lateness itself from the harness's traces, as percentiles.

use overtime_benches::lateness::sample;
use overtime_benches::Subject;
use overtime_harness::{Mode, TimeoutClock};
use std::time::Duration;

fn main() {
    divan::main();
}

const T: Duration = Duration::from_millis(5);

const SUBJECTS: [Subject; 6] = [
    Subject::Reference(TimeoutClock::TaskRuntime),
    Subject::Reference(TimeoutClock::ResultWait),
    Subject::Reference(TimeoutClock::Overall),
    Subject::Rayon(TimeoutClock::TaskRuntime),
    Subject::Rayon(TimeoutClock::ResultWait),
    Subject::Rayon(TimeoutClock::Overall),
];

/// One timed-out call in each mode.
mod timed_out_call {
    use super::*;

    #[divan::bench(args = SUBJECTS, sample_count = 30, sample_size = 1)]
    fn list(subject: Subject) -> Option<Duration> {
        sample(subject, Mode::List, T)
    }

    #[divan::bench(args = SUBJECTS, sample_count = 30, sample_size = 1)]
    fn ordered(subject: Subject) -> Option<Duration> {
        sample(subject, Mode::Ordered, T)
    }

    #[divan::bench(args = SUBJECTS, sample_count = 30, sample_size = 1)]
    fn unordered(subject: Subject) -> Option<Duration> {
        sample(subject, Mode::Unordered, T)
    }
}

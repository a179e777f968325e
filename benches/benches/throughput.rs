//! `cargo bench -p overtime-benches --bench throughput`: one call of many short raw jobs
//! through each executor in each mode, next to rayon's `par_iter().map().collect()` over the
//! same jobs on a 2-thread pool (the baseline of `reports/perf.md` section (b)).

use overtime_benches::throughput::{jobs, time_par_iter, Work};
use overtime_benches::{drain, Subject};
use overtime_harness::{Mode, TimeoutClock};
use std::time::Duration;

fn main() {
    divan::main();
}

const N_JOBS: usize = 2;

const SUBJECTS: [Subject; 3] = [
    Subject::Reference(TimeoutClock::TaskRuntime),
    Subject::Rayon(TimeoutClock::TaskRuntime),
    Subject::RayonAdaptive(TimeoutClock::TaskRuntime),
];

fn run(subject: Subject, mode: Mode, n: usize, work: Work, bencher: divan::Bencher) {
    bencher
        .with_inputs(|| jobs(n, work))
        .bench_values(|jobs| drain(subject.run_jobs(jobs, N_JOBS, None, mode), || {}));
}

/// Benches of one workload in each mode, for every subject.
macro_rules! per_mode {
    ($name:ident, $n:expr, $work:expr) => {
        mod $name {
            use super::*;

            #[divan::bench(args = SUBJECTS, sample_count = 10, sample_size = 1)]
            fn list(bencher: divan::Bencher, subject: Subject) {
                run(subject, Mode::List, $n, $work, bencher);
            }

            #[divan::bench(args = SUBJECTS, sample_count = 10, sample_size = 1)]
            fn ordered(bencher: divan::Bencher, subject: Subject) {
                run(subject, Mode::Ordered, $n, $work, bencher);
            }

            #[divan::bench(args = SUBJECTS, sample_count = 10, sample_size = 1)]
            fn unordered(bencher: divan::Bencher, subject: Subject) {
                run(subject, Mode::Unordered, $n, $work, bencher);
            }
        }
    };
}

per_mode!(noop_100k, 100_000, Work::Noop);
per_mode!(indexed_noop_100k, 100_000, Work::IndexedNoop);
per_mode!(spin_1us_10k, 10_000, Work::Spin(Duration::from_micros(1)));

/// The baseline: `par_iter().map().collect()` on a prebuilt pool of `N_JOBS` threads, for each
/// workload above.
#[divan::bench(
    args = ["noop_100k", "indexed_noop_100k", "spin_1us_10k"],
    sample_count = 10,
    sample_size = 1
)]
fn par_iter_baseline(bencher: divan::Bencher, workload: &str) {
    let (n, work) = match workload {
        "noop_100k" => (100_000, Work::Noop),
        "indexed_noop_100k" => (100_000, Work::IndexedNoop),
        _ => (10_000, Work::Spin(Duration::from_micros(1))),
    };
    let Ok(pool) = rayon::ThreadPoolBuilder::new().num_threads(N_JOBS).build() else {
        eprintln!("could not build a rayon pool of {N_JOBS} threads");
        return;
    };
    bencher
        .with_inputs(|| jobs(n, work))
        .bench_values(|jobs| time_par_iter(&pool, jobs));
}

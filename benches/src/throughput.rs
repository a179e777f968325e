//! Throughput: many short tasks through one call, against rayon's
//! `par_iter().map().collect()` over the same jobs on a pool of the same size, measured
//! alternately in the same run and reported as a ratio of medians.
//!
//! The jobs are raw bodies (no harness instrumentation, no trace), so what is measured is
//! each executor's own machinery: dispatch, bookkeeping, result hand-over.

use crate::{drain, Job, Subject};
use overtime_harness::{Mode, NeverStop, Output};
use rayon::prelude::*;
use std::time::{Duration, Instant};

/// What each task does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Returns at once; captures nothing (no allocation per job).
    Noop,
    /// Returns at once with its task's index, which its closure captures: one allocation per
    /// job, freed by whichever thread runs it — the allocator's cost, on both sides.
    IndexedNoop,
    /// Spins the CPU for this long.
    Spin(Duration),
}

impl Work {
    pub fn label(self) -> String {
        match self {
            Work::Noop => "no-op".into(),
            Work::IndexedNoop => "no-op with its index".into(),
            Work::Spin(d) => format!("{} µs spin", d.as_micros()),
        }
    }
}

/// `n` jobs doing `work`. A plain no-op job captures nothing, so boxing it allocates nothing
/// and it returns a placeholder output (task 0): it measures the executors' own machinery. With
/// one allocation per job ([`Work::IndexedNoop`]), freeing 100,000 boxes on threads other than
/// the one that made them took 40% of a profile of both sides and made the baseline swing
/// between 1.8 and 7.5 ms from one run to the next. The other jobs return task `i`'s output.
pub fn jobs(n: usize, work: Work) -> Vec<Job> {
    (0..n)
        .map(|task| -> Job {
            match work {
                Work::Noop => Box::new(|_stop| Ok(Output { task: 0 })),
                Work::IndexedNoop => Box::new(move |_stop| Ok(Output { task })),
                Work::Spin(d) => Box::new(move |_stop| {
                    let start = Instant::now();
                    while start.elapsed() < d {
                        std::hint::spin_loop();
                    }
                    Ok(Output { task })
                }),
            }
        })
        .collect()
}

/// The time one call of `jobs` takes through `subject`, from the call to its last slot.
pub fn time_subject(
    subject: Subject,
    jobs: Vec<Job>,
    n_jobs: usize,
    mode: Mode,
) -> Result<Duration, String> {
    let n = jobs.len();
    let start = Instant::now();
    let got = drain(subject.run_jobs(jobs, n_jobs, None, mode), || {})
        .map_err(|e| format!("{subject} in {mode} mode failed: {e}"))?;
    let elapsed = start.elapsed();
    if got != n {
        return Err(format!(
            "{subject} in {mode} mode delivered {got} of {n} slots"
        ));
    }
    Ok(elapsed)
}

/// The baseline: `par_iter().map().collect()` of the same jobs in `pool`.
pub fn time_par_iter(pool: &rayon::ThreadPool, jobs: Vec<Job>) -> Duration {
    let start = Instant::now();
    let out: Vec<_> = pool.install(|| jobs.into_par_iter().map(|job| job(&NeverStop)).collect());
    let elapsed = start.elapsed();
    std::hint::black_box(out);
    elapsed
}

/// Runs go on, past the requested count, until they have taken this long together.
pub const MIN_MEASURED: Duration = Duration::from_millis(500);
/// The most runs of one comparison.
pub const MAX_REPS: usize = 101;

/// One throughput comparison: medians over alternating runs.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub subject: Subject,
    pub mode: Mode,
    pub work: Work,
    pub n_tasks: usize,
    pub subject_median: Duration,
    pub baseline_median: Duration,
    /// How many runs of each the medians are of.
    pub runs: usize,
}

impl Comparison {
    /// Subject time over baseline time (1.0: as fast as `par_iter`).
    pub fn ratio(&self) -> f64 {
        self.subject_median.as_secs_f64() / self.baseline_median.as_secs_f64().max(1e-12)
    }

    /// Tasks per second through the subject.
    pub fn tasks_per_second(&self) -> f64 {
        self.n_tasks as f64 / self.subject_median.as_secs_f64().max(1e-12)
    }
}

/// Runs `subject` and the baseline alternately, `reps` times each and more while both
/// together have taken less than [`MIN_MEASURED`] (at most [`MAX_REPS`]), so that calls of a
/// few milliseconds get enough runs for a stable median.
pub fn compare(
    subject: Subject,
    mode: Mode,
    work: Work,
    n_tasks: usize,
    n_jobs: usize,
    reps: usize,
) -> Result<Comparison, String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n_jobs)
        .build()
        .map_err(|e| format!("could not build the baseline's rayon pool: {e}"))?;
    let (mut mine, mut base) = (Vec::new(), Vec::new());
    let mut measured = Duration::ZERO;
    while mine.len() < reps.max(1) || (measured < MIN_MEASURED && mine.len() < MAX_REPS) {
        let b = time_par_iter(&pool, jobs(n_tasks, work));
        let m = time_subject(subject, jobs(n_tasks, work), n_jobs, mode)?;
        measured += b + m;
        base.push(b);
        mine.push(m);
    }
    Ok(Comparison {
        subject,
        mode,
        work,
        n_tasks,
        runs: mine.len(),
        subject_median: median(mine),
        baseline_median: median(base),
    })
}

pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// The median time to build a rayon pool of `n_jobs` threads and drop it (what the rayon
/// executor pays per call, and the baseline does not).
pub fn pool_build(n_jobs: usize, reps: usize) -> Result<Duration, String> {
    let mut times = Vec::new();
    for _ in 0..reps.max(1) {
        let start = Instant::now();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n_jobs)
            .build()
            .map_err(|e| format!("could not build a rayon pool of {n_jobs} threads: {e}"))?;
        drop(pool);
        times.push(start.elapsed());
    }
    Ok(median(times))
}

//! `async-report`: every async executor through the catalogue, in real time and in paused
//! time; writes `reports/async.md` (the matrix, the evidence of each failure, the async
//! mutants' catch table).
//!
//! ```text
//! cargo build --release -p overtime-async --examples                 # the reproductions it quotes
//! cargo run --release -p overtime-async --bin async-report            # ~3 min
//! cargo run --release -p overtime-async --bin async-report -- --out /tmp/async.md
//! ```

use overtime_async::idioms::{BufferedTimeout, JoinSetDeadline, SpawnSemaphore, StreamTimeout};
use overtime_async::matrix::{self, Clock};
use overtime_async::mutants::{AsyncMutant, AsyncMutantExecutor};
use overtime_async::AsyncReference;
use overtime_harness::asynchronous::{AsyncExecutor, PAUSED_EPSILON};
use overtime_harness::catalogue::CATALOGUE_TIMEOUT;
use overtime_harness::{Level, Millis, Mode, Property, SuiteResult, VerdictKind, DEFAULT_EPSILON};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

/// Runs `executor` in the clocks it can be judged in.
fn both<E: AsyncExecutor + Clone>(executor: E, paused: bool) -> Vec<(Clock, SuiteResult)> {
    let mut runs = Vec::new();
    eprint!("{:<40}", executor.profile().name);
    let started = Instant::now();
    runs.push((
        Clock::RealTime,
        matrix::real_time(executor.clone(), DEFAULT_EPSILON, CATALOGUE_TIMEOUT),
    ));
    if paused {
        runs.push((Clock::Paused, matrix::paused(executor, CATALOGUE_TIMEOUT)));
    }
    eprintln!(" {:.1} s", started.elapsed().as_secs_f64());
    runs
}

fn cell(result: &SuiteResult, mode: Mode, property: Property) -> &'static str {
    if !result.profile.modes.contains(&mode) {
        return "·";
    }
    match result.result(mode, property).map(|r| r.verdict) {
        Some(VerdictKind::Pass) => "P",
        Some(VerdictKind::Fail) => "**F**",
        Some(VerdictKind::Inconclusive) => "?",
        Some(VerdictKind::NotApplicable) | None => "–",
    }
}

fn main() {
    let out = std::env::args()
        .skip_while(|a| a != "--out")
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../reports/async.md"))
        });
    let started = Instant::now();
    let mut rows: Vec<(Clock, SuiteResult)> = Vec::new();
    for reference in AsyncReference::all() {
        rows.extend(both(reference, true));
    }
    rows.extend(both(BufferedTimeout, true));
    rows.extend(both(StreamTimeout, true));
    rows.extend(both(JoinSetDeadline, true));
    rows.extend(both(SpawnSemaphore, true));
    let mut mutants = Vec::new();
    for mutant in AsyncMutant::ALL {
        let runs = both(
            AsyncMutantExecutor::new(mutant),
            mutant.runs_in_paused_time(),
        );
        mutants.push((mutant, runs));
    }
    let mut md = String::new();
    let _ = writeln!(md, "# Async executors\n");
    let _ = writeln!(
        md,
        "Written by `cargo run --release -p overtime-async --bin async-report` in {:.0} s. Every \
         executor runs the built-in catalogue (T = {} ms) in every mode it declares: in real time \
         on a 2-worker multi-threaded tokio runtime at ε = {} ms (the runner's watchdog and \
         lateness probe, as `overtime check`), and in tokio's paused time at ε = {} ms (tokio's \
         timer resolution; every catalogue timer is on the millisecond grid, so every timeout \
         there is seen exactly at its due time by a correct executor). Paused time cannot model \
         blocking bodies: the `cpu-spin` case and the mutants whose defect blocks a thread run in \
         real time only.\n",
        started.elapsed().as_secs_f64(),
        CATALOGUE_TIMEOUT.as_millis(),
        Millis(DEFAULT_EPSILON),
        Millis(PAUSED_EPSILON)
    );
    let _ = writeln!(
        md,
        "Cells: one letter per mode (list, ordered, unordered): **P** pass, **F** fail, – not \
         applicable, · mode not offered, ? inconclusive.\n"
    );
    let _ = write!(md, "| executor | contract | clock | conforms |");
    for p in Property::ALL {
        let _ = write!(md, " {} |", p.id());
    }
    let _ = writeln!(md);
    let _ = write!(md, "|---|---|---|---|");
    for _ in Property::ALL {
        let _ = write!(md, "---|");
    }
    let _ = writeln!(md);
    let all_rows = rows
        .iter()
        .chain(mutants.iter().flat_map(|(_, runs)| runs.iter()));
    for (clock, result) in all_rows.clone() {
        let c = result.profile.contract;
        let _ = write!(
            md,
            "| {} | {}/{}{} | {} | {} |",
            result.profile.name,
            c.clock,
            c.on_timeout,
            if c.cancels_running { ", cancels" } else { "" },
            clock.as_str(),
            if result.conforms() { "yes" } else { "**no**" }
        );
        for p in Property::ALL {
            let cells: Vec<&str> = Mode::ALL.iter().map(|&m| cell(result, m, p)).collect();
            let _ = write!(md, " {} |", cells.join(" "));
        }
        let _ = writeln!(md);
    }
    md.push_str(NOTES);
    let _ = writeln!(md, "\n## Evidence of each failure\n");
    let _ = writeln!(
        md,
        "The first failing case of each property and mode, as the checker wrote it.\n"
    );
    for (clock, result) in all_rows {
        let failures = matrix::failures(result);
        if failures.is_empty() {
            continue;
        }
        let _ = writeln!(md, "### {} — {}\n", result.profile.name, clock.as_str());
        for (level, property, mode, evidence) in failures {
            let level = if level == Level::Must {
                "MUST"
            } else {
                "SHOULD"
            };
            let _ = writeln!(md, "- {property} [{level}], {mode}: {evidence}");
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(md, "## The async mutants\n");
    let _ = writeln!(
        md,
        "| mutant | defect | clock | caught by (MUST) |\n|---|---|---|---|"
    );
    for (mutant, runs) in &mutants {
        for (clock, result) in runs {
            let caught = matrix::must_failures(result);
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                mutant.name(),
                mutant.about(),
                clock.as_str(),
                if caught.is_empty() {
                    "**not caught**".to_string()
                } else {
                    caught.join("; ")
                }
            );
        }
    }
    md.push_str(&reproductions());
    if let Err(e) = std::fs::write(&out, &md) {
        eprintln!("cannot write {}: {e}", out.display());
        std::process::exit(1);
    }
    eprintln!(
        "wrote {} in {:.0} s",
        out.display(),
        started.elapsed().as_secs_f64()
    );
}

/// What each idiom's failures mean, with the standalone reproduction that confirms each (a few
/// lines of tokio, outside the harness, in `async-executors/examples/`).
const NOTES: &str = r#"
## What the failures mean

Each FAIL is confirmed outside the harness by a standalone reproduction of a few lines of
tokio code (`cargo run --release -p overtime-async --example NAME`); the output of each, run for
this report, is quoted at the end.

- **async-reference** — the threaded reference's sans-IO core driven from tokio tasks: conforms
  to all six contracts in every mode, in both clocks (a `?` in real time is a case the
  harness itself was late for on this shared machine, retried and still late: load, not a
  verdict).
- **buffered+timeout** (`stream::iter(tasks).map(|t| timeout(T, t)).buffered(n)` /
  `.buffer_unordered(n)`), declaring task_runtime/per_task:
  - *P15 progress, ordered and unordered — a limitation users should know.* `buffered` and
    `buffer_unordered` poll their futures only while the consumer polls the stream: a consumer
    that pauses between items stops the work that has already started, and its timers fire
    into futures nobody polls. `futures`' documentation describes the buffering, not this
    consequence. Reproduction `buffer_unordered_starvation` (four 50 ms sleeps under a 100 ms
    `timeout`, `buffer_unordered(2)`, a consumer busy 120 ms per item): task 1, started at
    0 ms with 50 ms of work, ends only when the consumer pulls again; task 2's `timeout` is
    made when the stream admits it, but its body is first polled a whole consumer pause
    later, where the already expired timeout ends it at once.
  - *P07 error_propagation, list and ordered — a limitation.* `buffered` hands results over in
    input order, so a failure waits behind every earlier task, here behind an earlier task's
    timeout. Reproduction `buffered_error_waits`: task 1 fails at 30 ms; the consumer sees it
    only after task 0's `Elapsed`, at 100 ms.
- **tokio-stream-timeout** (`tokio_stream::StreamExt::timeout` on the `buffered` stream),
  declaring result_wait/abort:
  - *P02 no_premature, unordered — a limitation, arguably a documentation gap.* The docs say
    "the maximum amount of time each element of the stream has to complete"; the timer is
    restarted when an item is yielded, not when the consumer asks for the next one, so the
    time a slow consumer spends between pulls counts against the next item and the timeout
    fires sooner than T after the pull. No clock of the spec's vocabulary is "time since the
    previous item was yielded"; result_wait is the closest honest claim, and this is where it
    differs. Reproduction `stream_timeout_counts_consumer_time`: the second pull, asked 70 ms
    after the first item, times out 30 ms after it asked, not 100.
  - *P15 progress and P07 error_propagation* — the same as buffered+timeout: the timeout wraps
    the same `buffered` stream.
- **joinset+timeout_at** (a `JoinSet` bounded by a semaphore, drained with `timeout_at` on one
  deadline), declaring overall/abort, cancels running. The tasks run on the runtime whatever
  the consumer does, and dropping the set aborts them; every property but one passes in List
  and Unordered, in both clocks:
  - *P13 timeout_precedence, unordered — a trap of `timeout_at` users should know.*
    `tokio::time::timeout_at` polls the future it wraps before its timer, so a consumer that
    asks only after the deadline gets whatever is ready by then: in
    `late-failure-after-timeout` a task failure that came long after the overdue timeout
    replaces it. tokio documents that the future's value is returned "if the future completes
    before the duration elapses"; here it completed after. Reproduction
    `timeout_at_prefers_a_ready_result`: the deadline is at 100 ms, the consumer asks at 350 ms
    and gets task 1's failure (at 300 ms) instead of `Elapsed`.
- **Worker deaths** (`worker-death`): a `kill_worker` body unwinds whatever polls it. A future
  polled inside `buffered`/`buffer_unordered` passes the unwinding on to the consumer's
  `next()`: the harness records it as the executor's own error (in both clocks), which answers
  for the dead task in time (P14 passes); a body on a spawned task ends with a `JoinError`
  instead.
- **spawn+semaphore** (a loop that takes a permit, then spawns; each `JoinHandle` awaited with
  `timeout`), declaring result_wait/abort without cancellation:
  - *P01 liveness, list — a defect of the idiom as commonly written.* Hung tasks keep their
    permits, so the spawning loop never ends and no timeout is ever armed: the call hangs.
    Reproduction `semaphore_loop`, part 1: after 1 s the call has not returned.
  - *P08 abort_stops_dispatch, list and ordered — a limitation users should know.* A dropped
    `JoinHandle` does not cancel its task (tokio documents this), and nothing tells the
    spawning loop that the caller gave up: tasks keep starting after the timeout.
    Reproduction `semaphore_loop`, part 2: task 1 starts after the timeout fired.
  - *P07 error_propagation* — results are awaited in input order (as in `buffered`), and in
    List the loop must finish spawning before any result is awaited.
"#;

/// The standalone reproductions, in the order the notes cite them.
const REPRODUCTIONS: [&str; 5] = [
    "buffer_unordered_starvation",
    "buffered_error_waits",
    "stream_timeout_counts_consumer_time",
    "semaphore_loop",
    "timeout_at_prefers_a_ready_result",
];

/// Runs each reproduction (built beside this binary by `cargo build --release -p
/// overtime-async --examples`) and quotes its output.
fn reproductions() -> String {
    let mut md = String::from("\n## The reproductions, as run for this report\n\n");
    let dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("examples")));
    for name in REPRODUCTIONS {
        let _ = writeln!(
            md,
            "`cargo run --release -p overtime-async --example {name}`:\n"
        );
        let output = dir
            .as_ref()
            .map(|d| std::process::Command::new(d.join(name)).output());
        let text = match output {
            Some(Ok(o)) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
            Some(Ok(o)) => format!(
                "(exited {}: {})",
                o.status,
                String::from_utf8_lossy(&o.stderr)
            ),
            Some(Err(e)) => {
                eprintln!("cannot run the example {name}: {e}; build it first: cargo build --release -p overtime-async --examples");
                std::process::exit(1);
            }
            None => "(cannot find the examples' directory)".into(),
        };
        let _ = writeln!(md, "```text\n{}```\n", text);
    }
    md
}

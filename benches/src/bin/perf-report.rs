//! `perf-report`: measures the executors and the harness and writes `reports/perf.md`.
//!
//! ```text
//! cargo run --release -p overtime-benches --bin perf-report              # everything, ~3 min
//! cargo run --release -p overtime-benches --bin perf-report -- --samples 400 --reps 9
//! cargo run --release -p overtime-benches --bin perf-report -- --only lateness --out /tmp/p.md
//! ```
//!
//! Sections: (a) timeout lateness per executor, clock and mode, idle and with 2× as many
//! spinning threads as CPUs; (b) throughput against rayon's `par_iter`; (c) peak RSS of one
//! big call, in a child process each; (d) harness speed; (e) the async reference's lateness
//! beside the threaded one, and paused time's speed. Every figure carries the load average
//! read when it was measured: the machine is shared.

use clap::{Parser, ValueEnum};
use overtime_benches::harness_speed;
use overtime_benches::lateness::{self, Floor, Percentiles};
use overtime_benches::load::{cpus, load_text, Spinners};
use overtime_benches::memory::{self, CHILD_FLAG};
use overtime_benches::throughput::{self, Work};
use overtime_benches::{ms, Subject};
use overtime_harness::{CaseExecutor, Mode, TimeoutClock};
use overtime_rayon::RayonExecutor;
use overtime_reference::ReferenceExecutor;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "perf-report",
    about = "Measure overtime's executors and harness; write reports/perf.md"
)]
struct Args {
    /// Where to write the report [default: reports/perf.md in the workspace].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Timed-out calls per lateness cell (executor × clock × mode × load).
    #[arg(long, default_value_t = 100)]
    samples: usize,
    /// The timeout T of the lateness calls, in milliseconds.
    #[arg(long, default_value_t = 10.0)]
    timeout_ms: f64,
    /// Runs per throughput figure at least (the median is reported; short calls run more).
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// Only these sections (repeatable); default: all.
    #[arg(long = "only", value_enum)]
    only: Vec<Section>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Section {
    Lateness,
    Throughput,
    Memory,
    Harness,
    Async,
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some(CHILD_FLAG) {
        return match memory::child_main(&argv[2..]) {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        };
    }
    let args = Args::parse();
    if !(args.timeout_ms.is_finite() && args.timeout_ms > 0.0) {
        eprintln!(
            "--timeout-ms must be a number of milliseconds > 0, got {}",
            args.timeout_ms
        );
        return ExitCode::from(2);
    }
    let wants = |s: Section| args.only.is_empty() || args.only.contains(&s);
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../reports/perf.md"))
    });
    let started = Instant::now();
    let mut report = header(&args);
    let mut problems = Vec::new();
    if wants(Section::Lateness) {
        report += &lateness_section(&args);
    }
    if wants(Section::Throughput) {
        report += &throughput_section(&args, &mut problems);
    }
    if wants(Section::Memory) {
        report += &memory_section(&mut problems);
    }
    if wants(Section::Harness) {
        report += &harness_section();
    }
    if wants(Section::Async) {
        report += &async_section(&args);
    }
    let _ = writeln!(
        report,
        "\n---\nThe whole report took {:.0} s to measure.",
        started.elapsed().as_secs_f64()
    );
    for p in &problems {
        let _ = writeln!(report, "\n**Problem:** {p}");
    }
    if let Some(dir) = out.parent() {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("cannot create {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    }
    if let Err(e) = std::fs::write(&out, &report) {
        eprintln!("cannot write {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    eprintln!(
        "wrote {} in {:.0} s",
        out.display(),
        started.elapsed().as_secs_f64()
    );
    if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        for p in &problems {
            eprintln!("problem: {p}");
        }
        ExitCode::FAILURE
    }
}

fn header(args: &Args) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Performance\n");
    let _ = writeln!(
        s,
        "Written by `cargo run --release -p overtime-benches --bin perf-report` \
         (samples {}, T {} ms, reps {}) on a machine with {} CPUs. The machine is shared: each \
         figure carries the load average (1, 5, 15 min) read when it was measured; compare \
         figures only at similar loads, and rerun on a quiet machine for clean numbers. \
         `cargo bench -p overtime-benches` runs the throughput and lateness workloads under \
         divan.\n",
        args.samples,
        args.timeout_ms,
        args.reps,
        cpus()
    );
    let _ = writeln!(s, "Load average when the run began: {}.\n", load_text());
    s
}

fn lateness_section(args: &Args) -> String {
    let timeout = Duration::from_secs_f64(args.timeout_ms / 1e3);
    let n = args.samples;
    let mut s = String::new();
    let _ = writeln!(s, "## (a) Timeout precision\n");
    let _ = writeln!(
        s,
        "Lateness = the instant the consumer saw the timeout − max(due time D, the instant it \
         asked), read by the checker from the harness's trace of each call \
         (`conformance::timeout_lateness`). Each call: two tasks that hang, `n_jobs` 2, T = {} ms, \
         an eager consumer, `abort`. *Idle*: nothing added to the machine's own load (the load \
         column); *2× oversubscribed*: {} threads spin on the {} CPUs while it \
         runs. The floors are bare waits of T with no executor around them. {n} calls per row.\n",
        args.timeout_ms,
        2 * cpus(),
        cpus()
    );
    let _ = writeln!(
        s,
        "| executor | clock | mode | CPU | p50 ms | p99 ms | max ms | not timed out | load |"
    );
    let _ = writeln!(s, "|---|---|---|---|---:|---:|---:|---:|---|");
    let mut reference_worst = [[Duration::ZERO; 2]; 2]; // [idle, busy][p50, p99]
    let mut condvar_floor_p99 = [Duration::ZERO; 2]; // [idle, busy]
    for busy in [false, true] {
        let spinners = busy.then(|| Spinners::start(2 * cpus()));
        let cpu = if busy { "2× oversubscribed" } else { "idle" };
        for floor in Floor::ALL {
            let samples: Vec<Duration> = (0..n).map(|_| floor.sample(timeout)).collect();
            if let Some(p) = Percentiles::of(samples) {
                if floor == Floor::Condvar {
                    condvar_floor_p99[usize::from(busy)] = p.p99;
                }
                let _ = writeln!(
                    s,
                    "| floor: {} | – | – | {cpu} | {} | {} | {} | – | {} |",
                    floor.label(),
                    ms(p.p50),
                    ms(p.p99),
                    ms(p.max),
                    load_text()
                );
            }
        }
        for subject in Subject::all() {
            for mode in Mode::ALL {
                eprintln!("lateness: {subject} {mode} {cpu}");
                let (samples, missing) = lateness::measure(subject, mode, timeout, n);
                let load = load_text();
                match Percentiles::of(samples) {
                    Some(p) => {
                        if let Subject::Reference(_) = subject {
                            let w = &mut reference_worst[usize::from(busy)];
                            w[0] = w[0].max(p.p50);
                            w[1] = w[1].max(p.p99);
                        }
                        let _ = writeln!(
                            s,
                            "| {} | {} | {mode} | {cpu} | {} | {} | {} | {missing} | {load} |",
                            subject.executor_name(),
                            subject.clock(),
                            ms(p.p50),
                            ms(p.p99),
                            ms(p.max)
                        );
                    }
                    None => {
                        let _ = writeln!(
                            s,
                            "| {} | {} | {mode} | {cpu} | – | – | – | {missing} | {load} |",
                            subject.executor_name(),
                            subject.clock()
                        );
                    }
                }
            }
        }
        if let Some(spinners) = spinners {
            if spinners.len() < 2 * cpus() {
                let _ = writeln!(s, "\n(only {} spinners could be started)", spinners.len());
            }
        }
    }
    let [idle, busy] = reference_worst;
    let verdict = |ok: bool| if ok { "met" } else { "**not met**" };
    let _ = writeln!(
        s,
        "\nTargets (reference, worst row): idle p50 {} ms ≤ 0.2 ms: {}; idle p99 {} ms ≤ 1 ms: \
         {}; 2× oversubscribed p99 {} ms ≤ 5 ms: {}. For scale, the p99 of a bare \
         `Condvar::wait_timeout` (what the reference waits with) in the same conditions: {} ms \
         idle, {} ms oversubscribed.\n",
        ms(idle[0]),
        verdict(idle[0] <= Duration::from_micros(200)),
        ms(idle[1]),
        verdict(idle[1] <= Duration::from_millis(1)),
        ms(busy[1]),
        verdict(busy[1] <= Duration::from_millis(5)),
        ms(condvar_floor_p99[0]),
        ms(condvar_floor_p99[1]),
    );
    s
}

fn throughput_section(args: &Args, problems: &mut Vec<String>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## (b) Throughput\n");
    let _ = writeln!(
        s,
        "One call of N raw jobs (no harness instrumentation; a plain no-op job captures nothing, so \
         there is no allocation per job to free inside the timing; \"with its index\" captures its \
         index, one allocation per job, as a closure over its data would; see `throughput::jobs`), `n_jobs` 2, \
         no timeout, drained by an eager consumer; against `pool.install(|| jobs.into_par_iter().map(run).collect())` \
         over the same jobs on a prebuilt 2-thread rayon pool, alternating; medians of at least {} \
         runs each, more (up to 101) until both have run 0.5 s. Ratio = executor time ÷ par_iter time (1.0 = as fast). The executors' times \
         include starting their threads (both start them per call).\n",
        args.reps
    );
    let _ = writeln!(
        s,
        "| tasks | executor | mode | executor ms | par_iter ms | ratio | tasks/s | runs | load |"
    );
    let _ = writeln!(s, "|---|---|---|---:|---:|---:|---:|---:|---|");
    let mut list_noop_ratio = Vec::new();
    let loads = [
        (100_000, Work::Noop),
        (100_000, Work::IndexedNoop),
        (10_000, Work::Spin(Duration::from_micros(1))),
    ];
    for (n, work) in loads {
        let runs = [
            Subject::Reference(TimeoutClock::TaskRuntime),
            Subject::Rayon(TimeoutClock::TaskRuntime),
        ]
        .into_iter()
        .flat_map(|subject| Mode::ALL.map(|mode| (subject, mode)))
        .chain([(
            Subject::RayonAdaptive(TimeoutClock::TaskRuntime),
            Mode::List,
        )]);
        {
            for (subject, mode) in runs {
                eprintln!("throughput: {} {subject} {mode}", work.label());
                match throughput::compare(subject, mode, work, n, 2, args.reps) {
                    Ok(c) => {
                        if work != Work::Spin(Duration::from_micros(1)) && mode == Mode::List {
                            list_noop_ratio.push((subject.executor_name(), work, c.ratio()));
                        }
                        let _ = writeln!(
                            s,
                            "| {n} × {} | {} | {mode} | {} | {} | {:.1} | {:.0} | {} | {} |",
                            work.label(),
                            subject.executor_name(),
                            ms(c.subject_median),
                            ms(c.baseline_median),
                            c.ratio(),
                            c.tasks_per_second(),
                            c.runs,
                            load_text()
                        );
                    }
                    Err(e) => problems.push(e),
                }
            }
        }
    }
    match throughput::pool_build(2, 9) {
        Ok(d) => {
            let _ = writeln!(
                s,
                "\nBuilding and dropping a 2-thread rayon pool, which the rayon executor does per \
                 call and the baseline does not: {} ms (median of 9, load {}).",
                ms(d),
                load_text()
            );
        }
        Err(e) => problems.push(e),
    }
    for (name, work, ratio) in list_noop_ratio {
        let _ = writeln!(
            s,
            "\nTarget: no-op List within 1.5× of par_iter — {name}, {}: {ratio:.1}× ({}).",
            work.label(),
            if ratio <= 1.5 { "met" } else { "**not met**" }
        );
    }
    s.push('\n');
    s
}

fn memory_section(problems: &mut Vec<String>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## (c) Memory\n");
    let _ = writeln!(
        s,
        "One call of N no-op jobs, `n_jobs` 2, no timeout, pulled by a slow consumer (a 1 µs spin \
         after each slot), in a child process per row. *Before*: RSS with the input built (16 \
         bytes a job); *peak*: `VmHWM` after the call; *added* = peak − before. Lazy modes keep \
         a window of 2 × `n_jobs` = 4 tasks; List holds every result by definition.\n"
    );
    let _ = writeln!(
        s,
        "| executor | mode | tasks | before MB | peak MB | added MB | added bytes/task | load |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---|");
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            problems.push(format!(
                "cannot find this binary to start memory children: {e}"
            ));
            return s;
        }
    };
    for subject in [
        Subject::Reference(TimeoutClock::TaskRuntime),
        Subject::Rayon(TimeoutClock::TaskRuntime),
    ] {
        for mode in [Mode::Ordered, Mode::Unordered, Mode::List] {
            for n in [100_000usize, 1_000_000] {
                eprintln!("memory: {subject} {mode} {n}");
                match memory::measure_in_child(&exe, subject, mode, n) {
                    Ok(m) => {
                        let _ = writeln!(
                            s,
                            "| {} | {mode} | {n} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
                            subject.executor_name(),
                            m.before_kb as f64 / 1024.0,
                            m.peak_kb as f64 / 1024.0,
                            m.added_kb() as f64 / 1024.0,
                            m.added_kb() as f64 * 1024.0 / n as f64,
                            load_text()
                        );
                    }
                    Err(e) => problems.push(e),
                }
            }
        }
    }
    s.push('\n');
    s
}

fn harness_section() -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## (d) Harness speed\n");
    eprintln!("harness: simulated");
    let (runs, elapsed) = harness_speed::simulated_cases(Duration::from_secs(3));
    let _ = writeln!(
        s,
        "Simulated (`overtime_reference::simulated::run_case`: simulate a catalogue case and its \
         follow-up in virtual time, judge every property at ε = 0), over the catalogue × the \
         reference's 6 contracts × 3 modes, on one thread: **{runs} case runs in {:.2} s = {:.0} \
         case runs/s** (load {}).\n",
        elapsed.as_secs_f64(),
        runs as f64 / elapsed.as_secs_f64().max(1e-9),
        load_text()
    );
    let _ = writeln!(
        s,
        "Real time: the whole catalogue in all three modes, default ε (20 ms), as `overtime \
         check` runs it.\n"
    );
    let _ = writeln!(
        s,
        "| executor | wall time s | case runs | retries | conforms | load |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---|---|");
    let executors: [Arc<dyn CaseExecutor>; 2] = [
        Arc::new(ReferenceExecutor::default()),
        Arc::new(RayonExecutor::default()),
    ];
    let mut slowest = Duration::ZERO;
    for executor in executors {
        let name = executor.declared_profile().name;
        eprintln!("harness: real-time suite {name}");
        let result = harness_speed::real_time_suite(executor);
        slowest = slowest.max(result.wall_time);
        let _ = writeln!(
            s,
            "| {name} | {:.1} | {} | {} | {} | {} |",
            result.wall_time.as_secs_f64(),
            result.cases.len(),
            result.total_retries(),
            if result.conforms() { "yes" } else { "**no**" },
            load_text()
        );
    }
    let _ = writeln!(
        s,
        "\nTarget: full real-time suite ≤ 30 s per executor — slowest {:.1} s ({}).",
        slowest.as_secs_f64(),
        if slowest <= Duration::from_secs(30) {
            "met"
        } else {
            "**not met**"
        }
    );
    s
}

fn async_section(args: &Args) -> String {
    let timeout = Duration::from_secs_f64(args.timeout_ms / 1e3);
    let n = args.samples;
    let mut s = String::new();
    let _ = writeln!(s, "\n## (e) Async executors\n");
    let _ = writeln!(
        s,
        "The async reference (`overtime-async`: the same sans-IO core driven from tokio tasks, \
         on a 2-worker multi-threaded runtime, its consumer in `block_on`) beside the threaded \
         reference, measured one after the other in the same conditions: the call of section \
         (a) (two hung tasks, `n_jobs` 2, T = {} ms, an eager consumer, `abort`), idle, {n} \
         calls per row. tokio's timers have a 1 ms resolution (a deadline is rounded up to the \
         next millisecond tick of the runtime's clock, and the driver sleeps in whole \
         milliseconds), so the async reference sees a deadline up to about 2 ms after it by \
         construction: the difference between the columns is the timer's, not the core's.\n",
        args.timeout_ms
    );
    let _ = writeln!(
        s,
        "| clock | mode | threaded p50 ms | threaded p99 ms | async p50 ms | async p99 ms | async max ms | async not timed out | load |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|---|");
    for clock in TimeoutClock::ALL {
        for mode in Mode::ALL {
            eprintln!("async lateness: {clock} {mode}");
            let (threaded, _) = lateness::measure(Subject::Reference(clock), mode, timeout, n);
            let (asynchronous, missing) =
                overtime_benches::asynchronous::lateness(clock, mode, timeout, n);
            let (Some(t), Some(a)) = (Percentiles::of(threaded), Percentiles::of(asynchronous))
            else {
                let _ = writeln!(
                    s,
                    "| {clock} | {mode} | – | – | – | – | – | {missing} | {} |",
                    load_text()
                );
                continue;
            };
            let _ = writeln!(
                s,
                "| {clock} | {mode} | {} | {} | {} | {} | {} | {missing} | {} |",
                ms(t.p50),
                ms(t.p99),
                ms(a.p50),
                ms(a.p99),
                ms(a.max),
                load_text()
            );
        }
    }
    let (runs, took) = overtime_benches::asynchronous::paused_cases(Duration::from_secs(3));
    let _ = writeln!(
        s,
        "\nPaused time (`overtime_harness::asynchronous::paused::run_case`: each case on a fresh \
         current-thread tokio runtime started paused, the consumer, the async reference and the \
         task bodies on tokio's virtual clock, the follow-up call included, every property judged \
         at ε = 1 ms), over the catalogue's cases paused time can model (all but `cpu-spin`) × \
         the async reference's 6 contracts × 3 modes, on one thread: **{runs} case runs in {:.2} \
         s = {:.0} case runs/s** (load {}).",
        took.as_secs_f64(),
        runs as f64 / took.as_secs_f64().max(1e-9),
        load_text()
    );
    s
}

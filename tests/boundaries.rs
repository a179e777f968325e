//! Boundary timeouts: T = 0, T = 1 µs (below timer resolution), the largest T a scenario file
//! and the process protocol carry (2^64 − 1 ns), and `Duration::MAX`. For each, in every mode:
//! the reference (all six contracts) in simulated time, and the reference and rayon in real
//! time, must end every case without a panic, a hang or a watchdog, and keep every MUST
//! property (spec §2.5 says what each boundary means). A test per boundary value. A real-time
//! run the harness itself was late for (inconclusive) is printed, not failed: it says nothing
//! about the executor.

use overtime::harness::{
    run_case, Case, CaseExecutor, CaseRun, Consumer, Event, Level, Millis, Mode, RunConfig,
    TaskSpec, VerdictKind,
};
use overtime::reference::{simulated, ReferenceExecutor};
use overtime_rayon::RayonExecutor;
use std::sync::Arc;
use std::time::Duration;

/// A case at timeout `t`: with a small T, tasks that must time out (a hang, two long sleeps)
/// and a follow-up call; with a huge T, short tasks that must all come back.
fn case_at(name: &str, t: Duration) -> Case {
    let sleep = |ms| TaskSpec::Sleep {
        ms: Duration::from_millis(ms),
    };
    let small = t <= Duration::from_millis(1);
    Case {
        name: name.into(),
        about: format!("boundary timeout {name}"),
        tasks: if small {
            vec![TaskSpec::Hang, sleep(600), sleep(600)]
        } else {
            vec![sleep(5), sleep(20), sleep(1), sleep(10)]
        },
        n_jobs: 2,
        timeout: Some(t),
        consumer: Consumer::default(),
        follow_up: small,
        exercises: Vec::new(),
        absolute: true,
    }
}

/// The MUST failures of `run`, and whether its watchdog fired.
fn problems(label: &str, run: &CaseRun) -> Vec<String> {
    if let Some((_, v)) = run
        .verdicts
        .iter()
        .find(|(_, v)| v.verdict == VerdictKind::Inconclusive)
    {
        println!("{label}: not judged: {}", v.evidence);
    }
    let mut out: Vec<String> = run
        .verdicts
        .iter()
        .filter(|(p, v)| p.level() == Level::Must && v.verdict == VerdictKind::Fail)
        .map(|(p, v)| format!("{label}: {} {:?}: {}", p.label(), v.verdict, v.evidence))
        .collect();
    if run
        .trace
        .events
        .iter()
        .any(|e| e.event == Event::WatchdogFired)
    {
        out.push(format!("{label}: the watchdog ended the case"));
    }
    out
}

fn simulated_boundary(name: &str, t: Duration) {
    let case = case_at(name, t);
    let mut found = Vec::new();
    for executor in ReferenceExecutor::all() {
        for mode in Mode::ALL {
            let run = simulated::run_case(&executor, &case, mode);
            found.extend(problems(&format!("{} {mode}", executor.contract()), &run));
        }
    }
    assert!(
        found.is_empty(),
        "T = {name} in simulated time:\n  {}",
        found.join("\n  ")
    );
}

fn real_time_boundary(name: &str, t: Duration) {
    let case = case_at(name, t);
    let mut executors: Vec<Arc<dyn CaseExecutor>> = Vec::new();
    for e in ReferenceExecutor::all() {
        executors.push(Arc::new(e));
    }
    for e in RayonExecutor::all() {
        executors.push(Arc::new(e));
    }
    let config = RunConfig::default();
    let mut found = Vec::new();
    for executor in &executors {
        for mode in Mode::ALL {
            let run = run_case(executor, &case, mode, &config);
            let label = format!("{} {mode}", executor.declared_profile().name);
            found.extend(problems(&label, &run));
        }
    }
    assert!(
        found.is_empty(),
        "T = {name} in real time:\n  {}",
        found.join("\n  ")
    );
}

const ZERO: Duration = Duration::ZERO;
const ONE_MICROSECOND: Duration = Duration::from_micros(1);
const PROTOCOL_MAXIMUM: Duration = Millis::MAX.0;
const DURATION_MAX: Duration = Duration::MAX;

#[test]
fn zero_in_simulated_time() {
    simulated_boundary("zero", ZERO);
}

#[test]
fn one_microsecond_in_simulated_time() {
    simulated_boundary("one-microsecond", ONE_MICROSECOND);
}

#[test]
fn protocol_maximum_in_simulated_time() {
    simulated_boundary("protocol-maximum", PROTOCOL_MAXIMUM);
}

#[test]
fn duration_max_in_simulated_time() {
    simulated_boundary("duration-max", DURATION_MAX);
}

#[test]
fn zero_in_real_time() {
    real_time_boundary("zero", ZERO);
}

#[test]
fn one_microsecond_in_real_time() {
    real_time_boundary("one-microsecond", ONE_MICROSECOND);
}

#[test]
fn protocol_maximum_in_real_time() {
    real_time_boundary("protocol-maximum", PROTOCOL_MAXIMUM);
}

#[test]
fn duration_max_in_real_time() {
    real_time_boundary("duration-max", DURATION_MAX);
}

/// The watchdog and the settle time stay finite and small for every boundary T.
#[test]
fn bounds_stay_finite_for_every_boundary() {
    let config = RunConfig::default();
    for (name, t) in [
        ("zero", ZERO),
        ("one-microsecond", ONE_MICROSECOND),
        ("protocol-maximum", PROTOCOL_MAXIMUM),
        ("duration-max", DURATION_MAX),
    ] {
        let case = case_at(name, t);
        let bound = case.watchdog_bound(config.epsilon, config.grace);
        let settle = case.settle_time(config.epsilon);
        assert!(
            bound < Duration::from_secs(5),
            "{name}: watchdog bound {bound:?}"
        );
        assert!(
            settle <= Duration::from_secs(2),
            "{name}: settle time {settle:?}"
        );
    }
}

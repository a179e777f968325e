//! Robustness of the process executor: each way an adapter can break the protocol
//! (`specs/protocol.md`) must end the call with its own named protocol error — naming the
//! offending line — before the case's watchdog, never a panic or a hang; and every adapter's
//! process group must be gone after its case.
//!
//! The adapter is `adapters/python/fake_adapter.py SCENARIO`, which breaks one thing per
//! scenario. It needs `python3` on PATH (CPython 3.8 or later, standard library only).

use overtime::harness::catalogue::catalogue;
use overtime::harness::{
    judge, run_case, Answer, Case, CaseExecutor, CaseRun, Event, Mode, Property, RunConfig,
    TaskSpec, VerdictKind,
};
use overtime::process::{Heartbeat, ProcessError, ProcessExecutor, ProcessOptions};
use rstest::rstest;
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

const CLOCK_SAMPLES: u32 = 4;
/// The first line of a call's events: the hello is line 1, the clock replies 2..=5.
const FIRST_CALL_LINE: u64 = 2 + CLOCK_SAMPLES as u64;
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(3);
/// A test that has not finished by then is hung: fail it rather than hang the test run.
const TEST_WATCHDOG: Duration = Duration::from_secs(30);

fn options() -> ProcessOptions {
    ProcessOptions {
        handshake_timeout: HANDSHAKE_TIMEOUT,
        release_timeout: Duration::from_secs(1),
        teardown_grace: Duration::from_secs(1),
        clock_samples: CLOCK_SAMPLES,
        stderr_passthrough: false,
        heartbeat: None,
    }
}

fn fake_argv(scenario: &str) -> Vec<String> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/adapters/python/fake_adapter.py"
    );
    vec!["python3".into(), script.into(), scenario.into()]
}

fn fake(scenario: &str) -> Result<ProcessExecutor, ProcessError> {
    ProcessExecutor::with_options(fake_argv(scenario), options())
}

/// Runs `f` on its own thread and fails the test if it has not returned by the watchdog.
fn bounded<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(TEST_WATCHDOG) {
        Ok(v) => v,
        Err(_) => panic!("{what} did not finish within {TEST_WATCHDOG:?}: the harness hung"),
    }
}

/// Two 1 ms tasks, T = 100 ms, List mode: whatever the fake adapter does, its watchdog bound
/// is 2 + 3 × 100 + ε + grace ≈ 1.35 s.
fn small_case() -> Case {
    let mut case = catalogue()
        .into_iter()
        .find(|c| c.name == "all-fast")
        .expect("the catalogue has all-fast");
    case.name = "protocol".into();
    case.tasks = vec![
        TaskSpec::Sleep {
            ms: Duration::from_millis(1)
        };
        2
    ];
    case.timeout = Some(Duration::from_millis(100));
    case.follow_up = false;
    case
}

fn config() -> RunConfig {
    RunConfig {
        epsilon: Duration::from_millis(50),
        grace: Duration::from_secs(1),
        max_retries: 0,
    }
}

/// Runs the small case against the fake adapter `scenario`; returns the run and the
/// executor's teardown problems.
fn run_scenario(scenario: &'static str) -> (CaseRun, Vec<String>) {
    bounded(scenario, move || {
        let executor = match fake(scenario) {
            Ok(e) => Arc::new(e),
            Err(e) => panic!("the fake adapter `{scenario}` should handshake: {e}"),
        };
        let dynamic: Arc<dyn CaseExecutor> = executor.clone();
        let run = run_case(&dynamic, &small_case(), Mode::List, &config());
        (run, executor.teardown_problems())
    })
}

fn executor_errors(run: &CaseRun) -> Vec<String> {
    run.trace
        .events
        .iter()
        .filter_map(|e| match &e.event {
            Event::Answered(Answer::ExecutorError { message }) => Some(message.clone()),
            _ => None,
        })
        .collect()
}

fn watchdog_fired(run: &CaseRun) -> bool {
    run.trace
        .events
        .iter()
        .any(|e| e.event == Event::WatchdogFired)
}

/// The checker's verdict on the trace. (Judged here rather than taken from the run, which
/// reports every property inconclusive when the loaded test machine woke the harness late.)
fn verdict(run: &CaseRun, property: Property) -> VerdictKind {
    judge(&run.trace, config().epsilon)
        .verdicts
        .into_iter()
        .find(|(p, _)| *p == property)
        .map(|(_, v)| v.verdict)
        .expect("every property has a verdict")
}

#[rstest]
#[case::garbage("garbage", FIRST_CALL_LINE, "not valid JSON")]
#[case::truncated_json("truncated", FIRST_CALL_LINE, "not valid JSON (EOF while parsing")]
#[case::line_without_newline("partial-line", FIRST_CALL_LINE, "ends without a newline")]
#[case::not_utf8("not-utf8", FIRST_CALL_LINE, "not UTF-8")]
#[case::oversized_line("oversized", FIRST_CALL_LINE, "longer than 65536 bytes")]
#[case::unknown_type("unknown-type", FIRST_CALL_LINE, "unknown variant `progress`")]
#[case::unknown_field("unknown-field", FIRST_CALL_LINE, "unknown field `colour`")]
#[case::unknown_call("unknown-call", FIRST_CALL_LINE, "call 99, which was never sent")]
#[case::unknown_task("unknown-task", FIRST_CALL_LINE + 1, "unknown task 7: call 1 has tasks 0..2")]
#[case::task_started_twice(
    "task-started-twice",
    FIRST_CALL_LINE + 2,
    "task 0 started twice (first on line 7)"
)]
#[case::done_twice("done-twice", FIRST_CALL_LINE + 10, "call 1, which was already done")]
#[case::out_of_order(
    "out-of-order",
    FIRST_CALL_LINE,
    "`answered` is out of order in list mode: after the consumer's last event the protocol expects call_made"
)]
#[case::stamped_in_the_future("future-stamp", FIRST_CALL_LINE, "after it arrived")]
fn a_malformed_line_is_a_protocol_error_naming_it(
    #[case] scenario: &'static str,
    #[case] line: u64,
    #[case] reason: &str,
) {
    let (run, problems) = run_scenario(scenario);
    let errors = executor_errors(&run);
    let expected_line = format!("protocol error on line {line}");
    assert!(
        errors
            .iter()
            .any(|m| m.contains(&expected_line) && m.contains(reason)),
        "scenario {scenario}: expected an executor error with {expected_line:?} and {reason:?}, \
         got {errors:#?}"
    );
    assert!(
        !watchdog_fired(&run),
        "scenario {scenario}: the error must end the call before the watchdog"
    );
    assert_eq!(verdict(&run, Property::ErrorPropagation), VerdictKind::Fail);
    assert!(
        problems.is_empty(),
        "scenario {scenario}: teardown: {problems:?}"
    );
}

#[test]
fn an_adapter_that_exits_mid_call_is_named_with_its_status_and_stderr() {
    let (run, problems) = run_scenario("exit-mid-call");
    let errors = executor_errors(&run);
    assert!(
        errors.iter().any(|m| m
            .contains("closed its stdout (exit code 3) while call 1 was running")
            && m.contains("fake adapter: giving up mid-call")),
        "{errors:#?}"
    );
    assert!(!watchdog_fired(&run));
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn an_adapter_error_message_reaches_the_trace() {
    let (run, _) = run_scenario("adapter-error");
    let errors = executor_errors(&run);
    assert!(
        errors
            .iter()
            .any(|m| m == "the adapter reports: the executor could not be imported"),
        "{errors:#?}"
    );
}

#[test]
fn an_adapter_silent_mid_call_is_ended_by_the_watchdog_and_killed() {
    let (run, problems) = run_scenario("silent-mid-call");
    assert!(
        watchdog_fired(&run),
        "a silent adapter is the executor hanging: the watchdog ends the case"
    );
    assert_eq!(verdict(&run, Property::Liveness), VerdictKind::Fail);
    // It ignores the release too: teardown says so, then kills it anyway.
    assert!(
        problems
            .iter()
            .any(|p| p.contains("did not acknowledge the release")),
        "{problems:?}"
    );
}

/// An adapter that answers the hello and the clock but never reacts to a call: no
/// `call_made`, nothing at all. The harness's hand-over is the call instant, and P01 fails
/// naming the missing report, in every mode.
#[rstest]
fn a_silent_executor_fails_liveness_from_the_hand_over_in_every_mode(
    #[values(Mode::List, Mode::Ordered, Mode::Unordered)] mode: Mode,
) {
    let (run, problems) = bounded("silent", move || {
        let executor = Arc::new(fake("silent").expect("the silent adapter handshakes"));
        let dynamic: Arc<dyn CaseExecutor> = executor.clone();
        let run = run_case(&dynamic, &small_case(), mode, &config());
        (run, executor.teardown_problems())
    });
    assert!(watchdog_fired(&run), "{:?}", run.trace.events);
    assert!(
        run.trace.events.iter().all(|e| e.event != Event::CallMade),
        "{:?}",
        run.trace.events
    );
    let liveness = judge(&run.trace, config().epsilon)
        .verdicts
        .into_iter()
        .find(|(p, _)| *p == Property::Liveness)
        .map(|(_, v)| v)
        .expect("P01 has a verdict");
    assert_eq!(liveness.verdict, VerdictKind::Fail, "{}", liveness.evidence);
    for words in [
        "handed the call over at",
        "never reported `call_made`",
        "whatever the clock",
        "hung",
    ] {
        assert!(
            liveness.evidence.contains(words),
            "{mode}: `{words}` missing from: {}",
            liveness.evidence
        );
    }
    // It still acknowledges the release: its teardown is clean.
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn a_result_delivered_twice_is_the_executors_fault_for_p04_not_a_protocol_error() {
    let (run, _) = run_scenario("duplicate-item");
    assert_eq!(executor_errors(&run), Vec::<String>::new());
    assert_eq!(verdict(&run, Property::ExactlyOnce), VerdictKind::Fail);
}

#[test]
fn a_correct_adapter_yields_a_clean_trace_on_the_harness_clock() {
    let (run, problems) = run_scenario("correct");
    assert_eq!(executor_errors(&run), Vec::<String>::new());
    assert!(problems.is_empty(), "{problems:?}");
    for (property, v) in judge(&run.trace, config().epsilon).verdicts {
        assert!(
            matches!(v.verdict, VerdictKind::Pass | VerdictKind::NotApplicable),
            "{}: {:?} {}",
            property.label(),
            v.verdict,
            v.evidence
        );
    }
    // The adapter's stamps, mapped onto the harness's clock, keep the adapter's order.
    let kinds: Vec<&Event> = run.trace.events.iter().map(|e| &e.event).collect();
    // The harness's hand-over comes first, then the adapter's own report of the call.
    assert_eq!(kinds.first(), Some(&&Event::CallSent));
    assert_eq!(kinds.get(1), Some(&&Event::CallMade));
    assert_eq!(
        kinds.last(),
        Some(&&Event::Answered(Answer::End)),
        "{kinds:?}"
    );
}

#[rstest]
#[case::exits_before_hello(
    "exit-before-hello",
    "closed its stdout (exit code 1) before its hello"
)]
#[case::missing_module_is_quoted("exit-before-hello", "No module named 'joblib'")]
#[case::silent_handshake("silent-handshake", "sent no hello within 3.00 s")]
#[case::wrong_protocol(
    "wrong-protocol",
    "the adapter speaks protocol 3; this overtime speaks protocol 2"
)]
#[case::protocol_1_is_told_what_changed(
    "protocol-1",
    "the adapter speaks protocol 1; this overtime speaks protocol 2; version 2 added the `raise_timeout` task kind"
)]
fn a_broken_handshake_is_an_error_naming_the_cause(
    #[case] scenario: &'static str,
    #[case] reason: &str,
) {
    let result = bounded(scenario, move || fake(scenario).map(|_| ()));
    match result {
        Ok(()) => panic!("scenario {scenario} must not handshake"),
        Err(ProcessError(message)) => assert!(
            message.contains(reason),
            "scenario {scenario}: expected {reason:?} in {message:?}"
        ),
    }
}

/// A caller waiting for a hello hears from the executor while it waits (a progress display
/// shows it), and the waits it is told of grow and stay within the handshake timeout.
#[test]
fn a_heartbeat_is_heard_while_the_hello_is_awaited() {
    let beats = Arc::new(Mutex::new(Vec::new()));
    let options = ProcessOptions {
        heartbeat: Some(Heartbeat::new({
            let beats = Arc::clone(&beats);
            move |waited| beats.lock().unwrap().push(waited)
        })),
        ..options()
    };
    let result = bounded("silent-handshake", move || {
        ProcessExecutor::with_options(fake_argv("silent-handshake"), options).map(|_| ())
    });
    assert!(result.is_err(), "a silent adapter must not handshake");
    let beats = beats.lock().unwrap().clone();
    assert!(!beats.is_empty(), "no heartbeat during a 3 s wait");
    assert!(beats.windows(2).all(|w| w[0] < w[1]), "{beats:?}");
    assert!(beats.iter().all(|b| *b < HANDSHAKE_TIMEOUT), "{beats:?}");
}

#[test]
fn a_missing_program_is_an_error_naming_it() {
    let argv = vec!["/nonexistent/python9".to_string()];
    let result = ProcessExecutor::with_options(argv, options()).map(|_| ());
    let Err(ProcessError(message)) = result else {
        panic!("a missing program must not start");
    };
    assert!(
        message.contains("cannot start adapter `/nonexistent/python9`"),
        "{message}"
    );
}

/// The pids of every process (zombies included) in process group `pgid`, from /proc.
fn group_members(pgid: i32) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    let rest = &stat[stat.rfind(')')? + 1..];
                    rest.split_whitespace().nth(2)?.parse::<i32>().ok()
                })
                == Some(pgid)
        })
        .collect()
}

#[test]
fn teardown_kills_and_reaps_the_adapters_whole_process_group() {
    let members = bounded("stray-workers", || {
        let executor = fake("stray-workers").expect("the fake adapter handshakes");
        let case = small_case();
        executor.begin_case(&case);
        let pgid = executor
            .process_group()
            .expect("a case's adapter runs between begin_case and end_case");
        // The adapter started a worker and an orphaned grandchild that ignores SIGTERM.
        let before = group_members(pgid);
        executor.end_case();
        let after = group_members(pgid);
        (before, after, executor.teardown_problems())
    });
    let (before, after, problems) = members;
    assert!(
        before.len() >= 3,
        "the adapter and its two workers should be running: {before:?}"
    );
    assert_eq!(
        after,
        Vec::<i32>::new(),
        "no process, zombie or not, may outlive its case"
    );
    // Its grandchild ignores SIGTERM and outlives the grace: each of its two adapters (the
    // profile's and the case's) is warned about, naming what it took.
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems.iter().all(|p| p.contains("stray-workers")
            && p.contains("were not gone 1.00 s after its stdin closed")
            && p.contains("SIGTERM, then SIGKILL")),
        "{problems:?}"
    );
}

/// The live `escaped-workers` sleepers whose command line holds `marker`, from /proc (zombies,
/// the adapter and the short-lived double-forking process excluded).
fn sleepers_marked(marker: &str) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie = stat
                .rfind(')')
                .is_some_and(|i| stat[i + 1..].trim_start().starts_with('Z'));
            let cmdline = String::from_utf8_lossy(&cmdline);
            cmdline.contains(marker)
                && cmdline.contains("time.sleep(1000)")
                && !cmdline.contains("subprocess")
                && !zombie
        })
        .collect()
}

/// Workers that left the adapter's process group (a new session, one of them double-forked)
/// are found at the end of the case, killed, reaped and named in a teardown warning.
#[test]
#[cfg(target_os = "linux")]
fn teardown_kills_and_names_the_descendants_that_left_the_process_group() {
    let marker = format!("overtime-escaped-test-{}", std::process::id());
    let argv = {
        let mut argv = fake_argv("escaped-workers");
        argv.push(marker.clone());
        argv
    };
    let found = {
        let marker = marker.clone();
        bounded("escaped-workers", move || {
            let executor = ProcessExecutor::with_options(argv, options())
                .expect("the fake adapter handshakes");
            // The adapter started for the hello left two workers too: named already.
            let first = executor.teardown_problems();
            let case = small_case();
            executor.begin_case(&case);
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            let mut before = sleepers_marked(&marker);
            while before.len() != 2 && std::time::Instant::now() < deadline {
                thread::sleep(Duration::from_millis(20));
                before = sleepers_marked(&marker);
            }
            executor.end_case();
            let after = sleepers_marked(&marker);
            (first, before, after, executor.teardown_problems())
        })
    };
    let (first, before, after, problems) = found;
    for pid in &after {
        // Do not leave them running on the machine when the test fails.
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status();
    }
    assert_eq!(before.len(), 2, "both escaped workers should be running");
    assert_eq!(
        after,
        Vec::<i32>::new(),
        "escaped workers outlived their case"
    );
    assert_eq!(first.len(), 1, "the hello's adapter's warning: {first:?}");
    assert_eq!(problems.len(), 2, "then one for the case: {problems:?}");
    let warning = &problems[1];
    assert!(
        warning.contains("2 process(es) it started left its process group"),
        "{warning}"
    );
    for pid in &before {
        assert!(
            warning.contains(&format!("pid {pid} `")),
            "{warning} should name pid {pid}"
        );
    }
    assert!(
        warning.contains(&marker),
        "{warning} should show the command line"
    );
}

/// A descendant that left the adapter's process group and shed its environment (so no token
/// finds it) still holds the adapter's stdout: the teardown finds it by the pipe, kills it,
/// and names the pipe and the process in a warning, instead of waiting for an EOF that never
/// comes.
#[test]
#[cfg(target_os = "linux")]
fn teardown_finds_a_tokenless_process_by_the_pipe_it_holds_and_names_it() {
    let marker = format!("overtime-pipe-holder-test-{}", std::process::id());
    let argv = {
        let mut argv = fake_argv("env-less-escapee");
        argv.push(marker.clone());
        argv
    };
    let found = {
        let marker = marker.clone();
        bounded("env-less-escapee", move || {
            let executor = ProcessExecutor::with_options(argv, options())
                .expect("the fake adapter handshakes");
            let case = small_case();
            executor.begin_case(&case);
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            let mut before = sleepers_marked(&marker);
            while before.len() != 1 && std::time::Instant::now() < deadline {
                thread::sleep(Duration::from_millis(20));
                before = sleepers_marked(&marker);
            }
            executor.end_case();
            let after = sleepers_marked(&marker);
            (before, after, executor.teardown_problems())
        })
    };
    let (before, after, problems) = found;
    for pid in &after {
        // Do not leave it running on the machine when the test fails.
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status();
    }
    assert_eq!(before.len(), 1, "the escapee should be running: {before:?}");
    assert_eq!(
        after,
        Vec::<i32>::new(),
        "the pipe's holder outlived its case"
    );
    // One warning for the hello's adapter, one for the case's: each names the pipe.
    assert_eq!(problems.len(), 2, "{problems:?}");
    let warning = &problems[1];
    assert!(
        warning.contains("its output pipes (stdout pipe:["),
        "{warning} should name the pipe"
    );
    assert!(
        warning.contains(&format!("pid {} `", before[0])) && warning.contains(&marker),
        "{warning} should name the process"
    );
    assert!(
        !warning.contains("still open"),
        "{warning}: it was waited for"
    );
}

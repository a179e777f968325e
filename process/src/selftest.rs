//! A quick self-test of an adapter's protocol handling (`overtime adapter-test`), before its
//! executor is judged: the hello and its profile, clock replies, a trivial call in every
//! declared mode, the release, the exit on stdin's end, and the refusal of lines it cannot
//! understand (`specs/protocol.md` §8). Each check says what to fix, quoting the adapter's
//! line where there is one; it goes through the same session code as `overtime check`, so an
//! adapter that passes handshakes and reports the same way there.

use super::options::ProcessOptions;
use super::session::{Hello, Process, Session};
use overtime_harness::{
    Answer, CallParams, Consumer, Event, Mode, Ms, Recorder, TaskEnd, TaskSpec,
};
use std::fmt;
use std::thread;
use std::time::{Duration, Instant};

/// The lines the strict-error checks send, each to a fresh adapter after its handshake.
const NOT_UNDERSTOOD: [(&str, &str); 3] = [
    ("strict: malformed line", r#"{"type":"clock","seq":"#),
    ("strict: unknown type", r#"{"type":"adapter_test_unknown"}"#),
    (
        "strict: unknown field",
        r#"{"type":"clock","seq":99,"colour":"red"}"#,
    ),
];
/// Each trivial call's task body.
const TASK_MS: Duration = Duration::from_millis(10);

/// How long the self-test waits.
#[derive(Debug, Clone)]
pub struct SelfTestOptions {
    /// For the hello (the adapter's start-up and imports included).
    pub handshake_timeout: Duration,
    /// For everything else: clock replies, a call, `released`, an exit.
    pub bound: Duration,
}

impl Default for SelfTestOptions {
    /// 30 s for the hello, 5 s for every other step.
    fn default() -> Self {
        SelfTestOptions {
            handshake_timeout: Duration::from_secs(30),
            bound: Duration::from_secs(5),
        }
    }
}

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    /// Not run: a check it depends on failed.
    Skip,
}

/// One check: its name, its outcome, and what was seen (for a failure: what to fix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub outcome: Outcome,
    pub message: String,
}

impl Check {
    fn pass(name: impl Into<String>, message: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            outcome: Outcome::Pass,
            message: message.into(),
        }
    }

    fn fail(name: impl Into<String>, message: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            outcome: Outcome::Fail,
            message: message.into(),
        }
    }

    fn skip(name: impl Into<String>, why: &str) -> Check {
        Check {
            name: name.into(),
            outcome: Outcome::Skip,
            message: format!("not run: {why} failed"),
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let outcome = match self.outcome {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::Skip => "SKIP",
        };
        write!(f, "{outcome} {:<22} {}", self.name, self.message)
    }
}

/// Runs every check against the adapter `argv`; an empty argv is a usage error.
pub fn self_test(argv: &[String], options: &SelfTestOptions) -> Result<Vec<Check>, String> {
    let process_options = ProcessOptions {
        handshake_timeout: options.handshake_timeout,
        release_timeout: options.bound,
        ..ProcessOptions::default()
    };
    let mut checks = Vec::new();
    let process = Process::spawn(argv, &process_options)?;
    let later: Vec<String> = ["clock", "release", "exit on stdin EOF"]
        .into_iter()
        .map(String::from)
        .chain(NOT_UNDERSTOOD.iter().map(|(name, _)| name.to_string()))
        .collect();
    let hello = match process.await_hello(&process_options, 0) {
        Ok(hello) => hello,
        Err(e) => {
            checks.push(Check::fail("hello", e));
            checks.extend(later.iter().map(|name| Check::skip(name, "hello")));
            return Ok(checks);
        }
    };
    checks.push(hello_check(&hello));
    let modes = hello.profile.modes.clone();
    match process.align(&process_options, Instant::now() + options.bound) {
        Ok(uncertainty) => checks.push(Check::pass(
            "clock",
            format!(
                "{} replies; the best round trip aligns the clocks within ±{}",
                process_options.clock_samples,
                Ms(uncertainty)
            ),
        )),
        Err(e) => {
            checks.push(Check::fail(
                "clock",
                format!(
                    "{e}: answer every `clock` request at once, from the thread that reads \
                     stdin, with its `seq` and `now_ns` from the monotonic clock \
                     (specs/protocol.md §3.2, §5)"
                ),
            ));
            checks.extend(later[1..].iter().map(|name| Check::skip(name, "clock")));
            drop(process);
            return Ok(checks);
        }
    }
    let session = Session::handshaken(process, hello);
    for mode in modes {
        checks.push(call_check(&session, mode, options.bound));
    }
    checks.push(release_check(session.process(), options.bound));
    checks.push(eof_check(session.process(), options.bound));
    let _ = session.teardown();
    for (name, line) in NOT_UNDERSTOOD {
        checks.push(strict_check(
            argv,
            &process_options,
            name,
            line,
            options.bound,
        ));
    }
    Ok(checks)
}

fn hello_check(hello: &Hello) -> Check {
    let info = &hello.executor;
    if info.name.trim().is_empty() || info.version.trim().is_empty() {
        return Check::fail(
            "hello",
            format!(
                "the executor's `name` ({:?}) and `version` ({:?}) must not be empty: reports \
                 name it `name-version[-variant]`",
                info.name, info.version
            ),
        );
    }
    let profile = &hello.profile;
    let modes: Vec<&str> = profile.modes.iter().map(|m| m.as_str()).collect();
    let unsupported: Vec<String> = hello
        .unsupported
        .iter()
        .map(|u| format!("{} ({})", u.mode, u.reason))
        .collect();
    let contract = &profile.contract;
    Check::pass(
        "hello",
        format!(
            "protocol 2, {}; modes {}{}; contract {} / {}{}",
            profile.name,
            modes.join(", "),
            if unsupported.is_empty() {
                String::new()
            } else {
                format!("; unsupported {}", unsupported.join(", "))
            },
            contract.clock.as_str(),
            contract.on_timeout.as_str(),
            if profile.per_mode.is_empty() {
                String::new()
            } else {
                format!(", a contract of its own for {}", {
                    let own: Vec<&str> = profile.per_mode.keys().map(|m| m.as_str()).collect();
                    own.join(", ")
                })
            }
        ),
    )
}

/// Two short sleeps, a generous timeout, an eager consumer: items, then the end.
fn call_check(session: &Session, mode: Mode, bound: Duration) -> Check {
    let name = format!("call: {mode}");
    let tasks = vec![TaskSpec::Sleep { ms: TASK_MS }; 2];
    let params = CallParams {
        n_tasks: tasks.len(),
        n_jobs: 2,
        timeout: Some(bound),
        mode,
    };
    let recorder = Recorder::new();
    let id = session.start_call(params, &tasks, &Consumer::default(), recorder.clone());
    let what = format!(
        "2 × sleep {} on n_jobs 2, timeout {}, an eager consumer",
        Ms(TASK_MS),
        Ms(bound)
    );
    if !session.wait_done_until(id, bound) {
        return Check::fail(
            name,
            format!(
                "{what}: no `done` within {}; events so far: {}: run each call on a thread \
                 of its own and report every consumer step, ending with `done` \
                 (specs/protocol.md §4.1){}",
                Ms(bound),
                event_names(&recorder),
                session.process().stderr_tail()
            ),
        );
    }
    // The bodies' events may come after `done` (the Python kit relays them from a socket).
    let deadline = Instant::now() + bound;
    while ended(&recorder) < tasks.len() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    let answers: Vec<Answer> = recorder
        .events()
        .into_iter()
        .filter_map(|s| match s.event {
            Event::Answered(a) => Some(a),
            _ => None,
        })
        .collect();
    let items = |order: [usize; 2]| {
        vec![
            Answer::Item { task: order[0] },
            Answer::Item { task: order[1] },
            Answer::End,
        ]
    };
    let expected_ok =
        answers == items([0, 1]) || (mode == Mode::Unordered && answers == items([1, 0]));
    if !expected_ok {
        return Check::fail(
            name,
            format!(
                "{what}: answered {}; expected item 0, item 1 (in any order in unordered \
                 mode), end: a body returns its task index, which the consumer reports as \
                 `item` (specs/protocol.md §4.1, §4.3)",
                describe_answers(&answers)
            ),
        );
    }
    if ended(&recorder) < tasks.len() {
        return Check::fail(
            name,
            format!(
                "{what}: the answers were right but not every task reported `task_started` and \
                 `task_ended` with `returned` within {} (events: {}): report each body's start \
                 and end, stamped where it runs (specs/protocol.md §4.3)",
                Ms(bound),
                event_names(&recorder)
            ),
        );
    }
    Check::pass(
        name,
        format!("{what}: items and the end, both tasks started and returned"),
    )
}

fn ended(recorder: &Recorder) -> usize {
    recorder
        .events()
        .iter()
        .filter(|s| {
            matches!(
                s.event,
                Event::TaskEnded {
                    end: TaskEnd::Returned,
                    ..
                }
            )
        })
        .count()
}

fn event_names(recorder: &Recorder) -> String {
    let names: Vec<String> = recorder
        .events()
        .iter()
        .map(|s| match &s.event {
            Event::Answered(a) => format!("answered {}", describe_answers(std::slice::from_ref(a))),
            Event::TaskStarted { task } => format!("task_started {task}"),
            Event::TaskEnded { task, end } => format!("task_ended {task} {end:?}"),
            other => format!("{other:?}"),
        })
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

fn describe_answers(answers: &[Answer]) -> String {
    let described: Vec<String> = answers
        .iter()
        .map(|a| match a {
            Answer::Item { task } => format!("item {task}"),
            Answer::TimedOut { task } => format!("timed_out {task}"),
            Answer::Timeout => "timeout".into(),
            Answer::TaskFailed { task } => format!("task_failed {task}"),
            Answer::ExecutorError { message } => format!("executor_error `{message}`"),
            Answer::End => "end".into(),
        })
        .collect();
    if described.is_empty() {
        "nothing".into()
    } else {
        described.join(", ")
    }
}

fn release_check(process: &Process, bound: Duration) -> Check {
    if process.release(bound) {
        Check::pass("release", "answered `released`")
    } else {
        Check::fail(
            "release",
            format!(
                "no `released` within {} of `{{\"type\":\"release\"}}`{}: free every hung body \
                 and answer `{{\"type\":\"released\",\"at_ns\":…}}` (specs/protocol.md §3, §4.3){}",
                Ms(bound),
                process
                    .failure()
                    .map(|f| format!(" ({f})"))
                    .unwrap_or_default(),
                process.stderr_tail()
            ),
        )
    }
}

fn eof_check(process: &Process, bound: Duration) -> Check {
    let closed = Instant::now();
    process.close_stdin();
    match process.wait_exit(bound) {
        Some((status, _)) => Check::pass(
            "exit on stdin EOF",
            format!(
                "exited ({status}) {} after its stdin closed",
                Ms(closed.elapsed())
            ),
        ),
        None => Check::fail(
            "exit on stdin EOF",
            format!(
                "still running {} after its stdin closed: on stdin EOF an adapter shuts its \
                 executor down and exits (specs/protocol.md §8){}",
                Ms(bound),
                process.stderr_tail()
            ),
        ),
    }
}

/// A fresh adapter, handshaken, sent `line`: it must report an error and exit non-zero.
fn strict_check(
    argv: &[String],
    options: &ProcessOptions,
    name: &str,
    line: &str,
    bound: Duration,
) -> Check {
    let session = match Session::start(argv, options, 0) {
        Ok(session) => session,
        Err(e) => return Check::fail(name, format!("a second start failed: {e}")),
    };
    let process = session.process();
    if let Err(e) = process.send_line(line) {
        let _ = session.teardown();
        return Check::fail(name, format!("cannot send `{line}`: {e}"));
    }
    let exit = process.wait_exit(bound);
    let reported = process
        .failure()
        .and_then(|f| {
            let (_, said) = f.split_once("the adapter reports: ")?;
            let said = said.split("; its last stderr lines").next().unwrap_or(said);
            Some(said.lines().next().unwrap_or_default().to_string())
        })
        .map(|said| format!("; it reported `{said}`"))
        .unwrap_or_else(|| "; it sent no `error` line (it should: the harness quotes it)".into());
    let fix = "an adapter MUST NOT guess at a line it does not understand: it reports an `error` \
               without `call`, naming the line, and exits with a non-zero status \
               (specs/protocol.md §2, §8)";
    let check = match exit {
        None => Check::fail(
            name,
            format!(
                "still running {} after `{line}`{reported}: {fix}{}",
                Ms(bound),
                process.stderr_tail()
            ),
        ),
        Some((_, Some(0))) => Check::fail(
            name,
            format!("exited with status 0 after `{line}`{reported}: {fix}"),
        ),
        Some((status, _)) => {
            Check::pass(name, format!("exited ({status}) after `{line}`{reported}"))
        }
    };
    let _ = session.teardown();
    check
}

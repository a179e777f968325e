//! The protocol's messages as they travel: one JSON object per line, each with a `type`
//! (`specs/protocol.md` §3). Parsing is strict: an unknown type or field is an error, so an
//! adapter written against another revision of the protocol fails loudly instead of being
//! half understood.

use overtime_harness::serde_millis::opt_duration;
use overtime_harness::{Answer, CallParams, Consumer, Contract, Mode, TaskEnd, TaskSpec};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// The protocol version this harness speaks (`"protocol"` in both hellos).
pub const PROTOCOL_VERSION: u32 = 2;

/// What a version-1 adapter lacks, for the message that asks for an update.
pub const CHANGES_SINCE_1: &str = "version 2 added the `raise_timeout` task kind, the `killed` \
     task end, the contract's `error_order` and `deadline_anchor` and the hello's `per_mode` \
     contracts (specs/protocol.md §9)";

/// The message for an adapter hello in protocol `version` (none given: `None`).
pub fn version_mismatch(version: Option<u64>) -> String {
    let changes = if version == Some(1) {
        format!("; {CHANGES_SINCE_1}")
    } else {
        String::new()
    };
    format!(
        "the adapter speaks protocol {}; this overtime speaks protocol {PROTOCOL_VERSION}{changes}: \
         update the adapter (specs/protocol.md)",
        version.map_or("(none given)".to_string(), |v| v.to_string())
    )
}

/// The longest line an adapter may send, without its newline. A call's events are short; a
/// longer line is a runaway adapter, and reading it whole would cost unbounded memory.
pub const MAX_LINE: usize = 64 * 1024;

/// What the harness sends on the adapter's stdin.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToAdapter<'a> {
    /// Opens the session. The adapter starts `warm_up_n_jobs` workers (if it keeps workers
    /// between calls) before answering, so that start-up is not timed.
    Hello {
        protocol: u32,
        warm_up_n_jobs: usize,
    },
    /// Asks for the adapter's monotonic clock, to align it with the harness's.
    Clock { seq: u64 },
    /// One call, to run and consume as `consumer` says.
    Call {
        call: u64,
        tasks: &'a [TaskSpec],
        n_jobs: usize,
        #[serde(with = "opt_duration")]
        timeout_ms: Option<Duration>,
        mode: Mode,
        consumer: &'a Consumer,
    },
    /// Teardown: open the gate of every hung task, for good.
    Release,
}

impl<'a> ToAdapter<'a> {
    /// Call `id` of `params` over `tasks`, to consume as `consumer` says.
    pub fn call(
        id: u64,
        params: CallParams,
        tasks: &'a [TaskSpec],
        consumer: &'a Consumer,
    ) -> ToAdapter<'a> {
        ToAdapter::Call {
            call: id,
            tasks,
            n_jobs: params.n_jobs,
            timeout_ms: params.timeout,
            mode: params.mode,
            consumer,
        }
    }
}

/// Who the executor is, from the adapter's hello.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecutorInfo {
    /// The library (`joblib`, `concurrent.futures`).
    pub name: String,
    /// Its version, as the library reports it.
    pub version: String,
    /// The flavour under test (`loky`, `threads`), if the library has several.
    #[serde(default)]
    pub variant: Option<String>,
}

impl ExecutorInfo {
    /// The profile name reports show: `name-version[-variant]`.
    pub fn profile_name(&self) -> String {
        match &self.variant {
            Some(v) => format!("{}-{}-{v}", self.name, self.version),
            None => format!("{}-{}", self.name, self.version),
        }
    }
}

/// A mode the adapter cannot run, and why.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unsupported {
    pub mode: Mode,
    pub reason: String,
}

/// What the adapter sends on its stdout.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromAdapter {
    Hello {
        protocol: u32,
        executor: ExecutorInfo,
        modes: Vec<Mode>,
        #[serde(default)]
        unsupported: Vec<Unsupported>,
        contract: Contract,
        /// A contract of its own for a mode whose API keeps another promise.
        #[serde(default)]
        per_mode: BTreeMap<Mode, Contract>,
    },
    Clock {
        seq: u64,
        now_ns: u64,
    },
    CallMade {
        call: u64,
        at_ns: u64,
    },
    CallReturned {
        call: u64,
        at_ns: u64,
    },
    /// A task body began. With `worker`, `at_ns` is on that worker's clock (§5.1).
    TaskStarted {
        call: u64,
        at_ns: u64,
        task: usize,
        #[serde(default)]
        worker: Option<String>,
    },
    /// A task body ended. With `worker`, `at_ns` is on that worker's clock (§5.1).
    TaskEnded {
        call: u64,
        at_ns: u64,
        task: usize,
        end: TaskEnd,
        #[serde(default)]
        worker: Option<String>,
    },
    /// The offset of a worker's clock against the adapter's (`worker − adapter`, at the same
    /// instant) and the uncertainty of that estimate (half the round trip that measured it).
    /// Sent before the first stamp on that worker's clock; sent again, it applies to the
    /// stamps that follow (§5.1). Signed on the wire, so that a negative uncertainty is
    /// refused with its own message rather than as a type error.
    WorkerClock {
        worker: String,
        offset_ns: i64,
        uncertainty_ns: i64,
    },
    NextAsked {
        call: u64,
        at_ns: u64,
    },
    Answered {
        call: u64,
        at_ns: u64,
        answer: WireAnswer,
    },
    DropBegun {
        call: u64,
        at_ns: u64,
    },
    DropReturned {
        call: u64,
        at_ns: u64,
    },
    /// The adapter's consumer is finished with the call.
    Done {
        call: u64,
        at_ns: u64,
    },
    /// The adapter's own failure, for one call or (without `call`) for the session.
    Error {
        #[serde(default)]
        call: Option<u64>,
        message: String,
    },
    /// The release at teardown is done.
    Released {
        at_ns: u64,
    },
}

/// An answer on the wire (`"answer": {"kind": ...}`); the trace's [`Answer`] once checked.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum WireAnswer {
    Item { task: usize },
    TimedOut { task: usize },
    Timeout,
    TaskFailed { task: usize },
    ExecutorError { message: String },
    End,
}

impl WireAnswer {
    /// The task the answer names, if any.
    pub fn task(&self) -> Option<usize> {
        match *self {
            WireAnswer::Item { task }
            | WireAnswer::TimedOut { task }
            | WireAnswer::TaskFailed { task } => Some(task),
            _ => None,
        }
    }

    pub fn into_answer(self) -> Answer {
        match self {
            WireAnswer::Item { task } => Answer::Item { task },
            WireAnswer::TimedOut { task } => Answer::TimedOut { task },
            WireAnswer::Timeout => Answer::Timeout,
            WireAnswer::TaskFailed { task } => Answer::TaskFailed { task },
            WireAnswer::ExecutorError { message } => Answer::ExecutorError { message },
            WireAnswer::End => Answer::End,
        }
    }
}

/// Parses one line. A hello in another protocol version is reported as such, not as the
/// unknown fields it may well have.
pub fn parse(line: &str) -> Result<FromAdapter, String> {
    match serde_json::from_str::<FromAdapter>(line) {
        Ok(message) => Ok(message),
        Err(strict) => {
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(line) {
                if value.get("type").and_then(|t| t.as_str()) == Some("hello") {
                    let version = value.get("protocol").and_then(|p| p.as_u64());
                    if version != Some(u64::from(PROTOCOL_VERSION)) {
                        return Err(version_mismatch(version));
                    }
                }
                return Err(format!(
                    "not a protocol message ({strict}); see specs/protocol.md §3"
                ));
            }
            Err(format!("not valid JSON ({strict})"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_line_parses_into_its_message() {
        let m = parse(
            r#"{"type":"answered","call":3,"at_ns":17,"answer":{"kind":"task_failed","task":1}}"#,
        );
        assert_eq!(
            m,
            Ok(FromAdapter::Answered {
                call: 3,
                at_ns: 17,
                answer: WireAnswer::TaskFailed { task: 1 }
            })
        );
    }

    #[test]
    fn unknown_fields_and_types_are_refused() {
        let extra = parse(r#"{"type":"done","call":1,"at_ns":5,"colour":"red"}"#);
        assert!(extra.is_err_and(|e| e.contains("colour")));
        let unknown = parse(r#"{"type":"finished","call":1}"#);
        assert!(unknown.is_err_and(|e| e.contains("finished")));
    }

    #[test]
    fn a_hello_in_another_version_names_both_versions() {
        let e = parse(r#"{"type":"hello","protocol":3,"whatever":true}"#).unwrap_err();
        assert!(e.contains("protocol 3") && e.contains("protocol 2"), "{e}");
        // A version-1 adapter is told what changed.
        let e = parse(r#"{"type":"hello","protocol":1,"whatever":true}"#).unwrap_err();
        assert!(
            e.contains("protocol 1") && e.contains("raise_timeout"),
            "{e}"
        );
    }

    #[test]
    fn a_hello_may_declare_a_contract_per_mode_and_every_new_dimension() {
        let m = parse(
            r#"{"type":"hello","protocol":2,"executor":{"name":"x","version":"1"},"modes":["list","unordered"],
               "contract":{"clock":"overall","on_timeout":"abort","error_order":"input_order"},
               "per_mode":{"unordered":{"clock":"overall","on_timeout":"abort","deadline_anchor":"first_pull"}}}"#,
        );
        let Ok(FromAdapter::Hello {
            contract, per_mode, ..
        }) = m
        else {
            panic!("{m:?}");
        };
        assert_eq!(
            contract.error_order,
            overtime_harness::ErrorOrder::InputOrder
        );
        assert!(
            !contract.cancels_running,
            "cancels_running defaults to false"
        );
        assert_eq!(
            per_mode.get(&Mode::Unordered).map(|c| c.deadline_anchor),
            Some(overtime_harness::DeadlineAnchor::FirstPull)
        );
        // A misspelt dimension is an error, not a silent default.
        let e = parse(
            r#"{"type":"hello","protocol":2,"executor":{"name":"x","version":"1"},"modes":["list"],
               "contract":{"clock":"overall","on_timeout":"abort","error_ordr":"input_order"}}"#,
        )
        .unwrap_err();
        assert!(e.contains("error_ordr"), "{e}");
    }

    #[test]
    fn task_events_may_name_the_worker_whose_clock_stamped_them() {
        let m = parse(r#"{"type":"task_started","call":1,"at_ns":5,"task":0,"worker":"w1"}"#);
        assert!(
            matches!(&m, Ok(FromAdapter::TaskStarted { worker: Some(w), .. }) if w == "w1"),
            "{m:?}"
        );
        // Without it, the stamp is on the adapter's clock, as in every adapter before.
        let m = parse(r#"{"type":"task_ended","call":1,"at_ns":5,"task":0,"end":"returned"}"#);
        assert!(
            matches!(m, Ok(FromAdapter::TaskEnded { worker: None, .. })),
            "{m:?}"
        );
        let m = parse(
            r#"{"type":"worker_clock","worker":"w1","offset_ns":-35000000,"uncertainty_ns":40000}"#,
        );
        assert_eq!(
            m,
            Ok(FromAdapter::WorkerClock {
                worker: "w1".into(),
                offset_ns: -35_000_000,
                uncertainty_ns: 40_000
            })
        );
        let e = parse(r#"{"type":"worker_clock","worker":"w1","offset_ns":0}"#).unwrap_err();
        assert!(e.contains("uncertainty_ns"), "{e}");
    }

    #[test]
    fn a_killed_task_end_parses() {
        let m = parse(r#"{"type":"task_ended","call":1,"at_ns":5,"task":0,"end":"killed"}"#);
        assert!(
            matches!(
                m,
                Ok(FromAdapter::TaskEnded {
                    end: TaskEnd::Killed,
                    ..
                })
            ),
            "{m:?}"
        );
    }

    #[test]
    fn the_call_serializes_tasks_as_task_spec_does() {
        let tasks = [
            TaskSpec::Hang,
            TaskSpec::Sleep {
                ms: Duration::from_millis(5),
            },
        ];
        let consumer = Consumer::default();
        let params = CallParams {
            n_tasks: tasks.len(),
            n_jobs: 2,
            timeout: Some(Duration::from_millis(100)),
            mode: Mode::Unordered,
        };
        let line = serde_json::to_string(&ToAdapter::call(1, params, &tasks, &consumer))
            .unwrap_or_default();
        assert!(line.starts_with(r#"{"type":"call","call":1,"tasks":[{"kind":"hang"},{"kind":"sleep","ms":5.0}],"n_jobs":2,"timeout_ms":100.0,"mode":"unordered","consumer":{"#), "{line}");
    }
}

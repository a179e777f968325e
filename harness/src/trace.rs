//! The trace: the recorded history of one call on one monotonic clock.
//!
//! Running a call produces a trace; properties judge traces (spec §3). Stamps are nanoseconds
//! since the trace's origin, taken on the harness's clock (or on virtual time, for the
//! simulated driver), so a trace is plain data: it serializes, snapshots and diffs.

use crate::call::{CallParams, Consumer, TaskSpec};
use crate::model::Contract;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An instant on the trace's clock: nanoseconds since its origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Stamp(pub u64);

impl Stamp {
    pub const ZERO: Stamp = Stamp(0);

    pub fn from_duration(d: Duration) -> Stamp {
        Stamp(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }

    pub fn plus(self, d: Duration) -> Stamp {
        Stamp(self.0.saturating_add(Stamp::from_duration(d).0))
    }

    pub fn minus(self, d: Duration) -> Stamp {
        Stamp(self.0.saturating_sub(Stamp::from_duration(d).0))
    }

    /// `self - earlier`, or zero when `earlier` is later.
    pub fn since(self, earlier: Stamp) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

/// Milliseconds, as reports print them: `3.1 ms`, `200 ms`, `0.093 ms`.
pub struct Ms(pub Duration);

impl fmt::Display for Ms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_secs_f64() * 1e3;
        let text = if ms >= 1000.0 {
            return write!(f, "{:.2} s", ms / 1e3);
        } else if ms >= 10.0 {
            format!("{ms:.1}")
        } else {
            format!("{ms:.3}")
        };
        let text = text.trim_end_matches('0').trim_end_matches('.');
        write!(f, "{text} ms")
    }
}

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ms(Duration::from_nanos(self.0)).fmt(f)
    }
}

/// How a task's body ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskEnd {
    Returned,
    Failed,
    /// A cooperative task that saw its stop request, or an async body cancelled by dropping it.
    Stopped,
    /// A hung task released by the harness at teardown.
    Released,
    /// A `kill_worker` task killed the worker running it (stamped just before it did).
    Died,
    /// The process running the task died while it ran (an executor that stops a task by
    /// killing its worker): it ended, without completing, at the instant the death was seen.
    Killed,
}

impl TaskEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskEnd::Returned => "returned",
            TaskEnd::Failed => "failed",
            TaskEnd::Stopped => "stopped",
            TaskEnd::Released => "released",
            TaskEnd::Died => "died",
            TaskEnd::Killed => "killed",
        }
    }
}

/// What the consumer received from one pull (or, in List mode, from the call).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Answer {
    /// A task's result.
    Item { task: usize },
    /// A task's timed-out marker (`OnTimeout::PerTask`).
    TimedOut { task: usize },
    /// The timeout error (`OnTimeout::Abort`).
    Timeout,
    /// A task's failure, naming the task.
    TaskFailed { task: usize },
    /// The executor's own failure.
    ExecutorError { message: String },
    /// The stream ended.
    End,
}

impl Answer {
    /// True when the answer ends the iteration.
    pub fn is_terminal(&self) -> bool {
        !matches!(self, Answer::Item { .. } | Answer::TimedOut { .. })
    }
}

/// One thing that happened during a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The harness handed the call to an executor whose consumer runs elsewhere (an adapter
    /// process), which reports the call's own events. When no `CallMade` follows, this is the
    /// call instant: the executor side never reported making the call.
    CallSent,
    /// The consumer made the call.
    CallMade,
    /// The executor's `run` returned (in List mode, with the whole answer).
    CallReturned,
    TaskStarted {
        task: usize,
    },
    TaskEnded {
        task: usize,
        end: TaskEnd,
    },
    /// The consumer asked for its next item (lazy modes).
    NextAsked,
    /// The consumer received an answer: from a pull, or (List mode) from the call.
    Answered(Answer),
    DropBegun,
    DropReturned,
    /// The harness's watchdog ended the case: whatever was awaited never came.
    WatchdogFired,
}

/// An event with the instant it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamped {
    pub at: Stamp,
    #[serde(flatten)]
    pub event: Event,
    /// How far `at` may be from the true instant relative to the trace's other stamps: zero on
    /// the trace's own clock; for a stamp taken on a remote worker's clock and translated, the
    /// uncertainty of that worker's clock offset (`specs/protocol.md` §5.1). The checker widens
    /// ε by it ([`crate::properties`]).
    #[serde(
        default,
        rename = "uncertainty_ns",
        with = "nanos",
        skip_serializing_if = "Duration::is_zero"
    )]
    pub uncertainty: Duration,
}

impl Stamped {
    /// `event` at `at`, on the trace's own clock (no uncertainty).
    pub fn new(at: Stamp, event: Event) -> Stamped {
        Stamped {
            at,
            event,
            uncertainty: Duration::ZERO,
        }
    }
}

/// A duration as whole nanoseconds, as stamps are written.
mod nanos {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_nanos)
    }
}

/// The recorded history of one call, with everything needed to judge it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    pub call: CallParams,
    pub contract: Contract,
    pub tasks: Vec<TaskSpec>,
    pub consumer: Consumer,
    pub events: Vec<Stamped>,
    /// The executor's next call, made right after this one (judged by `P11 reusable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<Box<Trace>>,
}

/// Records events on one monotonic clock. Cheap to clone; every clone writes the same trace.
#[derive(Clone)]
pub struct Recorder {
    inner: Arc<RecorderInner>,
}

struct RecorderInner {
    origin: Instant,
    /// The time since the origin, when it is not the monotonic clock's.
    elapsed: Option<Elapsed>,
    events: Mutex<Vec<Stamped>>,
    sealed: Mutex<bool>,
    /// The worst lateness the harness's own threads noted while recording (nanoseconds).
    harness_late_ns: AtomicU64,
}

/// An injected clock: the time since the trace's origin.
type Elapsed = Box<dyn Fn() -> Duration + Send + Sync>;

impl Recorder {
    /// A recorder whose clock starts now.
    pub fn new() -> Recorder {
        Recorder::with_inner(None)
    }

    /// A recorder whose stamps come from `elapsed`, the time since the trace's origin on a
    /// clock of the caller's (virtual time, such as tokio's paused clock), instead of the
    /// monotonic clock. [`Recorder::origin`] and [`Recorder::stamp_of`] still speak of real
    /// instants; use [`Recorder::record_at`] for stamps taken elsewhere on the injected clock.
    pub fn with_clock(elapsed: impl Fn() -> Duration + Send + Sync + 'static) -> Recorder {
        Recorder::with_inner(Some(Box::new(elapsed)))
    }

    fn with_inner(elapsed: Option<Elapsed>) -> Recorder {
        Recorder {
            inner: Arc::new(RecorderInner {
                origin: Instant::now(),
                elapsed,
                events: Mutex::new(Vec::with_capacity(256)),
                sealed: Mutex::new(false),
                harness_late_ns: AtomicU64::new(0),
            }),
        }
    }

    /// The real instant the recorder was made (its origin, unless its clock is injected).
    pub fn origin(&self) -> Instant {
        self.inner.origin
    }

    /// The current instant on this recorder's clock.
    pub fn now(&self) -> Stamp {
        let elapsed = match &self.inner.elapsed {
            Some(elapsed) => elapsed(),
            None => self.inner.origin.elapsed(),
        };
        Stamp::from_duration(elapsed)
    }

    /// The stamp of a real instant on this recorder's clock.
    pub fn stamp_of(&self, at: Instant) -> Stamp {
        Stamp::from_duration(at.saturating_duration_since(self.inner.origin))
    }

    /// Stamps `event` now and appends it. After [`Recorder::seal`] it is dropped: the case is
    /// over and what a released task does at teardown is not part of it.
    pub fn record(&self, event: Event) -> Stamp {
        let mut events = self.inner.events.lock().unwrap_or_else(|e| e.into_inner());
        let at = self.now();
        if !*self.inner.sealed.lock().unwrap_or_else(|e| e.into_inner()) {
            events.push(Stamped::new(at, event));
        }
        at
    }

    /// Appends an event with a stamp taken elsewhere (an external adapter, virtual time).
    pub fn record_at(&self, at: Stamp, event: Event) {
        self.record_within(at, Duration::ZERO, event);
    }

    /// Appends an event with a stamp taken on another clock and translated onto this one,
    /// within `uncertainty` of the true instant (a remote worker's clock, `specs/protocol.md`
    /// §5.1).
    pub fn record_within(&self, at: Stamp, uncertainty: Duration, event: Event) {
        let mut events = self.inner.events.lock().unwrap_or_else(|e| e.into_inner());
        if !*self.inner.sealed.lock().unwrap_or_else(|e| e.into_inner()) {
            events.push(Stamped {
                at,
                event,
                uncertainty,
            });
        }
    }

    /// Notes that one of the harness's own threads woke `late` (a threaded task body whose
    /// sleep overshot: no executor can stretch a body already running on its thread, so that is
    /// the machine's lateness). The runner excuses a `P15 progress` failure on a run where this
    /// exceeded ε/2.
    pub fn note_harness_lateness(&self, late: Duration) {
        let ns = u64::try_from(late.as_nanos()).unwrap_or(u64::MAX);
        self.inner.harness_late_ns.fetch_max(ns, Ordering::Relaxed);
    }

    /// The worst lateness noted with [`Recorder::note_harness_lateness`].
    pub fn harness_lateness(&self) -> Duration {
        Duration::from_nanos(self.inner.harness_late_ns.load(Ordering::Relaxed))
    }

    /// Ends recording; later events are ignored.
    pub fn seal(&self) {
        let _events = self.inner.events.lock().unwrap_or_else(|e| e.into_inner());
        *self.inner.sealed.lock().unwrap_or_else(|e| e.into_inner()) = true;
    }

    /// The events so far, in stamp order.
    pub fn events(&self) -> Vec<Stamped> {
        let mut events = self
            .inner
            .events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        events.sort_by_key(|e| e.at);
        events
    }
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}

"""Task bodies: the harness's task kinds, run where the executor runs them, reporting their own
start and end (`specs/protocol.md` §4.3), and what a consumer's catch means as an answer.

Everything here pickles: bodies run in threads, forked workers or processes started by exec.
"""

import collections
import concurrent.futures
import json
import multiprocessing
import os
import socket
import time

class TaskFailed(Exception):
    """A `fail` task's own failure. Carries the task index across processes (it pickles)."""

    def __init__(self, task):
        super().__init__(task)
        self.task = task

    def __str__(self):
        return f"task {self.task} failed as its spec says"


class TaskRaisedTimeout(TimeoutError):
    """A `raise_timeout` task's own failure: the language's timeout error, raised by the task.

    It *is* a `TimeoutError` (an executor that catches `TimeoutError` around a task's result
    catches it too, which is what the task kind tests); the adapter tells it from the
    executor's own timeout by its type and reports it as the task's failure.
    """

    def __init__(self, task):
        super().__init__(task)
        self.task = task

    def __str__(self):
        return f"task {self.task} raised TimeoutError as its spec says"


class TaskReleased(Exception):
    """A hung task freed by the release at teardown; nobody is listening any more."""

    def __init__(self, task):
        super().__init__(task)
        self.task = task


class WorkerDeath(BaseException):
    """A `kill_worker` task run in the adapter's own process (a thread pool): the thread's
    unwinding stands for its death, since the adapter's process must live on."""

    def __init__(self, task):
        super().__init__(task)
        self.task = task

    def __str__(self):
        return f"task {self.task} killed its worker"


class TaskEnv:
    """What a task body needs to report and to wait: plain values, so it pickles anywhere."""

    def __init__(self, call, events_address, gate_address, adapter_pid):
        self.call = call
        self.events_address = events_address
        self.gate_address = gate_address
        self.adapter_pid = adapter_pid


# One datagram socket per process that runs task bodies (re-created after a fork).
_sender = None
_sender_pid = None


def _report(env, message):
    """Sends one event from a task body to the adapter. Losing it after teardown is fine."""
    global _sender, _sender_pid
    try:
        if _sender is None or _sender_pid != os.getpid():
            _sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            _sender_pid = os.getpid()
        _sender.sendto(json.dumps(message).encode(), env.events_address)
    except OSError:
        # The adapter released the case and removed its socket: the trace is sealed.
        pass


def _wait_gate(address):
    """Blocks until the adapter closes the gate connection (the release, or its death)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as gate:
            gate.connect(address)
            while gate.recv(64):
                pass
    except OSError:
        # Refused: the gate is already released.
        pass


def _own_clock():
    return {"at_ns": time.monotonic_ns()}


# What stamps a task body's event; see `stamp_bodies_with`.
_body_stamp = _own_clock


def stamp_bodies_with(stamp):
    """Makes `stamp()` stamp every task body's events from now on (in this process, and in
    worker processes forked after the call). By default a body stamps with the adapter's
    monotonic clock, `{"at_ns": ...}`. An adapter whose bodies run on clocks of their own
    (workers on other hosts) gives a function returning the worker's clock reading and its
    name, `{"at_ns": ..., "worker": name}`, having reported that worker's offset first with
    `Server.worker_clock` (specs/protocol.md §5.1; `shifted_clock_adapter.py` does both).
    `None` restores the default."""
    global _body_stamp
    _body_stamp = _own_clock if stamp is None else stamp


ENDS = ("returned", "failed", "stopped", "released", "died")


def report_started(job):
    """Reports that `job`'s task began, stamped now, where the body runs (any process): the
    first thing a custom task body does (`specs/protocol.md` §4.3). `run_job` does it for the
    harness's own bodies; write a body of your own (a coroutine, a body that kills its worker
    its own way) on `report_started`, `report_ended` and `wait_for_release`."""
    _report(job.env, {"type": "task_started", "call": job.env.call, "task": job.task,
                      **_body_stamp(), "pid": os.getpid()})


def report_ended(job, end):
    """Reports that `job`'s task ended, stamped now: `end` is `returned`, `failed` (a `fail` or
    `raise_timeout` task), `stopped` (it honoured a stop request), `released` (a `hang` freed by
    the release) or `died` (a `kill_worker` task, just before it kills its worker). A task
    whose worker the executor kills is reported `killed` by the kit itself."""
    if end not in ENDS:
        raise ValueError(f"unknown task end {end!r}: expected one of {', '.join(ENDS)}")
    _report(job.env, {"type": "task_ended", "call": job.env.call, "task": job.task,
                      "end": end, **_body_stamp(), "pid": os.getpid()})


def wait_for_release(job):
    """Blocks until the harness releases hung tasks (at teardown): a `hang` body's wait."""
    _wait_gate(job.env.gate_address)


def task_error(job):
    """The exception a task's failure raises: `TaskRaisedTimeout` for `raise_timeout` (a
    `TimeoutError`), `TaskFailed` for `fail`, `TaskReleased` for a released `hang`."""
    kind = job.spec["kind"]
    if kind == "raise_timeout":
        return TaskRaisedTimeout(job.task)
    if kind in ("hang", "cooperative_hang"):
        return TaskReleased(job.task)
    return TaskFailed(job.task)


def kill_worker(job):
    """Ends a `kill_worker` task: reports it `died`, then kills the process it runs in (a
    worker process exits at once, as a crash would) — or, run in the adapter's own process
    (a thread pool), raises `WorkerDeath`, since the adapter must live on."""
    report_ended(job, "died")
    if os.getpid() != job.env.adapter_pid:
        os._exit(70)
    raise WorkerDeath(job.task)


def run_task(env, task, spec, on_started=None):
    """The harness's instrumented body for one task; returns the task index as its result.

    `cooperative_*` tasks poll a stop request in the harness; neither joblib nor
    concurrent.futures can ask a running task to stop, so here they run as `sleep` / `hang`.
    `on_started`, if given, is called once the start is reported (a pool that waits for its
    worker to pick the task up).
    """
    job = Job(env, task, spec)
    report_started(job)
    if on_started is not None:
        on_started()
    kind = spec["kind"]
    if kind in ("sleep", "cooperative_sleep"):
        time.sleep(spec["ms"] / 1e3)
        end = "returned"
    elif kind == "spin":
        until = time.monotonic() + spec["ms"] / 1e3
        while time.monotonic() < until:
            pass
        end = "returned"
    elif kind in ("fail", "raise_timeout"):
        time.sleep(spec["ms"] / 1e3)
        end = "failed"
    elif kind in ("hang", "cooperative_hang"):
        wait_for_release(job)
        end = "released"
    elif kind == "kill_worker":
        time.sleep(spec["ms"] / 1e3)
        kill_worker(job)
    else:
        raise ValueError(f"unknown task kind {kind!r}")
    report_ended(job, end)
    if end != "returned":
        raise task_error(job)
    return task


def warm_task(ms):
    """The warm-up's body: imports this module in every worker and keeps it busy a moment."""
    time.sleep(ms / 1e3)
    return ms


TIMEOUT_ERRORS = (TimeoutError, concurrent.futures.TimeoutError, multiprocessing.TimeoutError)


def is_executor_timeout(error):
    """True if `error` is an executor's timeout, False for anything else — a task's own
    `TimeoutError` (`raise_timeout`: `TaskRaisedTimeout`) included. Test it before turning an
    executor's `TimeoutError` into `TimedOut` markers:

        except TimeoutError as e:
            if not ot.is_executor_timeout(e):
                raise               # the task's own failure: the consumer names the task
            yield ot.TimedOut(job.task)
    """
    return isinstance(error, TIMEOUT_ERRORS) and not isinstance(error, TaskRaisedTimeout)


def answer_of_exception(error):
    """The protocol answer for what the consumer caught: a task's own failure (its
    `TimeoutError` included) names the task; any other timeout error is the executor's."""
    if isinstance(error, (TaskFailed, TaskRaisedTimeout, WorkerDeath)):
        return {"kind": "task_failed", "task": error.task}
    if is_executor_timeout(error):
        return {"kind": "timeout"}
    return {"kind": "executor_error",
            "message": f"{type(error).__module__}.{type(error).__qualname__}: {error}"}


Job = collections.namedtuple("Job", "env task spec")
Job.__doc__ = """One task of a call, as its body needs it: `run_job(job)` runs it. A plain tuple
(`run_task(*job)` works too), so it pickles to any worker."""


def run_job(job):
    """Runs one task of a call (a `Job`) and returns its index: the function to hand to an
    executor's `map`, `submit` or `imap` over `call.jobs`."""
    return run_task(job.env, job.task, job.spec)


class TimedOut:
    """What an executor yields *instead of a result* for a task that timed out (rather than
    raising): return or yield `TimedOut(task)` and the consumer answers
    `{"kind": "timed_out", "task": task}`."""

    __slots__ = ("task",)

    def __init__(self, task):
        self.task = task

    def __eq__(self, other):
        return isinstance(other, TimedOut) and other.task == self.task

    def __hash__(self):
        return hash(("TimedOut", self.task))

    def __repr__(self):
        return f"TimedOut({self.task})"


def answer_of_value(value):
    """The protocol answer for what the consumer received: a task's result is its index
    (`run_task` returns it), a `TimedOut` marker names its task; anything else is no task's
    result, so it is the executor's error."""
    if isinstance(value, TimedOut):
        return {"kind": "timed_out", "task": value.task}
    if isinstance(value, int) and not isinstance(value, bool):
        return {"kind": "item", "task": value}
    return {"kind": "executor_error",
            "message": f"the executor returned {value!r}, which is no task's result"}

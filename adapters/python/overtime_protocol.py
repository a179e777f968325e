"""The adapter side of overtime's process protocol (`specs/protocol.md`), shared by the adapters.

An adapter wraps one executor. It answers the harness's handshake with the executor's profile,
runs every call it is sent with the harness's task bodies and its *own* consumer (the consumer
has to live where the executor's iterator lives), and reports every event as one JSON line on
stdout, stamped with `time.monotonic_ns()`.

Task bodies may run in other processes (loky, multiprocessing, ProcessPoolExecutor). They
report their start and end through a Unix datagram socket that the adapter relays to stdout,
and a task that hangs connects to the adapter's *gate*, a Unix stream socket, and waits for the
connection to close: the adapter closes every one (and stops accepting) when the harness sends
`release` at teardown, or when it dies. Both sockets are reachable by address from any process;
on Linux they live in the abstract namespace, so a killed adapter leaves no file behind.

Killed tasks: a body reports the id of the process it runs in. The adapter watches every other
process that is running a task (a Linux pidfd, readable once the process has exited); when one
dies with tasks still running in it — an executor that stops a task by killing its worker —
the adapter reports those tasks' `task_ended` with `end: "killed"`, stamped when it saw the
death. Datagrams already sent by the dead process are relayed first, so a task that ended just
before its worker exited is never reported killed. `Adapter(executor, report_killed=False)`
turns this off (the adapter then reports what protocol version 1 could: nothing).

An adapter supplies an object with four methods (see `joblib_adapter.py`):

- `profile()`: the `executor`, `modes`, `unsupported` and `contract` fields of the hello;
- `warm_up(n_jobs)`: start the workers before the first call, so start-up is not timed;
- `start(call, jobs)`: make the call; return the list (List mode) or an iterator;
- `close(iterator)`: drop an unfinished (or finished) iteration;

and optionally a fifth:

- `shutdown()`: shut the executor down cleanly (its workers exit, its semaphores and
  temporary folders are removed). Called once, when the harness closes stdin after the
  release; the adapter then exits normally, so `atexit` handlers run too. The harness allows
  a bounded grace for this (`specs/protocol.md` §8) before SIGTERM, then SIGKILL.
"""

import json
import os
import select
import shutil
import socket
import sys
import tempfile
import threading
import time
import traceback
import multiprocessing
import concurrent.futures

PROTOCOL = 2
# The longest line either side may send, newline excluded (the harness enforces it too).
MAX_LINE = 65536


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


def run_task(env, task, spec, on_started=None):
    """The harness's instrumented body for one task; returns the task index as its result.

    `cooperative_*` tasks poll a stop request in the harness; neither joblib nor
    concurrent.futures can ask a running task to stop, so here they run as `sleep` / `hang`.
    `on_started`, if given, is called once the start is reported (a pool that waits for its
    worker to pick the task up).
    """
    pid = os.getpid()
    _report(env, {"type": "task_started", "call": env.call, "task": task,
                  "at_ns": time.monotonic_ns(), "pid": pid})
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
        _wait_gate(env.gate_address)
        end = "released"
    elif kind == "kill_worker":
        time.sleep(spec["ms"] / 1e3)
        _report(env, {"type": "task_ended", "call": env.call, "task": task, "end": "died",
                      "at_ns": time.monotonic_ns()})
        if os.getpid() != env.adapter_pid:
            # A worker process: exit abruptly, as a crash would (no cleanup, no result).
            os._exit(70)
        raise WorkerDeath(task)
    else:
        raise ValueError(f"unknown task kind {kind!r}")
    _report(env, {"type": "task_ended", "call": env.call, "task": task, "end": end,
                  "at_ns": time.monotonic_ns(), "pid": pid})
    if end == "failed" and kind == "raise_timeout":
        raise TaskRaisedTimeout(task)
    if end == "failed":
        raise TaskFailed(task)
    if end == "released":
        raise TaskReleased(task)
    return task


def warm_task(ms):
    """The warm-up's body: imports this module in every worker and keeps it busy a moment."""
    time.sleep(ms / 1e3)
    return ms


TIMEOUT_ERRORS = (TimeoutError, concurrent.futures.TimeoutError, multiprocessing.TimeoutError)


def answer_of_exception(error):
    """The protocol answer for what the consumer caught: a task's own failure (its
    `TimeoutError` included) names the task; any other timeout error is the executor's."""
    if isinstance(error, (TaskFailed, TaskRaisedTimeout, WorkerDeath)):
        return {"kind": "task_failed", "task": error.task}
    if isinstance(error, TIMEOUT_ERRORS):
        return {"kind": "timeout"}
    return {"kind": "executor_error",
            "message": f"{type(error).__module__}.{type(error).__qualname__}: {error}"}


class Adapter:
    """Serves the protocol on stdin/stdout for one executor object (see the module doc)."""

    def __init__(self, executor, report_killed=True):
        self.executor = executor
        self._report_killed = report_killed and hasattr(os, "pidfd_open")
        if report_killed and not self._report_killed:
            sys.stderr.write("overtime adapter: no os.pidfd_open here (Linux, Python 3.9+): "
                             "tasks whose worker is killed are not reported\n")
        # The protocol owns the real stdin and stdout; anything else printing (here or in
        # workers that inherit fd 1) goes to stderr, which the harness keeps for diagnostics.
        # sys.stdin becomes /dev/null: a forked worker closes sys.stdin first thing, and
        # would deadlock on its lock if this process's reader thread held it at the fork.
        self._out_fd = os.dup(1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        self._in = os.fdopen(os.dup(0), "rb")
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        sys.stdin = open(os.devnull)
        self._out_lock = threading.Lock()
        if sys.platform.startswith("linux"):
            self._dir = None
            base = f"\0overtime-{os.getpid()}-{os.urandom(4).hex()}"
        else:
            self._dir = tempfile.mkdtemp(prefix="overtime-")
            base = os.path.join(self._dir, "s")
        self._events_address = base + "-events"
        self._gate_address = base + "-gate"
        self._events = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._events.bind(self._events_address)
        self._gate = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._gate.bind(self._gate_address)
        self._gate.listen(128)
        self._waiting = []  # the hung tasks' connections
        self._released = False
        self._release_lock = threading.Lock()
        threading.Thread(target=self._keep_gate, name="overtime-gate", daemon=True).start()
        # Workers started by exec (loky) must find this module.
        here = os.path.dirname(os.path.abspath(__file__))
        path = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = here if not path else here + os.pathsep + path

    # -- output ------------------------------------------------------------------------------

    def send(self, message):
        self._write(json.dumps(message, separators=(",", ":")).encode() + b"\n")

    def _write(self, line):
        """Writes one whole line; lines from different threads never interleave."""
        with self._out_lock:
            view = memoryview(line)
            while view:
                written = os.write(self._out_fd, view)
                view = view[written:]

    def event(self, call, kind, **fields):
        self.send({"type": kind, "call": call, "at_ns": time.monotonic_ns(), **fields})

    def _relay(self):
        """Forwards the task bodies' datagrams to stdout, in the order they arrive, and reports
        the tasks still running in a worker process that died as killed (see the module doc)."""
        poller = select.poll()
        poller.register(self._events, select.POLLIN)
        watch = _Deaths(poller)
        while True:
            try:
                ready = poller.poll()
            except OSError:
                return
            seen = time.monotonic_ns()
            if not self._relay_pending(watch):
                return
            for fd, _ in ready:
                for call, task in watch.died(fd):
                    self.send({"type": "task_ended", "call": call, "task": task,
                               "end": "killed", "at_ns": seen})

    def _relay_pending(self, watch):
        """Relays every datagram waiting; false once the socket is closed."""
        while True:
            try:
                data = self._events.recv(MAX_LINE, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return True
            except OSError:
                return False
            try:
                message = json.loads(data)
            except ValueError:
                self._write(data + b"\n")
                continue
            pid = message.pop("pid", None)
            if self._report_killed and pid is not None and pid != os.getpid():
                key = (message.get("call"), message.get("task"))
                if message.get("type") == "task_started":
                    watch.started(pid, key)
                else:
                    watch.ended(pid, key)
            self.send(message)

    # -- the release -------------------------------------------------------------------------

    def _keep_gate(self):
        """Accepts the hung tasks' connections and holds them until the release."""
        while True:
            try:
                conn, _ = self._gate.accept()
            except OSError:
                return
            with self._release_lock:
                if self._released:
                    conn.close()
                else:
                    self._waiting.append(conn)

    def release(self):
        """Opens the gate for good: every hung task returns, later ones return at once."""
        with self._release_lock:
            if self._released:
                return
            self._released = True
            for conn in self._waiting:
                conn.close()
            self._waiting.clear()
        # Closing the listener refuses every later connection (and ends the accept loop).
        try:
            self._gate.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._gate.close()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)

    # -- the protocol ------------------------------------------------------------------------

    def serve(self):
        hello = self._read_hello()
        warm = hello.get("warm_up_n_jobs") or 0
        if warm > 0:
            self.executor.warm_up(warm)
        profile = self.executor.profile()
        threading.Thread(target=self._relay, name="overtime-relay", daemon=True).start()
        self.send({"type": "hello", "protocol": PROTOCOL, **profile})
        for line in self._in:
            message = self._parse(line)
            kind = message.get("type")
            if kind == "clock":
                self.send({"type": "clock", "seq": message["seq"], "now_ns": time.monotonic_ns()})
            elif kind == "call":
                threading.Thread(target=self._run_call, args=(message,), daemon=True,
                                 name=f"overtime-call-{message['call']}").start()
            elif kind == "release":
                self.release()
                self.send({"type": "released", "at_ns": time.monotonic_ns()})
            else:
                self._die(f"unknown message type {kind!r} from the harness")
        # stdin closed: the harness is done with us (or gone). Shut the executor down, then
        # exit normally, so that atexit handlers (joblib's memmapping folders) run too.
        self.release()
        self._shutdown_executor()
        sys.exit(0)

    def _shutdown_executor(self):
        shutdown = getattr(self.executor, "shutdown", None)
        if shutdown is None:
            return
        try:
            shutdown()
        except Exception:  # noqa: BLE001 -- reported, then the exit goes on
            sys.stderr.write("overtime adapter: the executor's shutdown failed:\n"
                             + traceback.format_exc())
            sys.stderr.flush()

    def _read_hello(self):
        line = self._in.readline()
        if not line:
            self._die("stdin closed before the harness's hello")
        message = self._parse(line)
        if message.get("type") != "hello":
            self._die(f"expected the harness's hello first, got {message!r}")
        if message.get("protocol") != PROTOCOL:
            # Say which protocol this adapter speaks; the harness reports the mismatch.
            self.send({"type": "hello", "protocol": PROTOCOL, **self.executor.profile()})
            self._die(f"the harness speaks protocol {message.get('protocol')}, "
                      f"this adapter speaks {PROTOCOL}")
        return message

    def _parse(self, line):
        try:
            message = json.loads(line)
        except ValueError as e:
            self._die(f"the harness sent a line that is not JSON ({e}): {line[:200]!r}")
        if not isinstance(message, dict):
            self._die(f"the harness sent a line that is not an object: {line[:200]!r}")
        return message

    def _die(self, why):
        sys.stderr.write(f"overtime adapter: {why}\n")
        sys.stderr.flush()
        self.release()
        os._exit(2)

    # -- one call ----------------------------------------------------------------------------

    def _run_call(self, call):
        cid = call["call"]
        try:
            self._consume(call)
        except BaseException:  # noqa: BLE001 -- a crash in the adapter must reach the harness
            self.send({"type": "error", "call": cid,
                       "message": "the adapter failed: " + traceback.format_exc()[-2000:]})
            return
        self.event(cid, "done")

    def _consume(self, call):
        """The consumer, as `runner::consume` in the harness: make the call, pull, drop."""
        cid = call["call"]
        env = TaskEnv(cid, self._events_address, self._gate_address, os.getpid())
        jobs = [(env, i, spec) for i, spec in enumerate(call["tasks"])]
        consumer = dict(call.get("consumer") or {})
        start_after = (consumer.pop("start_after_ms", 0) or 0) / 1e3
        pause = (consumer.pop("pause_ms", 0) or 0) / 1e3
        drop_after = consumer.pop("drop_after", None)
        if consumer:
            # A consumer behaviour this adapter does not know: it cannot honour it.
            raise ValueError(f"unknown consumer behaviour {sorted(consumer)}: update the adapter")
        self.event(cid, "call_made")
        try:
            outcome = self.executor.start(call, jobs)
        except BaseException as e:  # noqa: BLE001 -- List mode raises the call's error here
            self.event(cid, "call_returned")
            self.event(cid, "answered", answer=answer_of_exception(e))
            return
        self.event(cid, "call_returned")
        if call["mode"] == "list":
            for value in outcome:
                answer = self._item(value)
                self.event(cid, "answered", answer=answer)
                if answer["kind"] != "item":
                    return
            self.event(cid, "answered", answer={"kind": "end"})
            return
        delivered = 0
        while drop_after is None or delivered < drop_after:
            wait = start_after if delivered == 0 else pause
            if wait > 0:
                time.sleep(wait)
            self.event(cid, "next_asked")
            try:
                value = next(outcome)
            except StopIteration:
                self.event(cid, "answered", answer={"kind": "end"})
                break
            except BaseException as e:  # noqa: BLE001 -- every error is an answer
                self.event(cid, "answered", answer=answer_of_exception(e))
                break
            answer = self._item(value)
            self.event(cid, "answered", answer=answer)
            if answer["kind"] != "item":
                break
            delivered += 1
        self.event(cid, "drop_begun")
        self.executor.close(outcome)
        self.event(cid, "drop_returned")

    @staticmethod
    def _item(value):
        """A result is the index `run_task` returned; anything else is the executor's fault."""
        if isinstance(value, int) and not isinstance(value, bool):
            return {"kind": "item", "task": value}
        return {"kind": "executor_error",
                "message": f"the executor returned {value!r}, which is no task's result"}


class _Deaths:
    """The worker processes running tasks, each watched through a pidfd (readable once the
    process has exited), with the tasks running in it."""

    def __init__(self, poller):
        self._poller = poller
        self._fds = {}  # pidfd -> pid
        self._pidfd = {}  # pid -> pidfd
        self._running = {}  # pid -> {(call, task)}

    def started(self, pid, key):
        if pid not in self._pidfd:
            try:
                fd = os.pidfd_open(pid)
            except OSError:
                # Already gone (and reaped): its tasks die with it, now.
                fd = os.open(os.devnull, os.O_RDONLY)
            self._pidfd[pid] = fd
            self._fds[fd] = pid
            self._poller.register(fd, select.POLLIN)
        self._running.setdefault(pid, set()).add(key)

    def ended(self, pid, key):
        self._running.get(pid, set()).discard(key)

    def died(self, fd):
        """The tasks that were running in the process of pidfd `fd`, which exited."""
        pid = self._fds.pop(fd, None)
        if pid is None:
            return []
        self._poller.unregister(fd)
        os.close(fd)
        del self._pidfd[pid]
        return sorted(self._running.pop(pid, set()), key=lambda k: (k[0], k[1]))


def main(executor, report_killed=True):
    """Runs `executor` as an adapter until the harness closes stdin."""
    Adapter(executor, report_killed=report_killed).serve()

"""The protocol loop (`specs/protocol.md`): the handshake, the clock, one consumer thread per
call, the task bodies' events relayed to stdout, killed workers, the release and the shutdown.

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
before its worker exited is never reported killed.
"""

import dis
import inspect
import json
import os
import queue
import select
import shutil
import socket
import sys
import tempfile
import threading
import time
import traceback

from .executor import Call
from .tasks import TaskEnv, answer_of_exception, answer_of_value

PROTOCOL = 2
# The longest line either side may send, newline excluded (the harness enforces it too).
MAX_LINE = 65536

# Every message the harness sends, with exactly these fields besides `type` (§3.1). Anything
# else is a harness of another revision: the adapter fails loudly rather than guess.
HARNESS_MESSAGES = {
    "hello": {"protocol", "warm_up_n_jobs"},
    "clock": {"seq"},
    "call": {"call", "tasks", "n_jobs", "timeout_ms", "mode", "consumer"},
    "release": set(),
}
CONSUMER_FIELDS = {"start_after_ms", "pause_ms", "drop_after"}


class ProtocolError(Exception):
    """A line from the harness this adapter cannot understand."""


def parse_harness_line(line):
    """One line from the harness, checked strictly (§2: unknown types and fields are errors)."""
    text = line.decode("utf-8", "replace").rstrip("\n") if isinstance(line, bytes) else line
    quoted = text if len(text) <= 200 else text[:200] + "…"
    try:
        message = json.loads(text)
    except ValueError as e:
        raise ProtocolError(f"not JSON ({e}): `{quoted}`") from None
    if not isinstance(message, dict):
        raise ProtocolError(f"not a JSON object: `{quoted}`")
    kind = message.get("type")
    if kind not in HARNESS_MESSAGES:
        raise ProtocolError(f"unknown message type {kind!r}: `{quoted}`")
    fields = set(message) - {"type"}
    expected = HARNESS_MESSAGES[kind]
    if fields - expected:
        raise ProtocolError(f"unknown field(s) {sorted(fields - expected)} in a {kind}: `{quoted}`")
    if expected - fields:
        raise ProtocolError(f"a {kind} without {sorted(expected - fields)}: `{quoted}`")
    return message


class OwnerThread:
    """A thread that owns one executor instance: every call into the instance runs there, in
    turn. For an executor that must only be touched from the thread that made it (thread-local
    state, a loop bound to one thread). `Executor.owner_thread = True` gives the whole adapter
    one; an adapter that makes an executor instance per call gives each its own, so a pull
    blocked in one instance never holds up another:

        def run(self, call):
            owner = ot.OwnerThread(f"pool-{call.id}")
            call.on_close(owner.close)               # after the call's last answer
            pool = owner.do(make_pool, call.n_jobs)
            return owner.iterate(owner.do(pool.imap, ot.run_job, call.jobs))
    """

    def __init__(self, name="overtime-owner"):
        self._queue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self):
        while True:
            work = self._queue.get()
            if work is None:
                return
            fn, args, kwargs, box, done = work
            try:
                box.append((True, fn(*args, **kwargs)))
            except BaseException as e:  # noqa: BLE001 -- handed back to the caller
                box.append((False, e))
            done.set()

    def do(self, fn, *args, **kwargs):
        """Runs `fn(*args, **kwargs)` on the owner thread; returns or raises what it did."""
        if threading.current_thread() is self._thread:
            return fn(*args, **kwargs)
        box, done = [], threading.Event()
        self._queue.put((fn, args, kwargs, box, done))
        done.wait()
        ok, value = box[0]
        if ok:
            return value
        raise value

    def iterate(self, iterator):
        """`iterator`, with every `next()` and its `close()` made on the owner thread."""
        return _OwnedIterator(self, iterator)

    def close(self):
        """Ends the thread once the work queued before is done (it is a daemon either way)."""
        self._queue.put(None)


class _OwnedIterator:
    def __init__(self, owner, iterator):
        self._owner, self._iterator = owner, iterator

    def __iter__(self):
        return self

    def __next__(self):
        return self._owner.do(next, self._iterator)

    def close(self):
        close = getattr(self._iterator, "close", None)
        if close is not None:
            self._owner.do(close)


def _direct(fn, *args):
    return fn(*args)


# An error answer that leaves the adapter's own code this long after it arrived there was held
# up by clean-up the adapter ran first; the kit warns (see `_AnswerDelay`).
ANSWER_DELAY_WARNING_MS = 5.0


class _AnswerDelay:
    """Measures how long an exception spent in the adapter's own mode code (a generator, or the
    mode method in List mode) between arriving there and leaving it: time spent in `finally:`
    blocks and `with` exits that ran before the consumer got its answer. A trace function on the
    thread that runs the step watches only those frames; under a debugger or coverage (a trace
    function already set) nothing is measured."""

    def __init__(self, codes):
        self._codes = codes
        self.delay_ms = None

    def run(self, fn, *args):
        if not self._codes or sys.gettrace() is not None:
            return fn(*args)
        arrived = {}
        codes = self._codes

        def local(frame, event, arg):
            if event == "exception" and id(arg[1]) not in arrived:
                arrived[id(arg[1])] = (arg[1], time.monotonic_ns())
            return local

        def watch(frame, event, arg):
            return local if frame.f_code in codes else None

        sys.settrace(watch)
        try:
            return fn(*args)
        except BaseException as e:
            left = time.monotonic_ns()
            first = arrived.get(id(e))
            if first is not None and first[0] is e:
                self.delay_ms = (left - first[1]) / 1e6
            raise
        finally:
            sys.settrace(None)


_KIT_DIR = os.path.dirname(os.path.abspath(__file__))
# The opcodes of a `try` / `with` block's clean-up (`except`, `finally`, `__exit__`), from
# Python 3.9 to 3.13.
_HANDLER_OPS = {"PUSH_EXC_INFO", "SETUP_FINALLY", "SETUP_WITH", "SETUP_ASYNC_WITH",
                "BEFORE_WITH", "BEFORE_ASYNC_WITH"}


def _cleans_up(code):
    """Whether the code has a `try` or `with` block: only there can clean-up run between an
    exception's arrival and its departure. Code without one is never traced, so the kit's
    measurement costs nothing where nothing can be delayed (a trace function slows every
    Python call on its thread)."""
    return any(op.opname in _HANDLER_OPS for op in dis.get_instructions(code))


def _adapter_codes(*functions):
    """The code objects of the adapter's own mode functions that clean up (the kit's default
    `run` is not the adapter's), unwrapped from decorators such as `@primed`; and the files
    they are in."""
    codes, files = set(), set()
    for fn in functions:
        fn = inspect.unwrap(getattr(fn, "__func__", fn)) if fn is not None else None
        code = getattr(fn, "__code__", None)
        if code is not None and os.path.dirname(os.path.abspath(code.co_filename)) != _KIT_DIR:
            files.add(code.co_filename)
            if _cleans_up(code):
                codes.add(code)
    return codes, files


def _adapter_generator_codes(outcome, files):
    """The iteration's code, if the adapter wrote it (a generator defined in the same file as
    its mode functions) and it cleans up. A generator the executor returns (joblib's) is the
    executor's own: the time its clean-up takes before raising is the executor's, and judged
    as such."""
    if not inspect.isgenerator(outcome):
        return set()
    code = outcome.gi_code
    return {code} if code.co_filename in files and _cleans_up(code) else set()


class Server:
    """Serves the protocol on stdin/stdout for one `Executor` (see the package doc)."""

    def __init__(self, executor, report_killed=None):
        self.executor = executor
        if report_killed is None:
            report_killed = getattr(executor, "report_killed", True)
        self._report_killed = report_killed and hasattr(os, "pidfd_open")
        if report_killed and not self._report_killed:
            sys.stderr.write("overtime adapter: no os.pidfd_open here (Linux, Python 3.9+): "
                             "tasks whose worker is killed are not reported\n")
        owner = getattr(executor, "owner_thread", False)
        self._do = OwnerThread().do if owner else _direct
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
        # Workers started by exec (loky, spawn) must import the kit to run a body: put the
        # directory that holds it on their path (harmless when the kit is installed).
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
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

    def worker_clock(self, worker, offset_ns, uncertainty_ns):
        """Reports a worker's clock: `offset_ns` = its reading minus the adapter's at the same
        instant, known within `uncertainty_ns` (half the round trip that measured it). Before
        the first stamp on that clock; again whenever it is re-measured (specs/protocol.md
        §5.1)."""
        self.send({"type": "worker_clock", "worker": worker, "offset_ns": int(offset_ns),
                   "uncertainty_ns": int(uncertainty_ns)})

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
        """Handshakes, then serves the harness until it closes stdin; never returns."""
        try:
            profile = self.executor.profile()
        except Exception as e:  # noqa: BLE001 -- a bad profile is the author's to fix
            self._die(f"the adapter's profile is not valid: {e}")
        hello = self._read_hello(profile)
        warm = hello["warm_up_n_jobs"] or 0
        if warm > 0:
            self._do(self.executor.warm_up, warm)
        threading.Thread(target=self._relay, name="overtime-relay", daemon=True).start()
        self.send({"type": "hello", "protocol": PROTOCOL, **profile})
        for line in self._in:
            message = self._parse(line)
            kind = message["type"]
            if kind == "clock":
                self.send({"type": "clock", "seq": message["seq"], "now_ns": time.monotonic_ns()})
            elif kind == "call":
                threading.Thread(target=self._run_call, args=(message,), daemon=True,
                                 name=f"overtime-call-{message['call']}").start()
            elif kind == "release":
                self.release()
                self.send({"type": "released", "at_ns": time.monotonic_ns()})
            else:
                self._die(f"a second hello from the harness: `{line.decode(errors='replace')}`")
        # stdin closed: the harness is done with us. Free the hung bodies, let the executor
        # stop its workers cleanly, and exit normally, so that `atexit` handlers run too
        # (joblib removes its memmapping folders there). The harness allows a bounded grace
        # for all of it (specs/protocol.md §6), then SIGTERM, then SIGKILL.
        self.release()
        try:
            self._do(self.executor.shutdown)
        except BaseException:  # noqa: BLE001 -- shown, but the adapter exits either way
            sys.stderr.write("overtime adapter: the executor's shutdown() failed:\n"
                             + traceback.format_exc())
            sys.stderr.flush()
            sys.exit(1)
        sys.stderr.flush()
        sys.exit(0)

    def _read_hello(self, profile):
        line = self._in.readline()
        if not line:
            self._die("stdin closed before the harness's hello")
        message = self._parse(line, hello=True)
        if message.get("type") != "hello":
            self._die(f"expected the harness's hello first, got `{line.decode(errors='replace')}`")
        if message.get("protocol") != PROTOCOL:
            # Say which protocol this adapter speaks; the harness reports the mismatch.
            self.send({"type": "hello", "protocol": PROTOCOL, **profile})
            self._die(f"the harness speaks protocol {message.get('protocol')}, "
                      f"this adapter speaks {PROTOCOL}")
        self._parse(line)
        return message

    def _parse(self, line, hello=False):
        """A harness line, or the session's end: an `error` naming the line, and exit 2."""
        if hello:
            # Only the version decides at first: a harness of another version may have other
            # fields, and must be told this adapter's version.
            try:
                message = json.loads(line)
                if isinstance(message, dict):
                    return message
            except ValueError:
                pass
        try:
            return parse_harness_line(line)
        except ProtocolError as e:
            self._die(f"the harness sent a line this adapter does not understand: {e}")

    def _die(self, why):
        """Reports a session failure to the harness and on stderr, and exits with status 2."""
        try:
            self.send({"type": "error", "message": f"overtime adapter: {why}"})
        except OSError:
            pass
        sys.stderr.write(f"overtime adapter: {why}\n")
        sys.stderr.flush()
        self.release()
        os._exit(2)

    # -- one call ----------------------------------------------------------------------------

    def _run_call(self, message):
        cid = message["call"]
        try:
            self._consume(message)
        except BaseException:  # noqa: BLE001 -- a crash in the adapter must reach the harness
            self.send({"type": "error", "call": cid,
                       "message": "the adapter failed: " + traceback.format_exc()[-2000:]})
            return
        self.event(cid, "done")

    def _consume(self, message):
        """The consumer, as `runner::consume` in the harness: make the call, pull, drop."""
        cid = message["call"]
        call = Call(message, TaskEnv(cid, self._events_address, self._gate_address, os.getpid()))
        consumer = dict(message["consumer"] or {})
        unknown = set(consumer) - CONSUMER_FIELDS
        if unknown:
            # A consumer behaviour this adapter does not know: it cannot honour it.
            raise ValueError(f"unknown consumer behaviour {sorted(unknown)}: update the adapter")
        start_after = (consumer.get("start_after_ms") or 0) / 1e3
        pause = (consumer.get("pause_ms") or 0) / 1e3
        drop_after = consumer.get("drop_after")
        do = self._do
        mode_code, adapter_files = _adapter_codes(getattr(type(self.executor), "run", None),
                                                  getattr(type(self.executor), call.mode, None))
        self.event(cid, "call_made")
        measure = _AnswerDelay(mode_code)
        try:
            outcome = do(measure.run, self.executor.run, call)
        except BaseException as e:  # noqa: BLE001 -- List mode raises the call's error here
            self.event(cid, "call_returned")
            self._answer_error(call, e, measure)
            self._close_call(call)
            return
        self.event(cid, "call_returned")
        if call.mode == "list":
            try:
                for value in outcome:
                    answer = answer_of_value(value)
                    self.event(cid, "answered", answer=answer)
                    if answer["kind"] not in ("item", "timed_out"):
                        return
                self.event(cid, "answered", answer={"kind": "end"})
            finally:
                self._close_call(call)
            return
        codes = _adapter_generator_codes(outcome, adapter_files)
        outcome = do(iter, outcome)
        delivered = 0
        try:
            while drop_after is None or delivered < drop_after:
                wait = start_after if delivered == 0 else pause
                if wait > 0:
                    time.sleep(wait)
                self.event(cid, "next_asked")
                measure = _AnswerDelay(codes)
                try:
                    value = do(measure.run, next, outcome)
                except StopIteration:
                    self.event(cid, "answered", answer={"kind": "end"})
                    break
                except BaseException as e:  # noqa: BLE001 -- every error is an answer
                    self._answer_error(call, e, measure)
                    break
                answer = answer_of_value(value)
                self.event(cid, "answered", answer=answer)
                if answer["kind"] not in ("item", "timed_out"):
                    break
                delivered += 1
            self.event(cid, "drop_begun")
            do(self.executor.close, outcome)
            self.event(cid, "drop_returned")
        finally:
            self._close_call(call)

    def _answer_error(self, call, error, measure):
        """Answers what the consumer caught; warns if the adapter's clean-up delayed it."""
        answer = answer_of_exception(error)
        self.event(call.id, "answered", answer=answer)
        if measure.delay_ms is not None and measure.delay_ms >= ANSWER_DELAY_WARNING_MS:
            self.warn(f"call {call.id} ({call.mode}): the {answer['kind']} answer reached the "
                      f"consumer {measure.delay_ms:.1f} ms after it arrived in the adapter's "
                      f"{call.mode} code: a `finally:` or `with` block there ran first, and the "
                      "trace counts that time as the executor's. Register clean-up with "
                      "call.on_close(...): it runs after the answer")

    def _close_call(self, call):
        """Runs the call's `on_close` clean-ups, last registered first, on the executor's
        thread; a failing one is the adapter's error, reported for the call."""
        while call._closers:
            fn, args, kwargs = call._closers.pop()
            self._do(lambda: fn(*args, **kwargs))

    def warn(self, text):
        """A warning for the adapter's author, on stderr (the harness keeps it; the pytest
        plugin shows it as an `OvertimeAdapterWarning`)."""
        sys.stderr.write(f"overtime adapter: warning: {text}\n")
        sys.stderr.flush()


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


def serve(executor, report_killed=None):
    """Runs `executor` (an `Executor`) as an adapter on stdin/stdout until the harness closes
    stdin, then calls its `shutdown()` and exits."""
    Server(executor, report_killed=report_killed).serve()

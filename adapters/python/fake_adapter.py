#!/usr/bin/env python3
"""A deliberately broken overtime adapter, for the robustness test (tests/process_protocol.rs).

    python3 fake_adapter.py SCENARIO [MARKER]

MARKER (default overtime-fake-worker) is put in the argv of every worker process a scenario
starts, so a test can find them in /proc. It handshakes correctly (unless the scenario is about the handshake), then answers each call
with a well-formed list-mode run of its tasks, except for the one thing SCENARIO breaks.
It uses no executor: the "tasks" are reported as started and returned at once.
"""

import json
import os
import signal
import subprocess
import sys
import time

SCENARIO = sys.argv[1] if len(sys.argv) > 1 else "correct"
MARKER = sys.argv[2] if len(sys.argv) > 2 else "overtime-fake-worker"
OUT = sys.stdout.buffer
# The harness's messages and their fields (specs/protocol.md §3.1).
FIELDS = {"hello": {"protocol", "warm_up_n_jobs"}, "clock": {"seq"},
          "call": {"call", "tasks", "n_jobs", "timeout_ms", "mode", "consumer"},
          "release": set()}


def now():
    return time.monotonic_ns()


def raw(data):
    OUT.write(data)
    OUT.flush()


def send(message):
    raw(json.dumps(message, separators=(",", ":")).encode() + b"\n")


def hello():
    protocol = {"wrong-protocol": 3, "protocol-1": 1}.get(SCENARIO, 2)
    send({"type": "hello", "protocol": protocol,
          "executor": {"name": "fake", "version": "0", "variant": SCENARIO},
          "modes": ["list", "ordered", "unordered"], "unsupported": [],
          "contract": {"clock": "overall", "on_timeout": "abort", "cancels_running": False}})


def call_events(call):
    """A correct list-mode run of the call: every task starts and returns at once.

    In the `swallows-failures` scenario a seeded executor defect instead: a `fail` task ends
    failed (honestly reported), but its failure is swallowed and its slot left out of the
    list, which ends normally.
    """
    cid, n = call["call"], len(call["tasks"])
    swallowed = {task for task, spec in enumerate(call["tasks"])
                 if SCENARIO == "swallows-failures" and spec["kind"] == "fail"}
    events = [{"type": "call_made", "call": cid, "at_ns": now()}]
    for task in range(n):
        events.append({"type": "task_started", "call": cid, "task": task, "at_ns": now()})
        events.append({"type": "task_ended", "call": cid, "task": task,
                       "end": "failed" if task in swallowed else "returned",
                       "at_ns": now()})
    events.append({"type": "call_returned", "call": cid, "at_ns": now()})
    for task in range(n):
        if task in swallowed:
            continue
        events.append({"type": "answered", "call": cid, "at_ns": now(),
                       "answer": {"kind": "item", "task": task}})
    events.append({"type": "answered", "call": cid, "at_ns": now(), "answer": {"kind": "end"}})
    events.append({"type": "done", "call": cid, "at_ns": now()})
    return events


def answer_call(call):
    events = call_events(call)
    cid = call["call"]
    first = events[:1]
    if SCENARIO == "garbage":
        raw(b"this is not json\n")
    elif SCENARIO == "truncated":
        raw(b'{"type":"answered","call":1,"at_ns":\n')
    elif SCENARIO == "partial-line":
        raw(b'{"type":"call_made","call":1')
        os._exit(0)
    elif SCENARIO == "huge-line":
        # 32 MiB without a newline, then silence: the harness must stop reading at its limit.
        chunk = b"x" * (1024 * 1024)
        raw(b'{"type":"call_made","call":1,"pad":"')
        for _ in range(32):
            raw(chunk)
        while True:
            time.sleep(60)
    elif SCENARIO == "crash-mid-call":
        # The executor crashes (SIGABRT, as a failed assertion in C would) after a task started.
        send(first[0])
        send({"type": "task_started", "call": cid, "task": 0, "at_ns": now()})
        os.abort()
    elif SCENARIO == "not-utf8":
        raw(b'{"type":"call_made","call":1,"at_ns":\xff\xfe}\n')
    elif SCENARIO == "oversized":
        raw(b'{"type":"call_made","call":1,"pad":"' + b"x" * 100_000 + b'"}\n')
    elif SCENARIO == "unknown-type":
        send({"type": "progress", "call": cid, "at_ns": now()})
    elif SCENARIO == "unknown-field":
        send({"type": "call_made", "call": cid, "at_ns": now(), "colour": "red"})
    elif SCENARIO == "unknown-call":
        send({"type": "call_made", "call": cid + 98, "at_ns": now()})
    elif SCENARIO == "unknown-task":
        send(first[0])
        send({"type": "task_started", "call": cid, "task": 7, "at_ns": now()})
    elif SCENARIO == "task-started-twice":
        send(first[0])
        send({"type": "task_started", "call": cid, "task": 0, "at_ns": now()})
        send({"type": "task_started", "call": cid, "task": 0, "at_ns": now()})
    elif SCENARIO == "done-twice":
        for e in events:
            send(e)
        send(events[-1])
    elif SCENARIO == "out-of-order":
        send({"type": "answered", "call": cid, "at_ns": now(), "answer": {"kind": "end"}})
    elif SCENARIO == "future-stamp":
        send({"type": "call_made", "call": cid, "at_ns": now() + 10_000_000_000})
    elif SCENARIO == "exit-mid-call":
        send(first[0])
        sys.stderr.write("fake adapter: giving up mid-call\n")
        sys.stderr.flush()
        os._exit(3)
    elif SCENARIO == "silent-mid-call":
        send(first[0])
        send({"type": "call_returned", "call": cid, "at_ns": now()})
        while True:
            time.sleep(60)
    elif SCENARIO == "adapter-error":
        send(first[0])
        send({"type": "error", "call": cid, "message": "the executor could not be imported"})
    elif SCENARIO == "duplicate-item":
        # Protocol-correct: the *executor* delivered task 0 twice; P04 must judge it.
        for e in events:
            if e["type"] == "answered" and e["answer"]["kind"] == "end":
                send({"type": "answered", "call": cid, "at_ns": now(),
                      "answer": {"kind": "item", "task": 0}})
                e["at_ns"] = now()
            if e["type"] == "done":
                e["at_ns"] = now()
            send(e)
    else:
        for e in events:
            send(e)


def main():
    if SCENARIO == "exit-before-hello":
        sys.stderr.write("ModuleNotFoundError: No module named 'joblib'\n")
        sys.exit(1)
    if SCENARIO == "stray-workers":
        # Workers that would outlive a careless teardown: a child, and an orphaned grandchild
        # that ignores SIGTERM.
        subprocess.Popen(["sleep", "1000"])
        subprocess.Popen(["sh", "-c", "trap '' TERM; sleep 1000 & exit 0"])
    if SCENARIO == "setsid-workers":
        # A worker in a session of its own, out of the adapter's process group, then a correct
        # adapter: a teardown that kills only the group leaves it behind.
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1000)", MARKER],
                         start_new_session=True)
    if SCENARIO == "tracker":
        # A helper in the adapter's group that outlives it to clean up, as loky's resource
        # tracker does: it ignores SIGTERM, waits for the pipe from the adapter to close, takes
        # 200 ms, then writes the path given as argument 2 (the clean-up a SIGKILL would cut).
        tracker = subprocess.Popen(
            [sys.executable, "-c",
             "import signal, sys, time\n"
             "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
             "print('ready', flush=True)\n"
             "sys.stdin.buffer.read()\n"
             "time.sleep(0.2)\n"
             "open(sys.argv[1], 'w').write('cleaned up')\n", MARKER],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        tracker.stdout.readline()  # its SIGTERM is ignored from here on
        globals()["TRACKER_PIPE"] = tracker.stdin  # held open until this process dies
    if SCENARIO == "ignores-sigterm":
        # An adapter that ignores SIGTERM and outlives its stdin: only SIGKILL ends it.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if SCENARIO == "silent-with-workers":
        # A pool's workers, carrying the marker given as argument 2 so a test can find them:
        # a child, an orphaned grandchild that ignores SIGTERM, and one that left the process
        # group (a new session). Calls are then ignored.
        sleeper = [sys.executable, "-c", "import time; time.sleep(1000)", MARKER]
        subprocess.Popen(sleeper)
        subprocess.Popen(["sh", "-c", "trap '' TERM; \"$@\" & exit 0", "sh"] + sleeper)
        subprocess.Popen(sleeper, start_new_session=True)
    if SCENARIO == "env-less-escapee":
        # A descendant that leaves the process group and drops its environment (so no token
        # finds it), keeping the adapter's stdout open, then a correct adapter: only the pipe
        # staying open after the group is gone shows it. It carries the marker in its argv.
        subprocess.Popen(["env", "-i", sys.executable, "-c", "import time; time.sleep(1000)",
                          MARKER], start_new_session=True)
    if SCENARIO == "escaped-workers":
        # Workers that leave the adapter's process group, carrying the marker given as
        # argument 2: a child in a new session, and a double-forked orphan in a new session
        # (as `setsid sleep 1000 &` in a script would). Calls are answered correctly.
        marker = sys.argv[2] if len(sys.argv) > 2 else "overtime-fake-escaped"
        sleeper = [sys.executable, "-c", "import time; time.sleep(1000)", marker]
        subprocess.Popen(sleeper, start_new_session=True)
        subprocess.Popen([sys.executable, "-c",
                          "import subprocess, sys; "
                          "subprocess.Popen(sys.argv[1:], start_new_session=True)"] + sleeper)
    for line in sys.stdin.buffer:
        message = json.loads(line)
        kind = message.get("type")
        if set(message) - {"type"} != FIELDS.get(kind):
            # Strict, as an adapter must be: a line it does not understand ends the session.
            send({"type": "error", "message": f"fake adapter: cannot understand {line!r}"})
            sys.exit(2)
        if kind == "hello":
            if SCENARIO == "silent-handshake":
                continue
            hello()
        elif kind == "clock":
            if SCENARIO == "silent-clock":
                continue
            send({"type": "clock", "seq": message["seq"], "now_ns": now()})
        elif kind == "call":
            if SCENARIO in ("silent", "silent-with-workers"):
                continue  # an executor that never reacts to a call: not even `call_made`
            answer_call(message)
        elif kind == "release":
            send({"type": "released", "at_ns": now()})
    if SCENARIO in ("lingers", "ignores-sigterm"):
        # An adapter that does not exit when the harness closes its stdin.
        while True:
            time.sleep(60)


if __name__ == "__main__":
    main()

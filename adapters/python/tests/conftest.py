"""Runs the kit's test adapters (`scenario_adapter.py`) as the harness would: JSON lines on
their stdin and stdout, every read bounded so that a broken kit fails a test, never hangs it."""

import json
import os
import queue
import subprocess
import sys
import threading

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
BOUND = 20  # seconds: a generous watchdog on every read, never a timing assertion


class Session:
    def __init__(self, argv):
        self.process = subprocess.Popen(
            [sys.executable] + argv,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self._lines.put(json.loads(line))
        self._lines.put(None)

    def send(self, message):
        line = message if isinstance(message, str) else json.dumps(message)
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()

    def receive(self):
        try:
            return self._lines.get(timeout=BOUND)
        except queue.Empty:
            pytest.fail(f"the adapter sent nothing for {BOUND} s")

    def hello(self, warm_up_n_jobs=0):
        self.send({"type": "hello", "protocol": 2, "warm_up_n_jobs": warm_up_n_jobs})
        return self.receive()

    def call(self, call_id, tasks, mode="list", timeout_ms=None, drop_after=None, task_ends=0,
             n_jobs=1):
        """Sends a call; returns its events up to `done` (or an `error`), and on until
        `task_ends` tasks have ended: bodies report through a relay, maybe after `done`."""
        self.send({"type": "call", "call": call_id, "tasks": tasks, "n_jobs": n_jobs,
                   "timeout_ms": timeout_ms, "mode": mode,
                   "consumer": {"start_after_ms": 0.0, "pause_ms": 0.0,
                                "drop_after": drop_after}})
        events = []
        while True:
            message = self.receive()
            assert message is not None, "the adapter closed stdout mid-call"
            events.append(message)
            finished = any(e["type"] in ("done", "error") for e in events)
            ended = sum(e["type"] == "task_ended" for e in events)
            if finished and ended >= task_ends:
                return events

    def close(self):
        """Closes stdin; returns the exit status and stderr."""
        self.process.stdin.close()
        try:
            status = self.process.wait(BOUND)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail(f"the adapter did not exit within {BOUND} s of stdin's end")
        return status, self.process.stderr.read().decode()


@pytest.fixture
def adapter():
    sessions = []

    def start(scenario, script=os.path.join(HERE, "scenario_adapter.py")):
        """A test adapter (`scenario_adapter.py SCENARIO`), or with `script`, that adapter."""
        session = Session([script] if scenario is None else [script, scenario])
        sessions.append(session)
        return session

    yield start
    for session in sessions:
        if session.process.poll() is None:
            session.process.kill()
            session.process.wait()

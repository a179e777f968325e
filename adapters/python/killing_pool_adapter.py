#!/usr/bin/env python3
"""A test executor for overtime: a small process pool that stops a task by killing its worker
(tests/process_killing_pool.rs runs it).

    python3 killing_pool_adapter.py [--no-killed-reporting]

Each call gets its own pool of `n_jobs` worker processes (multiprocessing, `fork`), each
running one task at a time, sent over a pipe. A task's timeout runs from the moment its worker
picked the task up, as the worker reports it (the task_runtime clock); the pool looks at its
deadlines whenever the consumer asks for a result. When it passes, the pool kills
that worker — the only way to stop a Python function that does not return — refills the freed
slot with a new worker for the next task waiting and, once that worker has picked its task up,
raises TimeoutError (abort). When the iteration ends, fails or is dropped, every worker still
running is killed (cancels_running). A task's failure is raised as soon as it arrives
(fail-fast).

Killed tasks never report an end of their own: the adapter sees their worker die and reports
them `killed` (overtime_protocol). With --no-killed-reporting it does not, as a protocol-1
adapter could not: the harness then sees killed tasks run on.
"""

import argparse
import collections
import multiprocessing
import multiprocessing.connection
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import overtime_protocol  # noqa: E402
from overtime_protocol import run_task  # noqa: E402

CONTEXT = multiprocessing.get_context("fork")
# How long the pool waits for a refilled worker to pick its task up before it raises anyway.
REFILL_PICKUP = 10.0


def _worker(conn):
    """A worker process: runs the tasks it is sent, one at a time, until its pipe closes."""
    while True:
        try:
            env, task, spec = conn.recv()
        except (EOFError, OSError):
            return
        try:
            result = run_task(env, task, spec,
                              on_started=lambda: conn.send(("running", task, time.monotonic())))
        except BaseException as error:  # noqa: BLE001 -- every failure goes to the pool
            conn.send(("failed", task, error, time.monotonic()))
        else:
            conn.send(("returned", task, result, time.monotonic()))


class _Worker:
    def __init__(self):
        self.conn, child = CONTEXT.Pipe()
        self.process = CONTEXT.Process(target=_worker, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.task = None  # the task it runs, if any
        self.started = None  # when it reported picking that task up (monotonic seconds)

    def give(self, job):
        self.task, self.started = job[1], None
        self.conn.send(job)

    def kill(self):
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


class KillingPool:
    """One call's pool: its workers, the tasks waiting, and the results in completion order."""

    def __init__(self, jobs, n_jobs, timeout):
        self.waiting = collections.deque(jobs)
        self.timeout = timeout
        self.workers = [_Worker() for _ in range(min(max(1, n_jobs), len(jobs)))]
        for worker in self.workers:
            self._feed(worker)
        self.finished = {}  # task -> result, until delivered

    def _feed(self, worker):
        if self.waiting:
            worker.give(self.waiting.popleft())

    def shutdown(self):
        """Kills every worker: a running task is stopped the only way there is."""
        for worker in self.workers:
            worker.kill()
        self.workers = []

    def step(self):
        """Handles what the workers reported since the last step, in the order it happened,
        then waits for the next report or deadline. A failure or a timeout raises, whichever
        came first: a task that overran its deadline is timed out even if another task's
        result or failure arrived later, before the consumer asked."""
        events = self._reported()
        if not events:
            deadline = self._deadline()
            wait = None if deadline is None else max(0.0, deadline[0] - time.monotonic())
            busy = [w.conn for w in self.workers if w.task is not None]
            if not busy:
                raise RuntimeError("the pool has nothing running and nothing to deliver")
            if not multiprocessing.connection.wait(busy, wait):
                self._time_out(deadline[1])
            events = self._reported()
        for at, worker, message in events:
            deadline = self._deadline()
            if deadline is not None and deadline[0] < at:
                self._time_out(deadline[1])
            self._apply(worker, message)

    def _reported(self):
        """Every report waiting in the workers' pipes, as (when it happened, worker, report),
        in the order they happened."""
        events = []
        for worker in self.workers:
            while worker.task is not None and worker.conn.poll(0):
                try:
                    message = worker.conn.recv()
                except (EOFError, OSError) as error:
                    raise RuntimeError(f"the worker running task {worker.task} died") from error
                events.append((message[-1], worker, message))
                if message[0] != "running":
                    break
        events.sort(key=lambda e: e[0])
        return events

    def _deadline(self):
        """The earliest deadline of a running task, with its worker, if any."""
        running = [w for w in self.workers if w.task is not None and w.started is not None]
        if self.timeout is None or not running:
            return None
        first = min(running, key=lambda w: w.started)
        return first.started + self.timeout, first

    def _apply(self, worker, message):
        kind, task = message[0], message[1]
        if kind == "running":
            worker.started = message[2]
            return
        worker.task = None
        if kind == "failed":
            raise message[2]
        self.finished[task] = message[2]
        self._feed(worker)

    def _time_out(self, worker):
        """Stops the overrunning task by killing its worker, refills the slot, raises."""
        task = worker.task
        worker.kill()
        self.workers.remove(worker)
        if self.waiting:
            refill = _Worker()
            self.workers.append(refill)
            self._feed(refill)
            if refill.conn.poll(REFILL_PICKUP):
                self._apply(refill, refill.conn.recv())
        raise TimeoutError(f"task {task} ran longer than {self.timeout} s")


def _iterate(pool, n, ordered):
    """The results: in input order, or in completion order. Every worker is killed at the end."""
    try:
        for k in range(n):
            while not pool.finished or (ordered and k not in pool.finished):
                pool.step()
            task = k if ordered else next(iter(pool.finished))
            yield pool.finished.pop(task)
    finally:
        pool.shutdown()


class KillingPoolExecutor:
    def profile(self):
        return {
            "executor": {"name": "killing-pool", "version": "1"},
            "modes": ["list", "ordered", "unordered"],
            "unsupported": [],
            "contract": {"clock": "task_runtime", "on_timeout": "abort",
                         "cancels_running": True, "error_order": "fail_fast"},
        }

    def warm_up(self, n_jobs):
        # A pool per call: nothing outlives a call to warm.
        pass

    def start(self, call, jobs):
        timeout = call["timeout_ms"]
        pool = KillingPool(jobs, call["n_jobs"], None if timeout is None else timeout / 1e3)
        results = _iterate(pool, len(jobs), ordered=call["mode"] != "unordered")
        return list(results) if call["mode"] == "list" else results

    def close(self, iterator):
        iterator.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-killed-reporting", action="store_true",
                        help="do not report tasks whose worker was killed")
    args = parser.parse_args()
    overtime_protocol.main(KillingPoolExecutor(), report_killed=not args.no_killed_reporting)


if __name__ == "__main__":
    main()

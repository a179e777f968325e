"""Tests of the Dask adapter's executor object, without the harness: each mode raises Dask's
timeout with a task still running, the adapter cancels the call's futures when an iteration
ends, a task's failure crosses the worker process as that task's error, and `shutdown()` ends
the cluster's worker processes.

    VENV/bin/python -m unittest discover -s adapters/python/tests_dask

(VENV: the venv of .ci/python-venv-dask.) The bodies are overtime_protocol's `run_task` with no
adapter listening: their reports go nowhere, and a long `sleep` stands for a hung task. No
assertion is about time; a watchdog ends a test run that hangs.
"""

import faulthandler
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
os.environ["PYTHONPATH"] = os.path.dirname(HERE)

import dask_adapter  # noqa: E402
from overtime_protocol import TaskEnv, TaskFailed, answer_of_exception  # noqa: E402

# A hang of the whole run prints every thread's stack and exits: never a silent CI hang.
WATCHDOG_S = 240
# Long enough that a timeout of SHORT_S can only come from Dask, never from the task's end.
LONG_MS = 60_000
SHORT_S = 0.2


def jobs(call, specs):
    env = TaskEnv(call, "\0overtime-test-nobody-listens", "\0overtime-test-no-gate", os.getpid())
    return [(env, i, spec) for i, spec in enumerate(specs)]


def call(cid, mode, timeout_s, n_jobs=2):
    return {"call": cid, "mode": mode, "n_jobs": n_jobs,
            "timeout_ms": None if timeout_s is None else timeout_s * 1e3}


def sleep(ms):
    return {"kind": "sleep", "ms": ms}


class DaskExecutorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        faulthandler.dump_traceback_later(WATCHDOG_S, exit=True)
        cls.executor = dask_adapter.DaskExecutor("fork")
        cls.executor.warm_up(2)
        cls.calls = 0

    @classmethod
    def tearDownClass(cls):
        cls.executor.shutdown()
        faulthandler.cancel_dump_traceback_later()

    def start(self, mode, specs, timeout_s):
        type(self).calls += 1
        c = call(self.calls, mode, timeout_s)
        return self.executor.start(c, jobs(self.calls, specs))

    def assert_cancelled(self, iteration):
        # Cancelling is sent to the scheduler; the futures say so once it answers.
        for _ in range(500):
            if all(f.status == "cancelled" for f in iteration.futures):
                return
            time.sleep(0.01)
        self.fail(f"futures not cancelled: {[f.status for f in iteration.futures]}")

    def test_every_mode_runs_every_task_once(self):
        specs = [sleep(10), sleep(1), {"kind": "spin", "ms": 5}]
        self.assertEqual(self.start("list", specs, None), [0, 1, 2])
        self.assertEqual(list(self.start("ordered", specs, 30)), [0, 1, 2])
        self.assertEqual(sorted(self.start("unordered", specs, 30)), [0, 1, 2])

    def test_list_times_out_and_cancels(self):
        with self.assertRaises(TimeoutError) as raised:
            self.start("list", [sleep(LONG_MS), sleep(1)], SHORT_S)
        self.assertEqual(answer_of_exception(raised.exception), {"kind": "timeout"})

    def test_lazy_modes_time_out_and_cancel_on_close(self):
        for mode in ("ordered", "unordered"):
            with self.subTest(mode=mode):
                iteration = self.start(mode, [sleep(LONG_MS), sleep(LONG_MS), sleep(1)],
                                       SHORT_S)
                with self.assertRaises(TimeoutError) as raised:
                    next(iteration)
                self.assertEqual(answer_of_exception(raised.exception), {"kind": "timeout"})
                self.executor.close(iteration)
                self.assert_cancelled(iteration)

    def test_a_failure_names_its_task(self):
        specs = [sleep(1), {"kind": "fail", "ms": 1}]
        with self.assertRaises(TaskFailed) as raised:
            self.start("list", specs, None)
        self.assertEqual(answer_of_exception(raised.exception), {"kind": "task_failed", "task": 1})
        iteration = self.start("ordered", specs, 30)
        self.assertEqual(next(iteration), 0)
        with self.assertRaises(TaskFailed):
            next(iteration)
        self.executor.close(iteration)


class ShutdownTest(unittest.TestCase):
    def test_shutdown_ends_the_worker_processes(self):
        faulthandler.dump_traceback_later(WATCHDOG_S, exit=True)
        executor = dask_adapter.DaskExecutor("fork")
        executor.warm_up(2)
        pids = set(executor.client.run(os.getpid).values())
        self.assertEqual(len(pids), 2)
        self.assertNotIn(os.getpid(), pids)
        executor.shutdown()
        self.assertIsNone(executor.client)
        for pid in pids:
            # The nannies reap their workers as they close; a pid that still exists is a
            # worker left behind (or a zombie nobody reaped).
            with self.assertRaises(ProcessLookupError, msg=f"worker {pid} outlived shutdown"):
                os.kill(pid, 0)
        faulthandler.cancel_dump_traceback_later()


if __name__ == "__main__":
    unittest.main()

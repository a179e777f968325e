"""A `kill_worker` body's `died` report names the process it ran in, so the adapter's death
watch knows the task ended and does not report it `killed` as well when that process exits
(the harness takes a second end of a task as a protocol error: "task 0 ended twice").

    VENV/bin/python -m unittest discover -s adapters/python/tests_dask

Runs the body in a forked child, as a process pool's worker would, and reads its datagrams.
"""

import json
import multiprocessing
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from overtime_protocol import TaskEnv, run_task  # noqa: E402

# A child that neither reports nor exits within this is a hang, not a slow machine.
WAIT_S = 60


class DiedReportTest(unittest.TestCase):
    def test_died_report_carries_the_dying_process_id(self):
        address = f"\0overtime-test-events-{os.getpid()}-{os.urandom(4).hex()}"
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as events:
            events.bind(address)
            events.settimeout(WAIT_S)
            env = TaskEnv(7, address, "\0overtime-test-no-gate", os.getpid())
            child = multiprocessing.get_context("fork").Process(
                target=run_task, args=(env, 0, {"kind": "kill_worker", "ms": 0}))
            child.start()
            child.join(WAIT_S)
            self.assertEqual(child.exitcode, 70, "the body did not kill its process")
            reports = [json.loads(events.recv(65536)) for _ in range(2)]
        started, died = reports
        self.assertEqual((started["type"], started["pid"]), ("task_started", child.pid))
        self.assertEqual((died["type"], died["end"]), ("task_ended", "died"))
        self.assertEqual(died.get("pid"), child.pid,
                         f"the died report does not name its process: {died}")


if __name__ == "__main__":
    unittest.main()

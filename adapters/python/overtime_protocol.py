"""The adapter kit's first API, kept for the adapters written against it (`fake_adapter.py`,
`killing_pool_adapter.py`): a thin layer over `overtime_adapter`, the kit, which new adapters
use directly (`overtime_adapter/__init__.py` teaches it).

An adapter here supplies an object with four methods (and an optional fifth):

- `profile()`: the `executor`, `modes`, `unsupported` and `contract` fields of the hello;
- `warm_up(n_jobs)`: start the workers before the first call, so start-up is not timed;
- `start(call, jobs)`: make the call (`call` is the parsed `call` line, `jobs` its
  `(env, task, spec)` tuples for `run_task(*job)`); return the list (List mode) or an iterator;
- `close(iterator)`: drop an unfinished (or finished) iteration;
- `shutdown()`, optional: called once when the harness closes stdin.

`main(executor)` serves it; `main(executor, report_killed=False)` does not report tasks whose
worker process died (what protocol version 1 could report: nothing).
"""

import os
import sys

# Run as a script's sibling (`python adapters/python/x_adapter.py`), the kit is beside it.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from overtime_adapter import (PROTOCOL, TIMEOUT_ERRORS, Executor, TaskEnv,  # noqa: E402,F401
                              TaskFailed, TaskRaisedTimeout, TaskReleased, TimedOut,
                              WorkerDeath, answer_of_exception, run_task, warm_task)
from overtime_adapter.server import MAX_LINE, Server  # noqa: E402,F401


class _Legacy(Executor):
    """An object of the first API seen as a kit `Executor`."""

    def __init__(self, executor):
        self._executor = executor

    def profile(self):
        return self._executor.profile()

    def warm_up(self, n_jobs):
        self._executor.warm_up(n_jobs)

    def run(self, call):
        return self._executor.start(call.message, call.jobs)

    def close(self, iteration):
        self._executor.close(iteration)

    def shutdown(self):
        shutdown = getattr(self._executor, "shutdown", None)
        if shutdown is not None:
            shutdown()


def Adapter(executor, report_killed=True):  # noqa: N802 -- the first API's class name
    """A server for an object of the first API."""
    return Server(_Legacy(executor), report_killed=report_killed)


def main(executor, report_killed=True):
    """Runs `executor` as an adapter until the harness closes stdin."""
    Adapter(executor, report_killed=report_killed).serve()

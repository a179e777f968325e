#!/usr/bin/env python3
"""overtime adapter for `joblib.Parallel` (protocol: `specs/protocol.md`).

    overtime check --executor 'cmd:python3 adapters/python/joblib_adapter.py --backend loky'

Backends: threading, loky, multiprocessing. Return modes: List is `return_as="list"`, Ordered
`"generator"`, Unordered `"generator_unordered"`; a mode the installed joblib does not accept
is declared unsupported in the hello. The declared contract is the one joblib documents for
`timeout` ("Timeout limit for each task to complete. If any task takes longer a TimeOutError
will be raised"): the task_runtime clock with abort. joblib cannot ask a running task to stop,
so `cancels_running` is false.

Each call is a fresh `Parallel(n_jobs=..., backend=..., timeout=..., return_as=...)` with
joblib's other defaults (batch_size="auto", pre_dispatch="2*n_jobs"); dropping an iteration
closes joblib's generator, as leaving a `for` loop early does.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import joblib  # noqa: E402 -- after the path set-up; a missing joblib must fail loudly
from joblib import Parallel, delayed  # noqa: E402

import overtime_protocol  # noqa: E402
from overtime_protocol import run_task, warm_task  # noqa: E402

RETURN_AS = {"list": "list", "ordered": "generator", "unordered": "generator_unordered"}
BACKENDS = ("threading", "loky", "multiprocessing")


class JoblibExecutor:
    def __init__(self, backend):
        self.backend = backend

    def profile(self):
        modes, unsupported = [], []
        for mode, return_as in RETURN_AS.items():
            try:
                # joblib validates return_as, and whether the backend supports it, in the
                # constructor; no worker starts here.
                Parallel(n_jobs=2, backend=self.backend, return_as=return_as)
            except (TypeError, ValueError) as e:
                unsupported.append({
                    "mode": mode,
                    "reason": f"joblib {joblib.__version__} ({self.backend}) rejects "
                              f"return_as={return_as!r}: {e}",
                })
            else:
                modes.append(mode)
        return {
            "executor": {"name": "joblib", "version": joblib.__version__,
                         "variant": self.backend},
            "modes": modes,
            "unsupported": unsupported,
            # The documentation says nothing of when a task's error surfaces, nor of a
            # deadline anchor (its clock is per task): the defaults, fail-fast.
            "contract": {"clock": "task_runtime", "on_timeout": "abort",
                         "cancels_running": False, "error_order": "fail_fast"},
        }

    def warm_up(self, n_jobs):
        # loky keeps its workers between calls: start them (and import the task module in
        # each) now, so worker start-up is not part of the first timed call.
        if n_jobs > 1:
            Parallel(n_jobs=n_jobs, backend=self.backend)(
                delayed(warm_task)(20) for _ in range(n_jobs)
            )

    def start(self, call, jobs):
        timeout = call["timeout_ms"]
        parallel = Parallel(
            n_jobs=call["n_jobs"],
            backend=self.backend,
            timeout=None if timeout is None else timeout / 1e3,
            return_as=RETURN_AS[call["mode"]],
        )
        return parallel(delayed(run_task)(*job) for job in jobs)

    def close(self, iterator):
        close = getattr(iterator, "close", None)
        if close is not None:
            close()

    def shutdown(self):
        # loky keeps one reusable executor for the whole process; shut it down and remove its
        # memmapping folders (joblib's MemmappingExecutor.terminate), so its workers exit and
        # its resource tracker unlinks its semaphores. joblib offers no public handle on it;
        # the threading and multiprocessing backends leave nothing between calls.
        if self.backend != "loky":
            return
        from joblib.externals.loky import reusable_executor
        executor = getattr(reusable_executor, "_executor", None)
        if executor is None:
            return
        terminate = getattr(executor, "terminate", None)
        if terminate is not None:
            terminate(kill_workers=False)
        else:
            executor.shutdown(wait=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=BACKENDS, default="loky")
    args = parser.parse_args()
    overtime_protocol.main(JoblibExecutor(args.backend))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""overtime adapter for `joblib.Parallel`, on the adapter kit (`overtime_adapter`).

    overtime check --executor 'cmd:python3 adapters/python/joblib_adapter.py --backend loky'

Backends: threading, loky, multiprocessing. Return modes: List is `return_as="list"`, Ordered
`"generator"`, Unordered `"generator_unordered"`; a mode the installed joblib does not accept
is declared unsupported in the hello. The declared contract is the one joblib documents for
`timeout` ("Timeout limit for each task to complete. If any task takes longer a TimeOutError
will be raised"): the task_runtime clock with abort. joblib cannot ask a running task to stop,
so `cancels_running` is false; it says nothing of when a task's error surfaces, nor of a
deadline anchor (its clock is per task): the defaults, fail-fast.

Each call is a fresh `Parallel(n_jobs=..., backend=..., timeout=..., return_as=...)` with
joblib's other defaults (batch_size="auto", pre_dispatch="2*n_jobs"); dropping an iteration
closes joblib's generator, as leaving a `for` loop early does.
"""

import argparse

import joblib
from joblib import Parallel, delayed

import overtime_adapter as ot

RETURN_AS = {"list": "list", "ordered": "generator", "unordered": "generator_unordered"}


class Joblib(ot.Executor):
    name, version = "joblib", joblib.__version__
    contract = ot.contract("task_runtime", "abort")

    def __init__(self, backend):
        self.variant = backend
        self.modes, self.unsupported = [], {}
        for mode, return_as in RETURN_AS.items():
            try:
                # joblib validates return_as, and whether the backend supports it, in the
                # constructor; no worker starts here.
                Parallel(n_jobs=2, backend=backend, return_as=return_as)
                self.modes.append(mode)
            except (TypeError, ValueError) as e:
                self.unsupported[mode] = (f"joblib {joblib.__version__} ({backend}) rejects "
                                          f"return_as={return_as!r}: {e}")

    def warm_up(self, n_jobs):
        # loky keeps its workers between calls: start them (and import the kit in each) now.
        if n_jobs > 1:
            Parallel(n_jobs=n_jobs, backend=self.variant)(
                delayed(ot.warm_task)(20) for _ in range(n_jobs))

    def run(self, call):
        parallel = Parallel(n_jobs=call.n_jobs, backend=self.variant, timeout=call.timeout,
                            return_as=RETURN_AS[call.mode])
        return parallel(delayed(ot.run_job)(job) for job in call.jobs)

    def shutdown(self):
        # loky keeps one reusable executor for the whole process: shut it down and remove its
        # memmapping folders (joblib's MemmappingExecutor.terminate), so its workers exit and
        # its resource tracker unlinks its semaphores. joblib offers no public handle on it;
        # the threading and multiprocessing backends leave nothing between calls.
        if self.variant != "loky":
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


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("threading", "loky", "multiprocessing"),
                        default="loky")
    ot.serve(Joblib(parser.parse_args().backend))

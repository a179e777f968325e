#!/usr/bin/env python3
"""overtime adapter for Dask distributed's futures (protocol: `specs/protocol.md`).

    overtime check --executor 'cmd:VENV/bin/python adapters/python/dask_adapter.py'

Each adapter (one per case) starts a `LocalCluster` of `n_jobs` worker processes with one
thread each (`processes=True`, `threads_per_worker=1`) in `warm_up`, before the case's clock,
and a `Client` on it. The worker processes are forked (`--start-method fork`, Dask's
`distributed.worker.multiprocessing-method`): on a loaded 2-core machine a cluster of 2 spawned
workers took 5.7 s to start, a forked one 0.8 s, and every case starts its own. `spawn` (Dask's
default) and `forkserver` are there to compare; the start method is the report name's variant. A call is `client.map(run_task, ...)`: the task bodies run in the
worker processes. Return modes:

- List: `distributed.wait(futures, timeout=T)`, then `client.gather(futures)`;
- Ordered: each pull waits for the next future in input order, `future.result(timeout=T)`;
- Unordered: `distributed.as_completed(futures, timeout=T)`, taking each future's result as it
  comes.

The declared contracts are what Dask documents, per mode (the docstrings of distributed
2026.8.0, which are its API reference):

- `as_completed` (Unordered): "The returned iterator raises a dask.distributed.TimeoutError if
  __next__() ... is called and the result isn't available after timeout seconds from the
  original call to as_completed()" — the overall clock anchored at the call, abort; it yields
  erred futures as they complete, and their `result()` raises the task's error — fail-fast.
- `Future.result(timeout=)` (Ordered): "Time in seconds after which to raise a
  dask.distributed.TimeoutError" — a limit on one wait of the consumer: the result_wait clock;
  a future's error is raised when its result is asked for, at its turn in input order.
- `wait(fs, timeout=)` (List): "Time after which to raise a dask.distributed.TimeoutError";
  it waits until all futures are finished (`return_when="ALL_COMPLETED"`, the default), so a
  task's error reaches `gather` only once every task ended — the overall clock anchored at the
  call, errors at the end.

Dask documents no way to stop a running task: `Client.cancel` "stops future tasks from being
scheduled if they have not yet run and deletes them if they have already run", so
`cancels_running` is false. A timeout cancels nothing by itself; when an iteration ends (a
timeout, an error, the end or a drop) the adapter cancels the call's futures, as releasing them
would, so that tasks not yet started never start.

A task that kills its worker: the nanny starts a new worker process, and the scheduler would run
the task again up to `distributed.scheduler.allowed-failures` times (3 by default) before the
future errs with `KilledWorker`. The protocol runs a task body at most once (a second start is
a protocol error), so the adapter sets `allowed-failures` to 0: the first death errs the future
with `KilledWorker`, reported as the executor's error.

`shutdown()` closes the client and the cluster (its worker processes end with it).
"""

import argparse
import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dask  # noqa: E402 -- after the path set-up; a missing dask must fail loudly
import distributed  # noqa: E402

import overtime_protocol  # noqa: E402
from overtime_protocol import TaskEnv, TaskFailed, run_task, warm_task  # noqa: E402


START_METHODS = ("fork", "spawn", "forkserver")


class DaskExecutor:
    def __init__(self, start_method):
        self.start_method = start_method
        self.cluster = None
        self.client = None

    def profile(self):
        as_completed = {"clock": "overall", "on_timeout": "abort", "cancels_running": False,
                        "error_order": "fail_fast", "deadline_anchor": "call"}
        result_wait = {"clock": "result_wait", "on_timeout": "abort", "cancels_running": False,
                       "error_order": "input_order"}
        return {
            "executor": {"name": "dask", "version": distributed.__version__,
                         "variant": self.start_method},
            "modes": ["list", "ordered", "unordered"],
            "unsupported": [],
            # wait(timeout=) then gather, in List mode.
            "contract": {"clock": "overall", "on_timeout": "abort", "cancels_running": False,
                         "error_order": "at_end", "deadline_anchor": "call"},
            "per_mode": {"ordered": result_wait, "unordered": as_completed},
        }

    def warm_up(self, n_jobs):
        """Starts the cluster, imports overtime_protocol in every worker and takes one task
        error through every worker to the client, all before the case's clock.

        The first error of a fresh cluster reaches the client 150-250 ms later than the ones
        after it (measured here: 180-290 ms for a task failing after 10 ms, then 30-110 ms),
        a one-off cost a long-lived cluster pays once; with a fresh cluster per case, every
        case would pay it, and a failing task's error would be judged by a cost that is not
        the timeout's."""
        client = self._cluster_of(n_jobs)
        client.gather(client.map(warm_task, [20] * n_jobs, pure=False))
        # A `fail` body, as a case's: its reports go to an address nobody listens on.
        env = TaskEnv(-1, "\0overtime-warm-up-unheard", "\0overtime-warm-up-no-gate", os.getpid())
        failures = [client.submit(run_task, env, -1, {"kind": "fail", "ms": 0}, pure=False,
                                  workers=[worker])
                    for worker in client.scheduler_info()["workers"]]
        distributed.wait(failures)
        for failure in failures:
            if not isinstance(failure.exception(), TaskFailed):
                raise RuntimeError(f"the warm-up's failing task ended {failure.status}")

    def _cluster_of(self, n_jobs):
        """The client of a cluster with `n_jobs` single-threaded worker processes."""
        if self.cluster is None:
            dask.config.set({"distributed.worker.multiprocessing-method": self.start_method,
                             "distributed.scheduler.allowed-failures": 0})
            self.cluster = distributed.LocalCluster(
                n_workers=n_jobs, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=logging.ERROR)
            self.client = distributed.Client(self.cluster)
        elif len(self.cluster.workers) != n_jobs:
            self.cluster.scale(n_jobs)
            self.client.wait_for_workers(n_jobs)
        return self.client

    def start(self, call, jobs):
        timeout = call["timeout_ms"]
        timeout = None if timeout is None else timeout / 1e3
        client = self._cluster_of(call["n_jobs"])
        columns = list(zip(*jobs)) or [(), (), ()]
        futures = client.map(run_task, *columns, pure=False)
        mode = call["mode"]
        if mode == "list":
            try:
                distributed.wait(futures, timeout=timeout)
                return client.gather(futures)
            finally:
                client.cancel(futures)
        if mode == "ordered":
            results = (future.result(timeout=timeout) for future in futures)
        else:
            completed = distributed.as_completed(futures, timeout=timeout)
            results = (future.result() for future in completed)
        return _Iteration(results, client, futures)

    def close(self, iteration):
        iteration.results.close()
        iteration.client.cancel(iteration.futures)

    def shutdown(self):
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = None


class _Iteration:
    """A lazy iteration and the futures to cancel when it is dropped."""

    def __init__(self, results, client, futures):
        self.results = results
        self.client = client
        self.futures = futures

    def __next__(self):
        return next(self.results)

    def __iter__(self):
        return self


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start-method", choices=START_METHODS, default="fork",
                        help="how the nannies start their worker processes (default: fork)")
    args = parser.parse_args()
    overtime_protocol.main(DaskExecutor(args.start_method))


if __name__ == "__main__":
    main()

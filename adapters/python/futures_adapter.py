#!/usr/bin/env python3
"""overtime adapter for Python's `concurrent.futures`, on the adapter kit (`overtime_adapter`).

    overtime check --executor 'cmd:python3 adapters/python/futures_adapter.py --pool threads'

Pools: `threads` (ThreadPoolExecutor) and `processes` (ProcessPoolExecutor), one pool of
`n_jobs` workers per call. Return modes: List is `list(pool.map(f, tasks, timeout=T))`,
Ordered iterates `pool.map(f, tasks, timeout=T)`, Unordered iterates
`as_completed(futures, timeout=T)` and takes each future's result.

The declared contracts are what the documentation of `concurrent.futures` says, per mode
(https://docs.python.org/3/library/concurrent.futures.html):

- `map` (List, Ordered): "The returned iterator raises a TimeoutError if __next__() is called
  and the result isn't available after timeout seconds from the original call to
  Executor.map()" — the overall clock, anchored at the call, abort; "If a fn call raises an
  exception, then that exception will be raised when its value is retrieved from the
  iterator" — errors at their turn in input order.
- `as_completed` (Unordered): "raises a TimeoutError if __next__() is called and the result
  isn't available after timeout seconds from the original call to as_completed()" — the
  overall clock anchored at the call, abort; futures are yielded "as they complete (finished
  or cancelled futures)", and the adapter takes each one's result as it comes — fail-fast.

A running future cannot be cancelled, so `cancels_running` is false.

Once the consumer is done with a call (its last answer, or the drop) the kit runs the
call's clean-up, `pool.shutdown(wait=False, cancel_futures=True)` (`call.on_close`): tasks not
started never start. (A `with` block would call `shutdown(wait=True)` and wait for a hung
task forever, and would delay every error answer by that shutdown.)
"""

import argparse
import concurrent.futures
import platform

import overtime_adapter as ot

POOLS = {
    "threads": concurrent.futures.ThreadPoolExecutor,
    "processes": concurrent.futures.ProcessPoolExecutor,
}


class Futures(ot.Executor):
    name, version = "concurrent.futures", platform.python_version()
    contract = ot.contract("overall", "abort", error_order="input_order")  # Executor.map
    per_mode = {"unordered": ot.contract("overall", "abort")}  # as_completed

    def __init__(self, pool):
        self.variant = pool
        self._pools = []  # every pool started, for shutdown()

    def list(self, call):
        pool = self._pool(call)
        return list(pool.map(ot.run_job, call.jobs, timeout=call.timeout))

    def ordered(self, call):
        pool = self._pool(call)
        return pool.map(ot.run_job, call.jobs, timeout=call.timeout)

    def unordered(self, call):
        pool = self._pool(call)
        futures = [pool.submit(ot.run_job, job) for job in call.jobs]
        completed = concurrent.futures.as_completed(futures, timeout=call.timeout)
        return (f.result() for f in completed)

    def _pool(self, call):
        pool = POOLS[self.variant](max_workers=call.n_jobs)
        self._pools.append(pool)
        # Once the consumer is done (its last answer, or the drop): tasks not started never
        # start, and nobody waits for a hung one.
        call.on_close(pool.shutdown, wait=False, cancel_futures=True)
        return pool

    def shutdown(self):
        # After the release no task hangs any more: wait for every pool's workers to exit.
        for pool in self._pools:
            pool.shutdown(wait=True, cancel_futures=True)
        self._pools.clear()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", choices=sorted(POOLS), default="threads")
    ot.serve(Futures(parser.parse_args().pool))

#!/usr/bin/env python3
"""overtime adapter for Python's `concurrent.futures` (protocol: `specs/protocol.md`).

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

When the iteration ends (a timeout, an error, the end or a drop) the adapter calls
`pool.shutdown(wait=False, cancel_futures=True)`: tasks not started never start. (A `with`
block would call `shutdown(wait=True)` and wait for a hung task forever.)
"""

import argparse
import concurrent.futures
import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import overtime_protocol  # noqa: E402
from overtime_protocol import run_task  # noqa: E402

POOLS = {
    "threads": concurrent.futures.ThreadPoolExecutor,
    "processes": concurrent.futures.ProcessPoolExecutor,
}


class _Iteration:
    """A lazy iteration and the pool it must shut down when dropped."""

    def __init__(self, iterator, pool):
        self.iterator = iterator
        self.pool = pool

    def __next__(self):
        return next(self.iterator)

    def __iter__(self):
        return self


class FuturesExecutor:
    def __init__(self, pool):
        self.pool = pool
        self._pools = []  # every pool started, for shutdown()

    def profile(self):
        as_completed = {"clock": "overall", "on_timeout": "abort", "cancels_running": False,
                        "error_order": "fail_fast", "deadline_anchor": "call"}
        return {
            "executor": {"name": "concurrent.futures", "version": platform.python_version(),
                         "variant": self.pool},
            "modes": ["list", "ordered", "unordered"],
            "unsupported": [],
            # Executor.map, in List and Ordered mode.
            "contract": {"clock": "overall", "on_timeout": "abort", "cancels_running": False,
                         "error_order": "input_order", "deadline_anchor": "call"},
            "per_mode": {"unordered": as_completed},
        }

    def warm_up(self, n_jobs):
        # A pool per call, as a `with` block would make: nothing outlives a call to warm.
        pass

    def start(self, call, jobs):
        timeout = call["timeout_ms"]
        timeout = None if timeout is None else timeout / 1e3
        pool = POOLS[self.pool](max_workers=call["n_jobs"])
        self._pools.append(pool)
        mode = call["mode"]
        columns = list(zip(*jobs)) or [(), (), ()]
        if mode == "list":
            try:
                return list(pool.map(run_task, *columns, timeout=timeout))
            finally:
                pool.shutdown(wait=False, cancel_futures=True)
        if mode == "ordered":
            return _Iteration(pool.map(run_task, *columns, timeout=timeout), pool)
        futures = [pool.submit(run_task, *job) for job in jobs]
        completed = concurrent.futures.as_completed(futures, timeout=timeout)
        return _Iteration((f.result() for f in completed), pool)

    def close(self, iteration):
        iteration.iterator.close()
        iteration.pool.shutdown(wait=False, cancel_futures=True)

    def shutdown(self):
        # After the release no task hangs any more: wait for every pool's workers to exit.
        for pool in self._pools:
            pool.shutdown(wait=True, cancel_futures=True)
        self._pools.clear()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", choices=sorted(POOLS), default="threads")
    args = parser.parse_args()
    overtime_protocol.main(FuturesExecutor(args.pool))


if __name__ == "__main__":
    main()

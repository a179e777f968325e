#!/usr/bin/env python3
"""overtime adapter for Python's `concurrent.futures` (protocol: `specs/protocol.md`).

    overtime check --executor 'cmd:python3 adapters/python/futures_adapter.py --pool threads'

Pools: `threads` (ThreadPoolExecutor) and `processes` (ProcessPoolExecutor), one pool of
`n_jobs` workers per call. Return modes: List is `list(pool.map(f, tasks, timeout=T))`,
Ordered iterates `pool.map(f, tasks, timeout=T)`, Unordered iterates
`as_completed(futures, timeout=T)` and takes each future's result. Both timeouts run from the
call: the declared contract is the overall clock with abort. A running future cannot be
cancelled, so `cancels_running` is false.

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

    def profile(self):
        return {
            "executor": {"name": "concurrent.futures", "version": platform.python_version(),
                         "variant": self.pool},
            "modes": ["list", "ordered", "unordered"],
            "unsupported": [],
            "contract": {"clock": "overall", "on_timeout": "abort", "cancels_running": False},
        }

    def warm_up(self, n_jobs):
        # A pool per call, as a `with` block would make: nothing outlives a call to warm.
        pass

    def start(self, call, jobs):
        timeout = call["timeout_ms"]
        timeout = None if timeout is None else timeout / 1e3
        pool = POOLS[self.pool](max_workers=call["n_jobs"])
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", choices=sorted(POOLS), default="threads")
    args = parser.parse_args()
    overtime_protocol.main(FuturesExecutor(args.pool))


if __name__ == "__main__":
    main()

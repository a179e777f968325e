#!/usr/bin/env python3
"""A test adapter whose workers keep clocks of their own (specs/protocol.md §5.1).

    overtime check --executor 'cmd:python3 adapters/python/shifted_clock_adapter.py'
    overtime check --executor 'cmd:python3 adapters/python/shifted_clock_adapter.py --withhold-offsets'

It is `futures_adapter.py --pool threads` (concurrent.futures' ThreadPoolExecutor, the same
declared contracts), except that each worker thread stands for a worker on another host: its
task bodies stamp their start and end on a clock shifted from the adapter's, by +40 ms, -35 ms,
+40 ms, ... in the order the pool starts its workers (`--shifts-ms` sets the list).

Honest (the default): when a worker starts, before it runs a task, the adapter measures its
clock as an adapter for a cluster would, over the same queue its requests travel by: 8
exchanges (the adapter reads its clock, asks the worker for the worker's, reads its clock
again), the one with the shortest round trip kept, offset = worker's reading - the midpoint of
the adapter's two readings, uncertainty = half that round trip. It reports the offset with
`worker_clock` and every body's stamp names its `worker`. Judged, it must be indistinguishable
from the unshifted pool: `--shifts-ms 0 --withhold-offsets` is that unshifted pool.

`--withhold-offsets`: the same shifted clocks, no `worker_clock` and no `worker` field — an
adapter that assumes one clock for the whole cluster. The harness must catch it.
"""

import argparse
import concurrent.futures
import itertools
import os
import queue
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import futures_adapter  # noqa: E402
import overtime_adapter as ot  # noqa: E402

# How many clock exchanges measure one worker; the shortest round trip is kept.
CLOCK_SAMPLES = 8

# The worker a body runs on, and its clock's shift: set by the pool's initializer.
_worker = threading.local()


def _worker_now():
    """The calling worker's own clock (the adapter's, shifted)."""
    return time.monotonic_ns() + _worker.shift_ns


class ClockProbe:
    """The adapter's side of the clock exchanges: one thread that measures each worker that
    asks, reports its offset, then lets the worker go on."""

    def __init__(self, server):
        self.server = server
        self.requests = queue.Queue()
        threading.Thread(target=self._serve, name="overtime-clock-probe", daemon=True).start()

    def measure(self, name):
        """Called on the worker's thread: answers the exchanges, returns once the offset is
        reported (so it precedes every stamp of this worker)."""
        asks, replies, reported = queue.Queue(), queue.Queue(), threading.Event()
        self.requests.put((name, asks, replies, reported))
        while asks.get() is not None:
            replies.put(_worker_now())
        reported.wait()

    def _serve(self):
        while True:
            name, asks, replies, reported = self.requests.get()
            best = None
            for _ in range(CLOCK_SAMPLES):
                sent = time.monotonic_ns()
                asks.put(True)
                theirs = replies.get()
                back = time.monotonic_ns()
                if best is None or back - sent < best[0]:
                    best = (back - sent, theirs - (sent + back) // 2)
            asks.put(None)
            round_trip, offset = best
            self.server.worker_clock(name, offset, (round_trip + 1) // 2)
            reported.set()


class ShiftedPools:
    """Makes the thread pools whose workers keep shifted clocks."""

    def __init__(self, shifts_ms, withhold):
        self.shifts_ns = [round(ms * 1e6) for ms in shifts_ms]
        self.withhold = withhold
        self.probe = None  # set once the adapter exists

    def pool(self, max_workers):
        index = itertools.count()
        return concurrent.futures.ThreadPoolExecutor(
            max_workers=max_workers, initializer=self._join, initargs=(index,))

    def _join(self, index):
        """A new worker: its name and clock, measured and reported unless withheld."""
        k = next(index)
        _worker.name = f"w{k}"
        _worker.shift_ns = self.shifts_ns[k % len(self.shifts_ns)]
        if not self.withhold:
            self.probe.measure(_worker.name)

    def stamp(self):
        """The task bodies' stamp on these workers (`ot.stamp_bodies_with`)."""
        if getattr(_worker, "name", None) is None:
            return {"at_ns": time.monotonic_ns()}
        if self.withhold:
            return {"at_ns": _worker_now()}
        return {"at_ns": _worker_now(), "worker": _worker.name}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shifts-ms", default="40,-35",
                        help="the workers' clock shifts, cycled (default: 40,-35)")
    parser.add_argument("--withhold-offsets", action="store_true",
                        help="never report the workers' clocks (the adapter that must be caught)")
    args = parser.parse_args()
    try:
        shifts = [float(s) for s in args.shifts_ms.split(",")]
    except ValueError:
        parser.error(f"--shifts-ms takes milliseconds separated by commas, not {args.shifts_ms!r}")
    pools = ShiftedPools(shifts, args.withhold_offsets)
    futures_adapter.POOLS["shifted-threads"] = pools.pool
    ot.stamp_bodies_with(pools.stamp)
    server = ot.Server(futures_adapter.Futures("shifted-threads"))
    pools.probe = ClockProbe(server)
    server.serve()


if __name__ == "__main__":
    main()

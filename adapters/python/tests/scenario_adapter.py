"""Small adapters on the kit for its tests: `python scenario_adapter.py SCENARIO`."""

import asyncio
import multiprocessing
import os
import sys
import threading
import time

import overtime_adapter as ot  # the installed kit (`pip install ./adapters/python`)


class Serial(ot.Executor):
    """Runs the tasks one by one in the consumer's thread."""

    name, version, variant = "serial", "1", "test"
    contract = ot.contract("overall", "abort")

    def list(self, call):
        return [ot.run_job(job) for job in call.jobs]

    def ordered(self, call):
        return (ot.run_job(job) for job in call.jobs)

    unordered = ordered

    def shutdown(self):
        sys.stderr.write("shutdown called\n")


class Marks(Serial):
    """Yields a `TimedOut` marker for every `hang` task instead of running it."""

    contract = ot.contract("task_runtime", "per_task")

    def ordered(self, call):
        for job in call.jobs:
            yield ot.TimedOut(job.task) if job.spec["kind"] == "hang" else ot.run_job(job)

    unordered = ordered

    def list(self, call):
        return list(self.ordered(call))


class Owned(Serial):
    """Reports on stderr the thread of every call into it."""

    owner_thread = True

    def _note(self, what):
        sys.stderr.write(f"{what} on {threading.get_ident()}\n")

    def warm_up(self, n_jobs):
        self._note("warm_up")

    def list(self, call):
        self._note("list")
        return super().list(call)

    def ordered(self, call):
        self._note("ordered")
        for job in call.jobs:
            self._note("next")
            yield ot.run_job(job)

    unordered = ordered

    def close(self, iteration):
        self._note("close")
        iteration.close()

    def shutdown(self):
        self._note("shutdown")


class Killing(Serial):
    """Runs each task in its own process and kills it after 200 ms."""

    def list(self, call):
        results = []
        for job in call.jobs:
            worker = multiprocessing.get_context("fork").Process(target=ot.run_job, args=(job,))
            worker.start()
            worker.join(0.2)
            if worker.is_alive():
                worker.kill()
                worker.join()
                raise TimeoutError("killed")
            results.append(job.task)
        return results


class NoContract(Serial):
    contract = None


CLEANUP_S = float(os.environ.get("SCENARIO_CLEANUP_S", "1.0"))


def _slow_cleanup(what):
    """A clean-up as slow as a pool's `terminate()` can be; says when it began and ended."""
    sys.stderr.write(f"cleanup {what} begun {time.monotonic_ns()}\n")
    time.sleep(CLEANUP_S)
    sys.stderr.write(f"cleanup {what} ended {time.monotonic_ns()}\n")
    sys.stderr.flush()


class SlowFinally(Serial):
    """The trap: clean-up in the generator's `finally:` (and a `with` in List mode), which runs
    before the consumer gets the error."""

    contract = ot.contract("overall", "abort", error_order="input_order")

    def list(self, call):
        try:
            return [ot.run_job(job) for job in call.jobs]
        finally:
            _slow_cleanup("list")

    @ot.primed
    def ordered(self, call):
        yield
        try:
            for job in call.jobs:
                yield ot.run_job(job)
        finally:
            _slow_cleanup("ordered")

    unordered = ordered


class SlowOnClose(SlowFinally):
    """The same clean-up through `call.on_close`: after the answer, and at any drop."""

    def list(self, call):
        call.on_close(_slow_cleanup, "list")
        return [ot.run_job(job) for job in call.jobs]

    @ot.primed
    def ordered(self, call):
        call.on_close(_slow_cleanup, "ordered")
        yield
        for job in call.jobs:
            yield ot.run_job(job)

    unordered = ordered


class LibraryFinally(Serial):
    """Iterates a generator of the executor's own library, whose clean-up runs before its
    error leaves it (slow_library.py)."""

    contract = ot.contract("overall", "abort", error_order="input_order")

    def ordered(self, call):
        import slow_library
        return slow_library.results(call.jobs, CLEANUP_S)

    unordered = ordered


async def _body(job):
    """A task body of the adapter's own, as a coroutine, on the kit's public body API."""
    ot.report_started(job)
    kind = job.spec["kind"]
    await asyncio.sleep(job.spec.get("ms", 0) / 1e3)
    if kind == "kill_worker":
        ot.kill_worker(job)
    if kind in ("fail", "raise_timeout"):
        ot.report_ended(job, "failed")
        raise ot.task_error(job)
    ot.report_ended(job, "returned")
    return job.task


class Coroutines(Serial):
    """Tasks as asyncio coroutines, gathered with `asyncio.wait_for` (List mode only)."""

    modes = ["list"]
    unsupported = {"ordered": "a test of List mode only", "unordered": "a test of List mode only"}

    def list(self, call):
        async def gather():
            return await asyncio.wait_for(asyncio.gather(*map(_body, call.jobs)), call.timeout)

        return asyncio.run(gather())


class OwnerPerCall(Serial):
    """An executor instance per call, each bound to an `OwnerThread` of its own."""

    def ordered(self, call):
        owner = ot.OwnerThread(f"owner-{call.id}")
        call.on_close(owner.close)
        return owner.iterate(owner.do(lambda: (ot.run_job(job) for job in call.jobs)))

    unordered = ordered


SCENARIOS = {"serial": Serial, "marks": Marks, "owned": Owned, "killing": Killing,
             "no-contract": NoContract, "slow-finally": SlowFinally,
             "slow-on-close": SlowOnClose, "coroutines": Coroutines,
             "owner-per-call": OwnerPerCall, "library-finally": LibraryFinally}

if __name__ == "__main__":
    ot.serve(SCENARIOS[sys.argv[1]]())

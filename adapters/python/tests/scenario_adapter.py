"""Small adapters on the kit for its tests: `python scenario_adapter.py SCENARIO`."""

import multiprocessing
import sys
import threading

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


SCENARIOS = {"serial": Serial, "marks": Marks, "owned": Owned, "killing": Killing,
             "no-contract": NoContract}

if __name__ == "__main__":
    ot.serve(SCENARIOS[sys.argv[1]]())

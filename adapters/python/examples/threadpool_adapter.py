"""overtime adapter for multiprocessing.pool.ThreadPool, on the kit (pip install overtime-adapter)."""
import platform
from multiprocessing.pool import ThreadPool

import overtime_adapter as ot


class Threads(ot.Executor):
    name, version, variant = "multiprocessing.pool", platform.python_version(), "ThreadPool"
    # map_async(...).get(timeout): the whole call; an error surfaces once every task ended.
    contract = ot.contract("overall", "abort", error_order="at_end")
    # imap / imap_unordered: next(timeout) bounds each wait for the next result.
    per_mode = {"ordered": ot.contract("result_wait", "abort", error_order="input_order"),
                "unordered": ot.contract("result_wait", "abort")}

    def pool(self, call):
        pool = ThreadPool(call.n_jobs)
        call.on_close(pool.terminate)  # once the consumer has its last answer, or drops
        return pool

    def list(self, call):
        return self.pool(call).map_async(ot.run_job, call.jobs).get(call.timeout)

    @ot.primed
    def ordered(self, call, imap=ThreadPool.imap):
        results = imap(self.pool(call), ot.run_job, call.jobs)
        yield  # the call is made; the rest runs at the consumer's pulls
        for _ in call.jobs:
            yield results.next(call.timeout)

    def unordered(self, call):
        return self.ordered(call, imap=ThreadPool.imap_unordered)


ot.serve(Threads())

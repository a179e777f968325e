"""overtime-adapter: write an adapter for overtime (`specs/protocol.md`, protocol 2) in a few
lines. An adapter states its executor's profile and makes a call per mode; the kit owns the
rest — the handshake, the clock, strict parsing of the harness's lines, one consumer thread per
call with its start delay, pauses and drop, the task bodies and their events (from any
process), per-task `TimedOut` markers, tasks killed with their worker process, an owner thread
for executors bound to one thread, the release of hung tasks, and the shutdown on stdin EOF.

    import concurrent.futures, platform
    import overtime_adapter as ot

    class Threads(ot.Executor):
        name, version, variant = "concurrent.futures", platform.python_version(), "threads"
        modes = ["list", "ordered"]
        contract = ot.contract("overall", error_order="input_order")

        def list(self, call):
            with concurrent.futures.ThreadPoolExecutor(call.n_jobs) as pool:
                return list(pool.map(ot.run_job, call.jobs, timeout=call.timeout))
        ...

    ot.serve(Threads())

The mode methods receive a `Call` (`call.jobs`, `call.n_jobs`, `call.timeout` in seconds or
None) and hand each job to the executor with `run_job`, which runs the harness's task body and
returns the task's index. `list(call)` returns the results; `ordered` / `unordered` return an
iterator (a generator, a library's iterator), which the kit's consumer pulls and drops with
`close(iteration)`. Whatever the executor raises is the answer: its timeout error (any
`TimeoutError`) is the timeout, a task's own failure names the task, anything else is an
executor error (`is_executor_timeout(e)` tells the executor's timeout from a task's own
`TimeoutError`). An executor that yields a marker for a timed-out task instead of raising
yields `TimedOut(task)`. See `Executor` for the profile and the hooks.

Clean-up belongs in `call.on_close(fn, *args)`, which runs after the call's last answer and
after any drop, not in a `finally:` of the mode's generator, which runs before the consumer
gets the error (the kit measures that delay and warns on stderr when it reaches
`ANSWER_DELAY_WARNING_MS`). A task body of your own (a coroutine, a body that kills its worker
its own way) reports with `report_started(job)` and `report_ended(job, end)`, waits with
`wait_for_release(job)`, fails with `task_error(job)` and dies with `kill_worker(job)`; see
`run_task` for the harness's own. An executor instance bound to one thread gets an
`OwnerThread`. Under pytest, the kit's plugin runs `overtime check` (`pytest --overtime`;
`overtime_adapter.pytest_plugin`).
"""

from .executor import (MODES, Call, Executor, ProfileError, contract, primed)
from .server import (ANSWER_DELAY_WARNING_MS, PROTOCOL, OwnerThread, ProtocolError, Server,
                     parse_harness_line, serve)
from .tasks import (ENDS, TIMEOUT_ERRORS, Job, TaskEnv, TaskFailed, TaskRaisedTimeout,
                    TaskReleased, TimedOut, WorkerDeath, answer_of_exception, answer_of_value,
                    is_executor_timeout, kill_worker, report_ended, report_started, run_job,
                    run_task, stamp_bodies_with, task_error, wait_for_release, warm_task)

__version__ = "2.1.0"

__all__ = [
    "ANSWER_DELAY_WARNING_MS", "ENDS", "MODES", "PROTOCOL", "TIMEOUT_ERRORS", "Call",
    "Executor", "Job", "OwnerThread", "ProfileError", "ProtocolError", "Server", "TaskEnv",
    "TaskFailed", "TaskRaisedTimeout", "TaskReleased", "TimedOut", "WorkerDeath",
    "answer_of_exception", "answer_of_value", "contract", "is_executor_timeout", "kill_worker",
    "parse_harness_line", "primed", "report_ended", "report_started", "run_job", "run_task",
    "serve", "stamp_bodies_with", "task_error", "wait_for_release", "warm_task",
]

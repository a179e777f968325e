"""What an adapter writes: an `Executor` subclass that states its profile and runs a call per
mode, and the `Call` it is given. The protocol itself is `server.py`'s.
"""

import functools

from .tasks import Job

MODES = ("list", "ordered", "unordered")
CLOCKS = ("task_runtime", "result_wait", "overall")
ON_TIMEOUT = ("abort", "per_task")
ERROR_ORDERS = ("fail_fast", "input_order", "at_end")
DEADLINE_ANCHORS = ("call", "first_pull")


class ProfileError(ValueError):
    """A profile the harness would refuse; raised before anything is sent, naming the fix."""


def contract(clock, on_timeout="abort", cancels_running=False, error_order="fail_fast",
             deadline_anchor="call"):
    """The promise an executor documents about its timeout (`specs/timeout-semantics.md` §1):

    - `clock`: what the timeout measures — `task_runtime` (each task from its own start),
      `result_wait` (each wait of the consumer for its next result) or `overall` (the whole
      call);
    - `on_timeout`: `abort` (the iteration raises the timeout error) or `per_task` (the
      timed-out task's slot yields a `TimedOut` marker and the other tasks go on);
    - `cancels_running`: whether a timeout stops the tasks still running;
    - `error_order`: a task's error surfaces at once (`fail_fast`), at its turn in input
      order (`input_order`) or once every task has ended (`at_end`);
    - `deadline_anchor`: the overall deadline counts from the `call` or from the consumer's
      `first_pull`.
    """
    for name, value, allowed in (("clock", clock, CLOCKS), ("on_timeout", on_timeout, ON_TIMEOUT),
                                 ("error_order", error_order, ERROR_ORDERS),
                                 ("deadline_anchor", deadline_anchor, DEADLINE_ANCHORS)):
        if value not in allowed:
            raise ProfileError(f"contract {name}={value!r}: expected one of {', '.join(allowed)}")
    if not isinstance(cancels_running, bool):
        raise ProfileError(f"contract cancels_running={cancels_running!r}: expected True or False")
    return {"clock": clock, "on_timeout": on_timeout, "cancels_running": cancels_running,
            "error_order": error_order, "deadline_anchor": deadline_anchor}


class Call:
    """One call the harness sent, as a mode function sees it.

    - `mode`: `list`, `ordered` or `unordered`;
    - `jobs`: one `Job` per task, in input order — hand them with `run_job` to the executor
      (`pool.map(run_job, call.jobs)`); each returns its task index;
    - `n_jobs`: the workers to use; `timeout`: seconds, or None for no timeout
      (`timeout_ms` as sent);
    - `id`, `tasks` (the task specs as sent), `message` (the whole `call` line, parsed);
    - `on_close(fn, *args)`: clean-up for this call (see there).
    """

    def __init__(self, message, env):
        self.message = message
        self.id = message["call"]
        self.mode = message["mode"]
        self.tasks = message["tasks"]
        self.n_jobs = message["n_jobs"]
        self.timeout_ms = message["timeout_ms"]
        self.timeout = None if self.timeout_ms is None else self.timeout_ms / 1e3
        self.jobs = [Job(env, i, spec) for i, spec in enumerate(self.tasks)]
        self._closers = []

    def on_close(self, fn, *args, **kwargs):
        """Registers `fn(*args, **kwargs)` to run once the consumer is done with this call:
        after its last answer (List mode) or after the drop (lazy modes) — whenever the drop
        comes, before the first pull too. Clean-ups run last registered first, on the thread
        that makes the call's steps (the owner thread, with `owner_thread`). Prefer it to a
        `finally:` in the mode's generator: a `finally:` runs *before* the consumer gets the
        generator's error, so a slow clean-up (`terminate()`) delays every error answer (the kit
        warns, with the delay); and a primed generator dropped before its first pull never runs
        a `finally:` placed after its priming `yield`."""
        self._closers.append((fn, args, kwargs))
        return fn

    def __repr__(self):
        return (f"Call(id={self.id}, mode={self.mode!r}, n_tasks={len(self.jobs)}, "
                f"n_jobs={self.n_jobs}, timeout={self.timeout})")


class Executor:
    """The base of an adapter: set the profile's attributes, define one method per mode in
    `modes` (`list(call)` returns the results, `ordered(call)` / `unordered(call)` an
    iterator), or override `run(call)` for all of them. Optional hooks: `warm_up(n_jobs)`,
    `close(iteration)`, `shutdown()`.

    Profile attributes:

    - `name`, `version`, `variant` (optional): the report's name is `name-version[-variant]`;
    - `modes`: the modes the executor runs; `unsupported`: {mode: why it cannot};
    - `contract`: what it documents, built with `contract(...)`; `per_mode`: {mode: contract}
      for a mode whose API promises something else;
    - `owner_thread`: True if the executor must only be touched from one thread: every call
      into it (warm-up, the call, each pull, the drop, the clean-ups, shutdown) then runs on
      one thread, in turn — a pull blocked in the executor delays the next call's steps, as it
      would in a program bound to that thread. One thread for the adapter's one executor; an
      adapter that makes an executor instance per call gives each an `OwnerThread` of its own
      instead, so calls never wait on each other;
    - `report_killed`: report tasks whose worker process died as `killed` (default True).
    """

    name = None
    version = None
    variant = None
    modes = MODES
    unsupported = {}
    contract = None
    per_mode = {}
    owner_thread = False
    report_killed = True

    def profile(self):
        """The hello's profile fields, checked as the harness would check them."""
        if not self.name or not isinstance(self.name, str):
            raise ProfileError(f"{type(self).__name__}.name must be the executor's name (a string)")
        if self.version is None:
            raise ProfileError(f"{type(self).__name__}.version must be the executor's version")
        modes = list(self.modes)
        unsupported = dict(self.unsupported)
        for mode in modes + list(unsupported):
            if mode not in MODES:
                raise ProfileError(f"unknown mode {mode!r}: expected one of {', '.join(MODES)}")
        both = set(modes) & set(unsupported)
        if both:
            raise ProfileError(f"modes {sorted(both)} are both in `modes` and `unsupported`")
        if self.contract is None:
            raise ProfileError(f"{type(self).__name__}.contract is missing: "
                               "set it with overtime_adapter.contract(...)")
        for mode in modes:
            if type(self).run is Executor.run and not callable(getattr(self, mode, None)):
                raise ProfileError(f"mode {mode!r} is declared but {type(self).__name__} has no "
                                   f"`{mode}(call)` method (nor a `run(call)`)")
        for mode in self.per_mode:
            if mode not in modes and mode not in unsupported:
                raise ProfileError(f"per_mode declares a contract for {mode!r}, which is neither "
                                   "in `modes` nor `unsupported`")
        executor = {"name": self.name, "version": str(self.version)}
        if self.variant is not None:
            executor["variant"] = str(self.variant)
        hello = {
            "executor": executor,
            "modes": modes,
            "unsupported": [{"mode": m, "reason": r} for m, r in unsupported.items()],
            "contract": dict(self.contract),
        }
        if self.per_mode:
            hello["per_mode"] = {m: dict(c) for m, c in self.per_mode.items()}
        return hello

    def warm_up(self, n_jobs):
        """Starts `n_jobs` workers before the first timed call, if the executor keeps them."""

    def run(self, call):
        """Makes the call: its results (List mode) or an iterator over them."""
        return getattr(self, call.mode)(call)

    def close(self, iteration):
        """Drops an iteration, finished or not (by default its `close()`, if it has one)."""
        close = getattr(iteration, "close", None)
        if close is not None:
            close()

    def shutdown(self):
        """Called once when the harness closes stdin: stop the executor's workers cleanly."""


def primed(generator_function):
    """For a mode written as a generator function whose *call* must happen when the mode is
    called, not at the first pull: put a bare `yield` right after making the call. The kit
    runs the generator up to that `yield` at once (between `call_made` and `call_returned`);
    what follows runs from the consumer's first pull on — where an executor whose deadline is
    anchored at the first pull (`deadline_anchor="first_pull"`) starts its clock.

        @primed
        def ordered(self, call):
            futures = [pool.submit(run_job, job) for job in call.jobs]
            yield                       # the call is made; the rest runs at the pulls
            deadline = time.monotonic() + call.timeout
            ...
    """

    @functools.wraps(generator_function)
    def prime(*args, **kwargs):
        generator = generator_function(*args, **kwargs)
        first = next(generator)
        if first is not None:
            generator.close()
            raise TypeError(f"{generator_function.__qualname__}: a @primed generator must "
                            f"first `yield` nothing (the priming point), not {first!r}")
        return generator

    return prime


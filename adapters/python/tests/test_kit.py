"""The kit's own behaviour, through its test adapters and in-process."""

import os
import threading

import pytest

import overtime_adapter as ot

EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples",
                       "threadpool_adapter.py")

SLEEP = {"kind": "sleep", "ms": 1.0}
FAIL = {"kind": "fail", "ms": 1.0}
HANG = {"kind": "hang"}


def kinds(events, *types):
    return [e["type"] for e in events if not types or e["type"] in types]


def answers(events):
    return [e["answer"] for e in events if e["type"] == "answered"]


# -- the protocol --------------------------------------------------------------------------


def test_the_hello_declares_the_profile_with_every_contract_dimension(adapter):
    hello = adapter("serial").hello()
    assert hello == {
        "type": "hello", "protocol": 2,
        "executor": {"name": "serial", "version": "1", "variant": "test"},
        "modes": ["list", "ordered", "unordered"], "unsupported": [],
        "contract": {"clock": "overall", "on_timeout": "abort", "cancels_running": False,
                     "error_order": "fail_fast", "deadline_anchor": "call"},
    }


def test_a_clock_request_is_answered_with_its_seq(adapter):
    session = adapter("serial")
    session.hello()
    session.send({"type": "clock", "seq": 7})
    reply = session.receive()
    assert reply["type"] == "clock" and reply["seq"] == 7 and reply["now_ns"] > 0


def test_a_list_call_reports_its_steps_items_and_end(adapter):
    session = adapter("serial")
    session.hello()
    events = session.call(1, [SLEEP, SLEEP], task_ends=2)
    assert kinds(events, "call_made", "call_returned", "answered", "done") == [
        "call_made", "call_returned", "answered", "answered", "answered", "done"]
    assert answers(events) == [{"kind": "item", "task": 0}, {"kind": "item", "task": 1},
                               {"kind": "end"}]
    bodies = [(e["type"], e["task"]) for e in events if e["type"].startswith("task_")]
    assert bodies == [("task_started", 0), ("task_ended", 0), ("task_started", 1),
                      ("task_ended", 1)]
    stamps = [e["at_ns"] for e in events if e["type"] in ("call_made", "call_returned", "done")]
    assert stamps == sorted(stamps)


def test_a_failing_task_is_named_in_its_answer(adapter):
    session = adapter("serial")
    session.hello()
    events = session.call(1, [SLEEP, FAIL, SLEEP], mode="ordered")
    assert answers(events) == [{"kind": "item", "task": 0}, {"kind": "task_failed", "task": 1}]
    # The bodies' events come through a relay thread, so a task_ended may follow the drop.
    consumer = kinds(events, "answered", "drop_begun", "drop_returned", "done")
    assert consumer[-3:] == ["drop_begun", "drop_returned", "done"]


def test_a_lazy_call_is_dropped_after_drop_after_items(adapter):
    session = adapter("serial")
    session.hello()
    events = session.call(1, [SLEEP, SLEEP, SLEEP], mode="ordered", drop_after=1)
    assert answers(events) == [{"kind": "item", "task": 0}]
    assert kinds(events, "next_asked", "drop_begun") == ["next_asked", "drop_begun"]


def test_a_timed_out_marker_is_answered_per_task_and_the_iteration_goes_on(adapter):
    session = adapter("marks")
    session.hello()
    for mode in ("list", "ordered"):
        events = session.call(1 if mode == "list" else 2, [SLEEP, HANG, SLEEP], mode=mode)
        assert answers(events) == [{"kind": "item", "task": 0}, {"kind": "timed_out", "task": 1},
                                   {"kind": "item", "task": 2}, {"kind": "end"}], mode


def test_the_release_frees_hung_tasks_and_is_acknowledged(adapter):
    session = adapter("serial")
    session.hello()
    session.send({"type": "release"})
    assert session.receive()["type"] == "released"
    # After the release a hang returns at once, released: nobody waits for its result.
    events = session.call(1, [HANG], task_ends=1)
    assert [e["end"] for e in events if e["type"] == "task_ended"] == ["released"]
    assert answers(events)[0]["message"].startswith("overtime_adapter.tasks.TaskReleased")


def test_a_task_whose_worker_process_is_killed_is_reported_killed(adapter):
    session = adapter("killing")
    session.hello()
    events = session.call(1, [HANG], task_ends=1)
    assert answers(events) == [{"kind": "timeout"}]
    ended = [e for e in events if e["type"] == "task_ended"]
    assert ended[0]["end"] == "killed" and ended[0]["task"] == 0


def test_stdin_eof_calls_shutdown_and_exits_0(adapter):
    session = adapter("serial")
    session.hello()
    status, stderr = session.close()
    assert status == 0
    assert "shutdown called" in stderr


@pytest.mark.parametrize("line, says", [
    ("{not json", "not JSON"),
    ('["clock"]', "not a JSON object"),
    ('{"type":"clock_please","seq":1}', "unknown message type 'clock_please'"),
    ('{"type":"clock","seq":1,"colour":"red"}', "unknown field(s) ['colour']"),
    ('{"type":"clock"}', "a clock without ['seq']"),
    ('{"type":"hello","protocol":2,"warm_up_n_jobs":0}', "a second hello"),
])
def test_a_line_it_does_not_understand_ends_the_session_with_an_error(adapter, line, says):
    session = adapter("serial")
    session.hello()
    session.send(line)
    error = session.receive()
    assert error["type"] == "error" and "call" not in error
    assert says in error["message"], error["message"]
    status, stderr = session.close()
    assert status == 2 and says in stderr


def test_a_harness_of_another_version_is_told_this_version(adapter):
    session = adapter("serial")
    session.send({"type": "hello", "protocol": 3, "warm_up_n_jobs": 0, "new": True})
    assert session.receive()["protocol"] == 2
    assert session.receive()["type"] == "error"
    assert session.close()[0] == 2


def test_an_invalid_profile_is_reported_before_the_hello(adapter):
    session = adapter("no-contract")
    error = session.receive()
    assert error["type"] == "error" and "contract is missing" in error["message"]
    assert session.close()[0] == 2


def test_an_owner_thread_makes_every_call_into_the_executor(adapter):
    session = adapter("owned")
    session.hello(warm_up_n_jobs=2)
    session.call(1, [SLEEP], mode="list")
    session.call(2, [SLEEP, SLEEP], mode="ordered")
    status, stderr = session.close()
    assert status == 0
    notes = [line.split(" on ") for line in stderr.splitlines() if " on " in line]
    assert [what for what, _ in notes] == ["warm_up", "list", "ordered", "next", "next",
                                           "close", "shutdown"]
    assert len({thread for _, thread in notes}) == 1, notes


@pytest.mark.parametrize("mode", ["list", "ordered", "unordered"])
def test_the_readme_example_adapter_answers_and_times_out_in_every_mode(adapter, mode):
    session = adapter(None, script=EXAMPLE)
    assert session.hello()["executor"]["variant"] == "ThreadPool"
    events = session.call(1, [SLEEP, SLEEP], mode=mode, n_jobs=2, timeout_ms=5000.0)
    assert sorted(a.get("task", -1) for a in answers(events)) == [-1, 0, 1]
    events = session.call(2, [HANG, SLEEP], mode=mode, n_jobs=2, timeout_ms=100.0)
    assert {"kind": "timeout"} in answers(events)
    session.send({"type": "release"})
    assert session.close()[0] == 0


# -- in-process ----------------------------------------------------------------------------


def test_a_primed_generator_makes_its_call_at_once_and_the_rest_at_the_pulls():
    happened = []

    @ot.primed
    def mode():
        happened.append("call")
        yield
        happened.append("first pull")
        yield 0

    iteration = mode()
    assert happened == ["call"]
    assert next(iteration) == 0 and happened == ["call", "first pull"]


def test_a_primed_generator_must_first_yield_nothing():
    @ot.primed
    def mode():
        yield 1

    with pytest.raises(TypeError, match="must first `yield` nothing"):
        mode()


@pytest.mark.parametrize("kwargs, says", [
    ({"clock": "wall"}, "contract clock='wall'"),
    ({"clock": "overall", "on_timeout": "skip"}, "on_timeout='skip'"),
    ({"clock": "overall", "error_order": "late"}, "error_order='late'"),
    ({"clock": "overall", "deadline_anchor": "submit"}, "deadline_anchor='submit'"),
    ({"clock": "overall", "cancels_running": "yes"}, "cancels_running='yes'"),
])
def test_a_contract_outside_the_semantics_is_refused_naming_it(kwargs, says):
    with pytest.raises(ot.ProfileError, match=says.replace("(", r"\(")):
        ot.contract(**kwargs)


def test_a_profile_is_checked_as_the_harness_checks_it():
    class Partial(ot.Executor):
        name, version = "x", "1"
        modes = ["list", "ordered"]
        contract = ot.contract("overall")

        def list(self, call):
            return []

    with pytest.raises(ot.ProfileError, match="has no `ordered\\(call\\)` method"):
        Partial().profile()

    class Stray(Partial):
        modes = ["list"]
        per_mode = {"unordered": ot.contract("overall")}

    with pytest.raises(ot.ProfileError, match="neither in `modes` nor `unsupported`"):
        Stray().profile()

    class Fine(Stray):
        unsupported = {"unordered": "no such API"}

    assert Fine().profile()["unsupported"] == [{"mode": "unordered", "reason": "no such API"}]


def test_answers_name_the_task_or_the_executor():
    assert ot.answer_of_value(3) == {"kind": "item", "task": 3}
    assert ot.answer_of_value(ot.TimedOut(2)) == {"kind": "timed_out", "task": 2}
    assert ot.answer_of_value(True)["kind"] == "executor_error"
    assert ot.answer_of_exception(ot.TaskRaisedTimeout(1)) == {"kind": "task_failed", "task": 1}
    assert ot.answer_of_exception(TimeoutError()) == {"kind": "timeout"}
    assert ot.answer_of_exception(KeyError("k"))["kind"] == "executor_error"


# -- clean-up, custom bodies, owner threads --------------------------------------------------


def _cleanups(stderr):
    """{what: (begun_ns, ended_ns)} from the scenario adapters' clean-up lines."""
    seen = {}
    for line in stderr.splitlines():
        if line.startswith("cleanup "):
            _, what, step, at = line.split()
            seen.setdefault(what, {})[step] = int(at)
    return seen


@pytest.mark.parametrize("mode", ["list", "ordered"])
def test_a_finally_in_the_mode_code_delays_the_error_answer_and_the_kit_warns(adapter, mode):
    session = adapter("slow-finally")
    session.hello()
    events = session.call(1, [SLEEP, FAIL], mode=mode)
    answered = [e["at_ns"] for e in events if e["type"] == "answered"][-1]
    assert answers(events)[-1] == {"kind": "task_failed", "task": 1}
    status, stderr = session.close()
    cleanup = _cleanups(stderr)[mode]
    # The clean-up ran to its end before the consumer had its answer ...
    assert cleanup["ended"] < answered
    # ... and the kit measured the delay (at least the clean-up's own sleep of 1 s) and said so.
    warning = [line for line in stderr.splitlines() if "overtime adapter: warning" in line]
    assert len(warning) == 1, stderr
    assert "call.on_close" in warning[0]
    delay_ms = float(warning[0].split("consumer ")[1].split(" ms")[0])
    assert delay_ms >= 1000.0 and (cleanup["ended"] - cleanup["begun"]) / 1e6 <= delay_ms
    assert status == 0


@pytest.mark.parametrize("mode", ["list", "ordered"])
def test_on_close_clean_up_runs_after_the_error_answer_without_a_warning(adapter, mode):
    session = adapter("slow-on-close")
    session.hello()
    events = session.call(1, [SLEEP, FAIL], mode=mode)
    answered = [e["at_ns"] for e in events if e["type"] == "answered"][-1]
    done = [e["at_ns"] for e in events if e["type"] == "done"][0]
    assert answers(events)[-1] == {"kind": "task_failed", "task": 1}
    status, stderr = session.close()
    cleanup = _cleanups(stderr)[mode]
    assert answered < cleanup["begun"] < cleanup["ended"] < done
    assert "overtime adapter: warning" not in stderr
    assert status == 0


def test_an_executor_s_own_generator_cleaning_up_before_its_error_is_not_the_adapter_s(adapter):
    session = adapter("library-finally")
    session.hello()
    events = session.call(1, [SLEEP, FAIL], mode="ordered")
    assert answers(events)[-1] == {"kind": "task_failed", "task": 1}
    status, stderr = session.close()
    # The answer is late (the library's clean-up ran first), and that is the executor's doing:
    # judged as such, with no warning about the adapter.
    assert "overtime adapter: warning" not in stderr
    assert status == 0


def test_on_close_clean_up_runs_when_a_primed_generator_is_dropped_before_its_first_pull(adapter):
    session = adapter("slow-on-close")
    session.hello()
    events = session.call(1, [SLEEP, SLEEP], mode="ordered", drop_after=0)
    assert answers(events) == [] and kinds(events, "drop_begun", "drop_returned") == [
        "drop_begun", "drop_returned"]
    status, stderr = session.close()
    assert set(_cleanups(stderr)["ordered"]) == {"begun", "ended"}


def test_a_custom_coroutine_body_reports_through_the_public_api(adapter):
    session = adapter("coroutines")
    session.hello()
    events = session.call(1, [SLEEP, SLEEP], n_jobs=2, timeout_ms=5000.0, task_ends=2)
    assert answers(events) == [{"kind": "item", "task": 0}, {"kind": "item", "task": 1},
                               {"kind": "end"}]
    assert sorted((e["task"], e["end"]) for e in events if e["type"] == "task_ended") == [
        (0, "returned"), (1, "returned")]
    events = session.call(2, [SLEEP, {"kind": "raise_timeout", "ms": 1.0}], n_jobs=2,
                          timeout_ms=5000.0, task_ends=2)
    # The task's own TimeoutError names the task; it is not the executor's timeout.
    assert answers(events) == [{"kind": "task_failed", "task": 1}]
    assert session.close()[0] == 0


def test_a_body_end_outside_the_protocol_is_refused_naming_it():
    job = ot.Job(ot.TaskEnv(1, "\0nowhere", "\0nowhere", 0), 0, SLEEP)
    with pytest.raises(ValueError, match="unknown task end 'finished'"):
        ot.report_ended(job, "finished")


def test_is_executor_timeout_tells_the_task_s_own_timeout_error_from_the_executor_s():
    import concurrent.futures
    assert ot.is_executor_timeout(TimeoutError())
    assert ot.is_executor_timeout(concurrent.futures.TimeoutError())
    assert not ot.is_executor_timeout(ot.TaskRaisedTimeout(3))
    assert isinstance(ot.TaskRaisedTimeout(3), TimeoutError)
    assert not ot.is_executor_timeout(ValueError())
    assert isinstance(ot.task_error(ot.Job(None, 3, {"kind": "raise_timeout", "ms": 1.0})),
                      ot.TaskRaisedTimeout)


def test_a_call_whose_owner_thread_is_blocked_does_not_hold_up_the_next_call(adapter):
    session = adapter("owner-per-call")
    session.hello()
    # Call 1 hangs in its own owner thread (no timeout: only the release frees it) ...
    session.send({"type": "call", "call": 1, "tasks": [HANG], "n_jobs": 1, "timeout_ms": None,
                  "mode": "ordered", "consumer": {"start_after_ms": 0.0, "pause_ms": 0.0,
                                                  "drop_after": None}})
    # ... while call 2, on an owner thread of its own, is served to its end.
    events = session.call(2, [SLEEP, SLEEP], mode="ordered")
    assert [a for a in answers(events)] == [{"kind": "item", "task": 0},
                                            {"kind": "item", "task": 1}, {"kind": "end"}]
    session.send({"type": "release"})


def test_an_owner_thread_runs_every_step_on_one_thread_and_hands_errors_back():
    owner = ot.OwnerThread("test-owner")
    threads = owner.iterate(iter([1, 2]))
    assert owner.do(threading.current_thread).name == "test-owner"
    assert list(threads) == [1, 2]
    with pytest.raises(KeyError):
        owner.do({}.__getitem__, "missing")
    owner.close()


def test_the_shipped_adapters_mode_code_is_never_traced():
    """The kit traces only adapter code with a `try` or `with` (where clean-up can delay an
    answer): a trace function slows every Python call on its thread, and the shipped
    adapters, which clean up through call.on_close, must be judged at full speed."""
    import importlib.util
    from overtime_adapter.server import _adapter_codes

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    spec = importlib.util.spec_from_file_location("futures_adapter",
                                                  os.path.join(here, "futures_adapter.py"))
    futures_adapter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(futures_adapter)
    for mode in ("list", "ordered", "unordered"):
        codes, files = _adapter_codes(futures_adapter.Futures.run,
                                      getattr(futures_adapter.Futures, mode))
        assert codes == set() and files == {futures_adapter.__file__}, mode
    import scenario_adapter
    codes, _ = _adapter_codes(scenario_adapter.SlowFinally.run, scenario_adapter.SlowFinally.list)
    assert {c.co_name for c in codes} == {"list"}

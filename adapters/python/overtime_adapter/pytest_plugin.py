"""The pytest plugin: overtime's verdicts as test items (`pytest --overtime`).

Declare executors by option or in `conftest.py`, then run pytest:

    pytest --overtime --overtime-executor 'futures=cmd:python futures_adapter.py --pool threads'

    # conftest.py
    import sys

    def pytest_overtime_executors(config):
        return {"joblib-loky": [sys.executable, "joblib_adapter.py", "--backend", "loky"]}

Each executor becomes one item per mode × property, `overtime/LABEL::MODE::P01_liveness`, so
`-k unordered`, `-k P01` and `-k "joblib and not list"` select as usual. The selected items of an
executor are fed by one `overtime check --json` run, made when the first of them runs (only for
the modes still selected). A MUST failure fails its item with the evidence, a SHOULD failure
passes with an `OvertimeShouldWarning`, an inconclusive verdict or a property that does not
apply skips with its reason, and with `--overtime-baseline` a failure the baseline has too is
an expected failure (xfail; one that passes now is XPASS). The evidence of each failing case
and the start of its trace are in the item's report section; ε, T, the seed and the verdict
are JUnit properties of its test case (`--junitxml`).

Options (each also an ini setting without the dashes: `overtime_epsilon_ms = 100`):
`--overtime`, `--overtime-executor`, `--overtime-epsilon-ms`, `--overtime-timeout-ms`,
`--overtime-case`, `--overtime-generated`, `--overtime-seed`, `--overtime-baseline`, `--overtime-html`,
`--overtime-json`, `--overtime-markdown`, `--overtime-args`, `--overtime-bin`. The plugin is loaded in every pytest
run of a venv that has the kit, and does nothing without `--overtime` or an executor option.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import pytest

MODES = ("list", "ordered", "unordered")
# `overtime check`'s exit codes (`overtime check --help`).
EXIT_CONFORMS, EXIT_FAILS, EXIT_USAGE, EXIT_INCONCLUSIVE = 0, 1, 2, 3
TRACE_EVENTS = 30  # events of a failing case's trace shown in its report section
FAILING_CASES = 3  # failing cases shown per item


class OvertimeShouldWarning(pytest.PytestWarning):
    """A SHOULD property failed: reported, not a test failure (turn it into one with
    `-W error::overtime_adapter.pytest_plugin.OvertimeShouldWarning`)."""


class OvertimeAdapterWarning(pytest.PytestWarning):
    """The adapter kit warned about the adapter itself (its clean-up delayed answers): the
    verdicts may blame the executor for the adapter's doing."""


class OvertimeRunError(Exception):
    """`overtime check` could not judge an executor: a usage error, an adapter that does not
    start, an interrupt. Every item of the executor errors with it."""


class OvertimeFailure(Exception):
    """A MUST property failed; its text is the evidence."""


class _HookSpecs:
    @pytest.hookspec
    def pytest_overtime_executors(self, config):
        """Return the executors to check, `{label: executor}`: an executor is a name from
        `overtime list`, a `cmd:` string, or an adapter's argv (a list, quoted into `cmd:`).
        Labels name the items: `overtime/LABEL::MODE::P01_liveness`."""


def pytest_addhooks(pluginmanager):
    pluginmanager.add_hookspecs(_HookSpecs)


_OPTIONS = [
    # (option, ini name, kwargs, help)
    ("--overtime", "overtime", {"action": "store_true", "default": None},
     "run overtime's conformance items for the declared executors"),
    ("--overtime-executor", "overtime_executors", {"action": "append", "metavar": "[LABEL=]EXECUTOR"},
     "an executor to check (repeatable): a name from `overtime list` or 'cmd:<adapter argv>'; "
     "implies --overtime"),
    ("--overtime-epsilon-ms", "overtime_epsilon_ms", {"metavar": "MS"},
     "the tolerance ε (default: overtime's, 250 for an external executor)"),
    ("--overtime-timeout-ms", "overtime_timeout_ms", {"metavar": "MS"},
     "the catalogue's timeout T (default: overtime's, 1000 for an external executor)"),
    ("--overtime-case", "overtime_cases", {"action": "append", "metavar": "NAME"},
     "only these catalogue cases (repeatable; `overtime list` names them)"),
    ("--overtime-generated", "overtime_generated", {"metavar": "N"},
     "also run N generated calls per executor (`overtime check --generated N`)"),
    ("--overtime-seed", "overtime_seed", {"metavar": "SEED"},
     "the seed of generated workloads (passed to `overtime check --seed`)"),
    ("--overtime-baseline", "overtime_baseline", {"metavar": "PATH"},
     "gate on a results file recorded earlier: its failures are xfail, and a regression it "
     "finds (a new failure, a lateness grown past tolerance) fails overtime/LABEL::baseline"),
    ("--overtime-html", "overtime_html", {"metavar": "DIR"},
     "write each executor's HTML report into DIR/LABEL/"),
    ("--overtime-json", "overtime_json", {"metavar": "DIR"},
     "keep each executor's results JSON as DIR/LABEL.json"),
    ("--overtime-markdown", "overtime_markdown", {"metavar": "DIR"},
     "write each executor's markdown report as DIR/LABEL.md (a CI job summary)"),
    ("--overtime-args", "overtime_args", {"metavar": "ARGS"},
     "more `overtime check` options, split as a shell would (e.g. '--teardown-grace-ms 5000')"),
    ("--overtime-bin", "overtime_bin", {"metavar": "PATH"},
     "the overtime command (default: the one installed beside this Python, else on PATH)"),
]


def pytest_addoption(parser):
    group = parser.getgroup("overtime", "overtime: timeout conformance of parallel executors")
    for option, ini, kwargs, text in _OPTIONS:
        group.addoption(option, dest=ini, help=text, **kwargs)
        kind = "linelist" if kwargs.get("action") == "append" else (
            "bool" if kwargs.get("action") == "store_true" else "string")
        parser.addini(ini, help=text, type=kind, default=False if kind == "bool" else None)


def _setting(config, name):
    """A command-line option, else its ini setting (pytest-timeout's precedence)."""
    value = config.getoption(name)
    if value is None or value == []:
        value = config.getini(name)
    return value if value not in ("", []) else None


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "overtime: an item judged by overtime (one executor × mode × property)")
    executors = _setting(config, "overtime_executors")
    if not (_setting(config, "overtime") or executors):
        return
    config.pluginmanager.register(_Session(config), "overtime-session")


def _find_binary(config):
    given = _setting(config, "overtime_bin")
    if given:
        if not (os.path.isfile(given) and os.access(given, os.X_OK)):
            raise pytest.UsageError(f"--overtime-bin {given}: not an executable file")
        return given
    beside = os.path.join(os.path.dirname(sys.executable), "overtime")
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("overtime")
    if found:
        return found
    raise pytest.UsageError(
        "no `overtime` command beside this Python nor on PATH: `pip install overtime-cli` "
        "(or `cargo install overtime`), or give --overtime-bin PATH")


def _executor_spec(value):
    """An executor as `overtime check --executor` takes it."""
    if isinstance(value, (list, tuple)):
        if not value:
            raise pytest.UsageError("an empty argv as an overtime executor")
        return "cmd:" + shlex.join(str(v) for v in value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise pytest.UsageError(f"an overtime executor must be a name, a 'cmd:' string or an argv "
                            f"list, not {value!r}")


def _label_of(spec):
    """A label for an executor given without one: its name, or its adapter's script and args."""
    if not spec.startswith("cmd:"):
        return spec
    words = shlex.split(spec[4:])
    scripts = [w for w in words if w.endswith(".py")]
    words = words[words.index(scripts[0]):] if scripts else words
    words[0] = os.path.basename(words[0])
    if words[0].endswith(".py"):
        words[0] = words[0][:-3]
    return re.sub(r"[^A-Za-z0-9_.]+", "-", " ".join(words)).strip("-")


_LABELLED = re.compile(r"^([A-Za-z0-9_.][A-Za-z0-9_.-]*)=(.+)$", re.S)


def _declared_executors(config):
    """{label: spec} from the options, the ini file and every `pytest_overtime_executors`."""
    declared = {}

    def add(label, spec, where):
        if label in declared and declared[label] != spec:
            raise pytest.UsageError(f"overtime executor label {label!r} given twice ({where}): "
                                    f"{declared[label]!r} and {spec!r}")
        declared[label] = spec

    for value in _setting(config, "overtime_executors") or []:
        match = _LABELLED.match(value)
        if match and not value.startswith("cmd:"):
            add(match.group(1), _executor_spec(match.group(2)), "--overtime-executor")
        else:
            spec = _executor_spec(value)
            add(_label_of(spec), spec, "--overtime-executor")
    for result in config.hook.pytest_overtime_executors(config=config):
        if not isinstance(result, dict):
            raise pytest.UsageError("pytest_overtime_executors must return a dict "
                                    f"{{label: executor}}, not {type(result).__name__}")
        for label, value in result.items():
            add(str(label), _executor_spec(value), "pytest_overtime_executors")
    if not declared:
        raise pytest.UsageError(
            "--overtime: no executor to check. Give --overtime-executor 'cmd:python "
            "my_adapter.py', or return {label: executor} from pytest_overtime_executors(config) "
            "in conftest.py")
    return declared


def _properties(binary):
    """[(id, name, level, statement)] as `overtime list` prints them."""
    try:
        listed = subprocess.run([binary, "list"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise pytest.UsageError(f"cannot run `{binary} list`: {e}") from None
    if listed.returncode != 0:
        raise pytest.UsageError(f"`{binary} list` exited {listed.returncode}: {listed.stderr}")
    found = re.findall(r"^\s+(P\d+)\s+(\w+)\s+(MUST|SHOULD)\s+(.*)$", listed.stdout, re.M)
    if not found:
        raise pytest.UsageError(f"`{binary} list` printed no properties: is it overtime?")
    return found


class _Session:
    """The plugin once `--overtime` is on: collects the items and runs the checks."""

    def __init__(self, config):
        self.config = config
        self.binary = _find_binary(config)
        self.executors = []

    @pytest.hookimpl(tryfirst=True)  # before -k and -m deselect
    def pytest_collection_modifyitems(self, session, config, items):
        properties = _properties(self.binary)
        for label, spec in _declared_executors(config).items():
            node = OvertimeExecutor.from_parent(session, name=label, nodeid=f"overtime/{label}",
                                                label=label, spec=spec, plugin=self)
            self.executors.append(node)
            new = node.make_items(properties)
            items.extend(new)
            config.hook.pytest_collectreport(
                report=pytest.CollectReport(node.nodeid, "passed", None, new))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        if (isinstance(item, (OvertimeItem, OvertimeBaselineItem)) and report.skipped
                and isinstance(report.longrepr, tuple)):
            # Name the executor in the skip summary, not this file's line that skipped.
            report.longrepr = (item.parent.nodeid, None, report.longrepr[2])
        return report

    def check_command(self, executor, modes, json_path, html_dir):
        config = self.config
        argv = [self.binary, "check", "--executor", executor.spec, "--json", json_path]
        for mode in modes:
            argv += ["--mode", mode]
        for case in _setting(config, "overtime_cases") or []:
            argv += ["--case", case]
        for name, flag in (("overtime_epsilon_ms", "--epsilon-ms"),
                           ("overtime_timeout_ms", "--timeout-ms"),
                           ("overtime_generated", "--generated"), ("overtime_seed", "--seed"),
                           ("overtime_baseline", "--baseline")):
            value = _setting(config, name)
            if value is not None:
                argv += [flag, str(value)]
        if html_dir:
            argv += ["--html", html_dir]
        markdown = _setting(config, "overtime_markdown")
        if markdown:
            os.makedirs(markdown, exist_ok=True)
            argv += ["--markdown", os.path.join(markdown, f"{executor.label}.md")]
        argv += shlex.split(_setting(config, "overtime_args") or "")
        return argv

    def pytest_terminal_summary(self, terminalreporter):
        ran = [e for e in self.executors if e.run is not None]
        if not ran:
            return
        terminalreporter.section("overtime")
        for executor in ran:
            terminalreporter.write_line(executor.run.summary())


class _Run:
    """One `overtime check` of one executor: its command, exit code, time, output and JSON."""

    def __init__(self, label, argv, status, seconds, stdout, stderr, results, json_path,
                 html_dir):
        self.label, self.argv, self.status, self.seconds = label, argv, status, seconds
        self.stdout, self.stderr, self.results = stdout, stderr, results
        self.json_path, self.html_dir = json_path, html_dir

    def summary(self):
        if self.results is None:
            return f"{self.label}: `overtime check` exited {self.status} after {self.seconds:.1f} s"
        executor = self.results["executors"][0]
        verdict = self.stdout.strip().splitlines()[-1] if self.stdout.strip() else ""
        where = f"; HTML {self.html_dir}" if self.html_dir else ""
        return (f"{self.label}: {executor['profile']['name']}, exit {self.status} in "
                f"{self.seconds:.1f} s ({verdict}); JSON {self.json_path}{where}")


class OvertimeExecutor(pytest.Collector):
    """The items of one declared executor; runs its `overtime check` once, on demand."""

    def __init__(self, *, label, spec, plugin, **kwargs):
        super().__init__(**kwargs)
        self.label, self.spec, self.plugin = label, spec, plugin
        self.run = None
        self._error = None

    def collect(self):
        return []  # the items are made by make_items, at the end of collection

    def make_items(self, properties):
        items = []
        for mode in MODES:
            for pid, name, level, statement in properties:
                item = OvertimeItem.from_parent(
                    self, name=f"{mode}::{pid}_{name}", mode=mode, pid=pid, property=name,
                    level=level, statement=statement)
                item.add_marker(pytest.mark.overtime)
                items.append(item)
        if _setting(self.config, "overtime_baseline"):
            gate = OvertimeBaselineItem.from_parent(self, name="baseline")
            gate.add_marker(pytest.mark.overtime)
            items.append(gate)
        return items

    def results(self):
        """The check's results, running it the first time (for the modes still selected)."""
        if self._error is not None:
            raise self._error
        if self.run is None:
            try:
                self.run = self._check()
            except OvertimeRunError as e:
                self._error = e
                raise
            if self.run.results is None:
                self._error = OvertimeRunError(self._failure_text())
                raise self._error
            for text in _adapter_warnings(self.run.stderr):
                warnings.warn(OvertimeAdapterWarning(f"{self.label}: {text}"))
        return self.run

    def _check(self):
        selected = [i for i in self.session.items if i.parent is self]
        modes = [m for m in MODES if any(getattr(i, "mode", None) == m for i in selected)]
        if not modes:
            modes = list(MODES)  # only the baseline item is selected: it needs every mode
        keep_json = _setting(self.config, "overtime_json")
        if keep_json:
            os.makedirs(keep_json, exist_ok=True)
            json_path = os.path.join(keep_json, f"{self.label}.json")
        else:
            json_path = os.path.join(tempfile.mkdtemp(prefix="overtime-"), "results.json")
        html = _setting(self.config, "overtime_html")
        html_dir = os.path.join(html, self.label) if html else None
        if html_dir:
            os.makedirs(html_dir, exist_ok=True)
        argv = self.plugin.check_command(self, modes, json_path, html_dir)
        started = time.monotonic()
        # The adapters' stderr comes through, so that the kit's warnings can be shown.
        env = dict(os.environ, OVERTIME_ADAPTER_STDERR="inherit")
        try:
            done = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                  env=env)
        except OSError as e:
            raise OvertimeRunError(f"cannot run {shlex.join(argv)}: {e}") from None
        seconds = time.monotonic() - started
        results = None
        if done.returncode in (EXIT_CONFORMS, EXIT_FAILS, EXIT_INCONCLUSIVE):
            try:
                with open(json_path, encoding="utf-8") as f:
                    results = json.load(f)
            except (OSError, ValueError) as e:
                raise OvertimeRunError(f"{shlex.join(argv)} exited {done.returncode} but its "
                                       f"results {json_path} cannot be read: {e}") from None
        return _Run(self.label, argv, done.returncode, seconds, done.stdout, done.stderr,
                    results, json_path, html_dir)

    def _failure_text(self):
        run = self.run
        tail = "\n".join((run.stdout + run.stderr).strip().splitlines()[-30:])
        return (f"`{shlex.join(run.argv)}` exited {run.status} after {run.seconds:.1f} s "
                f"without a verdict (2: a usage or configuration error, 130: interrupted):\n"
                f"{tail}")

    def row(self, mode, pid):
        executor = self.run.results["executors"][0]
        for row in executor["results"]:
            if row["mode"] == mode and row["id"] == pid:
                return row
        return None

    def failing_cases(self, mode, pid):
        """[(case, evidence, trace or None)] of the cases that failed `pid` in `mode`."""
        found = []
        for case in self.run.results["executors"][0].get("cases", []):
            if case["mode"] != mode:
                continue
            for verdict in case["verdicts"]:
                if verdict["id"] == pid and verdict["verdict"] == "fail":
                    found.append((case["case"], verdict["evidence"], case.get("trace")))
        return found


_DELAYED = re.compile(r"overtime adapter: warning: call \d+ \((\w+)\): the (\w+) answer "
                      r"reached the consumer ([\d.]+) ms after")


def _adapter_warnings(stderr):
    """The kit's warnings in an adapter's stderr: delayed answers summed up per mode."""
    delayed, other = {}, []
    for line in stderr.splitlines():
        if "overtime adapter: warning: " not in line:
            continue
        match = _DELAYED.search(line)
        if match:
            count, longest = delayed.get(match.group(1), (0, 0.0))
            delayed[match.group(1)] = (count + 1, max(longest, float(match.group(3))))
        elif line not in other:
            other.append(line.split("overtime adapter: warning: ", 1)[1])
    texts = [f"{count} error answer(s) in {mode} mode reached the consumer late, up to "
             f"{longest:.1f} ms, held up by clean-up in the adapter's own code (a `finally:` or "
             "`with` block in the mode): register it with call.on_close(...), which runs after "
             "the answer" for mode, (count, longest) in delayed.items()]
    return texts + other


def _baseline_row(path, name, mode, pid):
    """The baseline's row for executor `name` (or its only executor), mode and property."""
    with open(path, encoding="utf-8") as f:
        baseline = json.load(f)
    executors = baseline.get("executors", [])
    chosen = [e for e in executors if e["profile"]["name"] == name]
    if not chosen and len(executors) == 1:
        chosen = executors
    for executor in chosen:
        for row in executor["results"]:
            if row["mode"] == mode and row["id"] == pid:
                return row
    return None


def _trace_excerpt(trace):
    lines = []
    for event in trace.get("events", [])[:TRACE_EVENTS]:
        what = " ".join(f"{k} {v}" for k, v in event.items() if k not in ("at", "event"))
        lines.append(f"  {event['at'] / 1e6:10.3f} ms  {event['event']} {what}".rstrip())
    more = len(trace.get("events", [])) - TRACE_EVENTS
    if more > 0:
        lines.append(f"  … {more} more event(s): the whole trace is in the results JSON")
    return "\n".join(lines)


class OvertimeItem(pytest.Item):
    """One executor × mode × property, judged by the executor's `overtime check` run."""

    def __init__(self, *, mode, pid, property, level, statement, **kwargs):
        super().__init__(**kwargs)
        self.mode, self.pid, self.property, self.level = mode, pid, property, level
        self.statement = statement

    def setup(self):
        run = self.parent.results()
        results = run.results
        self.user_properties += [
            ("overtime.executor", results["executors"][0]["profile"]["name"]),
            ("overtime.level", self.level),
            ("overtime.epsilon_ms", results.get("epsilon_ms")),
            ("overtime.timeout_ms", (results.get("run") or {}).get("timeout_ms")),
        ]
        seed = (results.get("run") or {}).get("seed", _setting(self.config, "overtime_seed"))
        if seed is not None:
            self.user_properties.append(("overtime.seed", seed))
        baseline = _setting(self.config, "overtime_baseline")
        row = self.parent.row(self.mode, self.pid)
        if baseline and row is not None:
            known = _baseline_row(baseline, row["executor"], self.mode, self.pid)
            if known is not None and known["verdict"] == "fail":
                self.add_marker(pytest.mark.xfail(
                    reason=f"a known failure in the baseline {baseline}: {known['evidence']}",
                    strict=False))

    def runtest(self):
        row = self.parent.row(self.mode, self.pid)
        if row is None:
            raise OvertimeRunError(f"{self.parent.run.json_path} has no {self.pid} row for "
                                   f"{self.mode} mode: is `overtime` older than this plugin?")
        self.user_properties.append(("overtime.verdict", row["verdict"]))
        counts = row.get("cases", {})
        self.user_properties.append(
            ("overtime.cases", ", ".join(f"{n} {k}" for k, n in counts.items() if n)))
        verdict = row["verdict"]
        if verdict in ("fail", "inconclusive") or counts.get("inconclusive"):
            self.add_report_section("call", "overtime", self._section(row))
        if verdict == "pass":
            return
        if verdict == "fail" and row["level"] == "MUST":
            raise OvertimeFailure(row["evidence"])
        if verdict == "fail":
            warnings.warn(OvertimeShouldWarning(
                f"{self.parent.label} {self.mode} {self.pid} {self.property} [SHOULD]: "
                f"{row['evidence']}"))
            return
        if verdict == "inconclusive":
            pytest.skip(f"inconclusive: {row['evidence']}")
        if verdict == "not_applicable":
            pytest.skip(f"not applicable: {row['evidence']}")
        raise OvertimeRunError(f"unknown verdict {verdict!r} for {self.pid} in {self.mode} mode")

    def _section(self, row):
        lines = [f"{row['executor']} {self.mode} {self.pid} {self.property} [{row['level']}]: "
                 f"{row['verdict']}", f"evidence: {row['evidence']}",
                 f"contract: clock {row['clock']}, on_timeout {row['on_timeout']}, error_order "
                 f"{row['error_order']}, deadline_anchor {row['deadline_anchor']}"]
        failing = self.parent.failing_cases(self.mode, self.pid)
        for case, evidence, trace in failing[:FAILING_CASES]:
            lines += ["", f"case {case}: {evidence}"]
            if trace:
                lines += ["trace (ms from the call):", _trace_excerpt(trace)]
        if len(failing) > FAILING_CASES:
            lines.append(f"… and {len(failing) - FAILING_CASES} more failing case(s)")
        return "\n".join(lines)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, (OvertimeFailure, OvertimeRunError)):
            head = (f"{self.pid} {self.property} [{self.level}] in {self.mode} mode: "
                    f"{self.statement}")
            return f"{head}\n{excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"{self.parent.nodeid} {self.mode} {self.pid} {self.property}"


class OvertimeBaselineItem(pytest.Item):
    """`--overtime-baseline`: fails when `overtime check --baseline` found a regression."""

    def setup(self):
        self.parent.results()

    def runtest(self):
        run = self.parent.run
        if run.status == EXIT_FAILS:
            raise OvertimeFailure("worse than the baseline:\n" + run.stdout.strip())

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, (OvertimeFailure, OvertimeRunError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"{self.parent.nodeid} baseline"

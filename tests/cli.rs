//! The `overtime` binary as a CI job runs it, in real time: shards merged against one whole
//! run, the exit codes of the gate with and without a baseline, GitHub annotations, and the
//! usage errors that must stop a run before it starts.
//!
//! Two shards and a whole run cannot agree on what they measured (wall times, lateness, the
//! numbers in the evidence); they must agree on every verdict. So the comparison is of the
//! verdict fields: per executor its profile, per matrix row its executor, mode, property,
//! level, verdict and case counts, per case its name, mode and each property's verdict —
//! serialized and compared byte for byte. (`tests/outputs.rs` compares whole files, evidence
//! and all, in simulated time.)

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_overtime");

/// A small real-time run: a mutant that always breaks n_jobs and the reference, on a few
/// cases, at an ε wide enough for a loaded machine.
const RUN: [&str; 14] = [
    "check",
    "--executor",
    "mutant:exceeds-n-jobs",
    "--executor",
    "reference",
    "--case",
    "joblib-1586",
    "--case",
    "many-small",
    "--case",
    "serial-queue",
    "--case",
    "failure",
    "--epsilon-ms",
];
const EPSILON: &str = "40";

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("overtime-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn overtime(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("CI", "true")
        .env_remove("GITHUB_ACTIONS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the overtime binary runs")
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn run(extra: &[&str]) -> Output {
    let mut args: Vec<&str> = RUN.to_vec();
    args.push(EPSILON);
    args.extend_from_slice(extra);
    overtime(&args, &[])
}

/// The verdict fields of a results file, serialized (see the file's doc).
fn verdicts(path: &Path) -> String {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let executors: Vec<Value> = doc["executors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let rows: Vec<Value> = e["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    json!([
                        r["executor"],
                        r["mode"],
                        r["property"],
                        r["level"],
                        r["verdict"],
                        r["cases"]
                    ])
                })
                .collect();
            let cases: Vec<Value> = e["cases"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    let v: Vec<Value> = c["verdicts"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| json!([v["property"], v["verdict"]]))
                        .collect();
                    json!([c["case"], c["mode"], v])
                })
                .collect();
            json!({"profile": e["profile"], "rows": rows, "cases": cases})
        })
        .collect();
    serde_json::to_string_pretty(
        &json!({"epsilon": doc["epsilon_ms"], "run": doc["run"], "executors": executors}),
    )
    .unwrap()
}

fn has_inconclusive(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .unwrap()
        .contains("\"inconclusive\"")
}

/// Runs `args` writing `json` (its last two arguments), again while the harness itself was late
/// (an inconclusive verdict is not a verdict on the executor), at most three times.
fn judged(args: &[&str], json: &Path) -> Output {
    let mut out = overtime(args, &[]);
    for _ in 1..3 {
        if !has_inconclusive(json) {
            break;
        }
        out = overtime(args, &[]);
    }
    out
}

#[test]
fn two_shards_merged_give_the_verdicts_of_one_whole_run() {
    let d = dir("shards");
    let p = |n: &str| d.join(n).display().to_string();
    for attempt in 1..=3 {
        let whole = run(&["--json", &p("whole.json")]);
        assert_eq!(code(&whole), 1, "the mutant fails P09: {}", text(&whole));
        let one = run(&["--shard", "1/2", "--json", &p("one.json")]);
        let two = run(&["--shard", "2/2", "--json", &p("two.json")]);
        assert_eq!(
            (code(&one), code(&two)),
            (1, 1),
            "{}{}",
            text(&one),
            text(&two)
        );
        assert!(text(&one).contains("shard 1/2: these verdicts cover a part"));
        let merged = overtime(
            &[
                "merge",
                &p("one.json"),
                &p("two.json"),
                "--json",
                &p("merged.json"),
            ],
            &[],
        );
        assert_eq!(code(&merged), 1, "{}", text(&merged));
        let files = ["whole.json", "one.json", "two.json"].map(|f| d.join(f));
        if files.iter().any(|f| has_inconclusive(f)) && attempt < 3 {
            // The harness itself was late (a loaded machine): not a verdict; run again.
            continue;
        }
        assert_eq!(
            verdicts(&d.join("merged.json")),
            verdicts(&d.join("whole.json"))
        );
        break;
    }
    let alone = overtime(&["merge", &p("one.json")], &[]);
    assert_eq!(code(&alone), 2, "{}", text(&alone));
    assert!(
        text(&alone).contains("shard(s) 2/2 missing"),
        "{}",
        text(&alone)
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn the_baseline_gate_exits_0_on_its_own_results_and_1_naming_a_regression() {
    let d = dir("baseline");
    let p = |n: &str| d.join(n).display().to_string();
    let mut args: Vec<&str> = vec!["check", "--executor", "reference", "--case", "many-small"];
    args.extend(["--epsilon-ms", EPSILON, "--json"]);
    let reference = judged(
        &[args.as_slice(), &[&p("reference.json")]].concat(),
        &d.join("reference.json"),
    );
    assert_eq!(code(&reference), 0, "{}", text(&reference));
    args[2] = "mutant:exceeds-n-jobs";
    let mutant = judged(
        &[args.as_slice(), &[&p("mutant.json")]].concat(),
        &d.join("mutant.json"),
    );
    assert_eq!(code(&mutant), 1, "{}", text(&mutant));

    let same = overtime(
        &["merge", &p("mutant.json"), "--baseline", &p("mutant.json")],
        &[],
    );
    assert_eq!(code(&same), 0, "{}", text(&same));
    assert!(
        text(&same).contains("passes against the baseline"),
        "{}",
        text(&same)
    );
    assert!(text(&same).contains("known failures, accepted by the baseline"));

    let worse = overtime(
        &[
            "merge",
            &p("mutant.json"),
            "--baseline",
            &p("reference.json"),
        ],
        &[],
    );
    assert_eq!(code(&worse), 1, "{}", text(&worse));
    let out = text(&worse);
    assert!(out.contains("REGRESSED (fails the gate)"), "{out}");
    assert!(
        out.contains("P09 bounded_concurrency [MUST]: PASS -> FAIL"),
        "{out}"
    );
    assert!(
        out.contains(&format!("--json {}", p("reference.json"))),
        "how to refresh: {out}"
    );

    // A baseline at another ε stops the run before it starts.
    let other = overtime(
        &[
            "check",
            "--case",
            "all-fast",
            "--epsilon-ms",
            "30",
            "--baseline",
            &p("reference.json"),
        ],
        &[],
    );
    assert_eq!(code(&other), 2, "{}", text(&other));
    assert!(
        text(&other).contains("pass --epsilon-ms 40"),
        "{}",
        text(&other)
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn under_github_actions_a_failure_is_an_error_annotation() {
    let d = dir("annotations");
    let json = d.join("m.json").display().to_string();
    let out = overtime(
        &[
            "check",
            "--executor",
            "mutant:exceeds-n-jobs",
            "--case",
            "many-small",
            "--mode",
            "list",
            "--json",
            &json,
        ],
        &[("GITHUB_ACTIONS", "true")],
    );
    assert_eq!(code(&out), 1, "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("::error "))
        .unwrap_or_else(|| panic!("no error annotation in {stdout}"));
    assert!(
        line.starts_with("::error title=overtime FAIL%3A mutant%3Aexceeds-n-jobs list P09 bounded_concurrency,file=specs/scenarios/many-small.toml::"),
        "{line}"
    );
    let plain = overtime(&["merge", &json], &[]);
    assert!(
        !text(&plain).contains("::error"),
        "no annotations outside GitHub Actions"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn usage_errors_exit_2_before_anything_runs() {
    let cases: [(&[&str], &str); 4] = [
        (&["check", "--shard", "1/2"], "--shard needs --json"),
        (&["check", "--shard", "3/2", "--json", "x.json"], "K/N"),
        (&["check", "--case", "no-such-case"], "not a catalogue case"),
        (
            &["check", "--json", "/nonexistent/dir/x.json"],
            "no directory /nonexistent/dir",
        ),
    ];
    for (args, needle) in cases {
        let out = overtime(args, &[]);
        assert_eq!(code(&out), 2, "{args:?}: {}", text(&out));
        assert!(text(&out).contains(needle), "{args:?}: {}", text(&out));
    }
}

/// Inputs that are not what they claim are refused with exit 2 before anything runs, each
/// message naming the input as typed: a scenario path that is not a regular file (a FIFO would
/// block forever, /dev/zero would be read until memory runs out), a scenario over the size or
/// task limits, two outputs on one path, two executors reporting one name, and negative or
/// sub-nanosecond numbers.
#[test]
fn inputs_that_are_not_what_they_claim_are_refused_naming_them() {
    let d = dir("inputs");
    let fifo = d.join("scenario.toml");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let big = d.join("big.toml");
    std::fs::write(&big, vec![b'#'; 2 * 1024 * 1024]).unwrap();
    let many = d.join("many.toml");
    let tasks = "{ kind = \"sleep\", ms = 1 },\n".repeat(10_001);
    std::fs::write(
        &many,
        format!("name = \"many\"\nn_jobs = 2\ntimeout = 100\ntasks = [\n{tasks}]\n"),
    )
    .unwrap();
    let out = d.join("out");
    let (fifo, big, many, out) = (
        fifo.display().to_string(),
        big.display().to_string(),
        many.display().to_string(),
        out.display().to_string(),
    );
    let fake = format!(
        "cmd:python3 {}/adapters/python/fake_adapter.py all-ok",
        env!("CARGO_MANIFEST_DIR")
    );
    let fake_again = format!(
        "cmd:python3 {}/adapters/python/./fake_adapter.py all-ok",
        env!("CARGO_MANIFEST_DIR")
    );
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["check", "--scenario", &fifo],
            format!("{fifo}: not a regular file (a FIFO)"),
        ),
        (
            vec!["check", "--scenario", "/dev/zero"],
            "/dev/zero: not a regular file (a character device)".into(),
        ),
        (
            vec!["check", "--scenario", &big],
            format!("{big}: 2097152 bytes, over the 1048576 bytes"),
        ),
        (
            vec!["check", "--scenario", &many],
            format!("{many}:4:1: 10001 tasks, over the 10000"),
        ),
        (
            vec!["check", "--json", &out, "--markdown", &out],
            format!("--json {out} and --markdown {out} are the same place"),
        ),
        (
            vec!["check", "--executor", &fake, "--executor", &fake_again],
            "both report the name \"fake-0-all-ok\"".into(),
        ),
        (
            vec!["check", "--epsilon-ms", "1e-300"],
            "got \"1e-300\": a positive duration below 0.0000005 ms".into(),
        ),
        (
            vec!["check", "--timeout-ms", "-5"],
            "a duration in milliseconds must be a finite number >= 0, got \"-5\"".into(),
        ),
        (
            vec!["check", "--generated", "2", "--seed", "-1"],
            "must be a whole number >= 0, got \"-1\"".into(),
        ),
        (
            vec!["stress", "--runs", "-3"],
            "must be a whole number >= 0, got \"-3\"".into(),
        ),
    ];
    for (args, needle) in cases {
        let ran = overtime(&args, &[]);
        assert_eq!(code(&ran), 2, "{args:?}: {}", text(&ran));
        assert!(text(&ran).contains(&needle), "{args:?}: {}", text(&ran));
        assert!(!text(&ran).contains("P01"), "{args:?} ran: {}", text(&ran));
    }
    assert!(!Path::new(&out).exists(), "nothing was written");
    let _ = std::fs::remove_dir_all(&d);
}

/// Every output path is checked before the run: the error names the option, the path and
/// what is wrong, and no case runs (no matrix is printed).
#[test]
fn an_output_that_cannot_be_written_is_refused_before_the_run_naming_its_option() {
    let d = dir("unwritable");
    let a_file = d.join("a-file");
    std::fs::write(&a_file, "").unwrap();
    let under_a_file = a_file.join("x.xml").display().to_string();
    let a_dir = d.display().to_string();
    let html_under_a_file = a_file.join("report").display().to_string();
    let save_under_a_file = a_file.join("regressions").display().to_string();
    let cases: Vec<(Vec<&str>, Vec<String>)> = vec![
        (
            vec!["--json", &a_dir],
            vec![format!("--json {a_dir}"), "it is a directory".into()],
        ),
        (
            vec!["--junit", &under_a_file],
            vec![
                format!("--junit {under_a_file}"),
                format!("{} is not a directory", a_file.display()),
            ],
        ),
        (
            vec!["--markdown", "/nonexistent/dir/x.md"],
            vec![
                "--markdown /nonexistent/dir/x.md".into(),
                "no directory /nonexistent/dir".into(),
            ],
        ),
        (
            vec!["--html", &html_under_a_file],
            vec![
                format!("--html {html_under_a_file}"),
                "cannot create it".into(),
            ],
        ),
        (
            vec!["--generated", "3", "--save-dir", &save_under_a_file],
            vec![
                format!("--save-dir {save_under_a_file}"),
                format!("{} is not a directory", a_file.display()),
            ],
        ),
    ];
    for (extra, needles) in cases {
        let mut args = vec!["check", "--case", "all-fast"];
        args.extend(extra.iter().copied());
        let out = overtime(&args, &[]);
        assert_eq!(code(&out), 2, "{args:?}: {}", text(&out));
        for needle in needles {
            assert!(
                text(&out).contains(&needle),
                "{args:?}: `{needle}` in {}",
                text(&out)
            );
        }
        assert!(
            !text(&out).contains("property "),
            "{args:?}: refused before the run, yet a matrix was printed: {}",
            text(&out)
        );
    }
    let _ = std::fs::remove_dir_all(&d);
}

/// A write that fails at the end (here /dev/full: it opens, but every write fails) does not
/// hide the verdict: the matrix and the verdict line are printed, the write error follows on
/// stderr, and a violation still exits 1; a run that passed exits 2 (what was asked was not
/// produced).
#[test]
fn a_write_failing_at_the_end_keeps_the_verdict_and_its_exit_code() {
    let violating = run(&["--json", "/dev/full"]);
    let stdout = String::from_utf8_lossy(&violating.stdout);
    let stderr = String::from_utf8_lossy(&violating.stderr);
    assert_eq!(code(&violating), 1, "{}", text(&violating));
    assert!(stdout.contains("P09 bounded_concurrency"), "{stdout}");
    assert!(stdout.contains("does not conform:"), "{stdout}");
    assert!(
        stderr.contains("--json: cannot write /dev/full"),
        "{stderr}"
    );

    let reference = overtime(
        &[
            "check",
            "--case",
            "all-fast",
            "--mode",
            "list",
            "--epsilon-ms",
            EPSILON,
            "--junit",
            "/dev/full",
        ],
        &[],
    );
    let stdout = String::from_utf8_lossy(&reference.stdout);
    let stderr = String::from_utf8_lossy(&reference.stderr);
    assert!(
        stderr.contains("--junit: cannot write /dev/full"),
        "{stderr}"
    );
    if stdout.contains("conforms: every MUST property passes") {
        assert_eq!(code(&reference), 2, "{}", text(&reference));
        assert!(stderr.contains("the run itself passed"), "{stderr}");
    } else {
        // A loaded machine made a verdict inconclusive: the run's own exit code stands.
        assert!(
            stdout.contains("inconclusive: no MUST violation"),
            "{stdout}"
        );
        assert_eq!(code(&reference), 3, "{}", text(&reference));
    }
}

/// A teardown grace that could add a minute to every case run is refused with exit 2 and the
/// reason, before anything runs.
#[test]
fn an_absurd_teardown_grace_is_refused_before_the_run() {
    let args = [
        "check",
        "--case",
        "all-fast",
        "--teardown-grace-ms",
        "600000",
    ];
    let out = overtime(&args, &[]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("--teardown-grace-ms 600000 is refused")
            && text(&out).contains("largest accepted is 60.00 s"),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains("property "), "{}", text(&out));
}

/// An ε that judges nothing (0 in real time), that would make the run absurdly long (above
/// 60 s), or that exceeds T is refused with exit 2 and the reason, before anything runs.
#[test]
fn an_absurd_epsilon_is_refused_before_the_run_saying_why() {
    let cases: [(&[&str], &[&str]); 3] = [
        (
            &["--epsilon-ms", "1e12"],
            &[
                "--epsilon-ms 1000000000000 is refused",
                "largest accepted is 60.00 s",
            ],
        ),
        (
            &["--epsilon-ms", "0"],
            &[
                "--epsilon-ms 0 is refused",
                "every verdict would be inconclusive",
            ],
        ),
        (
            &["--epsilon-ms", "150", "--timeout-ms", "100"],
            &[
                "--epsilon-ms 150 is more than T = 100 ms",
                "raise --timeout-ms",
            ],
        ),
    ];
    for (extra, needles) in cases {
        let mut args = vec!["check", "--case", "all-fast"];
        args.extend_from_slice(extra);
        let out = overtime(&args, &[]);
        assert_eq!(code(&out), 2, "{args:?}: {}", text(&out));
        for needle in needles {
            assert!(
                text(&out).contains(needle),
                "{args:?}: `{needle}` in {}",
                text(&out)
            );
        }
        assert!(
            !text(&out).contains("property "),
            "{args:?}: {}",
            text(&out)
        );
    }
}

/// A T below what the machine can honour (0 < T < 5 ms) is flagged: a warning before the run,
/// each failure marked as possibly the machine's, a note after the verdict line, and the exit
/// code still the verdict's. T = 0 (every timeout due at once) is not flagged.
#[test]
fn a_t_too_small_to_honour_is_flagged_and_its_failures_marked() {
    let out = overtime(
        &[
            "check",
            "--executor",
            "mutant:exceeds-n-jobs",
            "--case",
            "many-small",
            "--mode",
            "list",
            "--timeout-ms",
            "1",
        ],
        &[],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(
        stderr.contains("warning: T = 1 ms is below the 5 ms this machine can honour"),
        "{stderr}"
    );
    assert!(
        stdout.contains("FAIL list P09 bounded_concurrency"),
        "{stdout}"
    );
    assert!(
        stdout.contains("[T = 1 ms is too small to judge on this machine"),
        "{stdout}"
    );
    let verdict_line = stdout.find("does not conform:").expect("the verdict line");
    let note = stdout.find("note: T = 1 ms").expect("the note");
    assert!(note > verdict_line, "{stdout}");

    let zero = overtime(
        &[
            "check",
            "--case",
            "all-fast",
            "--mode",
            "list",
            "--timeout-ms",
            "0",
        ],
        &[],
    );
    assert!(!text(&zero).contains("too small"), "{}", text(&zero));
}

/// `--mode list --mode list` (and repeated executors and cases) run once.
#[test]
fn repeated_modes_executors_and_cases_run_once() {
    let d = dir("repeated");
    let json = d.join("r.json");
    let json_arg = json.display().to_string();
    let out = overtime(
        &[
            "check",
            "--executor",
            "reference",
            "--executor",
            "reference",
            "--mode",
            "list",
            "--mode",
            "list",
            "--case",
            "all-fast",
            "--case",
            "all-fast",
            "--epsilon-ms",
            EPSILON,
            "--json",
            &json_arg,
        ],
        &[],
    );
    assert!(code(&out) <= 1, "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("checking 1 case run(s)"), "{stderr}");
    assert_eq!(stderr.matches("checking ").count(), 1, "{stderr}");
    for option in ["--mode list", "--case all-fast", "--executor reference"] {
        assert!(
            stderr.contains(&format!(
                "note: {option} given more than once; it runs once"
            )),
            "{stderr}"
        );
    }
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["run"]["modes"], json!(["list"]));
    assert_eq!(doc["run"]["cases"], json!(["all-fast"]));
    assert_eq!(doc["executors"].as_array().map(Vec::len), Some(1));
    let _ = std::fs::remove_dir_all(&d);
}

/// The live processes (not zombies) whose command line holds `marker`.
fn processes_marked(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let dir = entry.path();
        let Ok(cmdline) = std::fs::read(dir.join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let stat = std::fs::read_to_string(dir.join("stat")).unwrap_or_default();
        let zombie = stat
            .rfind(')')
            .is_some_and(|i| stat[i + 1..].trim_start().starts_with('Z'));
        if cmdline.contains(marker) && !zombie {
            found.push(format!("{}: {cmdline}", dir.display()));
        }
    }
    found
}

/// SIGINT during a run of an adapter with workers (one of them an orphan ignoring SIGTERM):
/// every one of its processes is gone after the exit, the matrix of the finished case runs is
/// printed, the JSON is written marked interrupted, and the exit code is 130.
#[test]
fn an_interrupt_kills_every_adapter_process_and_keeps_the_partial_results() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    let d = dir("interrupt");
    let json = d.join("partial.json");
    let marker = format!("overtime-interrupt-test-{}", std::process::id());
    let adapter = format!(
        "cmd:python3 {}/adapters/python/fake_adapter.py silent-with-workers {marker}",
        env!("CARGO_MANIFEST_DIR")
    );
    let json_arg = json.display().to_string();
    let mut child = Command::new(BIN)
        .args([
            "check",
            "--executor",
            &adapter,
            "--mode",
            "list",
            "--timeout-ms",
            "100",
            "--epsilon-ms",
            "50",
            "--json",
            &json_arg,
        ])
        .env("CI", "true")
        .env_remove("GITHUB_ACTIONS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the overtime binary runs");
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // Wait for the first case run to finish (a silent adapter's case ends at its watchdog).
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let first_done = line.contains("] 1/");
                seen.push(line);
                if first_done {
                    break;
                }
            }
            Err(_) => {
                let _ = child.kill();
                panic!("no case run finished within 60 s: {seen:#?}");
            }
        }
    }
    assert!(
        !processes_marked(&marker).is_empty(),
        "the adapter's workers should be running"
    );
    let pid = child.id().to_string();
    let signalled = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(signalled.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("overtime did not exit within 30 s of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    reader.join().unwrap();
    let stderr: Vec<String> = rx.try_iter().collect();
    let everything = format!("{stdout}\n{}\n{}", seen.join("\n"), stderr.join("\n"));
    assert_eq!(status.code(), Some(130), "{everything}");
    assert!(stdout.contains("P01 liveness"), "{everything}");
    assert!(stdout.contains("interrupted after "), "{everything}");
    assert!(
        stdout.contains("no verdict on the whole run"),
        "{everything}"
    );
    assert!(!stdout.contains("conform"), "{everything}");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(
        doc["interrupted"]
            .as_str()
            .is_some_and(|s| s.starts_with("interrupted after ")),
        "{doc}"
    );
    let cases = doc["executors"][0]["cases"].as_array().map_or(0, Vec::len);
    assert!(cases >= 1, "the finished case runs are kept: {doc}");
    // Nothing of the adapter outlives the harness: not the adapter, not its workers.
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut left = processes_marked(&marker);
    while !left.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        left = processes_marked(&marker);
    }
    for line in &left {
        // Do not leave them running on the machine when the test fails.
        let pid = line
            .trim_start_matches("/proc/")
            .split(':')
            .next()
            .unwrap_or("");
        let _ = Command::new("kill").args(["-9", pid]).status();
    }
    assert!(left.is_empty(), "processes left behind: {left:#?}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn the_help_documents_the_exit_codes() {
    for args in [&["--help"][..], &["check", "--help"], &["merge", "--help"]] {
        let out = overtime(args, &[]);
        let help = text(&out);
        assert_eq!(code(&out), 0);
        for needle in [
            "Exit codes",
            "0  every MUST property passes",
            "with --baseline",
            "2  a usage or configuration error",
            "3  no MUST property fails, but a MUST verdict is inconclusive",
        ] {
            assert!(help.contains(needle), "{args:?}: {help}");
        }
    }
}

/// A run whose only problem is inconclusive verdicts is neither a pass nor a failure: exit 3,
/// with one line saying why. At ε = 2 µs the harness always wakes later than ε/2 (a sleep
/// overshoots by more than that), so every attempt is inconclusive and nothing can fail.
#[test]
fn an_inconclusive_only_run_exits_3_saying_why() {
    let out = overtime(
        &[
            "check",
            "--executor",
            "reference",
            "--case",
            "all-fast",
            "--mode",
            "list",
            "--epsilon-ms",
            "0.002",
        ],
        &[],
    );
    let said = text(&out);
    assert_eq!(code(&out), 3, "{said}");
    assert!(
        said.contains("inconclusive: no MUST violation, but")
            && said.contains("could not be judged")
            && said.contains("(exit 3)"),
        "{said}"
    );
    assert!(!said.contains("does not conform"), "{said}");
}

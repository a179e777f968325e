//! Stopping `overtime check` from outside, in every state: one SIGTERM (or SIGINT, or SIGHUP
//! unless it was ignored at start) ends the run promptly — during a long in-process case,
//! during the generated workloads, during an adapter's handshake — with the partial outputs
//! written; a closed standard output ends it the same way, with exit 141.
//!
//! What these tests assert is that the run ends long before it would have ended by itself
//! (the case or campaign runs minutes to years); each waits for the exit under a watchdog of
//! [`EXIT_BOUND`], far above the fraction of a second a stop takes (measured in the README),
//! so a loaded machine does not fail them.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_overtime");
/// How long a stopped run may take to exit before the test calls it hung.
const EXIT_BOUND: Duration = Duration::from_secs(20);
/// How long a run may take to reach the state a test stops it in.
const START_BOUND: Duration = Duration::from_secs(60);

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("overtime-stop-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("a temp dir");
    d
}

/// A running `overtime` and its stderr, line by line.
struct Running {
    child: Child,
    stderr: Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    /// Starts `overtime args`, SIGHUP ignored first when `ignore_hup` (as `nohup` does).
    fn start(args: &[&str], ignore_hup: bool) -> Running {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .env("CI", "true")
            .env_remove("GITHUB_ACTIONS")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if ignore_hup {
            use std::os::unix::process::CommandExt;
            // SAFETY: between fork and exec, only an async-signal-safe call (signal).
            unsafe {
                command.pre_exec(|| {
                    libc::signal(libc::SIGHUP, libc::SIG_IGN);
                    Ok(())
                });
            }
        }
        let mut child = command.spawn().expect("the overtime binary runs");
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().expect("piped");
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Running {
            child,
            stderr: rx,
            seen: Vec::new(),
        }
    }

    /// Waits for a stderr line holding `needle`.
    fn wait_for(&mut self, needle: &str) {
        let deadline = Instant::now() + START_BOUND;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(needle);
                    self.seen.push(line);
                    if found {
                        return;
                    }
                }
                Err(_) => {
                    let _ = self.child.kill();
                    panic!("no stderr line with {needle:?}: {:#?}", self.seen);
                }
            }
        }
    }

    fn signal(&self, signal: libc::c_int) {
        let pid = i32::try_from(self.child.id()).expect("a pid");
        // SAFETY: kill has no memory effects.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "the signal is sent");
    }

    /// Whether it is still running.
    fn running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// Waits for the exit, at most [`EXIT_BOUND`]; the status, stdout and stderr.
    fn exit(mut self) -> (ExitStatus, String, String) {
        let deadline = Instant::now() + EXIT_BOUND;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "overtime did not exit within {EXIT_BOUND:?}: {:#?}",
                    self.seen
                );
            }
            thread::sleep(Duration::from_millis(10));
        };
        let mut stdout = String::new();
        if let Some(mut out) = self.child.stdout.take() {
            let _ = std::io::Read::read_to_string(&mut out, &mut stdout);
        }
        // The stderr reader ends with the process.
        thread::sleep(Duration::from_millis(50));
        self.seen.extend(self.stderr.try_iter());
        (status, stdout, self.seen.join("\n"))
    }
}

fn interrupted_json(path: &std::path::Path) -> String {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("JSON written"))
        .expect("JSON parses");
    doc["interrupted"]
        .as_str()
        .unwrap_or_else(|| panic!("the JSON is marked interrupted: {doc}"))
        .to_string()
}

/// A case of the catalogue at T = 10⁶ ms runs for minutes (its tasks scale with T): one signal
/// abandons it, the partial outputs are written, and the exit code is 130.
fn a_signal_abandons_a_long_in_process_case(signal: libc::c_int, name: &str) {
    let d = dir(name);
    let json = d.join("partial.json");
    let json_arg = json.display().to_string();
    let mut run = Running::start(
        &[
            "check",
            "--executor",
            "reference",
            "--mode",
            "list",
            "--case",
            "all-fast",
            "--timeout-ms",
            "1e6",
            "--json",
            &json_arg,
        ],
        false,
    );
    run.wait_for("checking 1 case run(s)");
    thread::sleep(Duration::from_millis(300));
    run.signal(signal);
    let (status, stdout, stderr) = run.exit();
    let all = format!("{stdout}\n{stderr}");
    assert_eq!(status.code(), Some(130), "{all}");
    assert!(
        stdout.contains("case all-fast in list mode was abandoned unjudged"),
        "{all}"
    );
    assert!(
        stdout.contains("P01 liveness"),
        "the matrix is printed: {all}"
    );
    assert!(interrupted_json(&json).contains("abandoned"), "{all}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn sigterm_abandons_a_long_in_process_case() {
    a_signal_abandons_a_long_in_process_case(libc::SIGTERM, "term");
}

#[test]
fn sigint_abandons_a_long_in_process_case() {
    a_signal_abandons_a_long_in_process_case(libc::SIGINT, "int");
}

/// A closed terminal stops the run as SIGTERM does.
#[test]
fn sighup_abandons_a_long_in_process_case() {
    a_signal_abandons_a_long_in_process_case(libc::SIGHUP, "hup");
}

/// Under `nohup` (SIGHUP ignored before the exec) a SIGHUP changes nothing; SIGTERM still
/// stops the run.
#[test]
fn sighup_ignored_at_start_stays_ignored() {
    let mut run = Running::start(
        &[
            "check",
            "--executor",
            "reference",
            "--mode",
            "list",
            "--case",
            "all-fast",
            "--timeout-ms",
            "1e6",
        ],
        true,
    );
    run.wait_for("checking 1 case run(s)");
    run.signal(libc::SIGHUP);
    // A handled SIGHUP ends the run within milliseconds; a second is far beyond that.
    thread::sleep(Duration::from_secs(1));
    assert!(
        run.running(),
        "SIGHUP stopped a run that started with it ignored"
    );
    run.signal(libc::SIGTERM);
    let (status, stdout, stderr) = run.exit();
    assert_eq!(status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(!stderr.contains("SIGHUP"), "{stderr}");
}

/// Four billion generated calls would take centuries: a signal during them stops the campaign
/// at once, judging and writing nothing after it.
#[test]
fn sigterm_stops_the_generated_workloads_at_once() {
    let d = dir("generated");
    let save = d.join("found");
    let save_arg = save.display().to_string();
    let mut run = Running::start(
        &[
            "check",
            "--executor",
            "reference",
            "--mode",
            "unordered",
            "--case",
            "all-fast",
            "--generated",
            "4000000000",
            "--save-dir",
            &save_arg,
        ],
        false,
    );
    run.wait_for("generated workloads for reference");
    thread::sleep(Duration::from_millis(300));
    run.signal(libc::SIGTERM);
    let (status, stdout, stderr) = run.exit();
    let all = format!("{stdout}\n{stderr}");
    assert_eq!(status.code(), Some(130), "{all}");
    assert!(
        stdout.contains("interrupted during the generated workloads"),
        "{all}"
    );
    assert!(!save.exists(), "nothing is written after the signal: {all}");
    let _ = std::fs::remove_dir_all(&d);
}

/// An adapter that never says hello: a signal during the handshake ends its process group and
/// the run, which exits 130 rather than reporting the adapter broken.
#[test]
fn sigterm_during_a_handshake_ends_the_adapter_and_the_run() {
    let adapter = format!(
        "cmd:python3 {}/adapters/python/fake_adapter.py silent-handshake",
        env!("CARGO_MANIFEST_DIR")
    );
    let run = Running::start(&["check", "--executor", &adapter], false);
    // Its hello may take up to a minute; a second in, the adapter is started and silent.
    thread::sleep(Duration::from_secs(1));
    run.signal(libc::SIGTERM);
    let (status, stdout, stderr) = run.exit();
    let all = format!("{stdout}\n{stderr}");
    assert_eq!(status.code(), Some(130), "{all}");
    assert!(stderr.contains("1 adapter process group(s) ended"), "{all}");
    assert!(
        !all.contains("handshake"),
        "not reported as the adapter's error: {all}"
    );
}

/// `overtime check | head -1`: once the reader is gone, the next write to standard output
/// stops the run; the outputs are written, a line on stderr says why, and the exit code is 141
/// (as a process killed by SIGPIPE reports), never 0.
#[test]
fn a_closed_standard_output_stops_the_run_with_its_outputs_written() {
    let d = dir("epipe");
    let json = d.join("results.json");
    let json_arg = json.display().to_string();
    let mut run = Running::start(
        &[
            "check",
            "--executor",
            "reference",
            "--executor",
            "rayon",
            "--case",
            "all-fast",
            "--json",
            &json_arg,
        ],
        false,
    );
    // The first line of the first matrix, then the reader goes away.
    let mut stdout = BufReader::new(run.child.stdout.take().expect("piped"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("a line");
    assert!(first.starts_with("executor reference"), "{first}");
    drop(stdout);
    let (status, _, stderr) = run.exit();
    assert_eq!(status.code(), Some(141), "{stderr}");
    assert!(
        stderr.contains("standard output closed (EPIPE)"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&json).expect("written"))
        .expect("JSON parses");
    assert!(
        doc["executors"].as_array().is_some_and(|e| !e.is_empty()),
        "{doc}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

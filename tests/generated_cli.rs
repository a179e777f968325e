//! `overtime check --generated` and `--scenario` against an external executor: the test
//! adapter (`adapters/python/fake_adapter.py swallows-failures`, a seeded defect: a failing
//! task's failure is swallowed and its slot left out of a list that ends normally) is found by
//! generated workloads, shrunk to one task, written as a scenario file, and the printed
//! command replays it. Needs `python3` on PATH, like tests/process_protocol.rs.

use std::path::Path;
use std::process::Command;

const ADAPTER: &str = "python3 adapters/python/fake_adapter.py swallows-failures";

fn overtime(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_overtime"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("the overtime binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn a_seeded_defect_is_found_shrunk_written_and_replayed() {
    let dir = std::env::temp_dir().join(format!("overtime-generated-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let executor = format!("cmd:{ADAPTER}");
    let dir_arg = dir.display().to_string();
    // The catalogue is replaced by one scenario file the adapter passes, so that only the
    // generated calls can find the defect.
    let (code, text) = overtime(&[
        "check",
        "--executor",
        &executor,
        "--mode",
        "list",
        "--epsilon-ms",
        "50",
        "--scenario",
        "specs/scenarios/all-fast.toml",
        "--generated",
        "12",
        "--seed",
        "3",
        "--save-dir",
        &dir_arg,
    ]);
    assert_eq!(code, 1, "a generated failure is a violation:\n{text}");
    assert!(text.contains("exactly_once fails"), "{text}");
    assert!(text.contains("shrunk to 1 task(s)"), "{text}");
    let file = dir.join("list-p04-exactly-once.toml");
    assert!(file.exists(), "the shrunk call is written:\n{text}");
    let written = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        written.contains(r#"{ kind = "fail", ms = 0 }"#),
        "{written}"
    );

    // The printed command replays it: the same property fails again.
    let replay = text
        .lines()
        .find(|l| l.trim_start().starts_with("overtime check "))
        .map(|l| l.trim().to_string())
        .expect("a replay command is printed");
    let argv = shell_words::split(&replay).expect("the replay command splits");
    let args: Vec<&str> = argv.iter().skip(1).map(String::as_str).collect();
    let (code, text) = overtime(&args);
    assert_eq!(code, 1, "the replay fails again:\n{text}");
    assert!(
        text.contains("FAIL list P04 exactly_once") && text.contains("list-p04-exactly-once"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_scenario_path_that_does_not_parse_names_its_file_and_line() {
    let dir = std::env::temp_dir().join(format!("overtime-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let file = dir.join("bad.toml");
    std::fs::write(&file, "name = \"bad\"\nn_jobs = 0\ntasks = []\n").expect("written");
    let (code, text) = overtime(&["check", "--scenario", &file.display().to_string()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains(&format!("{}:2:1: n_jobs = 0", file.display())),
        "{text}"
    );
    assert!(Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("specs/scenarios")
        .is_dir());
}

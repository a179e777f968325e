//! `overtime adapter-test`: a correct adapter passes every check; broken ones fail the check
//! that names what they break, with a message that quotes it. The adapters are the kit's
//! `futures_adapter.py` (standard library only) and `fake_adapter.py SCENARIO`; they need
//! `python3` on PATH. Each run is bounded by the command's own `--bound-s`.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_overtime");

fn adapter_test(adapter: &str) -> (i32, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(BIN)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["adapter-test", "--bound-s", "3", adapter])
        .output()
        .expect("run overtime");
    let text = String::from_utf8_lossy(&stdout).into_owned() + &String::from_utf8_lossy(&stderr);
    (status.code().unwrap_or(-1), text)
}

fn fake(scenario: &str) -> String {
    format!("cmd:python3 adapters/python/fake_adapter.py {scenario}")
}

/// The line of check `name`.
fn line<'a>(output: &'a str, name: &str) -> &'a str {
    output
        .lines()
        .find(|l| l.get(5..).is_some_and(|rest| rest.starts_with(name)))
        .unwrap_or_else(|| panic!("no `{name}` check in:\n{output}"))
}

#[test]
fn a_correct_adapter_passes_every_check() {
    let (code, output) =
        adapter_test("cmd:python3 adapters/python/futures_adapter.py --pool threads");
    assert_eq!(code, 0, "{output}");
    for name in [
        "hello",
        "clock",
        "call: list",
        "call: ordered",
        "call: unordered",
        "release",
        "exit on stdin EOF",
        "strict: malformed line",
        "strict: unknown type",
        "strict: unknown field",
    ] {
        assert!(line(&output, name).starts_with("PASS"), "{output}");
    }
    assert!(output.contains("all 10 checks passed"), "{output}");
}

#[test]
fn a_hello_in_another_protocol_version_fails_the_hello_naming_both_versions() {
    let (code, output) = adapter_test(&fake("wrong-protocol"));
    assert_eq!(code, 1, "{output}");
    let hello = line(&output, "hello");
    assert!(hello.starts_with("FAIL"), "{output}");
    assert!(
        hello.contains("protocol error on line 1 `{\"type\":\"hello\",\"protocol\":3")
            && hello.contains("the adapter speaks protocol 3; this overtime speaks protocol 2"),
        "{hello}"
    );
    let clock = line(&output, "clock");
    assert!(
        clock.starts_with("SKIP") && clock.ends_with("not run: hello failed"),
        "{output}"
    );
}

#[test]
fn an_adapter_that_never_answers_the_clock_fails_the_clock_check() {
    let (code, output) = adapter_test(&fake("silent-clock"));
    assert_eq!(code, 1, "{output}");
    assert!(line(&output, "hello").starts_with("PASS"), "{output}");
    let clock = line(&output, "clock");
    assert!(
        clock.starts_with("FAIL")
            && clock.contains("did not answer clock request 0 in time")
            && clock.contains("answer every `clock` request at once"),
        "{clock}"
    );
}

#[test]
fn an_adapter_that_outlives_its_stdin_fails_the_exit_check() {
    let (code, output) = adapter_test(&fake("lingers"));
    assert_eq!(code, 1, "{output}");
    let exit = line(&output, "exit on stdin EOF");
    assert!(
        exit.starts_with("FAIL") && exit.contains("still running 3.00 s after its stdin closed"),
        "{exit}"
    );
    assert!(line(&output, "call: list").starts_with("PASS"), "{output}");
}

#[test]
fn an_adapter_that_answers_garbage_fails_the_call_quoting_the_line() {
    let (code, output) = adapter_test(&fake("garbage"));
    assert_eq!(code, 1, "{output}");
    let call = line(&output, "call: list");
    assert!(
        call.starts_with("FAIL")
            && call.contains("protocol error on line 10 `this is not json`: not valid JSON"),
        "{call}"
    );
}

#[test]
fn an_executor_that_is_not_a_command_is_a_usage_error() {
    let (code, output) = adapter_test("reference");
    assert_eq!(code, 2, "{output}");
    assert!(
        output.contains("\"reference\" is not an external executor: write cmd:<program>"),
        "{output}"
    );
}

//! Scenario files: one named [`Case`] per TOML file, as in `specs/scenarios/` and
//! `specs/regressions/`. The format is the [`Case`] itself, serialized (durations in
//! milliseconds; unknown keys are errors):
//!
//! ```toml
//! name = "slow-head-of-line"          # must be the file's name, without `.toml`
//! about = "the first task overruns while the others finish early"
//! n_jobs = 2
//! timeout = 100                       # ms; leave it out for a call without a timeout
//! tasks = [
//!     { kind = "sleep", ms = 300 },   # sleep | spin | fail | raise_timeout | cooperative_sleep: `ms`
//!     { kind = "hang" },              # hang | cooperative_hang: no `ms`
//! ]
//!
//! [consumer]                          # optional; an eager consumer by default
//! pause_ms = 30                       # before each pull after the first
//! drop_after = 2                      # drop the iteration after this many items
//! ```
//!
//! Optional keys: `follow_up = true` (a second call right after, judged by P11) and
//! `exercises = ["P01", "P08"]` (the properties the case is meant to exercise).
//!
//! [`load`] reads and checks a file; every error names the file, the line and what is wrong
//! ([`ScenarioError`]). [`to_toml`] prints a case in the same format, ready to save: a
//! generated failure is printed that way, so it can be kept as a regression.

use crate::call::{Consumer, TaskSpec};
use crate::case::Case;
use crate::millis::Millis;
use serde::Deserialize;
use std::fmt;
use std::fs;
use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Where the format is described, for error messages.
const FORMAT_DOC: &str = "specs/scenarios/README.md";

/// A scenario file that could not be read or is not a valid scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: PathBuf,
    /// 1-based line of the problem, when it is at a place in the file.
    pub line: Option<usize>,
    /// 1-based column of the problem, when known.
    pub column: Option<usize>,
    /// What is wrong and, where it helps, how to fix it.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ScenarioError {}

impl ScenarioError {
    fn at(file: &Path, text: &str, offset: Option<usize>, message: String) -> ScenarioError {
        let (line, column) = match offset {
            Some(offset) => {
                let (line, column) = line_and_column(text, offset);
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        ScenarioError {
            file: file.to_path_buf(),
            line,
            column,
            message,
        }
    }
}

/// The 1-based line and column of byte `offset` in `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The byte offset of the top-level `key = ...` line, for errors about a key's value.
fn key_offset(text: &str, key: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            return None;
        }
        if let Some(rest) = trimmed.strip_prefix(key) {
            if rest.trim_start().starts_with('=') {
                return Some(offset + (line.len() - trimmed.len()));
            }
        }
        offset += line.len();
    }
    None
}

/// Parses the scenario in `text`, read from `file` (named in errors; its name without
/// `.toml` must be the scenario's `name`).
pub fn parse(text: &str, file: &Path) -> Result<Case, ScenarioError> {
    if text.len() as u64 > MAX_SCENARIO_BYTES {
        return Err(ScenarioError::at(
            file,
            text,
            None,
            format!(
                "{} bytes, over the {MAX_SCENARIO_BYTES} bytes a scenario may have (at most \
                 {MAX_TASKS} tasks)",
                text.len()
            ),
        ));
    }
    let case: Case = toml::from_str(text).map_err(|e| {
        let (offset, message) = match (e.span(), task_error(text)) {
            // serde reads a task whole (its `kind` decides the rest), so toml can only point
            // at the whole `tasks` array: read the tasks one by one to find the bad one.
            (Some(span), Some((tasks, at, message))) if tasks.contains(&span.start) => {
                (Some(at), message)
            }
            (span, _) => (span.map(|s| s.start), e.message().trim_end().to_string()),
        };
        let message = format!("{message} (the format is described in {FORMAT_DOC})");
        ScenarioError::at(file, text, offset, message)
    })?;
    check(&case, text, file)?;
    Ok(case)
}

/// The first task of `text` that is not a valid task: the span of the `tasks` value, the
/// offset of the task, and what is wrong with it.
fn task_error(text: &str) -> Option<(Range<usize>, usize, String)> {
    let doc = toml::de::DeTable::parse(text).ok()?;
    let (_, tasks) = doc.get_ref().iter().find(|(k, _)| k.get_ref() == "tasks")?;
    let items = tasks.get_ref().as_array()?;
    items.iter().enumerate().find_map(|(i, item)| {
        let error = TaskSpec::deserialize(toml::de::ValueDeserializer::from(item.clone())).err()?;
        let at = error.span().map_or(item.span().start, |s| s.start);
        Some((
            tasks.span(),
            at,
            format!("task {i}: {}", error.message().trim_end()),
        ))
    })
}

/// A key of a task that its kind does not have (serde lets `{ kind = "hang", ms = 5 }` pass:
/// a task without fields ignores the rest): the offset of the key and what is wrong.
fn extra_task_key(text: &str, tasks: &[TaskSpec]) -> Option<(usize, String)> {
    let doc = toml::de::DeTable::parse(text).ok()?;
    let (_, value) = doc.get_ref().iter().find(|(k, _)| k.get_ref() == "tasks")?;
    let items = value.get_ref().as_array()?;
    items
        .iter()
        .zip(tasks)
        .enumerate()
        .find_map(|(i, (item, task))| {
            let written = item.get_ref().as_table()?;
            let known = match toml::Value::try_from(task) {
                Ok(toml::Value::Table(t)) => t,
                _ => return None,
            };
            let (key, _) = written
                .iter()
                .find(|(k, _)| !known.contains_key(k.get_ref().as_ref()))?;
            let kind = known.get("kind").and_then(|k| k.as_str()).unwrap_or("?");
            let expected: Vec<&str> = known.keys().map(String::as_str).collect();
            Some((
                key.span().start,
                format!(
                    "task {i}: a `{kind}` task has no `{}` (its keys: {}); remove it",
                    key.get_ref(),
                    expected.join(", ")
                ),
            ))
        })
}

/// What serde cannot say about a scenario: no task has a key its kind lacks, its name matches
/// its file, and it can run.
fn check(case: &Case, text: &str, file: &Path) -> Result<(), ScenarioError> {
    if let Some((at, message)) = extra_task_key(text, &case.tasks) {
        let message = format!("{message} (the format is described in {FORMAT_DOC})");
        return Err(ScenarioError::at(file, text, Some(at), message));
    }
    let stem = name_of(file);
    if case.name != stem {
        return Err(ScenarioError::at(
            file,
            text,
            key_offset(text, "name"),
            format!(
                "name = {:?}, but the file is {stem}.toml: a scenario's name is its file's name \
                 (rename the file or change the name)",
                case.name
            ),
        ));
    }
    if case.timeout.is_none() && case.has_endless_task() {
        return Err(ScenarioError::at(
            file,
            text,
            key_offset(text, "tasks"),
            "a task hangs but the call has no timeout: nothing could ever end it (set a \
             `timeout`, or make the task a `sleep`)"
                .into(),
        ));
    }
    if case.tasks.len() > MAX_TASKS {
        return Err(ScenarioError::at(
            file,
            text,
            key_offset(text, "tasks"),
            format!(
                "{} tasks, over the {MAX_TASKS} a scenario's call may have (each is real-time \
                 work and an entry of every trace): split the workload",
                case.tasks.len()
            ),
        ));
    }
    if case.n_jobs == 0 {
        return Err(ScenarioError::at(
            file,
            text,
            key_offset(text, "n_jobs"),
            "n_jobs = 0: a call needs at least one worker (write n_jobs = 1 or more)".into(),
        ));
    }
    Ok(())
}

/// The largest scenario file read: far above any workload that can be judged in real time
/// (a task is a line of about 40 bytes), and small enough that a wrong path (a log, a device)
/// is refused before it is read.
pub const MAX_SCENARIO_BYTES: u64 = 1024 * 1024;
/// The most tasks a scenario's call may have: each is a thread's work in real time and an
/// entry of every trace.
pub const MAX_TASKS: usize = 10_000;

/// Reads and parses the scenario file at `path`. Anything but a regular file (a FIFO, a
/// device, a socket) is refused before it is opened, and so is a file over
/// [`MAX_SCENARIO_BYTES`].
pub fn load(path: &Path) -> Result<Case, ScenarioError> {
    let refuse = |message: String| ScenarioError {
        file: path.to_path_buf(),
        line: None,
        column: None,
        message,
    };
    let metadata =
        fs::metadata(path).map_err(|e| refuse(format!("cannot read the scenario file: {e}")))?;
    if !metadata.is_file() {
        return Err(refuse(format!(
            "not a regular file ({}): a scenario is a TOML file (see {FORMAT_DOC})",
            kind_of_file(&metadata.file_type())
        )));
    }
    if metadata.len() > MAX_SCENARIO_BYTES {
        return Err(refuse(format!(
            "{} bytes, over the {MAX_SCENARIO_BYTES} bytes a scenario file may have (at most \
             {MAX_TASKS} tasks): is this the scenario you meant?",
            metadata.len()
        )));
    }
    let mut text = String::new();
    // A file that grew since it was measured is still read no further than the limit.
    fs::File::open(path)
        .and_then(|f| f.take(MAX_SCENARIO_BYTES + 1).read_to_string(&mut text))
        .map_err(|e| refuse(format!("cannot read the scenario file: {e}")))?;
    if text.len() as u64 > MAX_SCENARIO_BYTES {
        return Err(refuse(format!(
            "it grew past the {MAX_SCENARIO_BYTES} bytes a scenario file may have while it was \
             read"
        )));
    }
    parse(&text, path)
}

/// What a file that is not a regular file is, in words.
#[cfg(unix)]
fn kind_of_file(kind: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

#[cfg(not(unix))]
fn kind_of_file(kind: &fs::FileType) -> &'static str {
    if kind.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

/// A scenario file's name: its file name without `.toml` (what its `name` must be, and what
/// its test is called).
pub fn name_of(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The scenario files of `dir` (every `*.toml`, sorted by name); a directory that does not
/// exist has none.
pub fn files(dir: &Path) -> Result<Vec<PathBuf>, ScenarioError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(ScenarioError {
                file: dir.to_path_buf(),
                line: None,
                column: None,
                message: format!("cannot list the scenario directory: {e}"),
            })
        }
    };
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| ScenarioError {
            file: dir.to_path_buf(),
            line: None,
            column: None,
            message: format!("cannot list the scenario directory: {e}"),
        })?;
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "toml") {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

/// `case` as a scenario file: the keys of the format, defaults left out, one task a line.
/// [`parse`] reads it back to the same case.
pub fn to_toml(case: &Case) -> String {
    let mut out = String::new();
    out.push_str(&format!("name = {}\n", string(&case.name)));
    if !case.about.is_empty() {
        out.push_str(&format!("about = {}\n", string(&case.about)));
    }
    out.push_str(&format!("n_jobs = {}\n", case.n_jobs));
    if let Some(timeout) = case.timeout {
        out.push_str(&format!("timeout = {}\n", Millis(timeout)));
    }
    if case.follow_up {
        out.push_str("follow_up = true\n");
    }
    if case.absolute {
        out.push_str("absolute = true\n");
    }
    if !case.exercises.is_empty() {
        let ids: Vec<String> = case.exercises.iter().map(|p| string(p.id())).collect();
        out.push_str(&format!("exercises = [{}]\n", ids.join(", ")));
    }
    if case.tasks.is_empty() {
        out.push_str("tasks = []\n");
    } else {
        out.push_str("tasks = [\n");
        for task in &case.tasks {
            let value = toml::Value::try_from(task).unwrap_or_else(|e| {
                // TaskSpec is plain data with string keys: serializing it cannot fail.
                toml::Value::String(format!("unprintable task: {e}"))
            });
            out.push_str(&format!("    {},\n", inline(&value)));
        }
        out.push_str("]\n");
    }
    let consumer = non_default_keys(&case.consumer);
    if !consumer.is_empty() {
        out.push_str("\n[consumer]\n");
        for (key, value) in consumer {
            out.push_str(&format!("{key} = {}\n", inline(&value)));
        }
    }
    out
}

/// The consumer's keys whose values differ from an eager consumer's.
fn non_default_keys(consumer: &Consumer) -> Vec<(String, toml::Value)> {
    let table = |c: &Consumer| match toml::Value::try_from(c) {
        Ok(toml::Value::Table(t)) => t,
        _ => toml::Table::new(),
    };
    let default = table(&Consumer::default());
    table(consumer)
        .into_iter()
        .filter(|(key, value)| default.get(key) != Some(value))
        .collect()
}

/// A value on one line. Every float of the format is a duration in milliseconds, printed
/// exactly to the nanosecond (`0.000001` is 1 ns) so that it reads back to the same duration.
fn inline(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => string(s),
        toml::Value::Float(f) if f.is_finite() && *f >= 0.0 => {
            Millis::from_f64(*f).map_or_else(|_| f.to_string(), |m| m.to_string())
        }
        toml::Value::Table(table) => {
            // `kind` first: it says what the rest means.
            let mut keys: Vec<&String> = table.keys().collect();
            keys.sort_by_key(|k| (k.as_str() != "kind", k.as_str()));
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{k} = {}", inline(&table[k])))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
        toml::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

fn string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn file(name: &str) -> PathBuf {
        PathBuf::from(format!("specs/scenarios/{name}.toml"))
    }

    #[test]
    fn a_printed_case_reads_as_a_person_would_write_it() {
        let case = Case {
            name: "two".into(),
            about: "a \"quoted\" word".into(),
            tasks: vec![
                TaskSpec::Sleep {
                    ms: Duration::from_nanos(99_999_999),
                },
                TaskSpec::Hang,
            ],
            n_jobs: 2,
            timeout: Some(Duration::from_millis(100)),
            consumer: Consumer {
                drop_after: Some(1),
                ..Consumer::default()
            },
            follow_up: false,
            exercises: Vec::new(),
            absolute: false,
        };
        let text = to_toml(&case);
        assert_eq!(
            text,
            "name = \"two\"\nabout = 'a \"quoted\" word'\nn_jobs = 2\ntimeout = 100\ntasks = [\n    \
             { kind = \"sleep\", ms = 99.999999 },\n    { kind = \"hang\" },\n]\n\n[consumer]\n\
             drop_after = 1\n"
        );
        assert_eq!(parse(&text, &file("two")), Ok(case));
    }

    #[test]
    fn an_unknown_key_names_the_file_and_its_line() {
        let text = "name = \"bad\"\nn_jobs = 2\ntimeout = 100\ntasks = [\n    { kind = \"sleep\", ms = 5 },\n    { kind = \"sleep\", msec = 5 },\n]\n";
        let err = parse(text, &file("bad")).expect_err("msec is not a key");
        assert_eq!(err.line, Some(6), "{err}");
        let shown = err.to_string();
        assert!(shown.starts_with("specs/scenarios/bad.toml:6:"), "{shown}");
        assert!(shown.contains("msec"), "{shown}");
    }

    #[test]
    fn a_key_the_task_kind_does_not_have_names_its_line() {
        let text = "name = \"bad\"\nn_jobs = 1\ntasks = [\n  { kind = \"sleep\", ms = 5 },\n  { kind = \"hang\", ms = 5 },\n]\n";
        let err = parse(text, &file("bad")).expect_err("a hang has no ms");
        assert_eq!((err.line, err.column), (Some(5), Some(20)), "{err}");
        assert!(
            err.to_string()
                .contains("task 1: a `hang` task has no `ms`"),
            "{err}"
        );
    }

    #[test]
    fn a_toml_syntax_error_names_its_line() {
        let text = "name = \"bad\"\nn_jobs = 2\ntimeout = = 100\ntasks = []\n";
        let err = parse(text, &file("bad")).expect_err("not TOML");
        assert_eq!(err.line, Some(3), "{err}");
    }

    #[test]
    fn a_missing_key_says_which() {
        let text = "name = \"bad\"\ntasks = []\n";
        let err = parse(text, &file("bad")).expect_err("n_jobs is required");
        assert!(err.to_string().contains("n_jobs"), "{err}");
        assert!(
            err.to_string().starts_with("specs/scenarios/bad.toml"),
            "{err}"
        );
    }

    #[test]
    fn a_negative_duration_names_its_line() {
        let text = "name = \"bad\"\nn_jobs = 1\ntasks = [\n  { kind = \"sleep\", ms = -5 },\n]\n";
        let err = parse(text, &file("bad")).expect_err("negative");
        assert_eq!(err.line, Some(4), "{err}");
        assert!(err.to_string().contains(">= 0"), "{err}");
    }

    #[test]
    fn a_name_that_is_not_the_file_name_points_at_the_name() {
        let text = "# a comment\nname = \"other\"\nn_jobs = 1\ntasks = []\n";
        let err = parse(text, &file("bad")).expect_err("name mismatch");
        assert_eq!((err.line, err.column), (Some(2), Some(1)), "{err}");
        assert!(err.to_string().contains("rename"), "{err}");
    }

    #[test]
    fn zero_workers_is_an_error_at_its_line() {
        let text = "name = \"bad\"\nn_jobs = 0\ntasks = []\n";
        let err = parse(text, &file("bad")).expect_err("no worker");
        assert_eq!(err.line, Some(2), "{err}");
    }

    #[test]
    fn a_missing_file_names_it() {
        let err = load(Path::new("no/such/dir/x.toml")).expect_err("missing");
        assert!(
            err.to_string()
                .starts_with("no/such/dir/x.toml: cannot read"),
            "{err}"
        );
    }
}

//! Memory: the peak RSS one big call adds, measured in a child process per call so runs do
//! not share a heap or a high-water mark.
//!
//! The child builds the call's jobs (no-op bodies that capture nothing, so the input is one
//! `Vec` of boxed closures, 16 bytes a task), reads its RSS, runs the call without a timeout
//! and pulls it with a slow consumer (a 1 µs spin after every slot), then reads its peak RSS
//! (`VmHWM`). The call's cost is peak − the RSS before the call.

use crate::{drain, Job, Subject};
use overtime_harness::{Mode, Output, TimeoutClock};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The argument that makes the perf-report binary a memory child.
pub const CHILD_FLAG: &str = "--memory-child";

/// What a child measured, in kB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    /// RSS once the jobs were built, before the call.
    pub before_kb: u64,
    /// Peak RSS at the end of the call.
    pub peak_kb: u64,
}

impl Memory {
    /// What the call added over its input, in kB.
    pub fn added_kb(&self) -> u64 {
        self.peak_kb.saturating_sub(self.before_kb)
    }
}

/// A field of `/proc/self/status` in kB (`VmRSS`, `VmHWM`).
pub fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Spawns `exe CHILD_FLAG <executor> <mode> <n>` and reads its answer.
pub fn measure_in_child(
    exe: &Path,
    subject: Subject,
    mode: Mode,
    n: usize,
) -> Result<Memory, String> {
    let output = Command::new(exe)
        .args([
            CHILD_FLAG,
            subject.executor_name(),
            mode.as_str(),
            &n.to_string(),
        ])
        .output()
        .map_err(|e| format!("could not start {}: {e}", exe.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "the memory child for {subject} {mode} {n} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let mut fields = stdout.split_whitespace().map(str::parse::<u64>);
    match (fields.next(), fields.next()) {
        (Some(Ok(before_kb)), Some(Ok(peak_kb))) => Ok(Memory { before_kb, peak_kb }),
        _ => Err(format!(
            "the memory child for {subject} {mode} {n} printed {stdout:?}, not two numbers of kB"
        )),
    }
}

/// The child's side: `args` are `<executor> <mode> <n>`; prints `before_kb peak_kb`.
pub fn child_main(args: &[String]) -> Result<String, String> {
    let usage = "usage: perf-report --memory-child <reference|rayon> <list|ordered|unordered> <n>";
    let [executor, mode, n] = args else {
        return Err(usage.into());
    };
    let subject = match executor.as_str() {
        "reference" => Subject::Reference(TimeoutClock::TaskRuntime),
        "rayon" => Subject::Rayon(TimeoutClock::TaskRuntime),
        other => return Err(format!("unknown executor {other:?}; {usage}")),
    };
    let mode = Mode::ALL
        .into_iter()
        .find(|m| m.as_str() == mode)
        .ok_or_else(|| format!("unknown mode {mode:?}; {usage}"))?;
    let n: usize = n
        .parse()
        .map_err(|e| format!("the task count {n:?} is not a whole number ({e}); {usage}"))?;
    let jobs: Vec<Job> = (0..n)
        .map(|_| -> Job { Box::new(|_stop| Ok(Output { task: 0 })) })
        .collect();
    let before_kb = status_kb("VmRSS:").ok_or("cannot read VmRSS from /proc/self/status")?;
    let slow = Duration::from_micros(1);
    let got = drain(subject.run_jobs(jobs, 2, None, mode), || {
        let start = Instant::now();
        while start.elapsed() < slow {
            std::hint::spin_loop();
        }
    })
    .map_err(|e| format!("{subject} in {mode} mode failed: {e}"))?;
    if got != n {
        return Err(format!(
            "{subject} in {mode} mode delivered {got} of {n} slots"
        ));
    }
    let peak_kb = status_kb("VmHWM:").ok_or("cannot read VmHWM from /proc/self/status")?;
    Ok(format!("{before_kb} {peak_kb}"))
}

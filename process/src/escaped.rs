//! Descendants that left the adapter's process group (`setsid`, `setpgid`, a double fork): the
//! group kill cannot reach them, so each adapter carries a token that they cannot shed.
//!
//! Every adapter is spawned with `OVERTIME_ADAPTER_TOKEN=<harness pid>-<counter>` in its
//! environment; every process it starts inherits it, whatever group or session it moves to and
//! whoever its parent becomes. After the group is gone, [`sweep`] scans `/proc/*/environ` for
//! that exact token and kills and reaps every holder. The token names one adapter of one
//! harness process, so parallel sessions (the tests run many in one process) and unrelated
//! children of the harness are never touched. (Tracking the subreaper's re-parented orphans
//! instead could not tell which adapter an orphan came from, and misses a double-forked
//! process re-parented elsewhere.) A descendant that replaces its whole environment (`env -i`)
//! sheds the token and is not found.
//!
//! A process caught in the middle of an `execve` reads an empty environment for an instant (the
//! kernel installs the new image before it records where the environment lies), so one empty
//! scan proves nothing: the sweep ends only after [`QUIET_SCANS`] scans in a row, a millisecond
//! apart, found no holder.
//!
//! Linux only: elsewhere there is no `/proc/PID/environ` and [`sweep`] finds nothing, so escaped
//! descendants outlive their case there, as before.

use super::group::process_group_of;
use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// The environment variable that carries an adapter's token.
pub const TOKEN_VAR: &str = "OVERTIME_ADAPTER_TOKEN";

/// How many scans in a row must find no holder before a sweep ends.
pub const QUIET_SCANS: u32 = 3;

/// A token no other adapter of any harness process carries.
pub fn new_token() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A process that still carried an adapter's token after its group was killed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escaped {
    pub pid: i32,
    /// Its command line, arguments separated by spaces.
    pub command: String,
}

/// What a sweep found: the escaped processes it killed, and a problem if some would not go.
#[derive(Debug, Default)]
pub struct Swept {
    pub escaped: Vec<Escaped>,
    pub problem: Option<String>,
}

impl Swept {
    /// The warning naming the escaped processes, if there were any.
    pub fn warning(&self, label: &str) -> Option<String> {
        if self.escaped.is_empty() {
            return None;
        }
        let named: Vec<String> = self
            .escaped
            .iter()
            .map(|e| format!("pid {} `{}`", e.pid, e.command))
            .collect();
        Some(format!(
            "{label}: {} process(es) it started left its process group and outlived it, killed \
             and reaped: {}",
            self.escaped.len(),
            named.join(", ")
        ))
    }
}

/// Kills every live process carrying `token` outside process group `group` (the adapter's
/// group, which its own kill and reap take care of: a member still dying from that kill has
/// not escaped), reaps those that are this process's children, and waits until they are
/// gone, for at most `limit`.
pub fn sweep(token: &str, group: i32, limit: Duration) -> Swept {
    let needle = format!("{TOKEN_VAR}={token}");
    sweep_by(
        || {
            holders(&needle)
                .into_iter()
                .filter(|&pid| process_group_of(pid) != Some(group))
                .collect()
        },
        limit,
    )
}

/// What names one of an adapter's pipes in `/proc/PID/fd/*` (`pipe:[INODE]`): the pipe the
/// harness reads through `fd`, a descriptor of this process. `None` where there is no `/proc`.
pub fn pipe_name(fd: std::os::fd::RawFd) -> Option<String> {
    let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).ok()?;
    let name = link.to_string_lossy().into_owned();
    name.starts_with("pipe:[").then_some(name)
}

/// Kills every process (this one excepted) that still holds one of `pipes` (names from
/// [`pipe_name`]) open, as [`sweep`] does token holders: once an adapter's group is gone, only
/// a descendant that left the group and shed its token (`env -i`) can hold the write end of
/// its stdout or stderr, and the harness would wait for an EOF that never comes.
pub fn sweep_pipe_holders(pipes: &[String], limit: Duration) -> Swept {
    if pipes.is_empty() {
        return Swept::default();
    }
    sweep_by(|| processes_with_open(pipes), limit)
}

/// The live processes (this one excepted) with a descriptor open on one of `files` (names as
/// `/proc/PID/fd/*` links read).
fn processes_with_open(files: &[String]) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let me = i32::try_from(std::process::id()).unwrap_or(i32::MAX);
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| {
            std::fs::read_dir(format!("/proc/{pid}/fd")).is_ok_and(|fds| {
                fds.flatten().any(|fd| {
                    std::fs::read_link(fd.path())
                        .is_ok_and(|link| files.iter().any(|f| link.as_os_str() == f.as_str()))
                })
            })
        })
        .collect()
}

/// Kills what `find` finds until [`QUIET_SCANS`] scans in a row find nothing and every killed
/// process is gone (reaped, if it is this process's child), for at most `limit`.
fn sweep_by(find: impl Fn() -> Vec<i32>, limit: Duration) -> Swept {
    let deadline = Instant::now() + limit;
    let mut found: BTreeMap<i32, String> = BTreeMap::new();
    let mut waiting: Vec<i32> = Vec::new();
    let mut quiet = 0;
    loop {
        let holders = find();
        for &pid in &holders {
            // The command line first: a dying process's reads empty.
            if let std::collections::btree_map::Entry::Vacant(slot) = found.entry(pid) {
                slot.insert(command_line(pid));
                waiting.push(pid);
            }
            // SAFETY: kill has no memory effects; `pid` holds this adapter's token or pipe.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        waiting.retain(|&pid| !settled(pid));
        quiet = if holders.is_empty() && waiting.is_empty() {
            quiet + 1
        } else {
            0
        };
        if quiet == QUIET_SCANS {
            break;
        }
        if Instant::now() >= deadline {
            let left: Vec<String> = holders
                .iter()
                .chain(&waiting)
                .map(ToString::to_string)
                .collect();
            return Swept {
                escaped: escaped_of(found),
                problem: Some(format!(
                    "processes [{}] that left the adapter's group are still there after {} ms",
                    left.join(", "),
                    limit.as_millis()
                )),
            };
        }
        thread::sleep(Duration::from_millis(1));
    }
    Swept {
        escaped: escaped_of(found),
        problem: None,
    }
}

fn escaped_of(found: BTreeMap<i32, String>) -> Vec<Escaped> {
    found
        .into_iter()
        .map(|(pid, command)| Escaped { pid, command })
        .collect()
}

/// Whether killed process `pid` is gone for good: reaped now by this process, or not a zombie
/// waiting for a parent (gone, or its pid already reused).
fn settled(pid: i32) -> bool {
    let mut status = 0;
    // SAFETY: waitpid writes the status into a local; WNOHANG never blocks.
    let rc = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    if rc == pid {
        return true;
    }
    if rc == 0 {
        return false; // our child, not dead yet
    }
    let not_ours = io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD);
    // Not our child: a zombie still waits for its parent (killed too, so it will be re-parented
    // to us, the subreaper, or to init).
    not_ours && !is_zombie(pid)
}

fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let rest = &stat[stat.rfind(')')? + 1..];
            rest.split_whitespace().next().map(|s| s == "Z")
        })
        .unwrap_or(false)
}

/// The live processes (this one excepted) whose environment holds `needle` as one entry.
fn holders(needle: &str) -> Vec<i32> {
    processes_holding("environ", needle.as_bytes())
}

/// The live processes (this one excepted) whose `/proc/PID/<file>` — a list of NUL-separated
/// entries, `environ` or `cmdline` — holds `entry` as one of them. A zombie's read empty, so
/// zombies never count; nor, for an instant, does a process inside an `execve` (see the
/// module doc).
pub fn processes_holding(file: &str, entry: &[u8]) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let me = i32::try_from(std::process::id()).unwrap_or(i32::MAX);
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| {
            // Processes of other users are unreadable here, and cannot be our descendants
            // without a set-uid program in between.
            std::fs::read(format!("/proc/{pid}/{file}"))
                .is_ok_and(|list| list.split(|&b| b == 0).any(|e| e == entry))
        })
        .collect()
}

/// The command line of `pid`, arguments separated by spaces (its name in brackets if it has
/// none, as `ps` shows it).
pub fn command_line(pid: i32) -> String {
    let argv = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let words: Vec<String> = argv
        .split(|&b| b == 0)
        .filter(|w| !w.is_empty())
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect();
    if words.is_empty() {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        format!("[{}]", comm.trim())
    } else {
        words.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn tokens_are_unique_within_a_process() {
        assert_ne!(new_token(), new_token());
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_sweep_kills_and_reaps_every_holder_of_its_token_and_no_other_process() {
        let token = new_token();
        let other = new_token();
        let mut mine = Command::new("sleep")
            .arg("1000")
            .env(TOKEN_VAR, &token)
            .spawn()
            .expect("sleep starts");
        let mut theirs = Command::new("sleep")
            .arg("1000")
            .env(TOKEN_VAR, &other)
            .spawn()
            .expect("sleep starts");
        let mine_pid = i32::try_from(mine.id()).expect("a pid fits i32");
        // Right after `spawn` the child may still be inside its exec, its environment not yet
        // readable; the sweep copes with that (its quiet scans), but this test wants to know
        // that the one it must find was there to be found.
        let started = Instant::now();
        while !holders(&format!("{TOKEN_VAR}={token}")).contains(&mine_pid) {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "sleep never showed its token"
            );
            thread::sleep(Duration::from_millis(1));
        }
        // Group 0 is no process's group: nothing is spared for its group.
        let swept = sweep(&token, 0, Duration::from_secs(5));
        let escaped = swept.escaped.clone();
        let theirs_alive = theirs.try_wait().expect("try_wait works").is_none();
        let _ = theirs.kill();
        let _ = theirs.wait();
        assert_eq!(swept.problem, None);
        assert_eq!(
            escaped,
            vec![Escaped {
                pid: mine_pid,
                command: "sleep 1000".into()
            }]
        );
        // The sweep reaped it: nothing is left for its Child handle to wait for.
        assert!(mine.try_wait().is_err(), "the swept process was reaped");
        assert!(theirs_alive, "a process with another token must be spared");
        let warning = swept.warning("adapter `x`").expect("a warning names it");
        assert!(
            warning.contains(&format!("pid {mine_pid} `sleep 1000`")),
            "{warning}"
        );
    }
}

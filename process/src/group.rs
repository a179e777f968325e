//! The adapter's process group: kill it whole and reap every member, so that no worker an
//! adapter started (loky and multiprocessing start several) outlives its case, as a stray
//! process or a zombie.
//!
//! The adapter is spawned as the leader of a new group; its workers inherit the group. On
//! Linux the harness makes itself a *child subreaper* once, so that when the adapter dies its
//! orphaned workers are re-parented to the harness rather than to init, and the harness can
//! reap them at once and know they are gone.

use super::escaped;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

/// Makes this process the reaper of its orphaned descendants (Linux; elsewhere a no-op: the
/// orphans go to init, which reaps them in its own time). Idempotent.
pub fn become_subreaper() {
    #[cfg(target_os = "linux")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: prctl(PR_SET_CHILD_SUBREAPER, 1) only sets a flag on this process; the
            // extra arguments are ignored by this option.
            let _ = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        });
    }
}

/// The adapters alive now, by process group with their token ([`escaped`](super::escaped)),
/// for [`kill_every_live_group`].
static LIVE: Mutex<Vec<(i32, String)>> = Mutex::new(Vec::new());

fn live() -> std::sync::MutexGuard<'static, Vec<(i32, String)>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Set once every adapter was killed for an interrupt: no adapter starts after it.
static STOPPED: AtomicBool = AtomicBool::new(false);

/// Why no adapter may start now, if none may: the run was interrupted.
pub fn stopped() -> Option<String> {
    STOPPED.load(Ordering::SeqCst).then(|| {
        "the run was interrupted: no new adapter starts (not even for a retry of the case \
         that was running)"
            .to_string()
    })
}

/// Notes that an adapter's group `pgid`, its members carrying `token`, is alive (until
/// [`forget`]). `Err` if the run was interrupted in the meantime: the caller kills it.
pub fn register(pgid: i32, token: &str) -> Result<(), String> {
    let mut live = live();
    if let Some(why) = stopped() {
        return Err(why);
    }
    live.push((pgid, token.to_string()));
    Ok(())
}

/// Notes that group `pgid` was killed and reaped.
pub fn forget(pgid: i32) {
    live().retain(|(g, _)| *g != pgid);
}

/// How long an interrupt lets the adapters' groups go after SIGTERM, all at once, before
/// SIGKILL: long enough for the helpers that outlive a killed adapter to do their clean-up
/// (loky's resource tracker ignores SIGTERM, sees its pipe close and unlinks the semaphores
/// and memmapping folders it was told of), short enough for an interrupt.
pub const INTERRUPT_GRACE: Duration = Duration::from_secs(1);

/// Ends every adapter group still alive — SIGTERM, up to [`INTERRUPT_GRACE`] for the groups
/// to be gone, then SIGKILL — and every descendant that left it, and reaps them (an
/// interrupt: the run stops now). Returns how many groups it ended and the warnings naming
/// the escaped descendants.
pub fn kill_every_live_group() -> (usize, Vec<String>) {
    let adapters = {
        let live = live();
        // Under the lock, so that no adapter registers after this list is taken.
        STOPPED.store(true, Ordering::SeqCst);
        live.clone()
    };
    for (pgid, _) in &adapters {
        signal(*pgid, libc::SIGTERM);
    }
    let deadline = Instant::now() + INTERRUPT_GRACE;
    for (pgid, _) in &adapters {
        let _ = reap(*pgid, deadline.saturating_duration_since(Instant::now()));
    }
    for (pgid, _) in &adapters {
        let _ = kill(*pgid);
    }
    let mut warnings = Vec::new();
    for (pgid, token) in &adapters {
        let swept = escaped::sweep(token, *pgid, Duration::from_secs(2));
        let label = format!("the adapter of process group {pgid}");
        warnings.extend(swept.warning(&label));
        warnings.extend(swept.problem.map(|p| format!("{label}: {p}")));
    }
    for (pgid, _) in &adapters {
        let _ = reap(*pgid, Duration::from_secs(2));
    }
    (adapters.len(), warnings)
}

/// Sends `signal` to every process of group `pgid`, if it still exists (best effort: the
/// SIGKILL that follows reports what fails).
pub fn signal(pgid: i32, signal: libc::c_int) {
    // SAFETY: killpg has no memory effects; pgid is the group of a child we spawned.
    let _ = unsafe { libc::killpg(pgid, signal) };
}

/// Sends SIGKILL to every process of group `pgid`. A group already gone is not an error.
pub fn kill(pgid: i32) -> io::Result<()> {
    // SAFETY: killpg has no memory effects; pgid is the group of a child we spawned.
    let rc = unsafe { libc::killpg(pgid, libc::SIGKILL) };
    if rc == 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::ESRCH) {
        Ok(())
    } else {
        Err(e)
    }
}

/// True while some process (a zombie too) is still in group `pgid`.
pub fn exists(pgid: i32) -> bool {
    // SAFETY: signal 0 only checks for existence and permission.
    let rc = unsafe { libc::killpg(pgid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Reaps every child of this process in group `pgid` (the killed adapter's workers, which
/// became ours when it died) and waits until the group is empty, for at most `limit`.
/// Returns how many processes it reaped, or the pids it could still see at the limit.
pub fn reap(pgid: i32, limit: Duration) -> Result<usize, String> {
    let deadline = Instant::now() + limit;
    let mut reaped = 0;
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes the status into a local; -pgid selects our children in the
        // group; WNOHANG never blocks.
        let pid = unsafe { libc::waitpid(-pgid, &mut status, libc::WNOHANG) };
        if pid > 0 {
            reaped += 1;
            continue;
        }
        let no_children =
            pid < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD);
        if no_children && !exists(pgid) {
            return Ok(reaped);
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "process group {pgid} still has processes {} after {} ms",
                members(pgid),
                limit.as_millis()
            ));
        }
        thread::sleep(Duration::from_millis(1));
    }
}

/// The pids of group `pgid`, from /proc (Linux), for error messages.
fn members(pgid: i32) -> String {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return "(unknown: no /proc)".into();
    };
    let mut pids = Vec::new();
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        if process_group_of(pid) == Some(pgid) {
            pids.push(pid.to_string());
        }
    }
    format!("[{}]", pids.join(", "))
}

/// The process group of `pid`, from /proc/PID/stat (Linux); `None` when it is gone.
pub fn process_group_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(2)?.parse().ok()
}

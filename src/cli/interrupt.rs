//! Stopping a run early without leaking anything and keeping what it measured: SIGINT, SIGTERM,
//! SIGHUP (a closed terminal), and a closed standard output (`overtime check | head -1`).
//!
//! On the first signal a thread of its own (signal-hook's iterator) kills every adapter's
//! process group at once and reaps it, and sets a flag. The case running then is abandoned
//! within [`overtime_harness::ABANDON_POLL`] (an in-process executor's call is left to its
//! thread; an external one's adapter is gone); `check` runs no more, prints the matrix of the
//! case runs that finished, writes the outputs marked interrupted, and the command exits
//! [`EXIT_INTERRUPTED`]. A second signal kills the groups again and exits at once.
//!
//! SIGHUP is handled as SIGTERM is, unless it was ignored when `overtime` started: `nohup`
//! sets it ignored before the exec, and the run then outlives its terminal as asked.
//!
//! A write to standard output that fails because its reader is gone (EPIPE: Rust ignores
//! SIGPIPE, so the write reports it) stops the run the same way, and the command exits
//! [`EXIT_STDOUT_CLOSED`]; nothing more is printed to standard output. [`out!`] and [`outln!`]
//! are the `print!` and `println!` of every subcommand, so no write to a closed pipe panics.

use crate::harness::Ms;
use crate::process::INTERRUPT_GRACE;
use signal_hook::consts::signal::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// The exit code of a run stopped by a signal (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;
/// The exit code of a run stopped because its standard output was closed (128 + SIGPIPE).
pub const EXIT_STDOUT_CLOSED: u8 = 141;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// A run that can be stopped is under way ([`install`] was called): stopping it is said on
/// stderr. A command without one (`list`) just ends quietly on a closed pipe, as Unix tools do.
static RUN_UNDER_WAY: AtomicBool = AtomicBool::new(false);
/// Standard output's reader was gone first: the run stopped for that.
static STOPPED_BY_EPIPE: AtomicBool = AtomicBool::new(false);
/// A write to standard output failed: nothing more is written there.
static STDOUT_FAILED: AtomicBool = AtomicBool::new(false);

/// Installs the handling of SIGINT, SIGTERM and (unless ignored at start) SIGHUP: a thread of
/// its own waits for them.
pub fn install() -> Result<(), String> {
    let mut wanted = vec![SIGINT, SIGTERM];
    if !ignored_at_start(SIGHUP) {
        wanted.push(SIGHUP);
    }
    let mut signals =
        Signals::new(wanted).map_err(|e| format!("cannot install the interrupt handling: {e}"))?;
    RUN_UNDER_WAY.store(true, Ordering::SeqCst);
    std::thread::Builder::new()
        .name("overtime-interrupt".into())
        .spawn(move || {
            for signal in signals.forever() {
                let name = match signal {
                    SIGTERM => "SIGTERM",
                    SIGHUP => "SIGHUP",
                    _ => "SIGINT",
                };
                stop(name);
            }
        })
        .map(|_| ())
        .map_err(|e| format!("cannot start the interrupt thread: {e}"))
}

/// Stops the run because of `why` (a signal's name, or the closed standard output): ends
/// every adapter's process group and sets the flag the run looks at; a second stop exits at
/// once.
fn stop(why: &str) {
    let again = INTERRUPTED.swap(true, Ordering::SeqCst);
    if !RUN_UNDER_WAY.load(Ordering::SeqCst) {
        return;
    }
    let killed = overtime_process::kill_every_adapter();
    for warning in &killed.escaped {
        eprintln!("overtime: {warning}");
    }
    if again {
        eprintln!("overtime: {why} again: exiting now");
        std::process::exit(i32::from(exit_code()));
    }
    eprintln!(
        "overtime: {why}: stopping; {} adapter process group(s) ended (SIGTERM, then SIGKILL \
         within {}); a running case is abandoned unjudged, and the outputs are written from \
         what finished (signal again to exit at once)",
        killed.groups,
        Ms(INTERRUPT_GRACE)
    );
}

/// Whether `signal`'s disposition was "ignore" when the process started (as `nohup` leaves
/// SIGHUP).
fn ignored_at_start(signal: libc::c_int) -> bool {
    // SAFETY: sigaction with a null new action only reads the current disposition into `old`,
    // a zeroed sigaction that lives for the call.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, std::ptr::null(), &mut old) == 0
            && old.sa_sigaction == libc::SIG_IGN
    }
}

/// Whether the run was asked to stop (a signal, or its standard output closed).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// The exit code of a stopped run: [`EXIT_STDOUT_CLOSED`] when standard output was closed
/// first, else [`EXIT_INTERRUPTED`].
pub fn exit_code() -> u8 {
    if STOPPED_BY_EPIPE.load(Ordering::SeqCst) {
        EXIT_STDOUT_CLOSED
    } else {
        EXIT_INTERRUPTED
    }
}

/// Writes `text` to standard output. Once a write fails because the reader is gone, the run
/// stops (as on a signal) and every later write is dropped; any other write error is said on
/// stderr once.
pub fn write_stdout(text: std::fmt::Arguments<'_>) {
    if STDOUT_FAILED.load(Ordering::SeqCst) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    let written = stdout.write_fmt(text).and_then(|()| stdout.flush());
    let Err(e) = written else { return };
    let first = !STDOUT_FAILED.swap(true, Ordering::SeqCst);
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        if first && !interrupted() {
            STOPPED_BY_EPIPE.store(true, Ordering::SeqCst);
            stop("standard output closed (EPIPE)");
        }
    } else if first {
        eprintln!("overtime: cannot write to standard output ({e}); nothing more is printed there");
    }
}

/// `print!` that never panics on a closed pipe: see [`write_stdout`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::interrupt::write_stdout(format_args!($($arg)*)) };
}

/// `println!` that never panics on a closed pipe: see [`write_stdout`].
macro_rules! outln {
    () => { $crate::cli::interrupt::write_stdout(format_args!("\n")) };
    ($($arg:tt)*) => {
        $crate::cli::interrupt::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {out, outln};

//! SIGINT and SIGTERM during `check`: the run stops without leaking anything and keeps what it
//! measured.
//!
//! On the first signal the handler (on a thread of its own) kills every adapter's process group
//! at once and reaps it, and sets a flag. The case running then ends quickly (its adapter is
//! gone) or at its watchdog (an in-process executor); `check` drops that case, runs no more,
//! prints the matrix of the case runs that finished, writes the outputs marked interrupted,
//! and the command exits [`EXIT_INTERRUPTED`]. A second signal kills the groups again and exits
//! at once.

use std::sync::atomic::{AtomicBool, Ordering};

/// The exit code of an interrupted run (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the handler of SIGINT, SIGTERM (and SIGHUP).
pub fn install() -> Result<(), String> {
    ctrlc::set_handler(|| {
        let again = INTERRUPTED.swap(true, Ordering::SeqCst);
        let killed = overtime_process::kill_every_adapter();
        if again {
            eprintln!("overtime: interrupted again: exiting now");
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
        eprintln!(
            "overtime: interrupted: {killed} adapter process group(s) killed; stopping after \
             the current case (interrupt again to exit at once)"
        );
    })
    .map_err(|e| format!("cannot install the interrupt handler: {e}"))
}

/// Whether a signal asked the run to stop.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

//! SIGINT and SIGTERM during `check`: the run stops without leaking anything and keeps what it
//! measured.
//!
//! On the first signal a thread of its own (signal-hook's iterator) kills every adapter's
//! process group at once and reaps it, and sets a flag. The case running then ends quickly (its
//! adapter is gone) or at its watchdog (an in-process executor); `check` drops that case, runs
//! no more, prints the matrix of the case runs that finished, writes the outputs marked
//! interrupted, and the command exits [`EXIT_INTERRUPTED`]. A second signal kills the groups
//! again and exits at once.

use crate::harness::Ms;
use crate::process::INTERRUPT_GRACE;
use signal_hook::consts::signal::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use std::sync::atomic::{AtomicBool, Ordering};

/// The exit code of an interrupted run (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the handling of SIGINT and SIGTERM: a thread of its own waits for them. (SIGHUP is
/// left alone, so that `nohup overtime check` still outlives its terminal.)
pub fn install() -> Result<(), String> {
    let mut signals = Signals::new([SIGINT, SIGTERM])
        .map_err(|e| format!("cannot install the interrupt handling: {e}"))?;
    std::thread::Builder::new()
        .name("overtime-interrupt".into())
        .spawn(move || {
            for signal in signals.forever() {
                let again = INTERRUPTED.swap(true, Ordering::SeqCst);
                let killed = overtime_process::kill_every_adapter();
                for warning in &killed.escaped {
                    eprintln!("overtime: {warning}");
                }
                let name = if signal == SIGTERM {
                    "SIGTERM"
                } else {
                    "SIGINT"
                };
                if again {
                    eprintln!("overtime: {name} again: exiting now");
                    std::process::exit(i32::from(EXIT_INTERRUPTED));
                }
                eprintln!(
                    "overtime: {name}: {} adapter process group(s) ended (SIGTERM, then \
                     SIGKILL within {}); stopping after the current case (signal again to \
                     exit at once)",
                    killed.groups,
                    Ms(INTERRUPT_GRACE)
                );
            }
        })
        .map(|_| ())
        .map_err(|e| format!("cannot start the interrupt thread: {e}"))
}

/// Whether a signal asked the run to stop.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

//! How the process executor bounds and shows its adapter.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// How the process executor bounds and shows its adapter.
#[derive(Debug, Clone)]
pub struct ProcessOptions {
    /// How long an adapter may take to send its hello (its warm-up included) and answer the
    /// clock requests.
    pub handshake_timeout: Duration,
    /// How long teardown waits for the adapter to acknowledge the release before the kill.
    pub release_timeout: Duration,
    /// How long an adapter that acknowledged the release may take, once its stdin is closed,
    /// to shut its executor down and exit with every process of its group, before SIGTERM
    /// (then SIGKILL) ends the group.
    pub teardown_grace: Duration,
    /// How many clock exchanges the alignment takes the best of.
    pub clock_samples: u32,
    /// Copy the adapter's stderr to the harness's, line by line, prefixed `[adapter]`.
    /// Either way its last lines are quoted in error messages.
    pub stderr_passthrough: bool,
    /// Called about every [`Heartbeat::EVERY`] while an adapter's hello is awaited, so that a
    /// caller can show that it is still waiting (a warm-up can take most of the handshake
    /// timeout).
    pub heartbeat: Option<Heartbeat>,
}

/// A callback given how long the hello has been awaited so far.
#[derive(Clone)]
pub struct Heartbeat(Arc<dyn Fn(Duration) + Send + Sync>);

impl Heartbeat {
    /// How often the callback is called while the hello is awaited.
    pub const EVERY: Duration = Duration::from_secs(1);

    pub fn new(f: impl Fn(Duration) + Send + Sync + 'static) -> Heartbeat {
        Heartbeat(Arc::new(f))
    }

    pub(crate) fn beat(&self, waited: Duration) {
        (self.0)(waited)
    }
}

impl fmt::Debug for Heartbeat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Heartbeat(..)")
    }
}

impl Default for ProcessOptions {
    /// 60 s handshake (loky starting workers on a loaded machine), 2 s release, 2 s teardown
    /// grace, 8 clock
    /// samples; stderr passed through when `OVERTIME_ADAPTER_STDERR=inherit`; no heartbeat.
    fn default() -> Self {
        ProcessOptions {
            handshake_timeout: Duration::from_secs(60),
            release_timeout: Duration::from_secs(2),
            teardown_grace: Duration::from_secs(2),
            clock_samples: 8,
            stderr_passthrough: std::env::var("OVERTIME_ADAPTER_STDERR")
                .is_ok_and(|v| v == "inherit"),
            heartbeat: None,
        }
    }
}

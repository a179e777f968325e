//! The machine's load, read next to every figure, and spinning threads that oversubscribe it.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

/// `/proc/loadavg`'s 1-, 5- and 15-minute load averages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadAverage(pub [f64; 3]);

impl LoadAverage {
    /// The current load average; `None` where `/proc/loadavg` cannot be read or parsed.
    pub fn now() -> Option<LoadAverage> {
        let text = std::fs::read_to_string("/proc/loadavg").ok()?;
        let mut fields = text.split_whitespace().map(|f| f.parse::<f64>().ok());
        Some(LoadAverage([
            fields.next()??,
            fields.next()??,
            fields.next()??,
        ]))
    }
}

impl fmt::Display for LoadAverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c] = self.0;
        write!(f, "{a:.2} {b:.2} {c:.2}")
    }
}

/// The load average as text, `?` where it cannot be read.
pub fn load_text() -> String {
    LoadAverage::now().map_or_else(|| "?".into(), |l| l.to_string())
}

/// The number of CPUs this process may run on.
pub fn cpus() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

/// Threads that keep CPUs busy until dropped.
pub struct Spinners {
    stop: Arc<AtomicBool>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl Spinners {
    /// Starts `n` spinning threads (fewer if the OS refuses some).
    pub fn start(n: usize) -> Spinners {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..n)
            .filter_map(|i| {
                let stop = Arc::clone(&stop);
                thread::Builder::new()
                    .name(format!("spinner-{i}"))
                    .spawn(move || {
                        while !stop.load(Ordering::Relaxed) {
                            std::hint::spin_loop();
                        }
                    })
                    .ok()
            })
            .collect();
        Spinners { stop, threads }
    }

    pub fn len(&self) -> usize {
        self.threads.len()
    }

    pub fn is_empty(&self) -> bool {
        self.threads.is_empty()
    }
}

impl Drop for Spinners {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

//! Where the threaded driver gets its time from, and how it waits for a deadline.
//!
//! The driver never reads a clock or sleeps by itself: it asks a [`Clock`]. [`RealClock`] is
//! the monotonic clock, with waits that end at the deadline (`Condvar::wait_timeout`, never a
//! polling loop). [`VirtualClock`] is for models with no real time (loom): time only moves when
//! the driver's timekeeper thread reaches a deadline — it advances virtual time to it and fires
//! the timers, so "a result arrives" and "the deadline fires" become two events a model checker
//! can order both ways — and every other wait is a plain condvar wait woken by a notify.

use crate::core::Tick;
use crate::sync::{AtomicU64, Condvar, MutexGuard, Ordering};
use std::time::Instant;

/// A time source for the threaded driver. Ticks count from the instant the call was made.
///
/// Both waits release the guard while blocked and may return early or spuriously; callers
/// re-check the state under the lock (and so cannot lose a wakeup: state changes are made and
/// notified under the same lock).
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Tick;

    /// Blocks until notified or until `deadline` (none: until notified). Used by the consumer
    /// and by idle workers.
    fn wait<'a, T>(
        &self,
        changed: &Condvar,
        guard: MutexGuard<'a, T>,
        deadline: Option<Tick>,
    ) -> MutexGuard<'a, T>;

    /// The timekeeper's wait: returns once `deadline` has passed, or when notified. By default
    /// the same as [`Clock::wait`]; a virtual clock instead makes the deadline arrive.
    fn sleep_until<'a, T>(
        &self,
        changed: &Condvar,
        guard: MutexGuard<'a, T>,
        deadline: Option<Tick>,
    ) -> MutexGuard<'a, T> {
        self.wait(changed, guard, deadline)
    }
}

/// The monotonic clock, from the instant the call was made. Waits wake at the deadline (the OS
/// timer's lateness is the only cost; `reports/perf.md` measures it).
#[derive(Debug, Clone, Copy)]
pub struct RealClock {
    origin: Instant,
}

impl RealClock {
    /// A clock whose tick 0 is now: create it when the call is made.
    pub fn new() -> RealClock {
        RealClock {
            origin: Instant::now(),
        }
    }

    /// A clock whose tick 0 is `origin`.
    pub fn starting_at(origin: Instant) -> RealClock {
        RealClock { origin }
    }

    /// The instant of tick 0.
    pub fn origin(&self) -> Instant {
        self.origin
    }
}

impl Default for RealClock {
    fn default() -> Self {
        RealClock::new()
    }
}

impl Clock for RealClock {
    fn now(&self) -> Tick {
        Tick::from_duration(self.origin.elapsed())
    }

    fn wait<'a, T>(
        &self,
        changed: &Condvar,
        guard: MutexGuard<'a, T>,
        deadline: Option<Tick>,
    ) -> MutexGuard<'a, T> {
        // A deadline beyond what `Instant` can represent is no deadline.
        let at = deadline.and_then(|d| self.origin.checked_add(d.as_duration()));
        match at {
            None => changed.wait(guard).unwrap_or_else(|e| e.into_inner()),
            Some(at) => {
                let now = Instant::now();
                if now >= at {
                    return guard;
                }
                changed
                    .wait_timeout(guard, at - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            }
        }
    }
}

/// Virtual time for models without a real clock (loom): it starts at tick 0 and moves only
/// when the timekeeper reaches a deadline ([`Clock::sleep_until`] jumps to it); every other
/// wait is a plain condvar wait. A call with a timeout always has a timekeeper, so a model
/// never blocks on a deadline nobody will bring.
#[derive(Debug)]
pub struct VirtualClock {
    now: AtomicU64,
}

impl VirtualClock {
    pub fn new() -> VirtualClock {
        VirtualClock {
            now: AtomicU64::new(0),
        }
    }

    /// Moves time forward to `to` (never backwards).
    pub fn advance_to(&self, to: Tick) {
        self.now.fetch_max(to.0, Ordering::AcqRel);
    }
}

impl Default for VirtualClock {
    fn default() -> Self {
        VirtualClock::new()
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Tick {
        Tick(self.now.load(Ordering::Acquire))
    }

    fn wait<'a, T>(
        &self,
        changed: &Condvar,
        guard: MutexGuard<'a, T>,
        _deadline: Option<Tick>,
    ) -> MutexGuard<'a, T> {
        changed.wait(guard).unwrap_or_else(|e| e.into_inner())
    }

    fn sleep_until<'a, T>(
        &self,
        changed: &Condvar,
        guard: MutexGuard<'a, T>,
        deadline: Option<Tick>,
    ) -> MutexGuard<'a, T> {
        match deadline {
            Some(deadline) => {
                self.advance_to(deadline);
                guard
            }
            None => changed.wait(guard).unwrap_or_else(|e| e.into_inner()),
        }
    }
}

//! The one place the threaded driver takes its synchronization from: `std` in normal builds,
//! `loom` under `--cfg loom` (tokio's `src/loom/` pattern), so loom checks the code that ships
//! rather than a copy of it.
//!
//! Everything the driver shares between threads — the mutex around the core, the condvar that
//! wakes waiters, the stop flags, the worker threads themselves — comes from here. Time does
//! not: loom has no clock, so the driver takes time from an injected [`crate::clock::Clock`].
//! The models, and how to run them: `reference-impl/LOOM.md`.

#[cfg(not(loom))]
pub use std::{
    sync::{
        atomic::{self, AtomicBool, AtomicU64, Ordering},
        Arc, Condvar, Mutex, MutexGuard,
    },
    thread,
};

#[cfg(loom)]
pub use loom::{
    sync::{
        atomic::{self, AtomicBool, AtomicU64, Ordering},
        Arc, Condvar, Mutex, MutexGuard,
    },
    thread,
};

/// Locks `mutex`, recovering the guard if a thread panicked while holding it: the core's
/// state stays consistent across a panic in a task body, which never runs under the lock.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

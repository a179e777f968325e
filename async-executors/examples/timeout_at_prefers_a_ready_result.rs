//! Standalone reproduction, no harness: `tokio::time::timeout_at` polls the future it wraps
//! before its timer, so a consumer that asks after the deadline gets whatever is ready — here
//! a task failure that happened long after the deadline — instead of `Elapsed` (P13
//! timeout_precedence, Unordered).
//!
//! One deadline for the call at 100 ms; task 0 hangs, task 1 fails at 300 ms; the consumer
//! pauses 350 ms before its first pull. Run: `cargo run --release -p overtime-async --example
//! timeout_at_prefers_a_ready_result`. The pull at ~350 ms gets task 1's failure, not the
//! timeout that was due at 100 ms.

use std::time::Duration;
use tokio::task::JoinSet;
use tokio::time::{sleep, timeout_at, Instant};

#[tokio::main]
async fn main() {
    let t0 = Instant::now();
    let ms = move || t0.elapsed().as_secs_f64() * 1e3;
    let deadline = t0 + Duration::from_millis(100);
    let mut set = JoinSet::new();
    set.spawn(async {
        std::future::pending::<()>().await;
        Ok::<usize, String>(0)
    });
    set.spawn(async move {
        sleep(Duration::from_millis(300)).await;
        Err::<usize, String>(format!("task 1 failed at {:.0} ms", ms()))
    });
    sleep(Duration::from_millis(350)).await;
    println!(
        "the consumer asks at {:.0} ms (the deadline was 100 ms)",
        ms()
    );
    match timeout_at(deadline, set.join_next()).await {
        Ok(joined) => println!("it got {joined:?} at {:.0} ms, not the timeout", ms()),
        Err(elapsed) => println!("it got the timeout ({elapsed}) at {:.0} ms", ms()),
    }
}

//! Standalone reproduction, no harness: `buffer_unordered` polls its futures only while the
//! stream itself is polled, so a consumer busy between pulls starves work that has started.
//!
//! Four 50 ms sleeps, each under a 100 ms `tokio::time::timeout`, `buffer_unordered(2)`; the
//! consumer spends 120 ms on each item. Run: `cargo run --release -p overtime-async --example
//! buffer_unordered_starvation`. Each body prints when it started and when it ended: task 1
//! starts at 0 ms with 50 ms of work, and ends only when the consumer pulls again, at ~170 ms
//! (`reports/async.md`, P15 progress).

use futures::{stream, StreamExt};
use std::time::Duration;
use tokio::time::{sleep, timeout, Instant};

#[tokio::main]
async fn main() {
    let t0 = Instant::now();
    let ms = move || t0.elapsed().as_secs_f64() * 1e3;
    let mut results = stream::iter(0..4)
        .map(|i| {
            timeout(Duration::from_millis(100), async move {
                let started = ms();
                println!("task {i}: body started {started:.0} ms");
                sleep(Duration::from_millis(50)).await;
                println!(
                    "task {i}: started {started:.0} ms, 50 ms of work, ended {:.0} ms",
                    ms()
                );
                i
            })
        })
        .buffer_unordered(2);
    while let Some(item) = results.next().await {
        println!("consumer got {item:?} at {:.0} ms; busy for 120 ms", ms());
        sleep(Duration::from_millis(120)).await;
    }
}

//! Standalone reproduction, no harness: `buffered` hands results over in input order, so a
//! task that fails early is not seen until every task before it has finished — here, until the
//! earlier task's `tokio::time::timeout` fires (P07 error_propagation in List and Ordered).
//!
//! Task 0 would run 150 ms under a 100 ms timeout; task 1 fails after 30 ms. Run: `cargo run
//! --release -p overtime-async --example buffered_error_waits`. The failure happens at ~30 ms
//! and reaches the consumer at ~100 ms, behind task 0's timeout.

use futures::{stream, StreamExt};
use std::time::Duration;
use tokio::time::{sleep, timeout, Instant};

#[tokio::main]
async fn main() {
    let t0 = Instant::now();
    let ms = move || t0.elapsed().as_secs_f64() * 1e3;
    let work = [(150, Ok(0)), (30, Err("task 1 failed"))];
    let mut results = stream::iter(work)
        .map(|(work_ms, result)| {
            timeout(Duration::from_millis(100), async move {
                sleep(Duration::from_millis(work_ms)).await;
                if result.is_err() {
                    println!("task 1 fails at {:.0} ms", ms());
                }
                result
            })
        })
        .buffered(2);
    while let Some(item) = results.next().await {
        println!("consumer got {item:?} at {:.0} ms", ms());
    }
}

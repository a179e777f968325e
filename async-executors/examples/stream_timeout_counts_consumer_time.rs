//! Standalone reproduction, no harness: `tokio_stream::StreamExt::timeout` restarts its timer
//! when it yields an item, not when the consumer asks for the next one, so the time a slow
//! consumer spends between pulls counts against the next item: the timeout fires sooner than
//! T after the consumer asked (P02 no_premature against a result_wait contract).
//!
//! One result at once, then one that never comes; the timeout is 100 ms, and the consumer
//! spends 70 ms on the first result before it asks again. Run: `cargo run --release -p
//! overtime-async --example stream_timeout_counts_consumer_time`. The second pull is asked at
//! ~70 ms and times out at ~100 ms: 30 ms after it asked, not 100.

use futures::{stream, StreamExt};
use std::time::Duration;
use tokio::time::{sleep, Instant};

#[tokio::main]
async fn main() {
    let t0 = Instant::now();
    let ms = move || t0.elapsed().as_secs_f64() * 1e3;
    let results = stream::iter([0, 1]).then(|i| async move {
        if i == 1 {
            std::future::pending::<()>().await;
        }
        i
    });
    let results = tokio_stream::StreamExt::timeout(results, Duration::from_millis(100));
    tokio::pin!(results);
    let first = results.next().await;
    println!("consumer got {first:?} at {:.0} ms; busy for 70 ms", ms());
    sleep(Duration::from_millis(70)).await;
    let asked = ms();
    let second = results.next().await;
    println!(
        "asked at {asked:.0} ms, got {second:?} at {:.0} ms: {:.0} ms after asking",
        ms(),
        ms() - asked
    );
}

//! Standalone reproduction, no harness: the spawn-all + semaphore loop, awaiting each
//! `JoinHandle` with a timeout.
//!
//! 1. (P01 liveness, List) The loop takes a permit before it spawns each task; tasks that hang
//!    keep their permits, so the loop never finishes and no timeout is ever armed: with 2
//!    permits and 3 hung tasks, the call never returns. Here the example gives up after 1 s.
//! 2. (P08 abort_stops_dispatch) After the first `Elapsed` the caller gives up, but a dropped
//!    `JoinHandle` does not cancel its task, and the spawning loop (a task of its own, so that
//!    results can be awaited while it runs) goes on: a task starts after the timeout.
//!
//! Run: `cargo run --release -p overtime-async --example semaphore_loop`.

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::{sleep, timeout, Instant};

#[tokio::main]
async fn main() {
    let t0 = Instant::now();
    let ms = move || t0.elapsed().as_secs_f64() * 1e3;

    // 1. Three hung tasks, two permits, a 100 ms timeout per result.
    let call = async {
        let permits = Arc::new(Semaphore::new(2));
        let mut handles = Vec::new();
        for _ in 0..3 {
            let permit = permits.clone().acquire_owned().await.expect("open");
            handles.push(tokio::spawn(async move {
                std::future::pending::<()>().await;
                drop(permit);
            }));
        }
        for handle in handles {
            timeout(Duration::from_millis(100), handle)
                .await
                .map_err(|_| "timed out")?
                .ok();
        }
        Ok::<(), &str>(())
    };
    match timeout(Duration::from_secs(1), call).await {
        Ok(result) => println!("1. the call returned {result:?} at {:.0} ms", ms()),
        Err(_) => println!(
            "1. after {:.0} ms the call had not returned: no timeout was ever armed",
            ms()
        ),
    }

    // 2. Task 0 overruns (150 ms) the 100 ms timeout; tasks 1.. wait for one permit.
    let t1 = Instant::now();
    let ms = move || t1.elapsed().as_secs_f64() * 1e3;
    let permits = Arc::new(Semaphore::new(1));
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        for i in 0..3 {
            let permit = permits.clone().acquire_owned().await.expect("open");
            println!("2. task {i} starts at {:.0} ms", ms());
            let handle = tokio::spawn(async move {
                sleep(Duration::from_millis(if i == 0 { 150 } else { 10 })).await;
                drop(permit);
            });
            if sender.send(handle).is_err() {
                return;
            }
        }
    });
    while let Some(handle) = receiver.recv().await {
        if timeout(Duration::from_millis(100), handle).await.is_err() {
            println!("2. timed out at {:.0} ms: the caller gives up", ms());
            break;
        }
    }
    drop(receiver);
    sleep(Duration::from_millis(100)).await;
}

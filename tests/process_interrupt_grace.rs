//! An interrupt ends the adapters with SIGTERM first and gives their groups up to a second to
//! go before SIGKILL: a helper that outlives its adapter to clean up (loky's resource tracker
//! unlinks semaphores and memmapping folders when its pipe closes) gets to finish. Killed at
//! once, it left them in /dev/shm. (A file of its own: the interrupt is process-wide.)
//!
//! The adapter is `adapters/python/fake_adapter.py tracker`; it needs `python3` on PATH.

use overtime::harness::catalogue::catalogue;
use overtime::harness::CaseExecutor;
use overtime::process::{kill_every_adapter, ProcessExecutor};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

#[test]
fn an_interrupt_lets_a_helper_that_outlives_its_adapter_clean_up() {
    let cleaned =
        std::env::temp_dir().join(format!("overtime-interrupt-tracker-{}", std::process::id()));
    let _ = std::fs::remove_file(&cleaned);
    let (tx, rx) = mpsc::channel();
    {
        let cleaned = cleaned.clone();
        thread::spawn(move || {
            let script = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/adapters/python/fake_adapter.py"
            );
            let argv = vec![
                "python3".into(),
                script.into(),
                "tracker".into(),
                cleaned.display().to_string(),
            ];
            let executor = ProcessExecutor::new(argv).expect("the fake adapter handshakes");
            let case = catalogue()
                .into_iter()
                .find(|c| c.name == "all-fast")
                .expect("the catalogue has all-fast");
            // The adapter that gave the profile was torn down gracefully, its helper's file
            // written: only the case's adapter's counts.
            let _ = std::fs::remove_file(&cleaned);
            executor.begin_case(&case);
            let group = executor.process_group();
            let killed = kill_every_adapter();
            let _ = tx.send((group, killed.groups));
        });
    }
    let (group, groups) = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the interrupt returns within 60 s");
    let was_cleaned = std::fs::read_to_string(&cleaned);
    let _ = std::fs::remove_file(&cleaned);
    let pgid = group.expect("the case's adapter ran before the interrupt");
    assert_eq!(groups, 1, "the interrupt ended that adapter");
    // SAFETY: signal 0 only checks whether the group still exists.
    let alive = unsafe { libc::killpg(pgid, 0) } == 0;
    assert!(!alive, "process group {pgid} outlived the interrupt");
    assert_eq!(
        was_cleaned.ok().as_deref(),
        Some("cleaned up"),
        "the helper that ignores SIGTERM was killed before its clean-up"
    );
}

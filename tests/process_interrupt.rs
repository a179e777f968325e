//! After an interrupt (`overtime_process::kill_every_adapter`) no adapter starts any more: a
//! retry of the case that was running, or a later case, gets an executor error naming the
//! interrupt instead of a fresh adapter that nobody will kill. (A file of its own: the
//! interrupt is process-wide.)
//!
//! The adapter is `adapters/python/fake_adapter.py correct`; it needs `python3` on PATH.

use overtime::harness::catalogue::catalogue;
use overtime::harness::{run_case, Answer, CaseExecutor, Event, Mode, RunConfig};
use overtime::process::{kill_every_adapter, ProcessExecutor};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

#[test]
fn no_adapter_starts_after_an_interrupt() {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/adapters/python/fake_adapter.py"
        );
        let argv = vec!["python3".into(), script.into(), "correct".into()];
        let executor = Arc::new(ProcessExecutor::new(argv).expect("the fake adapter handshakes"));
        let case = catalogue()
            .into_iter()
            .find(|c| c.name == "all-fast")
            .expect("the catalogue has all-fast");
        executor.begin_case(&case);
        let running = executor.process_group();
        let killed = kill_every_adapter();
        // The runner's retry of the case that was running begins the case again.
        executor.begin_case(&case);
        let after = executor.process_group();
        let dynamic: Arc<dyn CaseExecutor> = executor.clone();
        let run = run_case(
            &dynamic,
            &case,
            Mode::List,
            &RunConfig::with_epsilon(Duration::from_millis(50)),
        );
        let errors: Vec<String> = run
            .trace
            .events
            .iter()
            .filter_map(|e| match &e.event {
                Event::Answered(Answer::ExecutorError { message }) => Some(message.clone()),
                _ => None,
            })
            .collect();
        let _ = tx.send((
            running,
            killed.groups,
            after,
            executor.process_group(),
            errors,
        ));
    });
    let (running, groups, after, later, errors) = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the test finishes within 60 s");
    assert!(
        running.is_some(),
        "the case's adapter ran before the interrupt"
    );
    assert_eq!(groups, 1, "the interrupt killed that adapter");
    assert_eq!(
        after, None,
        "a retry after the interrupt started a new adapter"
    );
    assert_eq!(later, None, "a later case started a new adapter");
    assert!(
        !errors.is_empty(),
        "the case's calls answer an executor error"
    );
    assert!(
        errors.iter().all(|e| e.contains("the run was interrupted")),
        "{errors:?}"
    );
}

//! Deterministic tests of the core: every input and every instant is explicit.

use super::*;
use overtime_harness::{Contract, DeadlineAnchor, ErrorOrder, Mode, OnTimeout, TimeoutClock};

const T: Duration = Duration::from_millis(100);

fn ms(m: u64) -> Tick {
    Tick(m * 1_000_000)
}

fn core(
    n_tasks: usize,
    n_jobs: usize,
    mode: Mode,
    clock: TimeoutClock,
    on_timeout: OnTimeout,
) -> Core {
    call(n_tasks, n_jobs, Some(T), mode, clock, on_timeout)
}

/// A call with no timeout (its clock and on-timeout behaviour never come into play).
fn no_timeout(n_tasks: usize, n_jobs: usize, mode: Mode) -> Core {
    call(
        n_tasks,
        n_jobs,
        None,
        mode,
        TimeoutClock::TaskRuntime,
        OnTimeout::Abort,
    )
}

fn call(
    n_tasks: usize,
    n_jobs: usize,
    timeout: Option<Duration>,
    mode: Mode,
    clock: TimeoutClock,
    on_timeout: OnTimeout,
) -> Core {
    let contract = Contract {
        clock,
        on_timeout,
        cancels_running: true,
        ..Contract::default()
    };
    Core::new(CoreConfig::new(
        CallParams {
            n_tasks,
            n_jobs,
            timeout,
            mode,
        },
        contract,
    ))
}

/// Polls at `now` until the core has nothing more to say; the `Pending` is not included.
fn drain(core: &mut Core, now: Tick) -> Vec<Answer> {
    let mut answers = Vec::new();
    while let Poll::Ready(answer) = core.poll(now) {
        let terminal = !matches!(answer, Answer::Slot(_));
        answers.push(answer);
        if terminal {
            break;
        }
    }
    answers
}

fn item(i: usize) -> Answer {
    Answer::Slot(Slot::Item(i))
}

fn marker(i: usize) -> Answer {
    Answer::Slot(Slot::TimedOut(i))
}

fn timeout(task: usize) -> Answer {
    Answer::Failed(Failure::Timeout { task: Some(task) })
}

fn returned(core: &mut Core, i: usize, at: Tick) -> AfterTask {
    core.task_finished(i, TaskResult::Returned, at)
}

#[test]
fn joblib_1586_unordered_times_out_at_the_first_task_deadline() {
    // 2 workers, 3 tasks that never finish, timeout 100 ms, generator_unordered.
    let mut c = core(
        3,
        2,
        Mode::Unordered,
        TimeoutClock::TaskRuntime,
        OnTimeout::Abort,
    );
    assert_eq!(c.take_spawn_requests(), 2);
    assert_eq!(c.next_task(ms(0)), Dispatch::Run(0));
    assert_eq!(c.next_task(ms(0)), Dispatch::Run(1));
    assert_eq!(
        c.next_task(ms(0)),
        Dispatch::Wait,
        "never more than n_jobs running"
    );
    assert_eq!(c.poll(ms(0)), Poll::Pending);
    assert_eq!(c.next_deadline(), Some(ms(100)));
    c.on_time(Tick(ms(100).0 - 1));
    assert_eq!(
        c.poll(Tick(ms(100).0 - 1)),
        Poll::Pending,
        "no premature timeout"
    );

    c.on_time(ms(100));
    assert_eq!(
        c.aborted_at(),
        Some(ms(100)),
        "a deadline at exactly now has passed"
    );
    assert_eq!(c.take_stop_requests(), vec![0, 1]);
    assert_eq!(c.next_task(ms(100)), Dispatch::Exit, "abort stops dispatch");
    assert_eq!(c.next_deadline(), None);
    assert_eq!(drain(&mut c, ms(100)), vec![timeout(0)]);
    assert_eq!(c.poll(ms(101)), Poll::Ready(Answer::End));
}

#[test]
fn ordered_abort_delivers_the_finished_prefix_then_the_error() {
    let mut c = core(
        3,
        3,
        Mode::Ordered,
        TimeoutClock::TaskRuntime,
        OnTimeout::Abort,
    );
    for i in 0..3 {
        assert_eq!(c.next_task(ms(0)), Dispatch::Run(i));
    }
    assert_eq!(returned(&mut c, 0, ms(10)), AfterTask::NextTask);
    assert_eq!(returned(&mut c, 2, ms(20)), AfterTask::NextTask);
    // Task 1 hangs; nobody polls until long after its deadline.
    assert_eq!(drain(&mut c, ms(500)), vec![item(0), timeout(1)]);
    assert_eq!(
        c.aborted_at(),
        Some(ms(100)),
        "the abort happens at the due time"
    );
    assert_eq!(c.take_stop_requests(), vec![1]);
}

#[test]
fn unordered_abort_delivers_partial_results_in_completion_order() {
    let mut c = core(
        4,
        4,
        Mode::Unordered,
        TimeoutClock::TaskRuntime,
        OnTimeout::Abort,
    );
    for i in 0..4 {
        assert_eq!(c.next_task(ms(0)), Dispatch::Run(i));
    }
    returned(&mut c, 3, ms(10));
    returned(&mut c, 0, ms(20));
    // Finishing after the abort: discarded.
    assert_eq!(returned(&mut c, 2, ms(150)), AfterTask::Exit);
    assert_eq!(drain(&mut c, ms(150)), vec![item(3), item(0), timeout(1)]);
}

#[test]
fn a_result_at_the_instant_of_its_deadline_is_delivered() {
    let mut c = core(
        1,
        1,
        Mode::List,
        TimeoutClock::TaskRuntime,
        OnTimeout::Abort,
    );
    assert_eq!(c.next_task(ms(0)), Dispatch::Run(0));
    assert_eq!(returned(&mut c, 0, ms(100)), AfterTask::NextTask);
    assert_eq!(
        c.poll(ms(100)),
        Poll::Ready(Answer::List(vec![Slot::Item(0)]))
    );
    assert_eq!(c.aborted_at(), None);
}

#[test]
fn a_finish_reported_after_its_deadline_is_discarded() {
    let mut c = core(
        1,
        1,
        Mode::List,
        TimeoutClock::TaskRuntime,
        OnTimeout::Abort,
    );
    c.next_task(ms(0));
    assert_eq!(returned(&mut c, 0, Tick(ms(100).0 + 1)), AfterTask::Exit);
    assert_eq!(c.poll(ms(101)), Poll::Ready(timeout(0)));
}

#[test]
fn per_task_markers_keep_their_input_position_in_ordered_mode() {
    let mut c = core(
        3,
        2,
        Mode::Ordered,
        TimeoutClock::TaskRuntime,
        OnTimeout::PerTask,
    );
    c.take_spawn_requests();
    assert_eq!(c.next_task(ms(0)), Dispatch::Run(0));
    assert_eq!(c.next_task(ms(0)), Dispatch::Run(1));
    returned(&mut c, 1, ms(10));
    assert_eq!(c.next_task(ms(10)), Dispatch::Run(2));
    returned(&mut c, 2, ms(20));
    assert_eq!(c.poll(ms(20)), Poll::Pending, "slot 0 is not ready");
    c.on_time(ms(100));
    assert_eq!(
        c.take_stop_requests(),
        vec![0],
        "the marked task is asked to stop"
    );
    assert_eq!(
        c.take_spawn_requests(),
        0,
        "no task left to start: no replacement"
    );
    assert_eq!(
        drain(&mut c, ms(100)),
        vec![marker(0), item(1), item(2), Answer::End]
    );
    // The abandoned task returns late: its result is discarded and its worker exits.
    assert_eq!(returned(&mut c, 0, ms(300)), AfterTask::Exit);
    assert_eq!(c.poll(ms(300)), Poll::Ready(Answer::End));
}

#[test]
fn an_abandoned_task_gets_a_replacement_worker() {
    let mut c = core(
        3,
        1,
        Mode::Unordered,
        TimeoutClock::TaskRuntime,
        OnTimeout::PerTask,
    );
    assert_eq!(c.take_spawn_requests(), 1);
    assert_eq!(c.next_task(ms(0)), Dispatch::Run(0));
    assert_eq!(c.next_task(ms(0)), Dispatch::Wait);
    c.on_time(ms(100));
    assert_eq!(c.take_stop_requests(), vec![0]);
    assert_eq!(
        c.take_spawn_requests(),
        1,
        "task 0 no longer counts towards n_jobs"
    );
    assert_eq!(c.next_task(ms(100)), Dispatch::Run(1));
    assert_eq!(c.next_deadline(), Some(ms(200)));
    returned(&mut c, 1, ms(150));
    assert_eq!(returned(&mut c, 0, ms(160)), AfterTask::Exit);
    assert_eq!(drain(&mut c, ms(160)), vec![marker(0), item(1)]);
}

#[test]
fn overall_per_task_marks_every_unfinished_task_and_never_starts_the_rest() {
    let mut c = core(
        3,
        1,
        Mode::Unordered,
        TimeoutClock::Overall,
        OnTimeout::PerTask,
    );
    c.take_spawn_requests();
    assert_eq!(c.next_task(ms(0)), Dispatch::Run(0));
    assert_eq!(c.next_deadline(), Some(ms(100)));
    c.on_time(ms(100));
    assert_eq!(c.take_stop_requests(), vec![0]);
    assert_eq!(c.take_spawn_requests(), 0, "nothing left to start");
    assert_eq!(c.next_task(ms(100)), Dispatch::Exit);
    assert_eq!(
        drain(&mut c, ms(100)),
        vec![marker(0), marker(1), marker(2), Answer::End]
    );
}

#[test]
fn overall_abort_spares_a_call_whose_tasks_all_finished_in_time() {
    let mut c = core(2, 2, Mode::Ordered, TimeoutClock::Overall, OnTimeout::Abort);
    c.next_task(ms(0));
    c.next_task(ms(0));
    returned(&mut c, 0, ms(50));
    returned(&mut c, 1, ms(99));
    assert_eq!(c.next_deadline(), None);
    // A slow consumer collects them long after T.
    assert_eq!(drain(&mut c, ms(1000)), vec![item(0), item(1), Answer::End]);
}

#[test]
fn overall_abort_names_the_lowest_unfinished_task() {
    let mut c = core(3, 1, Mode::List, TimeoutClock::Overall, OnTimeout::Abort);
    c.next_task(ms(0));
    returned(&mut c, 0, ms(10));
    assert_eq!(c.next_task(ms(10)), Dispatch::Run(1));
    assert_eq!(c.poll(ms(100)), Poll::Ready(timeout(1)));
}

#[test]
fn result_wait_starts_at_the_first_pending_poll() {
    let mut c = core(
        1,
        1,
        Mode::Ordered,
        TimeoutClock::ResultWait,
        OnTimeout::Abort,
    );
    c.next_task(ms(0));
    assert_eq!(c.next_deadline(), None, "nobody waits yet");
    assert_eq!(c.poll(ms(50)), Poll::Pending);
    assert_eq!(
        c.poll(ms(80)),
        Poll::Pending,
        "a repeated poll keeps the wait"
    );
    assert_eq!(c.next_deadline(), Some(ms(150)));
    c.on_time(ms(149));
    assert_eq!(c.aborted_at(), None);
    assert_eq!(c.poll(ms(150)), Poll::Ready(timeout(0)));
}

#[test]
fn result_wait_restarts_after_each_delivery() {
    let mut c = core(
        2,
        2,
        Mode::Unordered,
        TimeoutClock::ResultWait,
        OnTimeout::Abort,
    );
    c.next_task(ms(0));
    c.next_task(ms(0));
    assert_eq!(c.poll(ms(0)), Poll::Pending);
    returned(&mut c, 1, ms(90));
    assert_eq!(
        c.next_deadline(),
        None,
        "a result is there: the wait is over"
    );
    assert_eq!(c.poll(ms(120)), Poll::Ready(item(1)));
    assert_eq!(c.poll(ms(130)), Poll::Pending);
    assert_eq!(c.next_deadline(), Some(ms(230)));
    returned(&mut c, 0, ms(200));
    assert_eq!(drain(&mut c, ms(200)), vec![item(0), Answer::End]);
}

#[test]
fn result_wait_list_waits_for_each_slot_from_when_the_previous_became_available() {
    let mut c = core(3, 3, Mode::List, TimeoutClock::ResultWait, OnTimeout::Abort);
    for _ in 0..3 {
        c.next_task(ms(0));
    }
    assert_eq!(
        c.next_deadline(),
        Some(ms(100)),
        "the wait for slot 0 starts at the call"
    );
    returned(&mut c, 1, ms(10));
    returned(&mut c, 0, ms(90));
    // Slot 1 was already there: wait_2 = max(wait_1, finish_1) = max(90, 10) = 90.
    assert_eq!(c.next_deadline(), Some(ms(190)));
    returned(&mut c, 2, ms(180));
    assert_eq!(
        c.poll(ms(180)),
        Poll::Ready(Answer::List(vec![
            Slot::Item(0),
            Slot::Item(1),
            Slot::Item(2)
        ]))
    );
}

#[test]
fn result_wait_list_times_out_on_a_late_slot() {
    let mut c = core(2, 2, Mode::List, TimeoutClock::ResultWait, OnTimeout::Abort);
    c.next_task(ms(0));
    c.next_task(ms(0));
    returned(&mut c, 0, ms(90));
    assert_eq!(c.poll(ms(189)), Poll::Pending);
    assert_eq!(c.poll(ms(190)), Poll::Ready(timeout(1)));
}

#[test]
fn result_wait_per_task_marks_the_awaited_slot_even_if_not_started() {
    let mut c = core(
        2,
        1,
        Mode::Ordered,
        TimeoutClock::ResultWait,
        OnTimeout::PerTask,
    );
    c.take_spawn_requests();
    // Window 2: both dispatched over time; here only task 0 runs.
    assert_eq!(c.next_task(ms(0)), Dispatch::Run(0));
    assert_eq!(c.poll(ms(0)), Poll::Pending);
    c.on_time(ms(100));
    assert_eq!(c.take_stop_requests(), vec![0]);
    assert_eq!(c.take_spawn_requests(), 1, "task 1 still has to start");
    assert_eq!(c.poll(ms(100)), Poll::Ready(marker(0)));
    assert_eq!(c.poll(ms(100)), Poll::Pending, "a new wait, for slot 1");
    assert_eq!(c.next_deadline(), Some(ms(200)));
    // Nobody picks task 1 up (say the replacement is slow to start): it is marked unstarted.
    c.on_time(ms(200));
    assert_eq!(c.take_spawn_requests(), 0);
    assert_eq!(
        c.next_task(ms(200)),
        Dispatch::Exit,
        "a marked task never starts"
    );
    assert_eq!(drain(&mut c, ms(200)), vec![marker(1), Answer::End]);
}

#[test]
fn result_wait_per_task_unordered_marks_the_task_that_started_first() {
    let mut c = core(
        3,
        2,
        Mode::Unordered,
        TimeoutClock::ResultWait,
        OnTimeout::PerTask,
    );
    c.take_spawn_requests();
    assert_eq!(c.next_task(ms(0)), Dispatch::Run(0));
    returned(&mut c, 0, ms(5));
    assert_eq!(c.next_task(ms(5)), Dispatch::Run(1));
    assert_eq!(c.next_task(ms(7)), Dispatch::Run(2));
    assert_eq!(c.poll(ms(10)), Poll::Ready(item(0)));
    assert_eq!(c.poll(ms(10)), Poll::Pending);
    c.on_time(ms(110));
    assert_eq!(
        c.take_stop_requests(),
        vec![1],
        "task 1 started first (at 5 ms)"
    );
    assert_eq!(c.poll(ms(110)), Poll::Ready(marker(1)));
    assert_eq!(c.poll(ms(110)), Poll::Pending);
    assert_eq!(c.next_deadline(), Some(ms(210)));
}

#[test]
fn a_failure_aborts_even_under_per_task() {
    let mut c = core(
        3,
        3,
        Mode::Ordered,
        TimeoutClock::TaskRuntime,
        OnTimeout::PerTask,
    );
    for _ in 0..3 {
        c.next_task(ms(0));
    }
    returned(&mut c, 0, ms(10));
    let failed = TaskResult::Failed {
        message: "boom".into(),
    };
    assert_eq!(c.task_finished(2, failed, ms(20)), AfterTask::Exit);
    assert_eq!(c.take_stop_requests(), vec![1]);
    assert_eq!(c.next_task(ms(20)), Dispatch::Exit);
    assert_eq!(
        drain(&mut c, ms(20)),
        vec![
            item(0),
            Answer::Failed(Failure::TaskFailed {
                task: 2,
                message: "boom".into()
            })
        ]
    );
}

#[test]
fn the_window_bounds_dispatched_but_undelivered_tasks() {
    let mut c = Core::new(CoreConfig {
        window: 2,
        ..CoreConfig::new(
            CallParams {
                n_tasks: 5,
                n_jobs: 2,
                timeout: None,
                mode: Mode::Ordered,
            },
            Contract {
                clock: TimeoutClock::TaskRuntime,
                on_timeout: OnTimeout::Abort,
                cancels_running: true,
                ..Contract::default()
            },
        )
    });
    assert_eq!(c.next_task(ms(0)), Dispatch::Run(0));
    assert_eq!(c.next_task(ms(0)), Dispatch::Run(1));
    returned(&mut c, 1, ms(10));
    assert_eq!(
        c.next_task(ms(10)),
        Dispatch::Wait,
        "1 running + 1 undelivered = window"
    );
    assert_eq!(c.poll(ms(10)), Poll::Pending);
    returned(&mut c, 0, ms(20));
    assert_eq!(
        c.next_task(ms(20)),
        Dispatch::Wait,
        "both finished, neither delivered"
    );
    assert_eq!(c.poll(ms(20)), Poll::Ready(item(0)));
    assert_eq!(c.next_task(ms(20)), Dispatch::Run(2));
    assert_eq!(c.next_task(ms(20)), Dispatch::Wait);
}

#[test]
fn list_mode_has_no_window() {
    let contract = Contract {
        clock: TimeoutClock::TaskRuntime,
        on_timeout: OnTimeout::Abort,
        cancels_running: true,
        ..Contract::default()
    };
    let mut c = Core::new(CoreConfig {
        window: 1,
        ..CoreConfig::new(
            CallParams {
                n_tasks: 3,
                n_jobs: 1,
                timeout: None,
                mode: Mode::List,
            },
            contract,
        )
    });
    for i in 0..3 {
        assert_eq!(c.next_task(ms(i as u64)), Dispatch::Run(i));
        returned(&mut c, i, ms(i as u64));
    }
    assert_eq!(c.next_task(ms(3)), Dispatch::Exit);
}

#[test]
fn no_timeout_means_no_timers_and_every_result_in_order() {
    let mut c = call(
        3,
        2,
        None,
        Mode::Ordered,
        TimeoutClock::Overall,
        OnTimeout::Abort,
    );
    assert!(c.timers_finished());
    c.next_task(ms(0));
    c.next_task(ms(0));
    returned(&mut c, 1, ms(1));
    assert_eq!(c.next_task(ms(1)), Dispatch::Run(2));
    returned(&mut c, 2, ms(2));
    assert_eq!(c.next_deadline(), None);
    returned(&mut c, 0, ms(1_000_000));
    assert_eq!(
        drain(&mut c, ms(1_000_000)),
        vec![item(0), item(1), item(2), Answer::End]
    );
    assert_eq!(c.poll(ms(1_000_000)), Poll::Ready(Answer::End));
}

#[test]
fn drop_stops_dispatch_and_delivery_and_asks_running_tasks_to_stop() {
    let mut c = core(
        4,
        2,
        Mode::Unordered,
        TimeoutClock::TaskRuntime,
        OnTimeout::Abort,
    );
    c.next_task(ms(0));
    c.next_task(ms(0));
    returned(&mut c, 0, ms(1));
    c.drop_iteration(ms(2));
    assert_eq!(c.take_stop_requests(), vec![1]);
    assert_eq!(c.next_task(ms(2)), Dispatch::Exit);
    assert_eq!(c.next_deadline(), None);
    assert!(c.timers_finished());
    assert_eq!(c.poll(ms(2)), Poll::Ready(Answer::End));
    assert_eq!(returned(&mut c, 1, ms(3)), AfterTask::Exit);
}

#[test]
fn an_empty_call_answers_at_once() {
    let mut c = core(0, 2, Mode::List, TimeoutClock::ResultWait, OnTimeout::Abort);
    assert_eq!(c.take_spawn_requests(), 0);
    assert_eq!(c.poll(ms(0)), Poll::Ready(Answer::List(Vec::new())));
    let mut c = core(
        0,
        2,
        Mode::Unordered,
        TimeoutClock::ResultWait,
        OnTimeout::Abort,
    );
    assert_eq!(c.poll(ms(0)), Poll::Ready(Answer::End));
}

#[test]
fn list_per_task_puts_markers_in_their_positions() {
    let mut c = core(
        3,
        3,
        Mode::List,
        TimeoutClock::TaskRuntime,
        OnTimeout::PerTask,
    );
    for _ in 0..3 {
        c.next_task(ms(0));
    }
    returned(&mut c, 0, ms(10));
    returned(&mut c, 2, ms(20));
    assert_eq!(c.poll(ms(99)), Poll::Pending);
    assert_eq!(
        c.poll(ms(100)),
        Poll::Ready(Answer::List(vec![
            Slot::Item(0),
            Slot::TimedOut(1),
            Slot::Item(2)
        ]))
    );
    assert_eq!(c.poll(ms(100)), Poll::Ready(Answer::End), "answered once");
}

#[test]
fn time_never_runs_backwards() {
    let mut c = core(
        1,
        1,
        Mode::Ordered,
        TimeoutClock::TaskRuntime,
        OnTimeout::Abort,
    );
    c.on_time(ms(50));
    assert_eq!(c.next_task(ms(10)), Dispatch::Run(0));
    assert_eq!(
        c.next_deadline(),
        Some(ms(150)),
        "a late input happens at the latest now"
    );
}

#[test]
fn lazy_modes_keep_state_only_for_the_window_however_many_tasks() {
    for mode in [Mode::Ordered, Mode::Unordered] {
        // Task 0 is held back until the call can go no further without it.
        let n = 10_000;
        let mut c = no_timeout(n, 2, mode);
        let window = c.config().window;
        let (mut most, mut delivered, mut before_release) = (0, 0, None);
        let mut t = 0;
        loop {
            t += 1;
            let mut progress = false;
            while let Dispatch::Run(i) = c.next_task(ms(t)) {
                progress = true;
                if i != 0 {
                    returned(&mut c, i, ms(t));
                }
            }
            most = most.max(c.kept_states());
            match c.poll(ms(t)) {
                Poll::Ready(Answer::Slot(_)) => delivered += 1,
                Poll::Ready(Answer::End) => break,
                Poll::Ready(other) => panic!("{mode}: unexpected {other:?}"),
                Poll::Pending if !progress && before_release.is_none() => {
                    before_release = Some(delivered);
                    returned(&mut c, 0, ms(t));
                }
                Poll::Pending => {}
            }
        }
        assert!(
            most <= window,
            "{mode}: kept {most} states, window {window}"
        );
        let held_back = if mode == Mode::Ordered { 0 } else { n - 1 };
        assert_eq!(before_release, Some(held_back), "{mode}");
        assert_eq!(delivered, n, "{mode}");
        assert_eq!(
            c.kept_states(),
            0,
            "{mode}: every state released at the end"
        );
    }
}

#[test]
fn overall_per_task_marks_the_rest_at_once_and_delivers_them_in_order() {
    for mode in [Mode::Ordered, Mode::Unordered] {
        let mut c = core(1_000, 2, mode, TimeoutClock::Overall, OnTimeout::PerTask);
        assert_eq!(c.next_task(ms(0)), Dispatch::Run(0));
        assert_eq!(c.next_task(ms(0)), Dispatch::Run(1));
        returned(&mut c, 1, ms(10));
        c.on_time(ms(100));
        assert_eq!(c.take_stop_requests(), vec![0]);
        assert!(c.kept_states() <= 2, "{mode}: {} states", c.kept_states());
        assert_eq!(c.next_task(ms(100)), Dispatch::Exit);
        let answers = drain(&mut c, ms(100));
        let mut expected = match mode {
            Mode::Ordered => vec![marker(0), item(1)],
            _ => vec![item(1), marker(0)],
        };
        expected.extend((2..1_000).map(marker));
        expected.push(Answer::End);
        assert_eq!(answers, expected, "{mode}");
        assert_eq!(c.kept_states(), 0, "{mode}");
    }
}

#[test]
fn list_without_a_timeout_hands_out_shrinking_batches() {
    let mut c = no_timeout(100, 2, Mode::List);
    // A share of what is left: ÷ (2 × n_jobs), never less than one task.
    assert_eq!(c.next_batch(ms(0)), Dispatch::Batch { first: 0, len: 25 });
    assert_eq!(c.next_batch(ms(0)), Dispatch::Batch { first: 25, len: 18 });
    assert_eq!(c.next_batch(ms(0)), Dispatch::Wait, "both jobs are busy");
    let mut held = vec![(25, 18)];
    assert_eq!(c.batch_finished(0, 25, None, ms(1)), AfterTask::NextTask);
    let mut lens = vec![25, 18];
    let mut next = 43;
    let mut t = 1;
    // Two workers: the one whose batch started first reports, then asks again.
    loop {
        t += 1;
        match c.next_batch(ms(t)) {
            Dispatch::Batch { first, len } => {
                assert_eq!(first, next, "in input order, each task once");
                next += len;
                lens.push(len);
                held.push((first, len));
            }
            Dispatch::Run(i) => {
                assert_eq!(i, next);
                next += 1;
                lens.push(1);
                held.push((i, 1));
            }
            Dispatch::Wait => {}
            Dispatch::Exit if held.is_empty() => break,
            Dispatch::Exit => {}
        }
        assert_eq!(c.poll(ms(t)), Poll::Pending);
        let (first, len) = held.remove(0);
        let after = if len == 1 {
            c.task_finished(first, TaskResult::Returned, ms(t))
        } else {
            c.batch_finished(first, len, None, ms(t))
        };
        assert_eq!(after, AfterTask::NextTask);
    }
    assert_eq!(next, 100);
    assert!(lens.windows(2).all(|w| w[0] >= w[1]), "shrinking: {lens:?}");
    assert!(lens.len() < 20, "a few batches, not a task each: {lens:?}");
    assert_eq!(
        c.poll(ms(t)),
        Poll::Ready(Answer::List((0..100).map(Slot::Item).collect()))
    );
}

#[test]
fn batches_only_without_a_timeout_and_only_in_list_mode() {
    let mut timed = core(
        100,
        2,
        Mode::List,
        TimeoutClock::TaskRuntime,
        OnTimeout::Abort,
    );
    assert_eq!(timed.next_batch(ms(0)), Dispatch::Run(0));
    for mode in [Mode::Ordered, Mode::Unordered] {
        assert_eq!(no_timeout(100, 2, mode).next_batch(ms(0)), Dispatch::Run(0));
    }
}

#[test]
fn a_failure_in_a_batch_aborts_and_names_its_task() {
    let mut c = no_timeout(100, 2, Mode::List);
    assert_eq!(c.next_batch(ms(0)), Dispatch::Batch { first: 0, len: 25 });
    assert_eq!(c.next_batch(ms(0)), Dispatch::Batch { first: 25, len: 18 });
    // The second worker: tasks 25..=29 returned, task 30 failed.
    let after = c.batch_finished(25, 5, Some("boom".into()), ms(1));
    assert_eq!(after, AfterTask::Exit);
    assert_eq!(
        c.take_stop_requests(),
        vec![0],
        "the other batch is asked to stop"
    );
    assert_eq!(c.next_batch(ms(1)), Dispatch::Exit);
    // The first worker stopped after task 3: what it reports is discarded.
    assert_eq!(c.batch_finished(0, 4, None, ms(2)), AfterTask::Exit);
    assert!(!c.awaits_output(2));
    assert_eq!(
        c.poll(ms(2)),
        Poll::Ready(Answer::Failed(Failure::TaskFailed {
            task: 30,
            message: "boom".into()
        }))
    );
}

#[test]
fn a_batch_report_cannot_claim_tasks_it_was_not_given() {
    let mut c = no_timeout(8, 1, Mode::List);
    assert_eq!(c.next_batch(ms(0)), Dispatch::Batch { first: 0, len: 4 });
    // Reports six tasks from a batch of four: the two beyond it are not the worker's.
    assert_eq!(c.batch_finished(0, 6, None, ms(1)), AfterTask::Exit);
    assert!(c.awaits_output(3));
    assert!(!c.awaits_output(4));
    assert_eq!(c.next_batch(ms(1)), Dispatch::Batch { first: 4, len: 2 });
}

#[test]
fn the_consumer_is_woken_only_when_its_answer_can_change() {
    // List: only the slot that completes the list, or an abort.
    let mut c = no_timeout(3, 3, Mode::List);
    for i in 0..3 {
        assert_eq!(c.next_task(ms(0)), Dispatch::Run(i));
    }
    let before = c.answer_generation();
    returned(&mut c, 2, ms(1));
    returned(&mut c, 0, ms(1));
    assert_eq!(c.answer_generation(), before);
    returned(&mut c, 1, ms(1));
    assert_ne!(c.answer_generation(), before);

    // Ordered: only the awaited slot.
    let mut c = no_timeout(2, 2, Mode::Ordered);
    c.next_task(ms(0));
    c.next_task(ms(0));
    assert_eq!(c.poll(ms(0)), Poll::Pending);
    let before = c.answer_generation();
    returned(&mut c, 1, ms(1));
    assert_eq!(c.answer_generation(), before);
    returned(&mut c, 0, ms(1));
    assert_ne!(c.answer_generation(), before);

    // Unordered: any slot; an abort too.
    let mut c = core(
        2,
        2,
        Mode::Unordered,
        TimeoutClock::TaskRuntime,
        OnTimeout::Abort,
    );
    c.next_task(ms(0));
    c.next_task(ms(0));
    let before = c.answer_generation();
    returned(&mut c, 1, ms(1));
    let after_result = c.answer_generation();
    assert_ne!(after_result, before);
    c.on_time(ms(100));
    assert_ne!(c.answer_generation(), after_result);
}

#[test]
fn a_late_result_of_an_abandoned_task_is_not_awaited() {
    let mut c = core(
        2,
        1,
        Mode::Unordered,
        TimeoutClock::TaskRuntime,
        OnTimeout::PerTask,
    );
    assert_eq!(c.next_task(ms(0)), Dispatch::Run(0));
    c.on_time(ms(100));
    assert_eq!(c.take_stop_requests(), vec![0]);
    assert_eq!(returned(&mut c, 0, ms(150)), AfterTask::Exit);
    assert!(
        !c.awaits_output(0),
        "its marker stands; the output would be kept for nobody"
    );
    assert_eq!(drain(&mut c, ms(150)).first(), Some(&marker(0)));
}

/// A call keeping `contract`, with T = 100 ms.
fn with_contract(n_tasks: usize, n_jobs: usize, mode: Mode, contract: Contract) -> Core {
    Core::new(CoreConfig::new(
        CallParams {
            n_tasks,
            n_jobs,
            timeout: Some(T),
            mode,
        },
        contract,
    ))
}

fn failed(core: &mut Core, i: usize, at: Tick) -> AfterTask {
    core.task_finished(
        i,
        TaskResult::Failed {
            message: "failed".into(),
        },
        at,
    )
}

fn task_failed(task: usize) -> Answer {
    Answer::Failed(Failure::TaskFailed {
        task,
        message: "failed".into(),
    })
}

const INPUT_ORDER: Contract = Contract {
    error_order: ErrorOrder::InputOrder,
    cancels_running: true,
    ..Contract::JOBLIB_DOCUMENTED
};

#[test]
fn input_order_holds_a_failure_until_the_ordered_pull_for_its_slot() {
    // Task 1 fails at 10 ms while task 0 runs until 50 ms: no abort, dispatch goes on.
    let mut c = with_contract(3, 2, Mode::Ordered, INPUT_ORDER);
    assert_eq!(c.next_task(ms(0)), Dispatch::Run(0));
    assert_eq!(c.next_task(ms(0)), Dispatch::Run(1));
    assert_eq!(failed(&mut c, 1, ms(10)), AfterTask::NextTask);
    assert_eq!(c.aborted_at(), None, "the failure waits for its turn");
    assert_eq!(c.next_task(ms(10)), Dispatch::Run(2));
    assert_eq!(c.poll(ms(10)), Poll::Pending, "slot 0 is not ready");
    returned(&mut c, 0, ms(50));
    assert_eq!(drain(&mut c, ms(50)), vec![item(0), task_failed(1)]);
    assert_eq!(
        c.aborted_at(),
        Some(ms(50)),
        "aborted at the failure's turn"
    );
    assert_eq!(c.take_stop_requests(), vec![2]);
}

#[test]
fn input_order_in_a_list_raises_once_every_slot_before_the_failure_resolved() {
    let mut c = with_contract(2, 2, Mode::List, INPUT_ORDER);
    assert_eq!(c.next_task(ms(0)), Dispatch::Run(0));
    assert_eq!(c.next_task(ms(0)), Dispatch::Run(1));
    failed(&mut c, 1, ms(10));
    assert_eq!(c.poll(ms(10)), Poll::Pending);
    returned(&mut c, 0, ms(50));
    assert_eq!(c.poll(ms(50)), Poll::Ready(task_failed(1)));
    assert_eq!(c.aborted_at(), Some(ms(50)));
}

#[test]
fn input_order_a_timeout_due_before_the_failures_turn_aborts_first() {
    // Task 0 hangs (due at 100 ms); task 1's failure at 10 ms never gets its turn.
    let mut c = with_contract(2, 2, Mode::Ordered, INPUT_ORDER);
    c.next_task(ms(0));
    c.next_task(ms(0));
    failed(&mut c, 1, ms(10));
    assert_eq!(c.poll(ms(10)), Poll::Pending);
    assert_eq!(c.next_deadline(), Some(ms(100)));
    assert_eq!(c.poll(ms(100)), Poll::Ready(timeout(0)));
}

#[test]
fn input_order_in_unordered_mode_is_fail_fast() {
    let mut c = with_contract(2, 2, Mode::Unordered, INPUT_ORDER);
    c.next_task(ms(0));
    c.next_task(ms(0));
    failed(&mut c, 1, ms(10));
    assert_eq!(c.aborted_at(), Some(ms(10)));
    assert_eq!(c.poll(ms(10)), Poll::Ready(task_failed(1)));
}

#[test]
fn an_overall_clock_anchored_at_the_first_pull_starts_there() {
    let first_pull = Contract {
        clock: TimeoutClock::Overall,
        deadline_anchor: DeadlineAnchor::FirstPull,
        ..Contract::JOBLIB_DOCUMENTED
    };
    let mut c = with_contract(1, 1, Mode::Unordered, first_pull);
    c.next_task(ms(0));
    assert_eq!(c.next_deadline(), None, "no clock before the first pull");
    assert_eq!(c.poll(ms(30)), Poll::Pending);
    assert_eq!(c.next_deadline(), Some(ms(130)));
    assert_eq!(c.poll(ms(130)), Poll::Ready(timeout(0)));
    // In List mode the first pull is the call.
    let mut list = with_contract(1, 1, Mode::List, first_pull);
    list.next_task(ms(0));
    assert_eq!(list.next_deadline(), Some(ms(100)));
}

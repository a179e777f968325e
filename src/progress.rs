//! What a check shows while it runs, on stderr: on a terminal, one progress bar per executor
//! (cases done / total, the current case, elapsed time and an estimate of what is left); when
//! stderr is not a terminal or under CI (`CI` set), one plain line per case. Either way a
//! heartbeat while an external executor's adapter is awaited, so a long warm-up is not
//! mistaken for a hang.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use overtime_harness::{CaseRun, Mode, VerdictKind};
use overtime_process::Heartbeat;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How often a plain-line display says it is still waiting for an adapter.
const PLAIN_HEARTBEAT: Duration = Duration::from_secs(5);

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Progress bars that redraw in place (a terminal).
    Bars,
    /// One line per case (a log: not a terminal, or CI).
    Lines,
}

impl Style {
    /// Bars on an interactive terminal, lines under CI or when stderr is redirected.
    pub fn from_environment() -> Style {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
        if std::io::stderr().is_terminal() && !ci {
            Style::Bars
        } else {
            Style::Lines
        }
    }
}

/// The progress display of one check.
pub struct Progress {
    style: Style,
    /// Also print a line per case on a terminal (`--verbose`).
    verbose: bool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Who is running: the executor's name, or what is being opened.
    label: String,
    /// The case now running, as `mode case`.
    current: String,
    bar: Option<ProgressBar>,
    /// The last heartbeat a plain display printed.
    last_beat: Duration,
}

impl Progress {
    pub fn new(style: Style, verbose: bool) -> Arc<Progress> {
        Arc::new(Progress {
            style,
            verbose,
            state: Mutex::new(State::default()),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A heartbeat for external executors' handshakes that shows on this display.
    pub fn heartbeat(self: &Arc<Self>) -> Heartbeat {
        let me = Arc::clone(self);
        Heartbeat::new(move |waited| me.waiting(waited))
    }

    fn waiting(&self, waited: Duration) {
        let mut state = self.state();
        let what = format!("waiting for the adapter's hello ({} s)", waited.as_secs());
        match (&state.bar, self.style) {
            (Some(bar), Style::Bars) => bar.set_message(format!("{} — {what}", state.current)),
            _ => {
                if waited >= state.last_beat + PLAIN_HEARTBEAT {
                    state.last_beat = waited;
                    eprintln!("[{}] {} {what}", state.label, state.current);
                }
            }
        }
    }

    /// Says that `what` is being opened (an external executor handshakes here).
    pub fn opening(&self, what: &str) {
        let mut state = self.state();
        state.label = what.to_string();
        state.current.clear();
        state.last_beat = Duration::ZERO;
        state.bar = match self.style {
            Style::Bars => {
                let bar = ProgressBar::new_spinner().with_message(format!("opening {what}"));
                bar.enable_steady_tick(Duration::from_millis(200));
                Some(bar)
            }
            Style::Lines => None,
        };
    }

    /// Done opening: clears the spinner.
    pub fn opened(&self) {
        if let Some(bar) = self.state().bar.take() {
            bar.finish_and_clear();
        }
    }

    /// Starts the display of one executor's `total` cases.
    pub fn executor(self: &Arc<Self>, name: &str, total: usize) -> ExecutorProgress {
        let bar = match self.style {
            Style::Bars => {
                let bar =
                    ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template(
                        "{prefix:.bold} [{bar:24}] {pos}/{len} cases  {elapsed} elapsed, ETA {eta}  {wide_msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                bar.set_prefix(name.to_string());
                bar.enable_steady_tick(Duration::from_millis(500));
                Some(bar)
            }
            Style::Lines => {
                eprintln!("[{name}] checking {total} case run(s)");
                None
            }
        };
        let mut state = self.state();
        state.label = name.to_string();
        state.current.clear();
        state.bar = bar;
        ExecutorProgress {
            progress: Arc::clone(self),
            name: name.to_string(),
            total,
            done: 0,
            started: Instant::now(),
        }
    }
}

/// The display of one executor's run.
pub struct ExecutorProgress {
    progress: Arc<Progress>,
    name: String,
    total: usize,
    done: usize,
    started: Instant,
}

impl ExecutorProgress {
    pub fn case_started(&mut self, mode: Mode, case: &str) {
        let mut state = self.progress.state();
        state.current = format!("{mode} {case}");
        state.last_beat = Duration::ZERO;
        if let Some(bar) = &state.bar {
            bar.set_message(state.current.clone());
        }
    }

    pub fn case_finished(&mut self, run: &CaseRun, took: Duration) {
        self.done += 1;
        let elapsed = self.started.elapsed();
        let left = self.total.saturating_sub(self.done);
        let eta = elapsed.mul_f64(left as f64 / self.done as f64);
        let line = format!(
            "[{}] {}/{} {} {}: {} ({:.2} s; elapsed {:.0} s, ETA {:.0} s)",
            self.name,
            self.done,
            self.total,
            run.mode,
            run.case,
            outcome(run),
            took.as_secs_f64(),
            elapsed.as_secs_f64(),
            eta.as_secs_f64()
        );
        let state = self.progress.state();
        match &state.bar {
            Some(bar) => {
                bar.inc(1);
                if self.progress.verbose || run.first_failure().is_some() {
                    bar.println(line);
                }
            }
            None => eprintln!("{line}"),
        }
    }

    /// Ends the display, with the executor's wall time.
    pub fn finish(self) {
        let took = self.started.elapsed().as_secs_f64();
        let mut state = self.progress.state();
        match state.bar.take() {
            Some(bar) => bar.finish_with_message(format!("done in {took:.1} s")),
            None => eprintln!(
                "[{}] done: {} case run(s) in {took:.1} s",
                self.name, self.done
            ),
        }
    }
}

/// `ok`, `FAIL P01 liveness, …` or `inconclusive`, with the retries.
fn outcome(run: &CaseRun) -> String {
    let fails: Vec<String> = run
        .verdicts
        .iter()
        .filter(|(_, v)| v.verdict == VerdictKind::Fail)
        .map(|(p, _)| p.label())
        .collect();
    let inconclusive = run
        .verdicts
        .iter()
        .find(|(_, v)| v.verdict == VerdictKind::Inconclusive);
    let mut text = if !fails.is_empty() {
        format!("FAIL {}", fails.join(", "))
    } else if let Some((property, verdict)) = inconclusive {
        if overtime_harness::within_noise(verdict) {
            format!(
                "inconclusive ({} failed within the timing noise)",
                property.label()
            )
        } else {
            "inconclusive (the harness was late)".to_string()
        }
    } else {
        "ok".to_string()
    };
    if run.retries > 0 {
        text.push_str(&format!(
            ", {} retr{}",
            run.retries,
            if run.retries == 1 { "y" } else { "ies" }
        ));
    }
    text
}

//! A trace drawn as an SVG timeline, from the trace alone (and the checker's reading of it,
//! [`overtime_harness::marks`]): the tasks on worker lanes (start, end and how it ended —
//! returned, failed, stopped, released while hung, or any other end the trace names), the
//! consumer's pulls and what each got, the due times D with their ε windows, the liveness
//! cut, the abort, and the watchdog.
//!
//! The trace does not say which worker ran a task, so lanes are assigned greedily: each task,
//! in the order the trace started them, takes the lowest lane free at its start. More lanes
//! than n_jobs means more tasks ran at once than workers were allowed.

use super::escape;
use overtime_harness::{marks, Event, Marks, Mode, Ms, Stamp, Trace};
use serde::Serialize;
use std::fmt::Write;
use std::time::Duration;

const WIDTH: f64 = 920.0;
const LEFT: f64 = 92.0;
const RIGHT: f64 = 24.0;
const AXIS: f64 = 30.0;
const CONSUMER: f64 = 44.0;
const LANE: f64 = 22.0;
const LEGEND: f64 = 26.0;

/// The serde name of an enum value (`"released"`, or the `answer` tag of an [`Answer`]), so
/// that an end or an answer this code does not know yet is still drawn and named.
///
/// [`Answer`]: overtime_harness::Answer
fn variant_name<T: Serialize>(value: &T, tag: &str) -> (String, Option<u64>) {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => (s, None),
        Ok(serde_json::Value::Object(map)) => (
            map.get(tag)
                .and_then(|v| v.as_str())
                .unwrap_or("?")
                .to_string(),
            map.get("task").and_then(|v| v.as_u64()),
        ),
        _ => ("?".to_string(), None),
    }
}

/// Colours of task ends; any other end is drawn in the fallback colour with its name.
fn end_colour(end: &str) -> &'static str {
    match end {
        "returned" => "#4c9a5b",
        "failed" => "#c0392b",
        "stopped" => "#e08e0b",
        "released" => "#8a8f98",
        _ => "#5b4b8a",
    }
}

/// Colours of answers; any other answer is drawn in the fallback colour with its name.
fn answer_colour(answer: &str) -> &'static str {
    match answer {
        "item" => "#2e7d32",
        "timed_out" => "#e08e0b",
        "timeout" => "#c0392b",
        "task_failed" => "#c0392b",
        "executor_error" => "#7b1fa2",
        "end" => "#555",
        _ => "#5b4b8a",
    }
}

/// One task's bar.
struct Bar {
    task: usize,
    lane: usize,
    start: Stamp,
    end: Option<(Stamp, String)>,
}

/// One pull of the consumer (or, in List mode, the call's wait for its answer).
struct Pull {
    asked: Stamp,
    answer: Option<(Stamp, String, Option<u64>)>,
}

/// Everything read off the trace for drawing.
struct Picture {
    bars: Vec<Bar>,
    lanes: usize,
    pulls: Vec<Pull>,
    call: Option<Stamp>,
    drop: Option<(Stamp, Option<Stamp>)>,
    watchdog: Option<Stamp>,
    last: Stamp,
}

fn picture(trace: &Trace) -> Picture {
    let mut bars: Vec<Bar> = Vec::new();
    let mut lane_of_task: Vec<Option<usize>> = vec![None; trace.call.n_tasks];
    let mut busy: Vec<bool> = Vec::new();
    let mut pulls: Vec<Pull> = Vec::new();
    let (mut call, mut drop, mut watchdog) = (None, None, None);
    // The hand-over stands for the call when the executor side never reported making it.
    let mut sent = None;
    let list = trace.call.mode == Mode::List;
    for e in &trace.events {
        match &e.event {
            Event::CallSent => sent = sent.or(Some(e.at)),
            Event::CallMade => call = call.or(Some(e.at)),
            Event::TaskStarted { task } => {
                if lane_of_task.get(*task).is_some_and(|l| l.is_none()) {
                    let lane = busy.iter().position(|b| !b).unwrap_or(busy.len());
                    if lane == busy.len() {
                        busy.push(true);
                    }
                    busy[lane] = true;
                    lane_of_task[*task] = Some(lane);
                    bars.push(Bar {
                        task: *task,
                        lane,
                        start: e.at,
                        end: None,
                    });
                }
            }
            Event::TaskEnded { task, end } => {
                if let Some(bar) = bars.iter_mut().find(|b| b.task == *task && b.end.is_none()) {
                    bar.end = Some((e.at, variant_name(end, "").0));
                    busy[bar.lane] = false;
                }
            }
            Event::NextAsked => pulls.push(Pull {
                asked: e.at,
                answer: None,
            }),
            Event::Answered(answer) => {
                let (name, task) = variant_name(answer, "answer");
                let any_pull = !pulls.is_empty();
                let open = pulls.last_mut().filter(|p| p.answer.is_none() && !list);
                match open {
                    Some(pull) => pull.answer = Some((e.at, name, task)),
                    // List mode: the call's answer, slot after slot; one wait, one label.
                    None if list && any_pull => {}
                    None => pulls.push(Pull {
                        asked: call.or(sent).unwrap_or(Stamp::ZERO),
                        answer: Some((e.at, name, task)),
                    }),
                }
            }
            Event::DropBegun => drop = drop.or(Some((e.at, None))),
            Event::DropReturned | Event::CallReturned => {
                if let Some((begun, None)) = drop {
                    drop = Some((begun, Some(e.at)));
                }
            }
            Event::WatchdogFired => watchdog = watchdog.or(Some(e.at)),
        }
    }
    let call = call.or(sent);
    if list && pulls.is_empty() {
        if let Some(at) = call {
            pulls.push(Pull {
                asked: at,
                answer: None,
            });
        }
    }
    if list {
        // The whole list's answer: `n items` or the error it ended in.
        let answers: Vec<(Stamp, String, Option<u64>)> = trace
            .events
            .iter()
            .filter_map(|e| match &e.event {
                Event::Answered(a) => {
                    let (name, task) = variant_name(a, "answer");
                    Some((e.at, name, task))
                }
                _ => None,
            })
            .collect();
        if let (Some(pull), Some(first)) = (pulls.first_mut(), answers.first()) {
            let items = answers.iter().filter(|a| a.1 == "item").count();
            let terminal = answers.iter().find(|a| a.1 != "item" && a.1 != "timed_out");
            let label = match terminal {
                Some((_, name, task)) if name != "end" => (name.clone(), *task),
                _ => (format!("list of {items}"), None),
            };
            pull.answer = Some((first.0, label.0, label.1));
        }
    }
    Picture {
        lanes: busy.len().max(1),
        bars,
        pulls,
        call,
        drop,
        watchdog,
        last: trace.events.last().map_or(Stamp::ZERO, |e| e.at),
    }
}

/// Picks a tick step of 1, 2 or 5 × 10^k ms giving at most about eight ticks.
fn tick_step(span_ms: f64) -> f64 {
    let raw = (span_ms / 8.0).max(1e-6);
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude)
}

fn ms_text(ms: f64) -> String {
    Ms(Duration::from_nanos((ms * 1e6).round().max(0.0) as u64)).to_string()
}

/// The SVG of `trace` judged at `epsilon`; `id` makes its internal ids unique in a page.
pub fn svg(trace: &Trace, epsilon: Duration, id: &str, title: &str) -> String {
    let marks = marks(trace, epsilon);
    draw(trace, &marks, id, title)
}

fn draw(trace: &Trace, marks: &Marks, id: &str, title: &str) -> String {
    let p = picture(trace);
    let eps_ms = marks.epsilon.as_secs_f64() * 1e3;
    let stamp_ms = |s: Stamp| s.0 as f64 / 1e6;
    let mut end_ms = stamp_ms(p.last).max(p.watchdog.map_or(0.0, stamp_ms));
    for d in &marks.due {
        end_ms = end_ms.max(stamp_ms(d.due) + if d.after_cut { 0.0 } else { eps_ms });
    }
    if let Some(c) = marks.cut {
        end_ms = end_ms.max(stamp_ms(c));
    }
    let end_ms = (end_ms * 1.04).max(1.0);
    let plot = WIDTH - LEFT - RIGHT;
    let x = |ms: f64| LEFT + plot * (ms / end_ms).clamp(0.0, 1.0);
    let xs = |s: Stamp| x(stamp_ms(s));
    let lanes_top = AXIS + CONSUMER;
    let bottom = lanes_top + LANE * p.lanes as f64;
    let height = bottom + 14.0 + LEGEND;
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11" role="img" aria-label="{}">"##,
        escape(title)
    );
    let _ = write!(
        s,
        r##"<title>{}</title><defs><pattern id="hatch-{id}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#eee"/><line x1="0" y1="0" x2="0" y2="6" stroke="#999" stroke-width="3"/></pattern><pattern id="wait-{id}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fbe3e0"/><line x1="0" y1="0" x2="0" y2="6" stroke="#c0392b" stroke-width="2"/></pattern></defs>"##,
        escape(title)
    );
    let _ = write!(
        s,
        r##"<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#fff"/>"##
    );
    // Axis and grid.
    let step = tick_step(end_ms);
    let mut t = 0.0;
    while t <= end_ms {
        let tx = x(t);
        let _ = write!(
            s,
            r##"<line x1="{tx:.1}" y1="{AXIS}" x2="{tx:.1}" y2="{bottom}" stroke="#eee"/><text x="{tx:.1}" y="{:.1}" text-anchor="middle" fill="#666">{}</text>"##,
            AXIS - 14.0,
            escape(&ms_text(t))
        );
        t += step;
    }
    // Lane backgrounds and labels.
    let _ = write!(
        s,
        r##"<text x="8" y="{:.1}" fill="#333">consumer</text>"##,
        AXIS + CONSUMER / 2.0 + 4.0
    );
    for lane in 0..p.lanes {
        let y = lanes_top + LANE * lane as f64;
        let _ = write!(
            s,
            r##"<rect x="{LEFT}" y="{y:.1}" width="{plot:.1}" height="{LANE}" fill="{}"/><text x="8" y="{:.1}" fill="#333">worker {}</text>"##,
            if lane % 2 == 0 { "#fafafa" } else { "#f3f3f3" },
            y + LANE / 2.0 + 4.0,
            lane + 1
        );
    }
    // The ε windows and the due times.
    for d in marks.due.iter().filter(|d| !d.after_cut) {
        let (x0, x1) = (xs(d.due), x(stamp_ms(d.due) + eps_ms));
        let _ = write!(
            s,
            r##"<rect class="epsilon" x="{x0:.1}" y="{AXIS}" width="{:.1}" height="{:.1}" fill="#c0392b" fill-opacity="0.08"><title>ε window: {} to {}</title></rect>"##,
            (x1 - x0).max(0.5),
            bottom - AXIS,
            d.due,
            d.due.plus(marks.epsilon)
        );
    }
    let mut last_label = f64::NEG_INFINITY;
    for d in &marks.due {
        let dx = xs(d.due);
        let (colour, dash) = if d.after_cut {
            ("#aaa", "2,3")
        } else {
            ("#c0392b", "5,3")
        };
        let _ = write!(
            s,
            r##"<line class="due" x1="{dx:.1}" y1="{AXIS}" x2="{dx:.1}" y2="{bottom}" stroke="{colour}" stroke-dasharray="{dash}"><title>D = {}{}: {}</title></line>"##,
            d.due,
            if d.after_cut {
                " (after the cut: not owed)"
            } else {
                ""
            },
            escape(&d.why)
        );
        if dx - last_label > 26.0 {
            last_label = dx;
            let _ = write!(
                s,
                r##"<text x="{dx:.1}" y="{:.1}" text-anchor="middle" fill="{colour}" font-weight="bold">D</text>"##,
                AXIS - 2.0
            );
        }
    }
    let near_right = |vx: f64| vx > WIDTH - RIGHT - 60.0;
    let mut vertical = |at: Stamp, colour: &str, width: f64, label: &str, class: &str| {
        let vx = xs(at);
        let _ = write!(
            s,
            r##"<line class="{class}" x1="{vx:.1}" y1="{:.1}" x2="{vx:.1}" y2="{bottom}" stroke="{colour}" stroke-width="{width}"><title>{label} at {at}</title></line><text x="{:.1}" y="{:.1}" fill="{colour}" font-weight="bold" text-anchor="{}">{label}</text>"##,
            AXIS - 10.0,
            if near_right(vx) { vx - 3.0 } else { vx + 3.0 },
            AXIS - 2.0,
            if near_right(vx) { "end" } else { "start" }
        );
    };
    if let Some(c) = marks.cut {
        vertical(c, "#7b1fa2", 1.5, "cut", "cut");
    }
    if let Some(w) = p.watchdog {
        vertical(w, "#8b0000", 2.5, "watchdog", "watchdog");
    }
    // The abort (timeout due, failure or drop), labelled under the lanes: what P08 and P12
    // count from.
    if let Some((at, why)) = &marks.abort {
        let ax = xs(*at);
        let _ = write!(
            s,
            r##"<line class="abort" x1="{ax:.1}" y1="{lanes_top:.1}" x2="{ax:.1}" y2="{:.1}" stroke="#e08e0b" stroke-width="1.5"><title>{}</title></line><text x="{ax:.1}" y="{:.1}" text-anchor="middle" fill="#b36b00" font-size="10">abort</text>"##,
            bottom + 2.0,
            escape(why),
            bottom + 10.0
        );
    }
    // Tasks.
    let close = p.watchdog.unwrap_or(p.last);
    for bar in &p.bars {
        let y = lanes_top + LANE * bar.lane as f64 + 3.0;
        let (end, name) = match &bar.end {
            Some((at, name)) => (*at, name.as_str()),
            None => (close.max(bar.start), "hung"),
        };
        let (x0, x1) = (xs(bar.start), xs(end));
        let w = (x1 - x0).max(1.5);
        let fill = match name {
            "hung" | "released" => format!("url(#hatch-{id})"),
            other => end_colour(other).to_string(),
        };
        let spec = trace
            .tasks
            .get(bar.task)
            .map(|t| variant_name(t, "kind").0)
            .unwrap_or_default();
        let ended = match &bar.end {
            Some((at, name)) => format!("{name} at {at}"),
            None => "never ended while the case ran".to_string(),
        };
        // Hatched bars are outlined in their colour; solid ones in white, so that tasks run
        // back to back on one lane stay apart.
        let outline = match name {
            "hung" | "released" => end_colour(name),
            _ => "#fff",
        };
        let _ = write!(
            s,
            r##"<rect class="task end-{}" x="{x0:.1}" y="{y:.1}" width="{w:.1}" height="{:.1}" fill="{fill}" stroke="{outline}" rx="2"><title>task {} ({spec}): started at {}, {ended}</title></rect>"##,
            escape(name),
            LANE - 6.0,
            bar.task,
            bar.start
        );
        let label = format!("task {}", bar.task);
        if w > 44.0 {
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" fill="{}">{label}</text>"##,
                x0 + 4.0,
                y + LANE / 2.0 + 1.0,
                if matches!(name, "hung" | "released") {
                    "#333"
                } else {
                    "#fff"
                }
            );
        }
        match name {
            "returned" | "hung" => {}
            "failed" => {
                let _ = write!(
                    s,
                    r##"<text x="{x1:.1}" y="{:.1}" text-anchor="middle" fill="#c0392b" font-weight="bold" font-size="14">✕</text>"##,
                    y + LANE / 2.0 + 2.0
                );
            }
            other => {
                let _ = write!(
                    s,
                    r##"<line x1="{x1:.1}" y1="{:.1}" x2="{x1:.1}" y2="{:.1}" stroke="{}" stroke-width="2.5"/><text x="{:.1}" y="{:.1}" fill="{}" font-size="10">{}</text>"##,
                    y - 2.0,
                    y + LANE - 4.0,
                    end_colour(other),
                    x1 + 3.0,
                    y + LANE / 2.0 + 1.0,
                    end_colour(other),
                    escape(other)
                );
            }
        }
    }
    // The consumer: the call, its pulls and answers, the drop.
    let cy = AXIS + CONSUMER / 2.0 + 6.0;
    if let Some(at) = p.call {
        let cx = xs(at);
        let _ = write!(
            s,
            r##"<path d="M{:.1},{:.1} l10,0 l-5,8 z" fill="#333"><title>call made at {at}</title></path>"##,
            cx - 5.0,
            cy - 16.0
        );
    }
    let mut last_answer_label = f64::NEG_INFINITY;
    for (k, pull) in p.pulls.iter().enumerate() {
        let x0 = xs(pull.asked);
        match &pull.answer {
            Some((at, name, task)) => {
                let x1 = xs(*at);
                let text = match task {
                    Some(t) => format!("{} {t}", name.replace('_', " ")),
                    None => name.replace('_', " "),
                };
                let colour = answer_colour(name);
                let _ = write!(
                    s,
                    r##"<rect class="pull" x="{x0:.1}" y="{:.1}" width="{:.1}" height="6" fill="#9ab7d3"><title>pull {k}: asked at {}, got {text} at {at}</title></rect><circle class="answer answer-{}" cx="{x1:.1}" cy="{cy:.1}" r="4" fill="{colour}"><title>pull {k}: {text} at {at}</title></circle>"##,
                    cy - 3.0,
                    (x1 - x0).max(1.0),
                    pull.asked,
                    escape(name)
                );
                if x1 - last_answer_label > 40.0 || name != "item" {
                    last_answer_label = x1;
                    let _ = write!(
                        s,
                        r##"<text x="{x1:.1}" y="{:.1}" text-anchor="middle" fill="{colour}">{}</text>"##,
                        cy + 16.0,
                        escape(&text)
                    );
                }
            }
            None => {
                let x1 = xs(close.max(pull.asked));
                let _ = write!(
                    s,
                    r##"<rect class="pull waiting" x="{x0:.1}" y="{:.1}" width="{:.1}" height="8" fill="url(#wait-{id})" stroke="#c0392b"><title>pull {k}: asked at {}, still waiting when the case ended at {close}</title></rect><text x="{:.1}" y="{:.1}" fill="#c0392b">still waiting</text>"##,
                    cy - 4.0,
                    (x1 - x0).max(1.0),
                    pull.asked,
                    x0 + 4.0,
                    cy + 16.0
                );
            }
        }
    }
    if let Some((begun, returned)) = p.drop {
        let x0 = xs(begun);
        let x1 = xs(returned.unwrap_or(close).max(begun));
        let _ = write!(
            s,
            r##"<rect class="drop" x="{x0:.1}" y="{:.1}" width="{:.1}" height="6" fill="#555"><title>drop begun at {begun}{}</title></rect><text x="{x0:.1}" y="{:.1}" fill="#555">drop</text>"##,
            cy - 14.0,
            (x1 - x0).max(1.5),
            match returned {
                Some(r) => format!(", returned at {r}"),
                None => ", never returned".to_string(),
            },
            cy - 17.0
        );
    }
    legend(&mut s, &p, marks, height - LEGEND + 8.0, id);
    s.push_str("</svg>");
    s
}

/// The legend: the marks this picture has, task ends by name.
fn legend(s: &mut String, p: &Picture, marks: &Marks, y: f64, id: &str) {
    let mut items: Vec<(String, String)> = Vec::new();
    let mut ends: Vec<&str> = p
        .bars
        .iter()
        .map(|b| b.end.as_ref().map_or("hung", |(_, n)| n.as_str()))
        .collect();
    ends.sort_unstable();
    ends.dedup();
    for end in ends {
        let fill = match end {
            "hung" | "released" => format!("url(#hatch-{id})"),
            other => end_colour(other).to_string(),
        };
        let what = match end {
            "hung" => "task never ended".to_string(),
            "released" => "task hung, released at teardown".to_string(),
            other => format!("task {other}"),
        };
        items.push((fill, what));
    }
    items.push(("#9ab7d3".into(), "consumer waiting on a pull".into()));
    if !marks.due.is_empty() {
        items.push(("#c0392b".into(), "due time D and its ε window".into()));
    }
    if marks.cut.is_some() {
        items.push(("#7b1fa2".into(), "liveness cut".into()));
    }
    if p.watchdog.is_some() {
        items.push(("#8b0000".into(), "watchdog".into()));
    }
    if marks.abort.is_some() {
        items.push(("#e08e0b".into(), "abort".into()));
    }
    let mut x = LEFT;
    for (fill, what) in items {
        let _ = write!(
            s,
            r##"<rect x="{x:.1}" y="{:.1}" width="12" height="10" fill="{fill}" stroke="#888"/><text x="{:.1}" y="{y:.1}" fill="#333">{}</text>"##,
            y - 9.0,
            x + 16.0,
            escape(&what)
        );
        x += 24.0 + 6.0 * what.chars().count() as f64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use overtime_harness::{Answer, CallParams, Consumer, Contract, Stamped, TaskEnd, TaskSpec};

    fn trace(mode: Mode, events: Vec<(u64, Event)>) -> Trace {
        Trace {
            call: CallParams {
                n_tasks: 4,
                n_jobs: 2,
                timeout: Some(Duration::from_millis(10)),
                mode,
            },
            contract: Contract::JOBLIB_DOCUMENTED,
            tasks: vec![TaskSpec::Hang; 4],
            consumer: Consumer::default(),
            events: events
                .into_iter()
                .map(|(ms, event)| Stamped::new(Stamp(ms * 1_000_000), event))
                .collect(),
            follow_up: None,
        }
    }

    #[test]
    fn each_task_takes_the_lowest_lane_free_at_its_start() {
        use Event::*;
        let t = trace(
            Mode::Unordered,
            vec![
                (0, CallMade),
                (0, TaskStarted { task: 0 }),
                (0, TaskStarted { task: 1 }),
                (
                    5,
                    TaskEnded {
                        task: 1,
                        end: TaskEnd::Returned,
                    },
                ),
                (6, TaskStarted { task: 2 }),
                (7, TaskStarted { task: 3 }),
                (8, NextAsked),
                (9, Answered(Answer::Item { task: 1 })),
                (12, NextAsked),
                (30, WatchdogFired),
            ],
        );
        let p = picture(&t);
        let lanes: Vec<(usize, usize)> = p.bars.iter().map(|b| (b.task, b.lane)).collect();
        assert_eq!(lanes, vec![(0, 0), (1, 1), (2, 1), (3, 2)]);
        assert_eq!(
            p.lanes, 3,
            "three ran at once: more lanes than n_jobs shows it"
        );
        assert_eq!(p.pulls.len(), 2);
        assert!(
            p.pulls[1].answer.is_none(),
            "the second pull was still waiting"
        );
        assert_eq!(p.watchdog, Some(Stamp(30_000_000)));
    }

    #[test]
    fn a_list_call_is_one_wait_with_one_label() {
        use Event::*;
        let t = trace(
            Mode::List,
            vec![
                (0, CallMade),
                (0, TaskStarted { task: 0 }),
                (
                    1,
                    TaskEnded {
                        task: 0,
                        end: TaskEnd::Failed,
                    },
                ),
                (2, Answered(Answer::TaskFailed { task: 0 })),
                (2, CallReturned),
            ],
        );
        let p = picture(&t);
        assert_eq!(p.pulls.len(), 1);
        let (_, name, task) = p.pulls[0].answer.clone().expect("answered");
        assert_eq!((name.as_str(), task), ("task_failed", Some(0)));
        let svg = svg(&t, Duration::from_millis(1), "x", "list");
        assert!(svg.contains("class=\"task end-failed\""), "{svg}");
        assert!(svg.contains("task failed 0"), "{svg}");
    }

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(tick_step(100.0), 20.0);
        assert_eq!(tick_step(3250.0), 500.0);
        assert_eq!(tick_step(8.0), 1.0);
    }
}

//! Putting results files back together (`overtime merge`).
//!
//! - **Shards of one run** (`check --shard K/N`): every shard 1..N exactly once, all of the
//!   same run (ε, T, modes, cases, executors and their profiles). Each executor's case results
//!   are put back in run order and folded again by the harness's own fold, so the merged file
//!   is the file the whole run would have written, with the same verdicts and evidence; only
//!   what was measured differs run to run (wall time — a merge adds the shards' —, lateness,
//!   the numbers in the evidence).
//! - **Runs of different executors**: their executors side by side, as they are; an executor
//!   in two files is refused (merge the shards of one run, or runs of different executors).

use crate::outputs::{ResultsFile, RunPlan};
use overtime_harness::{fold_cases, CaseResult, Mode, SuiteResult};
use std::collections::BTreeMap;

/// Merges `files` (each with the name to cite it by).
pub fn merge(files: &[(String, ResultsFile)]) -> Result<ResultsFile, String> {
    let Some((first_name, first)) = files.first() else {
        return Err("nothing to merge: give one or more results files".into());
    };
    for (name, file) in files {
        if let Some(why) = &file.interrupted {
            return Err(format!(
                "{name} holds the partial results of an interrupted run ({why}): run it again \
                 to completion before merging it"
            ));
        }
        if file.epsilon_ms != first.epsilon_ms {
            return Err(format!(
                "{first_name} was run at ε = {} ms and {name} at ε = {} ms: verdicts at \
                 different tolerances do not merge",
                first.epsilon_ms, file.epsilon_ms
            ));
        }
    }
    let sharded = files
        .iter()
        .any(|(_, f)| f.run.as_ref().is_some_and(|r| r.shard.is_some()));
    if sharded {
        merge_shards(files)
    } else {
        merge_runs(files)
    }
}

fn merge_shards(files: &[(String, ResultsFile)]) -> Result<ResultsFile, String> {
    let (first_name, first) = &files[0];
    let plan_of = |name: &str, file: &ResultsFile| -> Result<RunPlan, String> {
        file.run
            .clone()
            .filter(|r| r.shard.is_some())
            .ok_or_else(|| {
                format!("{name} is not a shard (no --shard K/N in its run); {first_name} is")
            })
    };
    let plan = plan_of(first_name, first)?;
    let count = plan.shard.map_or(1, |s| s.count);
    let mut seen: BTreeMap<usize, &str> = BTreeMap::new();
    for (name, file) in files {
        let p = plan_of(name, file)?;
        let shard = p
            .shard
            .unwrap_or(crate::shard::Shard { index: 1, count: 1 });
        if shard.count != count {
            return Err(format!(
                "{name} is shard {shard} but {first_name} is one of {count}: shards of different splits"
            ));
        }
        if let Some(other) = seen.insert(shard.index, name) {
            return Err(format!("shard {shard} is given twice: {other} and {name}"));
        }
        let unsharded = |p: &RunPlan| RunPlan {
            shard: None,
            ..p.clone()
        };
        if unsharded(&p) != unsharded(&plan) {
            return Err(format!(
                "{name} and {first_name} are shards of different runs (their T, modes or cases differ)"
            ));
        }
        let names = |f: &ResultsFile| -> Vec<String> {
            f.executors.iter().map(|e| e.profile.name.clone()).collect()
        };
        if names(file) != names(first) {
            return Err(format!(
                "{name} checked executors {:?} but {first_name} checked {:?}: shards of different runs",
                names(file),
                names(first)
            ));
        }
        for (e, f) in file.executors.iter().zip(&first.executors) {
            if e.profile != f.profile {
                return Err(format!(
                    "executor {} declared {:?} in {name} but {:?} in {first_name}",
                    e.profile.name, e.profile, f.profile
                ));
            }
        }
    }
    let missing: Vec<String> = (1..=count)
        .filter(|k| !seen.contains_key(k))
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "shard(s) {} missing: the merge of some shards is not the report of the run",
            missing.join(", ")
        ));
    }
    let position = |case: &CaseResult| {
        let mode = plan.modes.iter().position(|m| *m == case.mode);
        let index = plan.cases.iter().position(|c| *c == case.case);
        (mode, index)
    };
    let mut executors = Vec::new();
    for (index, base) in first.executors.iter().enumerate() {
        let mut cases: Vec<CaseResult> = Vec::new();
        let mut wall_time = std::time::Duration::ZERO;
        for (name, file) in files {
            let part = &file.executors[index];
            wall_time += part.wall_time;
            for case in &part.cases {
                if cases
                    .iter()
                    .any(|c| c.case == case.case && c.mode == case.mode)
                {
                    return Err(format!(
                        "case {} of {} in {} mode is in two shards (one of them {name})",
                        case.case, base.profile.name, case.mode
                    ));
                }
                cases.push(case.clone());
            }
        }
        cases.sort_by_key(position);
        executors.push(fold_cases(
            base.profile.clone(),
            &plan.modes,
            base.epsilon,
            cases,
            wall_time,
        ));
    }
    Ok(ResultsFile {
        run: Some(RunPlan {
            shard: None,
            ..plan
        }),
        executors,
        ..first.clone()
    })
}

fn merge_runs(files: &[(String, ResultsFile)]) -> Result<ResultsFile, String> {
    let (_, first) = &files[0];
    let mut executors: Vec<SuiteResult> = Vec::new();
    let mut from: BTreeMap<String, &str> = BTreeMap::new();
    for (name, file) in files {
        for e in &file.executors {
            if let Some(other) = from.insert(e.profile.name.clone(), name) {
                return Err(format!(
                    "executor {} is in {other} and in {name}: merge the shards of one run \
                     (check --shard K/N), or runs of different executors",
                    e.profile.name
                ));
            }
            executors.push(e.clone());
        }
    }
    let same_plan = files.iter().all(|(_, f)| f.run == first.run);
    Ok(ResultsFile {
        run: if same_plan { first.run.clone() } else { None },
        executors,
        ..first.clone()
    })
}

/// The modes of `result`'s matrix, in order.
pub fn modes_of(result: &SuiteResult) -> Vec<Mode> {
    let mut modes: Vec<Mode> = Vec::new();
    for r in &result.results {
        if !modes.contains(&r.mode) {
            modes.push(r.mode);
        }
    }
    modes
}

//! The results file `--json` writes and `merge` and `--baseline` read
//! (`specs/results-schema.md`): every executor's matrix and case verdicts, what the run
//! covered, and the traces of the cases a person will want to look at.

use overtime_harness::{Millis, Mode, SuiteResult, VerdictKind};
use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::shard::Shard;

/// The schema identifier this version writes.
pub const SCHEMA: &str = "overtime-results/2";
/// The schemas this version reads: `/1` has no `run` and no traces.
const READABLE: [&str; 2] = ["overtime-results/1", SCHEMA];

/// One `overtime check` run (or a merge of shards of one).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResultsFile {
    pub schema: String,
    pub overtime_version: String,
    pub epsilon_ms: Millis,
    /// What the run covered; absent in `overtime-results/1` files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<RunPlan>,
    pub executors: Vec<SuiteResult>,
    /// Present when the run was interrupted (SIGINT, SIGTERM): what stopped it and how far it
    /// got. Its results are partial: only the case runs that finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<String>,
}

/// What a run covered: the same for every shard of one run, but for `shard`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunPlan {
    /// The catalogue's timeout T every case was scaled to.
    pub timeout_ms: Millis,
    /// The requested modes, in run order.
    pub modes: Vec<Mode>,
    /// The catalogue cases, in run order.
    pub cases: Vec<String>,
    /// Which shard of the run this file holds (`--shard K/N`); absent for a whole run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
}

/// Which traces a results file keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Traces {
    /// The traces of cases with a failing or inconclusive verdict (what `--html` draws).
    #[default]
    Failing,
    /// Every case's trace.
    All,
    /// No trace.
    None,
}

impl ResultsFile {
    pub fn new(epsilon: Millis, run: RunPlan, executors: Vec<SuiteResult>) -> ResultsFile {
        ResultsFile {
            schema: SCHEMA.to_string(),
            overtime_version: env!("CARGO_PKG_VERSION").to_string(),
            epsilon_ms: epsilon,
            run: Some(run),
            executors,
            interrupted: None,
        }
    }

    /// Reads a results file, naming the file in every error.
    pub fn load(path: &Path) -> Result<ResultsFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let file: ResultsFile = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}:{}:{}: not an overtime results file: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        if !READABLE.contains(&file.schema.as_str()) {
            return Err(format!(
                "{}: schema {:?}; this overtime reads {}",
                path.display(),
                file.schema,
                READABLE.join(" and ")
            ));
        }
        Ok(file)
    }

    /// The file with only the traces `which` keeps.
    pub fn keeping(&self, which: Traces) -> ResultsFile {
        let mut out = self.clone();
        for case in out.executors.iter_mut().flat_map(|e| &mut e.cases) {
            let keep = match which {
                Traces::All => true,
                Traces::None => false,
                Traces::Failing => {
                    matches!(case.worst(), VerdictKind::Fail | VerdictKind::Inconclusive)
                }
            };
            if !keep {
                case.trace = None;
            }
        }
        out
    }

    /// Writes the file as pretty JSON with a final newline.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| format!("cannot serialize the results: {e}"))?;
        std::fs::write(path, text + "\n")
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

//! `overtime merge`: results files back into one report — the shards of one run (`check
//! --shard K/N --json`) into exactly what the whole run would have given, or runs of
//! different executors side by side — with the same outputs and gate as `check`.

use super::gate::{Gate, OutputArgs};
use super::{invoked_as, Ending};
use crate::cli::interrupt::out;
use crate::merge;
use crate::outputs::ResultsFile;
use overtime_harness::report;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct MergeArgs {
    /// The results files (--json) to merge.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    outputs: OutputArgs,
}

pub fn merge(args: &MergeArgs) -> Result<Ending, String> {
    let gate = Gate::prepare(&args.outputs)?;
    let files = args
        .files
        .iter()
        .map(|path| Ok((path.display().to_string(), ResultsFile::load(path)?)))
        .collect::<Result<Vec<_>, String>>()?;
    let doc = merge::merge(&files)?;
    if let Some(run) = &doc.run {
        gate.expect_run(doc.epsilon_ms, run.timeout_ms)?;
    }
    for result in &doc.executors {
        out!("{}", report::matrix(result, &merge::modes_of(result)));
    }
    gate.finish(&doc, &invoked_as())
}

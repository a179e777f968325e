//! The executors `overtime check --executor NAME` knows, by name, and the external ones it
//! starts from a command: `--executor 'cmd:<program> [args...]'`.

use overtime_harness::{
    CaseExecutor, Contract, DeadlineAnchor, ErrorOrder, Executor, OnTimeout, TimeoutClock,
};
use overtime_mutants::{Mutant, MutantExecutor};
use overtime_process::{Heartbeat, ProcessExecutor, ProcessOptions};
use overtime_rayon::RayonExecutor;
use overtime_reference::ReferenceExecutor;
use std::sync::Arc;
use std::time::Duration;

/// An executor name that is not in the registry.
#[derive(Debug, thiserror::Error)]
#[error("unknown executor {name:?}; known executors: {}", known.join(", "))]
pub struct UnknownExecutor {
    pub name: String,
    pub known: Vec<String>,
}

/// The reference executor's contract for a registry name: `reference` is joblib's documented
/// contract (task_runtime, abort); `reference/<clock>/<on_timeout>` any other, optionally
/// followed by an error order and a deadline anchor (`reference/overall/abort/first_pull`,
/// `reference/task_runtime/abort/input_order`).
fn reference_contract(name: &str) -> Option<Contract> {
    if name == "reference" {
        return Some(ReferenceExecutor::default().profile().contract);
    }
    let mut parts = name.strip_prefix("reference/")?.split('/');
    let (clock, on_timeout) = (parts.next()?, parts.next()?);
    let mut contract = Contract {
        clock: TimeoutClock::ALL
            .into_iter()
            .find(|c| c.as_str() == clock)?,
        on_timeout: OnTimeout::ALL
            .into_iter()
            .find(|o| o.as_str() == on_timeout)?,
        cancels_running: true,
        ..Contract::default()
    };
    for part in parts {
        if let Some(order) = ErrorOrder::ALL.into_iter().find(|o| o.as_str() == part) {
            contract.error_order = order;
        } else {
            contract.deadline_anchor = DeadlineAnchor::ALL
                .into_iter()
                .find(|a| a.as_str() == part)?;
        }
    }
    // The name must be the one the executor reports (at_end is declared input_order).
    let executor = ReferenceExecutor::new(contract);
    (executor.profile().name == name).then(|| executor.contract())
}

/// Every name the registry accepts.
pub fn names() -> Vec<String> {
    let mut names = vec!["reference".to_string()];
    for contract in Contract::all(true) {
        if contract != ReferenceExecutor::DEFAULT_CONTRACT {
            names.push(format!(
                "reference/{}/{}",
                contract.clock, contract.on_timeout
            ));
        }
    }
    // The other dimensions combine with any of the above, e.g.:
    for extra in ReferenceExecutor::other_dimensions() {
        names.push(extra.profile().name);
    }
    names.extend(RayonExecutor::all().iter().map(|e| e.profile().name));
    names.extend(Mutant::ALL.iter().map(|m| format!("mutant:{}", m.name())));
    names
}

/// The executor registered under `name`.
pub fn by_name(name: &str) -> Result<Arc<dyn CaseExecutor>, UnknownExecutor> {
    if let Some(mutant) = name.strip_prefix("mutant:").and_then(Mutant::parse) {
        return Ok(Arc::new(MutantExecutor::new(mutant)));
    }
    if let Some(rayon) = RayonExecutor::all()
        .into_iter()
        .find(|e| e.profile().name == name)
    {
        return Ok(Arc::new(rayon));
    }
    match reference_contract(name) {
        Some(contract) => Ok(Arc::new(ReferenceExecutor::new(contract))),
        None => Err(UnknownExecutor {
            name: name.to_string(),
            known: names(),
        }),
    }
}

/// The prefix of an external executor: `cmd:<program> [args...]`, split like a shell would
/// split it (quotes and backslashes), then run directly, without a shell.
pub const EXTERNAL_PREFIX: &str = "cmd:";

/// The default ε for a run with an external executor: Python executors poll and hand results
/// between processes, so their timeouts are seen far later than a Rust executor's
/// (specs/protocol.md §7; reports/external.md measures how late).
pub const EXTERNAL_EPSILON: Duration = Duration::from_millis(250);

/// The default catalogue timeout T for a run with an external executor: 4ε, the scale at which
/// the catalogue's margin test keeps every verdict clear of its threshold (specs/protocol.md §7).
pub const EXTERNAL_TIMEOUT: Duration = Duration::from_millis(1000);

/// True for `cmd:...`.
pub fn is_external(name: &str) -> bool {
    name.starts_with(EXTERNAL_PREFIX)
}

/// The adapter's argv of an external executor `cmd:<program> [args...]`, split as a shell
/// would split it; an error names the argument and the fix.
pub fn external_argv(name: &str) -> Result<Vec<String>, String> {
    let Some(command) = name.strip_prefix(EXTERNAL_PREFIX) else {
        return Err(format!(
            "{name:?} is not an external executor: write cmd:<program> [args...], e.g. \
             'cmd:python3 adapters/python/joblib_adapter.py --backend loky'"
        ));
    };
    let argv = shell_words::split(command)
        .map_err(|e| format!("{name:?}: cannot split the command: {e}"))?;
    if argv.is_empty() {
        return Err(format!(
            "{name:?}: no program; write cmd:<program> [args...], e.g. \
             'cmd:python3 adapters/python/joblib_adapter.py --backend loky'"
        ));
    }
    Ok(argv)
}

/// The executor for an `--executor` argument: a registry name, or `cmd:<program> [args...]`
/// (started once here to handshake; see `overtime_process`), which calls `heartbeat` while
/// each of its adapters' hellos is awaited and gives each adapter `teardown_grace` (else the
/// default) to exit by itself at the end of its case.
pub fn open(
    name: &str,
    heartbeat: Option<Heartbeat>,
    teardown_grace: Option<Duration>,
) -> Result<Arc<dyn CaseExecutor>, String> {
    if !is_external(name) {
        return by_name(name).map_err(|e| e.to_string());
    }
    let argv = external_argv(name).map_err(|e| format!("--executor {e}"))?;
    let default = ProcessOptions::default();
    let options = ProcessOptions {
        heartbeat,
        teardown_grace: teardown_grace.unwrap_or(default.teardown_grace),
        ..default
    };
    let executor = ProcessExecutor::with_options(argv, options).map_err(|e| e.to_string())?;
    for u in executor.unsupported() {
        eprintln!(
            "note: {} does not support {} mode: {}",
            executor.profile_name(),
            u.mode,
            u.reason
        );
    }
    Ok(Arc::new(executor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_opens_an_executor_reporting_that_name() {
        for name in names() {
            let executor = by_name(&name).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(executor.declared_profile().name, name);
        }
    }

    #[test]
    fn a_reference_name_may_add_an_error_order_and_a_deadline_anchor() {
        let contract = |name: &str| by_name(name).map(|e| e.declared_profile().contract);
        let input_order = contract("reference/task_runtime/abort/input_order").expect("known");
        assert_eq!(input_order.error_order, ErrorOrder::InputOrder);
        let first_pull = contract("reference/overall/per_task/first_pull").expect("known");
        assert_eq!(first_pull.deadline_anchor, DeadlineAnchor::FirstPull);
        // Not the name the executor reports: the anchor only matters for the overall clock,
        // and at_end is kept as input_order.
        assert!(by_name("reference/task_runtime/abort/first_pull").is_err());
        assert!(by_name("reference/task_runtime/abort/at_end").is_err());
        assert!(by_name("reference/task_runtime/abort/sideways").is_err());
    }
}

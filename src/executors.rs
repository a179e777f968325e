//! The executors `overtime check --executor NAME` knows, by name.

use overtime_harness::{Contract, Executor, OnTimeout, TimeoutClock};
use overtime_reference::ReferenceExecutor;
use std::sync::Arc;

/// An executor name that is not in the registry.
#[derive(Debug, thiserror::Error)]
#[error("unknown executor {name:?}; known executors: {}", known.join(", "))]
pub struct UnknownExecutor {
    pub name: String,
    pub known: Vec<String>,
}

/// The reference executor's contract for a registry name: `reference` is joblib's documented
/// contract (task_runtime, abort); `reference/<clock>/<on_timeout>` any other.
fn reference_contract(name: &str) -> Option<Contract> {
    if name == "reference" {
        return Some(ReferenceExecutor::default().profile().contract);
    }
    let rest = name.strip_prefix("reference/")?;
    let (clock, on_timeout) = rest.split_once('/')?;
    let clock = TimeoutClock::ALL
        .into_iter()
        .find(|c| c.as_str() == clock)?;
    let on_timeout = OnTimeout::ALL
        .into_iter()
        .find(|o| o.as_str() == on_timeout)?;
    Some(Contract {
        clock,
        on_timeout,
        cancels_running: true,
    })
}

/// Every name the registry accepts.
pub fn names() -> Vec<String> {
    let mut names = vec!["reference".to_string()];
    for contract in Contract::all(true) {
        names.push(format!(
            "reference/{}/{}",
            contract.clock, contract.on_timeout
        ));
    }
    names
}

/// The executor registered under `name`.
pub fn by_name(name: &str) -> Result<Arc<dyn Executor>, UnknownExecutor> {
    match reference_contract(name) {
        Some(contract) => Ok(Arc::new(ReferenceExecutor::new(contract))),
        None => Err(UnknownExecutor {
            name: name.to_string(),
            known: names(),
        }),
    }
}

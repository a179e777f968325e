//! What a run writes for people and machines: the results file ([`ResultsFile`], JSON), JUnit
//! XML, GitHub annotations, the HTML report, and the comparison with a baseline. Every output
//! reads the results generically — every property of `Property::ALL`, each row's own
//! contract, any task end or answer — so what the checker adds shows without changes here.

pub mod annotations;
pub mod baseline;
pub mod html;
pub mod junit;
mod results;

pub use results::{ResultsFile, RunPlan, Traces, SCHEMA};

use overtime_harness::PropertyResult;

/// The fields of a matrix row that describe the contract it was judged against (`clock`,
/// `on_timeout`, and whatever a newer contract adds), as `(name, value)` text: every field of
/// the row that is not the verdict itself.
pub fn contract_fields(row: &PropertyResult) -> Vec<(String, String)> {
    const VERDICT_FIELDS: [&str; 8] = [
        "executor", "mode", "property", "id", "level", "verdict", "evidence", "cases",
    ];
    let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(row) else {
        return Vec::new();
    };
    fields
        .into_iter()
        .filter(|(k, _)| !VERDICT_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (k, text)
        })
        .collect()
}

//! The suite macro as a user invokes it: one test per mode × property, plus generated
//! workloads and the scenario corpus per mode, for the reference executor with joblib's
//! documented contract (task_runtime, abort).

overtime_harness::suite!(
    reference,
    overtime::reference::ReferenceExecutor::default(),
    scenarios = ["specs/scenarios"]
);

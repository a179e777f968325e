//! The suite macro as a user invokes it: one test per mode × property, for the reference
//! executor with joblib's documented contract (task_runtime, abort).

overtime_harness::suite!(reference, overtime::reference::ReferenceExecutor::default());

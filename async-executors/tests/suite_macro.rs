//! The async suite macro as a user invokes it: the async reference with joblib's documented
//! contract, one trial per mode × property in real time (plus generated workloads) and one per
//! mode × property in paused time (`async_reference::paused::<mode>::<pNN_property>`).

overtime_harness::async_suite!(async_reference, overtime_async::AsyncReference::default());

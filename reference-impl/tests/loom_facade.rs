//! Keeps the loom models honest: the threaded driver and its clocks take every mutex, condvar,
//! atomic and thread from the one facade, `overtime_reference::sync` (std normally, loom under
//! `--cfg loom`). A primitive taken from anywhere else would be invisible to loom: the models
//! would pass while checking less than the code that ships. Runs in the normal test suite.

/// The driver's sources, as compiled.
const DRIVER: &[(&str, &str)] = &[
    ("src/threaded.rs", include_str!("../src/threaded.rs")),
    ("src/clock.rs", include_str!("../src/clock.rs")),
];

/// Where synchronization could come from other than the facade.
const BYPASSES: &[&str] = &[
    "std::sync",
    "std::thread",
    "core::sync",
    "parking_lot",
    "crossbeam",
    "loom::",
];

#[test]
fn the_driver_takes_its_synchronization_only_from_the_sync_facade() {
    let mut bypasses = Vec::new();
    for (path, source) in DRIVER {
        for (number, line) in source.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for bypass in BYPASSES {
                if code.contains(bypass) {
                    bypasses.push(format!(
                        "reference-impl/{path}:{}: {}",
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        bypasses.is_empty(),
        "the threaded driver must take its synchronization from `crate::sync` (the std/loom \
         facade), or loom does not check it; import it from there instead:\n{}",
        bypasses.join("\n")
    );
}

#[test]
fn the_driver_uses_the_facade() {
    for (path, source) in DRIVER {
        assert!(
            source.contains("use crate::sync::"),
            "reference-impl/{path} no longer imports `crate::sync`; if it now needs no \
             synchronization, drop it from this test's list"
        );
    }
}

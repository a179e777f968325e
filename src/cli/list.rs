//! `overtime list`: the executors, the properties and the built-in cases.

use crate::cli::interrupt::outln;
use crate::executors;
use overtime_harness::{catalogue, Property};

pub fn list() {
    outln!("executors:");
    for name in executors::names() {
        outln!("  {name}");
    }
    outln!("  cmd:<program> [args...]   an external executor speaking specs/protocol.md");
    outln!("\nproperties:");
    for p in Property::ALL {
        outln!(
            "  {:<26} {:<6} {}",
            p.label(),
            p.level().as_str(),
            p.summary()
        );
    }
    outln!(
        "\ncases (timeout {} ms):",
        catalogue::CATALOGUE_TIMEOUT.as_millis()
    );
    for case in catalogue::catalogue() {
        outln!("  {:<24} {}", case.name, case.about);
    }
}

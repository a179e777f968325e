//! `overtime list`: the executors, the properties and the built-in cases.

use crate::executors;
use overtime_harness::{catalogue, Property};

pub fn list() {
    println!("executors:");
    for name in executors::names() {
        println!("  {name}");
    }
    println!("  cmd:<program> [args...]   an external executor speaking specs/protocol.md");
    println!("\nproperties:");
    for p in Property::ALL {
        println!(
            "  {:<26} {:<6} {}",
            p.label(),
            p.level().as_str(),
            p.summary()
        );
    }
    println!(
        "\ncases (timeout {} ms):",
        catalogue::CATALOGUE_TIMEOUT.as_millis()
    );
    for case in catalogue::catalogue() {
        println!("  {:<24} {}", case.name, case.about);
    }
}

//! The harness's files import one another in one direction only: no file under `src/` uses a
//! file that uses it back, directly or through others. (A `mod` declaration is not a use; a
//! path `crate::a::b` or `super::b` in code or in a `use` is.) The test names the cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, with its module path (`properties::facts`).
fn modules(dir: &Path, prefix: &[String], out: &mut BTreeMap<Vec<String>, PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if path.is_dir() {
            let mut p = prefix.to_vec();
            p.push(name);
            modules(&path, &p, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            let mut p = prefix.to_vec();
            if name != "lib" && name != "mod" {
                p.push(name);
            }
            out.insert(p, path);
        }
    }
}

/// The module paths `text` (the file of module `me`) refers to, resolved against `known`.
fn uses(
    me: &[String],
    text: &str,
    known: &BTreeMap<Vec<String>, PathBuf>,
) -> BTreeSet<Vec<String>> {
    let mut found = BTreeSet::new();
    let is_mod_file = known.get(me).is_some_and(|p| {
        p.file_name()
            .is_some_and(|n| n == "mod.rs" || n == "lib.rs")
    });
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        // A relative `use child::…` in a directory's module file.
        let relative = code
            .trim_start()
            .strip_prefix("pub use ")
            .or_else(|| code.trim_start().strip_prefix("use "));
        if let (true, Some(path)) = (is_mod_file, relative) {
            let first: String = path
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let mut child = me.to_vec();
            child.push(first);
            if known.contains_key(&child) {
                found.insert(child);
            }
        }
        for start in ["crate::", "super::"] {
            let mut rest = code;
            while let Some(at) = rest.find(start) {
                let tail = &rest[at..];
                let path: String = tail
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
                let mut base: Vec<String> = match segments.first() {
                    Some(&"crate") => Vec::new(),
                    Some(&"super") => {
                        let mut b = me.to_vec();
                        // In a mod.rs, `super` is the parent of the directory's module.
                        if !is_mod_file || b.len() > 1 {
                            b.pop();
                        }
                        if is_mod_file {
                            b.pop();
                        }
                        b
                    }
                    _ => Vec::new(),
                };
                let mut resolved = None;
                for seg in segments.iter().skip(1) {
                    if *seg == "super" {
                        base.pop();
                        continue;
                    }
                    base.push(seg.to_string());
                    if known.contains_key(&base) {
                        resolved = Some(base.clone());
                    }
                }
                if let Some(r) = resolved {
                    if r != me {
                        found.insert(r);
                    }
                }
                rest = &rest[at + start.len()..];
            }
        }
    }
    found
}

#[test]
fn no_file_imports_a_file_that_imports_it_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut known = BTreeMap::new();
    modules(&src, &[], &mut known);
    assert!(
        known.len() > 20,
        "found only {} files under {}",
        known.len(),
        src.display()
    );
    let graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = known
        .iter()
        .map(|(m, path)| {
            let text = fs::read_to_string(path).unwrap_or_default();
            (m.clone(), uses(m, &text, &known))
        })
        .collect();
    // Depth-first search for a cycle, reporting the first one found.
    fn visit(
        node: &Vec<String>,
        graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        stack: &mut Vec<Vec<String>>,
        done: &mut BTreeSet<Vec<String>>,
    ) -> Option<Vec<Vec<String>>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.clone());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.clone());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            let shown: Vec<String> = cycle
                .iter()
                .map(|m| known.get(m).map_or("?".into(), |p| p.display().to_string()))
                .collect();
            panic!("an import cycle: {}", shown.join(" → "));
        }
    }
}

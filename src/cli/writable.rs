//! Output paths checked before a run: a long run must not end in "cannot write". Each check
//! names the option and the path, and says what is wrong with it.
//!
//! The check is an honest attempt, not a guess from permission bits: a file that exists is
//! opened for appending (which changes nothing in it); one that does not is created and removed
//! again; a directory gets a probe file created and removed in it.

use std::fs::{self, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// The file `path`, given as `option`, can be written: it is not a directory, its directory
/// exists, and a file can be opened or created there.
pub fn file(option: &str, path: &Path) -> Result<(), String> {
    let refuse = |why: String| format!("{option} {}: cannot write there: {why}", path.display());
    if path.is_dir() {
        return Err(refuse("it is a directory".into()));
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.exists() {
        return Err(refuse(format!("no directory {}", parent.display())));
    }
    if !parent.is_dir() {
        return Err(refuse(format!("{} is not a directory", parent.display())));
    }
    let existed = path.exists();
    OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| refuse(e.to_string()))?;
    if !existed {
        let _ = fs::remove_file(path);
    }
    Ok(())
}

/// The directory `dir`, given as `option`, can hold new files: it exists (or is created now
/// when `create`), is a directory, and a probe file can be created in it. Without `create`, a
/// directory that does not exist yet is judged by its nearest existing ancestor, where it will
/// be created.
pub fn directory(option: &str, dir: &Path, create: bool) -> Result<(), String> {
    let refuse = |why: String| format!("{option} {}: cannot write there: {why}", dir.display());
    if create {
        fs::create_dir_all(dir).map_err(|e| refuse(format!("cannot create it: {e}")))?;
    }
    let existing = nearest_existing(dir);
    if !existing.is_dir() {
        return Err(refuse(format!("{} is not a directory", existing.display())));
    }
    probe(&existing).map_err(|e| {
        refuse(format!(
            "cannot create a file in {}: {e}",
            existing.display()
        ))
    })
}

/// Refuses two outputs (option, path) that name the same place — `--json out --markdown out`
/// would leave only the last one written, silently. Paths are compared where they lead: a
/// relative path, `.` and `..`, and symbolic links in the part that exists are resolved.
pub fn distinct(outputs: &[(&str, &Path)]) -> Result<(), String> {
    let resolved: Vec<PathBuf> = outputs.iter().map(|(_, p)| resolved(p)).collect();
    for (i, place) in resolved.iter().enumerate() {
        if let Some(j) = resolved[..i].iter().position(|other| other == place) {
            let (first, first_path) = outputs[j];
            let (second, second_path) = outputs[i];
            return Err(format!(
                "{first} {} and {second} {} are the same place: one would overwrite the other; \
                 give each output a path of its own",
                first_path.display(),
                second_path.display()
            ));
        }
    }
    Ok(())
}

/// Where `path` leads: its nearest existing ancestor made canonical, with the rest of the path
/// (which does not exist yet) after it.
fn resolved(path: &Path) -> PathBuf {
    let existing = nearest_existing(path);
    let rest = path.strip_prefix(&existing).unwrap_or(Path::new(""));
    let base = fs::canonicalize(&existing).unwrap_or(existing);
    let mut out = base;
    for part in rest.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// `dir` itself, or the closest ancestor of it that exists (the current directory at worst).
fn nearest_existing(dir: &Path) -> PathBuf {
    let mut at = dir.to_path_buf();
    while !at.exists() {
        match at.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(p) => at = p.to_path_buf(),
            None => return PathBuf::from("."),
        }
    }
    at
}

fn probe(dir: &Path) -> io::Result<()> {
    let path = dir.join(format!(".overtime-write-check-{}", std::process::id()));
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    fs::remove_file(&path)
}

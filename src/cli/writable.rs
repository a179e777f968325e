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

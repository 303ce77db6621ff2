#![allow(dead_code)] // each test file uses a part of it
//! What the CLI's tests share: running `mergedb` as a script would.

use std::path::Path;
use std::process::Command;

/// `mergedb --db DB ARGS...`: whether it succeeded, and its stdout and
/// stderr, trimmed.
pub fn mergedb(db: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mergedb"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap().trim().to_string();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

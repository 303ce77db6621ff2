#![allow(dead_code)] // each test file uses a part of it
//! What the CLI's tests share: running `mergedb` as a script would.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};

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

/// `serve` on a free loopback port with `flags`, its stderr to `stderr`,
/// and the URL it prints for `scheme` (`wss` or `ws`).
pub fn serve_with(db: &Path, flags: &[&str], scheme: &str, stderr: Stdio) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mergedb"))
        .arg("--db")
        .arg(db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(flags)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    let prefix = format!("{scheme}://");
    let url = loop {
        let line = lines.next().expect("serve printed its URL").unwrap();
        if let Some(at) = line.find(&prefix) {
            break line[at..].to_string();
        }
    };
    // Keep reading, so that serve never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, url)
}

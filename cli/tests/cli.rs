//! The `mergedb` command-line tool, run as a user would run it.

use std::path::Path;
use std::process::Command;

/// Runs `cmd`: whether it succeeded, and its stdout and stderr, trimmed.
fn output(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap().trim().to_string();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

fn mergedb(db: &Path, args: &[&str]) -> (bool, String, String) {
    output(
        Command::new(env!("CARGO_BIN_EXE_mergedb"))
            .arg("--db")
            .arg(db)
            .args(args),
    )
}

#[test]
fn create_put_get_dump_log_verify() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path();
    let (ok, doc, _) = mergedb(db, &["create"]);
    assert!(ok);
    assert_eq!(mergedb(db, &["docs"]).1, doc);
    assert!(mergedb(db, &["put", &doc, "/title", "\"notes\""]).0);
    assert!(mergedb(db, &["put", &doc, "/items", r#"[{"name":"milk"}]"#]).0);
    assert!(mergedb(db, &["put", &doc, "/items/0/done", "true"]).0);
    assert_eq!(
        mergedb(db, &["get", &doc, "/items/0"]).1,
        r#"{"done":true,"name":"milk"}"#
    );
    assert_eq!(mergedb(db, &["get", &doc, "/title"]).1, r#""notes""#);
    let dump: serde_json::Value = serde_json::from_str(&mergedb(db, &["dump", &doc]).1).unwrap();
    assert_eq!(
        dump,
        serde_json::json!({"title": "notes", "items": [{"name": "milk", "done": true}]})
    );
    assert_eq!(mergedb(db, &["log", &doc]).1.lines().count(), 3);
    let (ok, out, _) = mergedb(db, &["verify"]);
    assert!(ok && out.starts_with("ok: 1 documents, 3 changes"), "{out}");
}

#[test]
fn errors_print_one_line_and_fail() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path();
    let (_, doc, _) = mergedb(db, &["create"]);
    for args in [
        vec!["get", "not-an-id"],
        vec!["get", &doc, "/missing"],
        vec!["put", &doc, "/x", "{not json"],
        vec!["put", &doc, "relative", "1"],
        vec!["dump", "00000000000000000000000000000000"],
        vec!["import", "/no/such/file.json"],
        vec!["compact", "00000000000000000000000000000000"],
        vec!["bench", "--trace", "/no/such/trace.json.gz"],
    ] {
        let (ok, out, err) = mergedb(db, &args);
        assert!(!ok, "{args:?} succeeded");
        assert!(out.is_empty(), "{args:?} printed {out}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("mergedb: "), "{err}");
    }
}

#[test]
fn import_compact_export() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let file = dir.path().join("doc.json");
    let json =
        serde_json::json!({"title": "notes", "items": [1, "two", {"three": 3.5}], "t": null});
    std::fs::write(&file, json.to_string()).unwrap();
    let (ok, doc, err) = mergedb(&db, &["import", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (ok, out, _) = mergedb(&db, &["compact"]);
    assert!(
        ok && out.starts_with(&format!("{doc}: 1 log records")),
        "{out}"
    );
    let (ok, out, _) = mergedb(&db, &["export", &doc]);
    assert!(ok);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap(),
        json
    );
    let (ok, out, _) = mergedb(&db, &["verify"]);
    assert!(ok && out.starts_with("ok: 1 documents, 0 changes"), "{out}");
    std::fs::write(&file, "[1, 2]").unwrap();
    let (ok, _, err) = mergedb(&db, &["import", file.to_str().unwrap()]);
    assert!(!ok && err.contains("a document is a JSON object"), "{err}");
}

#[test]
fn bench_prints_every_figure_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = mergedb(dir.path(), &["bench", "--keystrokes", "3000", "--json"]);
    assert!(ok, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    for field in [
        "ingest_ms",
        "commits_per_sec",
        "log_bytes_per_change",
        "compaction_ms",
        "snapshot_bytes",
        "open_ms",
        "first_read_ms",
        "full_load_ms",
        "peak_rss_bytes",
    ] {
        assert!(
            report.get(field).is_some_and(|v| !v.is_null()),
            "{field} in {out}"
        );
    }
    assert_eq!(report["keystrokes"], 3000);
    // Not a terminal: no progress bar on stderr.
    assert!(err.is_empty(), "{err}");
}

#[test]
fn a_failed_import_leaves_no_document_and_ids_travel() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path();
    let file = dir.path().join("bad.json");
    std::fs::write(&file, r#"{"":1}"#).unwrap();
    let (ok, _, err) = mergedb(db, &["import", file.to_str().unwrap()]);
    assert!(!ok && err.contains("empty"), "{err}");
    assert_eq!(
        mergedb(db, &["docs"]).1,
        "",
        "the failed import left a document"
    );
    let id = "00112233445566778899aabbccddeeff";
    assert_eq!(
        mergedb(db, &["create", "--id", id]),
        (true, id.into(), "".into())
    );
    let (ok, _, err) = mergedb(db, &["create", "--id", id]);
    assert!(!ok && err.contains("exists"), "{err}");
    assert_eq!(mergedb(db, &["docs"]).1, id);
}

fn mergedb_without_db(cwd: &Path, args: &[&str]) -> (bool, String, String) {
    output(
        Command::new(env!("CARGO_BIN_EXE_mergedb"))
            .current_dir(cwd)
            .args(args),
    )
}

#[test]
fn no_db_creates_nothing_and_a_file_is_not_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = mergedb_without_db(dir.path(), &["docs"]);
    assert!(!ok && err.contains("--db"), "{err}");
    let missing = dir.path().join("nothing-here");
    let (ok, _, err) = mergedb(&missing, &["docs"]);
    assert!(!ok && err.contains("no store at"), "{err}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "a store was created"
    );
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    for args in [&["docs"][..], &["create"][..]] {
        let (ok, _, err) = mergedb(&file, args);
        assert!(!ok && err.contains("is not a directory"), "{args:?}: {err}");
    }
    let (ok, out, _) = mergedb_without_db(dir.path(), &["put", "--help"]);
    assert!(
        ok && out.contains("JSON-pointer") && out.contains("quotes"),
        "{out}"
    );
}

#[test]
fn compacting_an_empty_log_changes_nothing_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path();
    let (_, doc, _) = mergedb(db, &["create"]);
    let (ok, out, _) = mergedb(db, &["compact", &doc]);
    assert!(ok && out.contains("nothing to compact"), "{out}");
    assert!(mergedb(db, &["put", &doc, "/n", "1"]).0);
    let (ok, out, _) = mergedb(db, &["compact", &doc]);
    assert!(ok && out.contains("replaced by"), "{out}");
    let id = mergedb::engine::store::DocId::parse(&doc).unwrap();
    let snapshot = || {
        let store = mergedb::engine::store::Store::open(db).unwrap();
        store.snapshot_bytes(&id).unwrap()
    };
    let before = snapshot();
    let (ok, out, _) = mergedb(db, &["compact", &doc]);
    assert!(ok && out.contains("nothing to compact"), "{out}");
    assert!(snapshot() == before, "the snapshot changed");
    assert_eq!(mergedb(db, &["get", &doc, "/n"]).1, "1");
}

#[test]
fn a_second_process_waits_for_the_lock_then_says_who_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path();
    let (_, doc, _) = mergedb(db, &["create"]);
    let held = mergedb::engine::store::Store::open(db).unwrap();
    let (ok, _, err) = mergedb(db, &["get", &doc]);
    assert!(
        !ok && err.contains("another process holds the store"),
        "{err}"
    );
    drop(held);
    assert!(mergedb(db, &["get", &doc]).0);
}

/// Runs the tool as a user who may read the store but not write it: as
/// `nobody` when the tests run as root (root may write anything), else as
/// ourselves with the write bits taken off.
#[cfg(unix)]
#[test]
fn a_store_that_is_not_writable_opens_read_only() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store");
    let (_, doc, _) = mergedb(&db, &["create"]);
    assert!(mergedb(&db, &["put", &doc, "/n", "1"]).0);
    let root = std::fs::metadata(&db).unwrap().uid() == 0;
    let mode = |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m));
    mode(dir.path(), 0o755).unwrap();
    mode(&db, 0o555).unwrap();
    mode(&db.join("mergedb.redb"), 0o444).unwrap();
    // `nobody` may not reach the build directory: run a copy from here.
    let exe = dir.path().join("mergedb");
    std::fs::copy(env!("CARGO_BIN_EXE_mergedb"), &exe).unwrap();
    mode(&exe, 0o755).unwrap();
    let run = |args: &[&str]| {
        let mut cmd = Command::new(&exe);
        cmd.arg("--db").arg(&db).args(args);
        if root {
            cmd.uid(65534).gid(65534);
        }
        output(&mut cmd)
    };
    assert_eq!(run(&["docs"]), (true, doc.clone(), String::new()));
    assert_eq!(run(&["get", &doc, "/n"]).1, "1");
    assert_eq!(run(&["export", &doc]).1, r#"{"n":1}"#);
    assert!(run(&["verify"]).0);
    assert_eq!(run(&["log", &doc]).1.lines().count(), 1);
    let (ok, _, err) = run(&["put", &doc, "/n", "2"]);
    assert!(!ok, "a write to a read-only store succeeded");
    assert!(
        err.contains("read-only") && err.contains("mergedb.redb"),
        "{err}"
    );
    mode(&db, 0o755).unwrap();
    mode(&db.join("mergedb.redb"), 0o644).unwrap();
    assert_eq!(mergedb(&db, &["get", &doc, "/n"]).1, "1");
}

#[test]
fn a_reader_that_stops_early_is_no_error() {
    use automerge::transaction::Transactable;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    // 5,000 changes: their log is far more than a pipe holds.
    let mut am = automerge::AutoCommit::new();
    for i in 0..5_000i64 {
        am.put(automerge::ROOT, "n", i).unwrap();
        am.commit();
    }
    let file = dir.path().join("big.automerge");
    std::fs::write(&file, am.save()).unwrap();
    let (ok, doc, err) = mergedb(&db, &["import", "--automerge", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    // As `mergedb log DOC | head -1` does: read a line, close the pipe.
    let mut child = Command::new(env!("CARGO_BIN_EXE_mergedb"))
        .arg("--db")
        .arg(&db)
        .args(["log", &doc])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

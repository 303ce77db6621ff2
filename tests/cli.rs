//! The `mergedb` command-line tool, run as a user would run it.

use std::path::Path;
use std::process::Command;

fn mergedb(db: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mergedb"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap().trim().to_string();
    (out.status.success(), text(out.stdout), text(out.stderr))
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
    ] {
        let (ok, out, err) = mergedb(db, &args);
        assert!(!ok, "{args:?} succeeded");
        assert!(out.is_empty(), "{args:?} printed {out}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("mergedb: "), "{err}");
    }
}

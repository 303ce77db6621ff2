//! `import --automerge`, `export --automerge` and `apply`, run as a script
//! from outside would run them, on files that automerge 0.12 wrote and reads.

mod common;

use common::mergedb;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};

fn workout() -> AutoCommit {
    let mut am = AutoCommit::new();
    am.put(ROOT, "exercise", "squat").unwrap();
    let sets = am.put_object(ROOT, "sets", ObjType::List).unwrap();
    am.insert(&sets, 0, 5).unwrap();
    let notes = am.put_object(ROOT, "notes", ObjType::Text).unwrap();
    am.splice_text(&notes, 0, 0, "felt good").unwrap();
    am.commit();
    am
}

fn heads(am: &mut AutoCommit) -> Vec<String> {
    let mut h: Vec<String> = am.get_heads().iter().map(|h| h.to_string()).collect();
    h.sort();
    h
}

#[test]
fn automerge_files_import_export_and_apply() {
    let dir = tempfile::tempdir().unwrap();
    let (db, path) = (dir.path().join("db"), |n: &str| dir.path().join(n));
    let mut am = workout();
    std::fs::write(path("w.automerge"), am.save()).unwrap();
    let (ok, id, err) = mergedb(
        &db,
        &[
            "import",
            "--automerge",
            path("w.automerge").to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    let (_, json, _) = mergedb(&db, &["get", &id]);
    assert_eq!(
        json,
        r#"{"exercise":"squat","notes":"felt good","sets":[5]}"#
    );

    // Edits on the automerge side, as change chunks and as a whole document.
    let mut theirs = am.fork();
    let sets = theirs.get(ROOT, "sets").unwrap().unwrap().1;
    theirs.insert(&sets, 1, 3).unwrap();
    theirs.commit();
    let chunks: Vec<u8> = theirs
        .get_changes(&am.get_heads())
        .iter()
        .flat_map(|c| c.raw_bytes().to_vec())
        .collect();
    std::fs::write(path("changes.bin"), &chunks).unwrap();
    let (ok, out, err) = mergedb(&db, &["apply", &id, path("changes.bin").to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(out, "1 changes applied, 0 waiting for their deps");
    std::fs::write(path("whole.automerge"), theirs.save()).unwrap();
    let (ok, out, _) = mergedb(
        &db,
        &["apply", &id, path("whole.automerge").to_str().unwrap()],
    );
    assert!(ok && out.starts_with("0 changes applied"), "{out}");

    // Out again: automerge loads it to the same heads and values.
    let out = path("out.automerge");
    let (ok, _, err) = mergedb(
        &db,
        &["export", "--automerge", &id, "--out", out.to_str().unwrap()],
    );
    assert!(ok, "{err}");
    let mut back = AutoCommit::load(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(heads(&mut back), heads(&mut theirs));
    assert_eq!(back.length(&sets), 2);
    let (_, log, _) = mergedb(&db, &["log", &id]);
    for h in heads(&mut theirs) {
        assert!(log.contains(&h), "log lacks automerge's head {h}");
    }
}

#[test]
fn bad_automerge_input_fails_in_one_line_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (db, path) = (dir.path().join("db"), |n: &str| dir.path().join(n));
    let mut am = workout();
    let good = am.save();
    std::fs::write(path("w.automerge"), &good).unwrap();
    let (_, id, _) = mergedb(
        &db,
        &[
            "import",
            "--automerge",
            path("w.automerge").to_str().unwrap(),
        ],
    );
    let before = mergedb(&db, &["log", &id]).1;
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    let bad: [(&str, Vec<u8>); 4] = [
        ("garbage", b"not an automerge file".to_vec()),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("flipped", flipped),
        ("trailing", [&good[..], &[0x85, 0x6f]].concat()),
    ];
    for (name, bytes) in bad {
        let file = path(name);
        std::fs::write(&file, bytes).unwrap();
        let file = file.to_str().unwrap();
        for args in [
            vec!["import", "--automerge", file],
            vec!["apply", &id, file],
        ] {
            let (ok, out, err) = mergedb(&db, &args);
            assert!(!ok, "{name}: {args:?} succeeded: {out}");
            assert_eq!(err.lines().count(), 1, "{name}: {err}");
            assert!(err.starts_with("mergedb: "), "{name}: {err}");
        }
    }
    assert_eq!(
        mergedb(&db, &["docs"]).1,
        id,
        "a failed import left a document"
    );
    assert_eq!(mergedb(&db, &["log", &id]).1, before);
    let (ok, _, err) = mergedb(&db, &["export", "--automerge", &id]);
    assert!(!ok && err.contains("--out"), "{err}");
    assert!(mergedb(&db, &["verify"]).0);
}

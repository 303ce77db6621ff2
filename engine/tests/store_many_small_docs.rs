//! Many small documents, as automerge-repo apps keep them (one per note, per
//! workout): a store costs about what its records need, whatever the number
//! of documents. Each document's ten commits, made under grouped durability,
//! go to disk as one group record (SPEC.md §5.3), in the store's one table.

use mergedb_engine::format::ObjId;
use mergedb_engine::store::{DocId, Durability, Store, StoreError, StoreOptions};
use std::path::Path;

const DOCS: usize = 5_000;
// MERGEDB_DOCS=10000 runs the size the issue measured.
const COMMITS: i64 = 10;

fn docs() -> usize {
    std::env::var("MERGEDB_DOCS").map_or(DOCS, |d| d.parse().expect("MERGEDB_DOCS is a number"))
}

fn options() -> StoreOptions {
    StoreOptions {
        durability: Durability::Grouped,
        ..StoreOptions::default()
    }
}

fn file_bytes(dir: &Path) -> u64 {
    std::fs::metadata(dir.join("mergedb.redb")).unwrap().len()
}

#[test]
fn ten_commits_each_on_thousands_of_documents_cost_under_a_kilobyte_each() {
    let dir = tempfile::tempdir().unwrap();
    let t = std::time::Instant::now();
    let ids: Vec<DocId> = {
        let store = Store::open_with(dir.path(), options()).unwrap();
        // Each document is made with its first commit, in one batch, as an
        // app makes a new note; then nine more commits.
        let mut last = None;
        let mut ids = Vec::with_capacity(docs());
        for _ in 0..docs() {
            let (id, c) = store
                .create_doc_with(None, |tx| {
                    Ok::<_, StoreError>(tx.put(&ObjId::Root, "reps", 0)?)
                })
                .unwrap();
            ids.push(id);
            last = Some(c.ticket);
            for i in 1..COMMITS {
                let c = store
                    .transact(&id, |tx| {
                        Ok::<_, StoreError>(tx.put(&ObjId::Root, "reps", i)?)
                    })
                    .unwrap();
                last = Some(c.ticket);
            }
        }
        last.unwrap().wait().unwrap();
        ids
    };
    println!(
        "ingest: {:.0} commits/s",
        (docs() as f64 * COMMITS as f64) / t.elapsed().as_secs_f64()
    );
    let per_doc = file_bytes(dir.path()) as f64 / docs() as f64;
    println!(
        "{} documents of {COMMITS} commits: {per_doc:.0} bytes each",
        docs()
    );
    let store = Store::open_with(dir.path(), options()).unwrap();
    let report = store.verify().unwrap();
    println!("log bytes {} in {} changes", report.bytes, report.changes);
    assert!(per_doc <= 1024.0, "{per_doc:.0} bytes per document");
    assert_eq!(report.docs, docs() as u64);
    assert_eq!(report.changes, docs() as u64 * COMMITS as u64);
    for id in ids.iter().step_by(97) {
        let json = store.doc(id).unwrap().to_json().unwrap();
        assert_eq!(json, serde_json::json!({"reps": COMMITS - 1}));
    }
    for id in &ids {
        store.compact(id).unwrap();
    }
    drop(store);
    let per_doc = file_bytes(dir.path()) as f64 / docs() as f64;
    println!("after compacting them all: {per_doc:.0} bytes each");
    assert!(
        per_doc <= 1024.0,
        "{per_doc:.0} bytes per document after compaction"
    );
    let store = Store::open_with(dir.path(), options()).unwrap();
    store.verify().unwrap();
    let id = ids[docs() / 2];
    assert_eq!(
        store.doc(&id).unwrap().to_json().unwrap(),
        serde_json::json!({"reps": COMMITS - 1})
    );
}

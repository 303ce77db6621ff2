//! Compaction in the store: a snapshot replaces the log it covers, a
//! compacted document opens from its state section without decoding its
//! history, commits after a snapshot stay in the log, and a damaged snapshot
//! is reported, never read.

use mergedb_engine::format::{ObjId, ObjType, ScalarValue};
use mergedb_engine::store::{DocId, Durability, Store, StoreError, StoreOptions};
use serde_json::json;
use std::path::Path;

fn open(dir: &Path, durability: Durability) -> Store {
    let options = StoreOptions {
        durability,
        ..StoreOptions::default()
    };
    Store::open_with(dir, options).unwrap()
}

/// A document with a text typed one character per commit, and a counter.
fn typed(store: &Store, text: &str) -> (DocId, ObjId) {
    let id = store.create_doc().unwrap();
    let mut t = ObjId::Root;
    store
        .transact(&id, |tx| {
            t = tx.put_object(&ObjId::Root, "text", ObjType::Text)?;
            Ok::<_, StoreError>(tx.put(&ObjId::Root, "n", ScalarValue::Counter(0))?)
        })
        .unwrap();
    for (i, c) in text.chars().enumerate() {
        store
            .transact(&id, |tx| {
                tx.splice_text(&t, i, 0, &c.to_string())?;
                Ok::<_, StoreError>(tx.increment(&ObjId::Root, "n", 1)?)
            })
            .unwrap();
    }
    store.flush().unwrap();
    (id, t)
}

#[test]
fn a_snapshot_replaces_the_log_and_opens_without_history() {
    for durability in [Durability::Immediate, Durability::Grouped] {
        let dir = tempfile::tempdir().unwrap();
        let (id, text) = {
            let store = open(dir.path(), durability);
            let (id, text) = typed(&store, "hello world");
            let done = store.compact(&id).unwrap();
            assert_eq!(done.records_removed, 12);
            assert!(done.snapshot_bytes > 0);
            let report = store.verify().unwrap();
            assert_eq!((report.changes, report.snapshots), (0, 1));
            (id, text)
        };
        let store = open(dir.path(), durability);
        let handle = store.doc(&id).unwrap();
        assert_eq!(handle.text(&text).unwrap(), "hello world");
        assert_eq!(
            handle.to_json().unwrap(),
            json!({"text": "hello world", "n": 11})
        );
        assert!(!handle.is_fully_loaded());
        let stats = store.stats();
        assert_eq!((stats.state_loads, stats.history_loads), (1, 0));
        // The whole document, when asked for, comes from the history.
        assert_eq!(handle.read().unwrap().change_count(), 12);
        assert_eq!(store.stats().history_loads, 1);
        assert_eq!(handle.heads().unwrap(), handle.read().unwrap().heads());
    }
}

#[test]
fn a_handle_on_the_state_sees_later_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (id, text) = {
        let store = open(dir.path(), Durability::Immediate);
        let (id, text) = typed(&store, "ab");
        store.compact(&id).unwrap();
        (id, text)
    };
    let store = open(dir.path(), Durability::Immediate);
    let handle = store.doc(&id).unwrap();
    assert!(!handle.is_fully_loaded());
    store
        .transact(&id, |tx| {
            Ok::<_, StoreError>(tx.splice_text(&text, 2, 0, "c")?)
        })
        .unwrap();
    assert_eq!(handle.text(&text).unwrap(), "abc");
    assert!(handle.is_fully_loaded());

    // The same with a cache so small that the written document is evicted
    // before the handle reads: the handle must not fall back to the state.
    drop((handle, store));
    let tiny = StoreOptions {
        cache_bytes: 1,
        ..StoreOptions::default()
    };
    let store = Store::open_with(dir.path(), tiny.clone()).unwrap();
    store.compact(&id).unwrap();
    drop(store);
    let store = Store::open_with(dir.path(), tiny).unwrap();
    let handle = store.doc(&id).unwrap();
    store
        .transact(&id, |tx| {
            Ok::<_, StoreError>(tx.splice_text(&text, 3, 0, "d")?)
        })
        .unwrap();
    let other = store.create_doc().unwrap();
    store.doc(&other).unwrap();
    assert!(store.stats().cache.evictions > 0);
    assert_eq!(handle.text(&text).unwrap(), "abcd");
}

#[test]
fn commits_after_a_snapshot_stay_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (id, text) = {
        let store = open(dir.path(), Durability::Grouped);
        let (id, text) = typed(&store, "abc");
        store.compact(&id).unwrap();
        store
            .transact(&id, |tx| {
                Ok::<_, StoreError>(tx.splice_text(&text, 3, 0, "def")?)
            })
            .unwrap();
        store.flush().unwrap();
        let report = store.verify().unwrap();
        assert_eq!((report.changes, report.snapshots), (1, 1));
        (id, text)
    };
    let store = open(dir.path(), Durability::Grouped);
    // A log tail means the whole document: the state alone is out of date.
    let handle = store.doc(&id).unwrap();
    assert!(handle.is_fully_loaded());
    assert_eq!(handle.text(&text).unwrap(), "abcdef");
    assert_eq!(store.changes_since(&id, &[]).unwrap().len(), 5);
    // A second compaction takes the tail in.
    assert_eq!(store.compact(&id).unwrap().records_removed, 1);
    store.verify().unwrap();
}

#[test]
fn compaction_races_commits_without_losing_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Durability::Grouped);
    let (id, text) = typed(&store, "x");
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 0..300 {
                store
                    .transact(&id, |tx| {
                        Ok::<_, StoreError>(tx.splice_text(&text, i + 1, 0, "y")?)
                    })
                    .unwrap();
            }
        });
        s.spawn(|| {
            for _ in 0..20 {
                store.compact(&id).unwrap();
            }
        });
    });
    store.flush().unwrap();
    store.verify().unwrap();
    drop(store);
    let store = open(dir.path(), Durability::Grouped);
    let handle = store.doc(&id).unwrap();
    assert_eq!(handle.text(&text).unwrap(), format!("x{}", "y".repeat(300)));
    assert_eq!(handle.read().unwrap().change_count(), 302);
    store.verify().unwrap();
}

#[test]
fn a_damaged_snapshot_is_reported_with_its_document() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Durability::Immediate);
    let (id, _) = typed(&store, "some text");
    let done = store.compact(&id).unwrap();
    drop(store);
    // Flip one bit of the stored snapshot, wherever redb put it.
    let path = dir.path().join("mergedb.redb");
    let mut file = std::fs::read(&path).unwrap();
    let store = open(dir.path(), Durability::Immediate);
    let snapshot = store_snapshot(&store, &id);
    drop(store);
    assert_eq!(snapshot.len() as u64, done.snapshot_bytes);
    let at = find(&file, &snapshot).expect("the snapshot is stored as it is");
    file[at + snapshot.len() / 2] ^= 0x10;
    std::fs::write(&path, &file).unwrap();
    let store = open(dir.path(), Durability::Immediate);
    let err = store.doc(&id).unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt { doc, .. } if *doc == id),
        "{err}"
    );
    assert!(store.verify().is_err());
}

fn store_snapshot(store: &Store, id: &DocId) -> Vec<u8> {
    store.snapshot_bytes(id).unwrap().unwrap()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn deleting_a_document_deletes_its_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Durability::Immediate);
    let (id, _) = typed(&store, "gone");
    store.compact(&id).unwrap();
    store.delete_doc(&id).unwrap();
    assert!(matches!(store.doc(&id), Err(StoreError::NoSuchDoc(_))));
    assert_eq!(store.verify().unwrap().snapshots, 0);
}

#[test]
fn compacting_an_empty_log_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Durability::Immediate);
    let empty = store.create_doc().unwrap();
    let done = store.compact(&empty).unwrap();
    assert!(!done.wrote && done.snapshot_bytes == 0);
    let (id, _) = typed(&store, "abc");
    assert!(store.compact(&id).unwrap().wrote);
    let snapshot = store.snapshot_bytes(&id).unwrap();
    drop(store);
    // Again after a reopen: nothing is loaded, and the log is empty.
    let store = open(dir.path(), Durability::Immediate);
    let again = store.compact(&id).unwrap();
    assert!(!again.wrote, "{again:?}");
    assert_eq!(store.stats().compactions, 0);
    assert_eq!(store.stats().history_loads, 0);
    assert_eq!(store.snapshot_bytes(&id).unwrap(), snapshot);
}

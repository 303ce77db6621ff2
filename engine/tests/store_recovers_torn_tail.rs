//! A torn or corrupt log record: the default refuses and names it; the
//! torn-tail mode drops a corrupt last record of an actor, and only that.

use mergedb_engine::format::ObjId;
use mergedb_engine::store::{
    Backend, Batch, DocId, Entries, MemoryBackend, RecoveryMode, Store, StoreError, StoreOptions,
};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;

fn open(backend: &Arc<MemoryBackend>, recovery: RecoveryMode) -> Store {
    let options = StoreOptions {
        recovery,
        ..StoreOptions::default()
    };
    Store::with_backend(backend.clone(), options, Path::new("mem")).unwrap()
}

/// A document with five commits; returns it and its log records in key order.
fn five_commits(backend: &Arc<MemoryBackend>) -> (DocId, Entries) {
    let store = open(backend, RecoveryMode::Strict);
    let id = store.create_doc().unwrap();
    for i in 0..5i64 {
        store
            .transact(&id, |tx| {
                Ok::<_, StoreError>(tx.put(&ObjId::Root, "n", i)?)
            })
            .unwrap();
    }
    (id, backend.scan_prefix(b"L").unwrap())
}

fn tear(backend: &MemoryBackend, key: &[u8], value: &[u8]) {
    let mut b = Batch::new();
    b.put(key.to_vec(), value[..value.len() / 2].to_vec());
    backend.write(&b, true).unwrap();
}

#[test]
fn the_default_refuses_and_says_where() {
    let backend = Arc::new(MemoryBackend::new());
    let (id, records) = five_commits(&backend);
    let (key, value) = records.last().unwrap();
    tear(&backend, key, value);
    let err = open(&backend, RecoveryMode::Strict).doc(&id).unwrap_err();
    match err {
        StoreError::Corrupt { doc, key: k, .. } => {
            assert_eq!(doc, id);
            assert_eq!(k, mergedb_engine::format::hex::encode(key));
        }
        other => panic!("{other}"),
    }
    assert!(open(&backend, RecoveryMode::Strict).verify().is_err());
}

#[test]
fn a_torn_tail_is_dropped_and_the_rest_kept() {
    let backend = Arc::new(MemoryBackend::new());
    let (id, records) = five_commits(&backend);
    let (key, value) = records.last().unwrap();
    tear(&backend, key, value);
    let store = open(&backend, RecoveryMode::TruncateTornTail);
    assert_eq!(
        store.doc(&id).unwrap().read().unwrap().to_json(),
        json!({"n": 3})
    );
    assert_eq!(
        backend.scan_prefix(b"L").unwrap().len(),
        4,
        "the torn record is deleted"
    );
    let report = store.verify().unwrap();
    assert_eq!(report.changes, 4);
    // The log goes on from there.
    store
        .transact(&id, |tx| {
            Ok::<_, StoreError>(tx.put(&ObjId::Root, "n", 9i64)?)
        })
        .unwrap();
    drop(store);
    assert_eq!(
        open(&backend, RecoveryMode::Strict)
            .doc(&id)
            .unwrap()
            .to_json()
            .unwrap(),
        json!({"n": 9})
    );
}

#[test]
fn corruption_before_the_tail_is_refused_in_every_mode() {
    let backend = Arc::new(MemoryBackend::new());
    let (id, records) = five_commits(&backend);
    let (key, value) = &records[2];
    tear(&backend, key, value);
    for mode in [RecoveryMode::Strict, RecoveryMode::TruncateTornTail] {
        assert!(
            matches!(
                open(&backend, mode).doc(&id),
                Err(StoreError::Corrupt { .. })
            ),
            "{mode:?}"
        );
    }
    assert_eq!(
        backend.scan_prefix(b"L").unwrap().len(),
        5,
        "nothing is deleted"
    );
}

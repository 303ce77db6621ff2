//! A durable write that fails once and would then succeed again (fsyncgate's
//! trap: after a failed fsync the kernel may have dropped the dirty pages, and
//! a retried fsync reports success). The commit in flight fails, the store is
//! poisoned so nothing later is acknowledged, nothing is retried silently, and
//! a reopen serves exactly what was durable (SPEC.md §5.4).

use mergedb_engine::format::ObjId;
use mergedb_engine::store::{
    Backend, Batch, Durability, Entries, MemoryBackend, Store, StoreError, StoreOptions,
};
use serde_json::json;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Memory that fails its next durable write once armed, losing the batch,
/// and counts the writes made after that failure.
#[derive(Debug, Default)]
struct FailsOnce {
    inner: MemoryBackend,
    armed: AtomicBool,
    failed: AtomicBool,
    writes_after: AtomicU64,
}

impl Backend for FailsOnce {
    fn name(&self) -> &'static str {
        "fails-once"
    }
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(key)
    }
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Entries, StoreError> {
        self.inner.scan_prefix(prefix)
    }
    fn write(&self, batch: &Batch, durable: bool) -> Result<(), StoreError> {
        if self.failed.load(Ordering::SeqCst) {
            self.writes_after.fetch_add(1, Ordering::SeqCst);
        }
        if durable && self.armed.swap(false, Ordering::SeqCst) {
            self.failed.store(true, Ordering::SeqCst);
            return Err(StoreError::Backend {
                backend: "fails-once",
                message: "fsync: Input/output error".into(),
            });
        }
        self.inner.write(batch, durable)
    }
    fn fsync(&self) -> Result<(), StoreError> {
        self.inner.fsync()
    }
}

fn put(store: &Store, id: &mergedb_engine::store::DocId, n: i64) -> Result<(), StoreError> {
    let commit = store.transact(id, |tx| {
        Ok::<_, StoreError>(tx.put(&ObjId::Root, "n", n)?)
    })?;
    commit.ticket.wait()
}

fn fail_once(durability: Durability) {
    let backend = Arc::new(FailsOnce::default());
    let options = StoreOptions {
        durability,
        ..StoreOptions::default()
    };
    let store = Store::with_backend(backend.clone(), options.clone(), Path::new("m")).unwrap();
    let id = store.create_doc().unwrap();
    for n in 1..=3 {
        put(&store, &id, n).unwrap();
    }
    backend.armed.store(true, Ordering::SeqCst);
    let err = put(&store, &id, 4).unwrap_err();
    assert!(
        err.to_string().contains("Input/output error"),
        "{durability:?}: {err}"
    );
    // The backend would take writes again; the store must not.
    for n in 5..8 {
        let later = put(&store, &id, n);
        assert!(
            matches!(later, Err(StoreError::Poisoned(_))),
            "{durability:?}: {later:?}"
        );
    }
    assert!(matches!(
        store.flush(),
        Err(StoreError::Poisoned(_)) | Ok(())
    ));
    assert!(matches!(
        store.compact(&id),
        Err(StoreError::Poisoned(_)) | Err(StoreError::Backend { .. })
    ));
    assert!(store.doc(&id).unwrap().to_json().unwrap() != json!({"n": 4}));
    drop(store);
    assert_eq!(
        backend.writes_after.load(Ordering::SeqCst),
        0,
        "{durability:?}: the store wrote again after a failed durable write"
    );
    // A reopen serves exactly what was durable: commits 1 to 3.
    let reopened = Store::with_backend(backend.clone(), options, Path::new("m")).unwrap();
    let doc = reopened.doc(&id).unwrap().read().unwrap();
    assert_eq!(doc.to_json(), json!({"n": 3}), "{durability:?}");
    assert_eq!(doc.change_count(), 3, "{durability:?}");
    reopened.verify().unwrap();
}

#[test]
fn a_failed_immediate_fsync_poisons_the_store() {
    fail_once(Durability::Immediate);
}

#[test]
fn a_failed_group_fsync_poisons_the_store() {
    fail_once(Durability::Grouped);
}

//! Change stamps (SPEC.md §5.9): a store says which documents changed
//! since a moment, across clean reopens, whether or not the session that
//! changed them ever asked; after a session that did not close, it knows
//! nothing of the moments before, so nothing changed is ever missed.

use mergedb_engine::format::ObjId;
use mergedb_engine::store::{
    Backend, DocId, Durability, MemoryBackend, Stamp, Store, StoreError, StoreOptions,
};
use std::path::Path;
use std::sync::Arc;

fn put(store: &Store, id: &DocId, n: i64) {
    store
        .transact(id, |tx| {
            Ok::<_, StoreError>(tx.put(&ObjId::Root, "n", n)?)
        })
        .unwrap()
        .ticket
        .wait()
        .unwrap();
}

fn on(backend: &Arc<MemoryBackend>) -> Store {
    let options = StoreOptions {
        durability: Durability::Immediate,
        ..StoreOptions::default()
    };
    let backend: Arc<dyn Backend> = backend.clone();
    Store::with_backend(backend, options, Path::new(":memory:")).unwrap()
}

fn sorted(mut ids: Vec<DocId>) -> Vec<DocId> {
    ids.sort_unstable();
    ids
}

#[test]
fn the_documents_changed_since_a_stamp_are_listed_and_no_others() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let ids: Vec<DocId> = (0..5).map(|_| store.create_doc().unwrap()).collect();
    let before = store.change_stamp().unwrap();
    assert_eq!(store.changed_after(before).unwrap(), Some(vec![]));
    put(&store, &ids[1], 1);
    put(&store, &ids[3], 1);
    put(&store, &ids[1], 2);
    assert_eq!(
        store.changed_after(before).unwrap(),
        Some(sorted(vec![ids[1], ids[3]]))
    );
    let later = store.change_stamp().unwrap();
    assert!(later.value > before.value);
    assert_eq!(store.changed_after(later).unwrap(), Some(vec![]));
    // A change that brings nothing new (an empty transaction) moves nothing.
    store
        .transact(&ids[0], |_| Ok::<_, StoreError>(()))
        .unwrap();
    assert_eq!(store.changed_after(later).unwrap(), Some(vec![]));
    store.delete_doc(&ids[3]).unwrap();
    assert_eq!(store.changed_after(before).unwrap(), Some(vec![ids[1]]));
    // A moment from the future, or of another table, says nothing.
    let future = Stamp {
        value: later.value + 100,
        ..later
    };
    assert_eq!(store.changed_after(future).unwrap(), None);
    let other = Stamp {
        generation: later.generation ^ 1,
        ..later
    };
    assert_eq!(store.changed_after(other).unwrap(), None);
}

#[test]
fn stamps_survive_clean_reopens_even_when_no_one_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (ids, mark) = {
        let store = Store::open(dir.path()).unwrap();
        let ids: Vec<DocId> = (0..4).map(|_| store.create_doc().unwrap()).collect();
        (ids, store.change_stamp().unwrap())
    };
    // A session that changes one document and never asks.
    {
        let store = Store::open(dir.path()).unwrap();
        put(&store, &ids[2], 7);
    }
    // One that asks first, then changes another.
    {
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.changed_after(mark).unwrap(), Some(vec![ids[2]]));
        put(&store, &ids[0], 7);
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.changed_after(mark).unwrap(),
        Some(sorted(vec![ids[0], ids[2]]))
    );
    let now = store.change_stamp().unwrap();
    assert_eq!(now.generation, mark.generation);
    assert_eq!(store.changed_after(now).unwrap(), Some(vec![]));
    store.verify().unwrap();
}

/// A store with one document and a moment taken after it, then a session
/// that changed it and went without a close, as kill -9 leaves one.
fn crashed_after_a_change(backend: &Arc<MemoryBackend>) -> (DocId, Stamp) {
    let (id, mark) = {
        let store = on(backend);
        let id = store.create_doc().unwrap();
        (id, store.change_stamp().unwrap())
    };
    let crashed = on(backend);
    put(&crashed, &id, 1);
    std::mem::forget(crashed);
    (id, mark)
}

#[test]
fn a_session_that_never_closed_voids_every_earlier_stamp() {
    let backend = Arc::new(MemoryBackend::new());
    let (id, mark) = crashed_after_a_change(&backend);
    let store = on(&backend);
    assert_eq!(store.changed_after(mark).unwrap(), None, "a stale answer");
    // The rebuilt table is the one from now on, and survives a close.
    let rebuilt = store.change_stamp().unwrap();
    assert_ne!(rebuilt.generation, mark.generation);
    drop(store);
    let store = on(&backend);
    assert_eq!(store.changed_after(rebuilt).unwrap(), Some(vec![]));
    put(&store, &id, 2);
    assert_eq!(store.changed_after(rebuilt).unwrap(), Some(vec![id]));
}

#[test]
fn a_session_that_never_closed_and_never_asked_still_voids_them() {
    let backend = Arc::new(MemoryBackend::new());
    let (_, mark) = crashed_after_a_change(&backend);
    // The next session changes nothing and asks nothing; its close must
    // not make the lost change's table look whole.
    drop(on(&backend));
    let store = on(&backend);
    assert_eq!(store.changed_after(mark).unwrap(), None);
}

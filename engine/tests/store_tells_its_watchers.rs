//! `Store::watch` hears of every changed document, and the store's storage
//! id lasts across sessions.

use mergedb_engine::format::ObjId;
use mergedb_engine::store::{DocId, Store, StoreError, StoreOptions};
use std::sync::{Arc, Mutex};

fn put(store: &Store, id: &DocId, key: &str) {
    store
        .transact(id, |tx| {
            Ok::<_, StoreError>(tx.put(&ObjId::Root, key, 1i64)?)
        })
        .unwrap();
}

#[test]
fn every_kind_of_change_is_heard() {
    let (a, b) = (
        Store::in_memory(StoreOptions::default()).unwrap(),
        Store::in_memory(StoreOptions::default()).unwrap(),
    );
    let heard = Arc::new(Mutex::new(Vec::new()));
    let h = Arc::clone(&heard);
    b.watch(move |id| {
        h.lock().unwrap().push(*id);
        true
    });
    let id = a.create_doc().unwrap();
    put(&a, &id, "x");
    b.create_doc_as(id).unwrap();
    assert_eq!(*heard.lock().unwrap(), vec![id], "creation");
    // By sync: a message with a change is heard, one without is not.
    let mut rounds = 0;
    loop {
        let m1 = a.generate_sync_message(&id, b"b").unwrap();
        if let Some(m) = &m1 {
            b.receive_sync_message(&id, b"a", m.clone()).unwrap();
        }
        let m2 = b.generate_sync_message(&id, b"a").unwrap();
        if let Some(m) = &m2 {
            a.receive_sync_message(&id, b"b", m.clone()).unwrap();
        }
        rounds += 1;
        if (m1.is_none() && m2.is_none()) || rounds > 10 {
            break;
        }
    }
    assert_eq!(
        *heard.lock().unwrap(),
        vec![id, id],
        "one sync that applied a change"
    );
    put(&b, &id, "y");
    assert_eq!(heard.lock().unwrap().len(), 3, "a local commit");
    // A watcher that says `false` is dropped.
    let once = Arc::new(Mutex::new(0));
    let o = Arc::clone(&once);
    b.watch(move |_| {
        *o.lock().unwrap() += 1;
        false
    });
    put(&b, &id, "z");
    put(&b, &id, "w");
    assert_eq!(*once.lock().unwrap(), 1);
    assert_eq!(heard.lock().unwrap().len(), 5);
}

#[test]
fn the_storage_id_lasts() {
    let dir = tempfile::tempdir().unwrap();
    let first = Store::open(dir.path()).unwrap().storage_id().unwrap();
    let again = Store::open(dir.path()).unwrap().storage_id().unwrap();
    assert_eq!(first, again);
    let other = tempfile::tempdir().unwrap();
    assert_ne!(
        Store::open(other.path()).unwrap().storage_id().unwrap(),
        first
    );
}

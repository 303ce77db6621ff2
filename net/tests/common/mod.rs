#![allow(dead_code)] // each test file uses a part of it
//! What the network tests share: stores in memory, a one-key edit, and a
//! document's JSON.

use mergedb_engine::format::ObjId;
use mergedb_engine::store::{DocId, Store, StoreError, StoreOptions};

pub fn store() -> Store {
    Store::in_memory(StoreOptions::default()).unwrap()
}

/// Sets `key` at the document's root, in a commit of its own.
pub fn put(store: &Store, id: &DocId, key: &str, value: i64) {
    store
        .transact(id, |tx| {
            Ok::<_, StoreError>(tx.put(&ObjId::Root, key, value)?)
        })
        .unwrap();
}

pub fn json(store: &Store, id: &DocId) -> String {
    store.doc(id).unwrap().to_json().unwrap().to_string()
}

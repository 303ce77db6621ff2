//! Creating documents: under a given id, and with a first change in the same
//! batch, so that a failed first change leaves nothing behind.

use mergedb_engine::format::ObjId;
use mergedb_engine::store::{DocId, Durability, Store, StoreError, StoreOptions};
use mergedb_engine::EngineError;
use serde_json::json;

#[test]
fn a_document_is_created_under_the_id_it_has_elsewhere() {
    let phone = Store::in_memory(StoreOptions::default()).unwrap();
    let laptop = Store::in_memory(StoreOptions::default()).unwrap();
    let (id, _) = phone
        .create_doc_with(None, |tx| {
            Ok::<_, StoreError>(tx.put(&ObjId::Root, "a", 1)?)
        })
        .unwrap();
    laptop.create_doc_as(id).unwrap();
    laptop
        .apply_changes(&id, phone.changes_since(&id, &[]).unwrap())
        .unwrap();
    assert_eq!(laptop.doc(&id).unwrap().to_json().unwrap(), json!({"a": 1}));
    assert!(matches!(laptop.create_doc_as(id), Err(StoreError::DocExists(d)) if d == id));
    // The refused create changed nothing.
    assert_eq!(laptop.doc(&id).unwrap().to_json().unwrap(), json!({"a": 1}));
}

#[test]
fn a_failed_first_change_leaves_no_document() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let want = DocId([3; 16]);
    let err = store
        .create_doc_with(Some(want), |tx| {
            tx.put(&ObjId::Root, "kept", true)?;
            Ok::<_, StoreError>(tx.put(&ObjId::Root, "", 1)?)
        })
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Engine(EngineError::EmptyKey)),
        "{err}"
    );
    assert!(store.list_docs().unwrap().is_empty());
    assert!(matches!(store.doc(&want), Err(StoreError::NoSuchDoc(_))));
}

#[test]
fn a_created_document_with_content_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        durability: Durability::Grouped,
        ..StoreOptions::default()
    };
    let id = {
        let store = Store::open_with(dir.path(), options).unwrap();
        let (id, commit) = store
            .create_doc_with(None, |tx| {
                tx.put(&ObjId::Root, "n", 1)?;
                Ok::<_, StoreError>(7)
            })
            .unwrap();
        assert_eq!(commit.value, 7);
        commit.ticket.wait().unwrap();
        store
            .transact(&id, |tx| {
                Ok::<_, StoreError>(tx.put(&ObjId::Root, "m", 2)?)
            })
            .unwrap();
        id
    };
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.list_docs().unwrap(), [id]);
    assert_eq!(
        store.doc(&id).unwrap().to_json().unwrap(),
        json!({"n": 1, "m": 2})
    );
    store.verify().unwrap();
    let actor = store.actor();
    assert_eq!(store.doc(&id).unwrap().read().unwrap().last_seq(&actor), 2);
}

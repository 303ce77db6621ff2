//! The store's API on small cases: documents, commits that survive reopening,
//! group commit, the persisted queue, bad changes, and lazy loading.

use mergedb_engine::format::{ActorId, ObjId, ObjType, ScalarValue};
use mergedb_engine::store::{Durability, Store, StoreError, StoreOptions};
use mergedb_engine::{Document, EngineError};
use serde_json::json;

fn options(durability: Durability) -> StoreOptions {
    StoreOptions {
        durability,
        ..StoreOptions::default()
    }
}

#[test]
fn documents_come_and_go() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let a = store.create_doc().unwrap();
    let b = store.create_doc().unwrap();
    let mut ids = vec![a, b];
    ids.sort();
    assert_eq!(store.list_docs().unwrap(), ids);
    store.delete_doc(&a).unwrap();
    assert_eq!(store.list_docs().unwrap(), vec![b]);
    assert!(matches!(store.doc(&a), Err(StoreError::NoSuchDoc(id)) if id == a));
    assert!(matches!(
        store.delete_doc(&a),
        Err(StoreError::NoSuchDoc(_))
    ));
}

#[test]
fn commits_survive_reopening() {
    for durability in [Durability::Immediate, Durability::Grouped] {
        let dir = tempfile::tempdir().unwrap();
        let id;
        {
            let store = Store::open_with(dir.path(), options(durability)).unwrap();
            id = store.create_doc().unwrap();
            let mut text = ObjId::Root;
            store
                .transact(&id, |tx| {
                    text = tx.put_object(&ObjId::Root, "t", ObjType::Text)?;
                    Ok::<_, StoreError>(tx.splice_text(&text, 0, 0, "hello")?)
                })
                .unwrap();
            for (i, c) in " world".chars().enumerate() {
                let commit = store
                    .transact(&id, |tx| {
                        Ok::<_, StoreError>(tx.splice_text(&text, 5 + i, 0, &c.to_string())?)
                    })
                    .unwrap();
                assert!(commit.hash.is_some());
            }
            store.flush().unwrap();
            assert_eq!(
                store.doc(&id).unwrap().read().unwrap().to_json(),
                json!({"t": "hello world"})
            );
        }
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            store.doc(&id).unwrap().read().unwrap().to_json(),
            json!({"t": "hello world"}),
            "{durability:?}"
        );
        assert_eq!(store.doc(&id).unwrap().read().unwrap().change_count(), 7);
    }
}

#[test]
fn group_commit_shares_fsyncs_and_tickets_wait() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(dir.path(), options(Durability::Grouped)).unwrap();
    let id = store.create_doc().unwrap();
    let mut tickets = Vec::new();
    for i in 0..500i64 {
        tickets.push(
            store
                .transact(&id, |tx| {
                    Ok::<_, StoreError>(tx.put(&ObjId::Root, "n", i)?)
                })
                .unwrap()
                .ticket,
        );
    }
    tickets.last().unwrap().wait().unwrap();
    assert!(tickets.iter().all(|t| t.is_durable()));
    let fsyncs = store.stats().group_fsyncs;
    assert!(
        (1..500).contains(&fsyncs),
        "{fsyncs} fsyncs for 500 commits"
    );
}

#[test]
fn waiting_changes_are_persisted_and_apply_later() {
    let dir = tempfile::tempdir().unwrap();
    let mut remote = Document::with_actor(ActorId::new(&[9]).unwrap());
    let mut changes = Vec::new();
    for v in ["one", "two", "three"] {
        let mut tx = remote.transaction();
        tx.put(&ObjId::Root, "k", v).unwrap();
        let h = tx.commit().unwrap();
        changes.push(remote.change_by_hash(&h).unwrap());
    }
    let id;
    {
        let store = Store::open(dir.path()).unwrap();
        id = store.create_doc().unwrap();
        store.apply_changes(&id, changes[1..].to_vec()).unwrap();
        assert_eq!(store.doc(&id).unwrap().read().unwrap().change_count(), 0);
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store
            .doc(&id)
            .unwrap()
            .read()
            .unwrap()
            .missing_deps(&[])
            .len(),
        1
    );
    store.apply_changes(&id, [changes[0].clone()]).unwrap();
    assert_eq!(
        store.doc(&id).unwrap().read().unwrap().to_json(),
        remote.to_json()
    );
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.doc(&id).unwrap().read().unwrap().to_json(),
        json!({"k": "three"})
    );
    assert!(store
        .doc(&id)
        .unwrap()
        .read()
        .unwrap()
        .missing_deps(&[])
        .is_empty());
}

#[test]
fn a_clashing_change_is_refused_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let id = store.create_doc().unwrap();
    store
        .transact(&id, |tx| {
            Ok::<_, StoreError>(tx.put(&ObjId::Root, "k", "mine")?)
        })
        .unwrap();
    // Another document claims this store's actor and seq 1 with other content.
    let mut other = Document::with_actor(store.actor());
    let mut tx = other.transaction();
    tx.put(&ObjId::Root, "k", "theirs").unwrap();
    tx.commit();
    let err = store
        .apply_changes(&id, other.changes_since(&[]).unwrap())
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Engine(EngineError::DuplicateSeq { seq: 1, .. })
        ),
        "{err}"
    );
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.doc(&id).unwrap().read().unwrap().to_json(),
        json!({"k": "mine"})
    );
}

#[test]
fn a_failed_transaction_keeps_nothing() {
    let store = Store::in_memory(StoreOptions::default()).unwrap();
    let id = store.create_doc().unwrap();
    let err = store
        .transact(&id, |tx| {
            tx.put(&ObjId::Root, "kept", true)?;
            Ok::<_, StoreError>(tx.increment(&ObjId::Root, "missing", 1)?)
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::Engine(EngineError::NotACounter)));
    assert_eq!(store.doc(&id).unwrap().read().unwrap().to_json(), json!({}));
    let none = store.transact(&id, |_| Ok::<_, StoreError>(())).unwrap();
    assert_eq!(none.hash, None);
}

#[test]
fn opening_reads_no_document_and_the_cache_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let mut ids = Vec::new();
    {
        let store = Store::open(dir.path()).unwrap();
        for i in 0..60i64 {
            let id = store.create_doc().unwrap();
            store
                .transact(&id, |tx| {
                    Ok::<_, StoreError>(tx.put(&ObjId::Root, "i", ScalarValue::Int(i))?)
                })
                .unwrap();
            ids.push(id);
        }
    }
    let small = StoreOptions {
        cache_bytes: 4_000,
        ..StoreOptions::default()
    };
    let store = Store::open_with(dir.path(), small).unwrap();
    assert_eq!(store.list_docs().unwrap().len(), 60);
    assert_eq!(
        store.stats().cache.loads,
        0,
        "opening and listing load nothing"
    );
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(
            store.doc(id).unwrap().read().unwrap().to_json(),
            json!({"i": i})
        );
    }
    let stats = store.stats().cache;
    assert_eq!(stats.loads, 60);
    assert!(stats.evictions > 0, "{stats:?}");
    assert!(stats.cached_bytes <= 4_000, "{stats:?}");
    store.doc(&ids[59]).unwrap();
    assert!(store.stats().cache.hits >= 1);
}

//! A store writes as one actor from its creation on, and retires it after a
//! session that may have handed out undurable changes ended uncleanly
//! (SPEC.md §5.7).

use mergedb_engine::format::{ActorId, ObjId};
use mergedb_engine::store::{Durability, MemoryBackend, Store, StoreError, StoreOptions};
use std::path::Path;
use std::sync::Arc;

fn put(store: &Store, id: &mergedb_engine::store::DocId, n: i64) {
    let c = store
        .transact(id, |tx| {
            Ok::<_, StoreError>(tx.put(&ObjId::Root, "n", n)?)
        })
        .unwrap();
    c.ticket.wait().unwrap();
}

#[test]
fn five_opens_with_a_commit_each_give_one_actor_at_seqs_one_to_five() {
    let dir = tempfile::tempdir().unwrap();
    let id = Store::open(dir.path()).unwrap().create_doc().unwrap();
    let mut actors = Vec::new();
    for n in 0..5 {
        let durability = match n % 2 {
            0 => Durability::Immediate,
            _ => Durability::Grouped,
        };
        let options = StoreOptions {
            durability,
            ..StoreOptions::default()
        };
        let store = Store::open_with(dir.path(), options).unwrap();
        put(&store, &id, n);
        actors.push(store.actor());
    }
    let store = Store::open(dir.path()).unwrap();
    let doc = store.doc(&id).unwrap().read().unwrap();
    assert!(actors.iter().all(|a| *a == actors[0]), "{actors:?}");
    assert_eq!(doc.actors(), vec![actors[0]]);
    assert_eq!(doc.last_seq(&actors[0]), 5);
    for seq in 1..=5 {
        assert!(doc.hash_by_seq(&actors[0], seq).is_some());
    }
}

fn grouped() -> StoreOptions {
    StoreOptions {
        durability: Durability::Grouped,
        ..StoreOptions::default()
    }
}

#[test]
fn a_session_that_ends_without_closing_retires_its_actor() {
    let backend = Arc::new(MemoryBackend::new());
    let open = |options| Store::with_backend(backend.clone(), options, Path::new("mem")).unwrap();
    let first = open(grouped());
    let id = first.create_doc().unwrap();
    let actor = first.actor();
    put(&first, &id, 1);
    // The process dies: no clean close runs.
    std::mem::forget(first);
    let second = open(grouped());
    assert_ne!(
        second.actor(),
        actor,
        "the actor of an unclean session is reused"
    );
    put(&second, &id, 2);
    let kept = second.actor();
    drop(second);
    // A clean close keeps the actor for the next session.
    let third = open(StoreOptions::default());
    assert_eq!(third.actor(), kept);
}

#[test]
fn an_unclean_immediate_session_keeps_its_actor_and_an_explicit_actor_wins() {
    let backend = Arc::new(MemoryBackend::new());
    let open = |options| Store::with_backend(backend.clone(), options, Path::new("mem")).unwrap();
    let first = open(StoreOptions::default());
    let id = first.create_doc().unwrap();
    let actor = first.actor();
    put(&first, &id, 1);
    // Immediate commits hand out only durable changes: nothing to retire.
    std::mem::forget(first);
    assert_eq!(open(StoreOptions::default()).actor(), actor);
    let mine = ActorId::new(&[7; 16]).unwrap();
    let options = StoreOptions {
        actor: Some(mine),
        ..grouped()
    };
    let store = open(options);
    assert_eq!(store.actor(), mine);
    put(&store, &id, 2);
    drop(store);
    assert_eq!(open(StoreOptions::default()).actor(), actor);
}

#[test]
fn a_corrupt_actor_record_is_refused_and_left_alone() {
    use mergedb_engine::store::{Backend, Batch};
    let backend = Arc::new(MemoryBackend::new());
    drop(Store::with_backend(backend.clone(), StoreOptions::default(), Path::new("m")).unwrap());
    let mut b = Batch::new();
    b.put(b"A".to_vec(), vec![9, 1, 1]);
    backend.write(&b, true).unwrap();
    let err =
        Store::with_backend(backend.clone(), StoreOptions::default(), Path::new("m")).unwrap_err();
    assert!(matches!(err, StoreError::BadStoreRecord { .. }), "{err}");
    assert_eq!(backend.get(b"A").unwrap(), Some(vec![9, 1, 1]));
}

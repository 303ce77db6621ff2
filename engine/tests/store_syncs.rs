//! Sync between two stores (SPEC.md §6A): each keeps its peer's shared heads,
//! so after both restart one keystroke costs one change on the wire, not the
//! history; what a peer sends is durable before it is acknowledged.

use mergedb_engine::format::{ObjId, ObjType};
use mergedb_engine::store::{DocId, Durability, Store, StoreError, StoreOptions};
use std::path::Path;

fn open(dir: &Path) -> Store {
    let options = StoreOptions {
        durability: Durability::Grouped,
        ..StoreOptions::default()
    };
    Store::open_with(dir, options).unwrap()
}

/// Syncs until neither side has anything to say; (messages, changes that
/// were new to their receiver).
fn sync(a: &Store, b: &Store, id: &DocId) -> (usize, usize) {
    let (mut messages, mut changes) = (0, 0);
    loop {
        let mut quiet = true;
        for (from, to, name) in [(a, b, &b"a"[..]), (b, a, &b"b"[..])] {
            let peer_of_from = if name == b"a" { &b"b"[..] } else { &b"a"[..] };
            if let Some(m) = from.generate_sync_message(id, peer_of_from).unwrap() {
                quiet = false;
                messages += 1;
                changes += to.receive_sync_message(id, name, m).unwrap().applied.len();
            }
        }
        assert!(messages < 50);
        if quiet {
            return (messages, changes);
        }
    }
}

fn type_text(store: &Store, id: &DocId, text: &ObjId, s: &str) {
    for c in s.chars() {
        store
            .transact(id, |tx| {
                let len = tx.length(text)?;
                Ok::<_, StoreError>(tx.splice_text(text, len, 0, &c.to_string())?)
            })
            .unwrap();
    }
}

#[test]
fn a_restarted_pair_resumes_without_resending_history() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (id, text) = {
        let (a, b) = (open(da.path()), open(db.path()));
        let (id, c) = a
            .create_doc_with(None, |tx| {
                Ok::<_, StoreError>(tx.put_object(&ObjId::Root, "notes", ObjType::Text)?)
            })
            .unwrap();
        type_text(&a, &id, &c.value, "squats 5x5");
        b.create_doc_as(id).unwrap();
        let (_, changes) = sync(&a, &b, &id);
        assert_eq!(changes, 11, "every change once");
        // Concurrent edits on both sides.
        type_text(&b, &id, &c.value, "!");
        type_text(&a, &id, &c.value, "?");
        let (_, changes) = sync(&a, &b, &id);
        assert_eq!(changes, 2);
        assert_eq!(
            a.doc(&id).unwrap().to_json().unwrap(),
            b.doc(&id).unwrap().to_json().unwrap()
        );
        (id, c.value)
    };
    // Both restart; the stored shared heads survive.
    let (a, b) = (open(da.path()), open(db.path()));
    a.verify().unwrap();
    b.verify().unwrap();
    // B's first word names the heads it last synced at, with an empty filter:
    // nothing since. Without the stored state it would summarise everything.
    let first = b.generate_sync_message(&id, b"a").unwrap().unwrap();
    assert_eq!(
        first.have[0].last_sync,
        b.doc(&id).unwrap().heads().unwrap()
    );
    assert_eq!(first.have[0].bloom.entries(), 0);
    b.disconnect(&id, b"a");
    type_text(&a, &id, &text, ".");
    let (messages, changes) = sync(&a, &b, &id);
    assert_eq!(changes, 1, "the keystroke, and nothing of the history");
    // A new connection: each side's heads and filter, the change, its
    // acknowledgement.
    assert!(messages <= 4, "{messages} messages");
    assert_eq!(
        a.doc(&id).unwrap().heads().unwrap(),
        b.doc(&id).unwrap().heads().unwrap()
    );
    // Reopened again, B has the keystroke: it was durable before B answered.
    drop(b);
    let b = open(db.path());
    assert_eq!(
        a.doc(&id).unwrap().heads().unwrap(),
        b.doc(&id).unwrap().heads().unwrap()
    );
}

#[test]
fn a_bad_message_changes_nothing() {
    let store = Store::in_memory(StoreOptions::default()).unwrap();
    let id = store.create_doc().unwrap();
    let m = mergedb_engine::format::sync::Message {
        version: mergedb_engine::format::sync::Version::V1,
        heads: vec![],
        need: vec![],
        have: vec![],
        changes: vec![vec![0xde, 0xad]],
        flags: None,
        extension: 0,
    };
    assert!(store.receive_sync_message(&id, b"peer", m).is_err());
    assert_eq!(store.doc(&id).unwrap().heads().unwrap(), vec![]);
    store.verify().unwrap();
    assert!(store.generate_sync_message(&id, b"peer").unwrap().is_some());
}

#[test]
fn oversized_messages_and_endless_queues_are_refused() {
    use mergedb_engine::format::{ActorId, Change, ChangeHash};
    use mergedb_engine::{Document, EngineError};
    let options = StoreOptions {
        max_message_bytes: 100,
        ..StoreOptions::default()
    };
    let store = Store::in_memory(options).unwrap();
    let id = store.create_doc().unwrap();
    let err = store
        .receive_sync_bytes(&id, b"p", &[0x42; 101])
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::MessageTooLarge {
                len: 101,
                limit: 100
            }
        ),
        "{err}"
    );
    let err = store.receive_sync_bytes(&id, b"p", &[0x42, 1]).unwrap_err();
    assert!(matches!(err, StoreError::BadMessage(_)), "{err}");
    // Changes whose deps never come: the queue stops at its limit, and the
    // batch that would pass it is refused whole.
    let mut doc = Document::new();
    doc.set_queue_limit(10);
    let orphan = |i: u8| Change {
        actor: ActorId::new(&[i + 1]).unwrap(),
        seq: 1,
        start_op: 1,
        time: 0,
        message: None,
        deps: vec![ChangeHash([i; 32])],
        ops: vec![],
        extra: vec![],
    };
    doc.apply_changes((0..10).map(orphan)).unwrap();
    let err = doc.apply_changes([orphan(10)]).unwrap_err();
    assert_eq!(err, EngineError::QueueFull { limit: 10 });
    assert_eq!(doc.missing_deps(&[]).len(), 10);
}

//! No sequence of store calls on one thread waits for itself (SPEC.md §5.8):
//! a read held across a commit, and calls made from inside a transaction.

use mergedb_engine::format::{ObjId, ObjType};
use mergedb_engine::store::{Store, StoreError, StoreOptions};
use mergedb_engine::EngineError;
use serde_json::json;
use std::sync::mpsc;
use std::time::Duration;

/// Runs `f` on a thread and fails the test if it has not returned in 20 s:
/// a deadlock, without hanging the whole suite.
fn within_time(f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(()) => {}
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("deadlocked"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the test thread panicked"),
    }
}

#[test]
fn a_read_held_across_a_commit_neither_blocks_it_nor_sees_it() {
    within_time(|| {
        let store = Store::in_memory(StoreOptions::default()).unwrap();
        let id = store.create_doc().unwrap();
        store
            .transact(&id, |tx| {
                Ok::<_, StoreError>(tx.put(&ObjId::Root, "n", 1)?)
            })
            .unwrap();
        let handle = store.doc(&id).unwrap();
        let before = handle.read().unwrap();
        store
            .transact(&id, |tx| {
                Ok::<_, StoreError>(tx.put(&ObjId::Root, "n", 2)?)
            })
            .unwrap();
        // The guard is a snapshot of the document when it was taken.
        assert_eq!(before.to_json(), json!({"n": 1}));
        assert_eq!(handle.read().unwrap().to_json(), json!({"n": 2}));
        assert_eq!(handle.to_json().unwrap(), json!({"n": 2}));
        before.check();
    });
}

#[test]
fn calls_from_inside_a_transaction_on_its_document_are_refused() {
    within_time(|| {
        let store = Store::in_memory(StoreOptions::default()).unwrap();
        let id = store.create_doc().unwrap();
        let other = store.create_doc().unwrap();
        let s = store.clone();
        let commit = store
            .transact(&id, |tx| {
                tx.put(&ObjId::Root, "a", 1)?;
                let nested = s.transact(&id, |tx| {
                    Ok::<_, StoreError>(tx.put(&ObjId::Root, "b", 2)?)
                });
                assert!(matches!(nested, Err(StoreError::InTransaction(d)) if d == id));
                assert!(matches!(
                    s.doc(&id)?.read(),
                    Err(StoreError::InTransaction(_))
                ));
                assert!(matches!(
                    s.changes_since(&id, &[]),
                    Err(StoreError::InTransaction(_))
                ));
                assert!(matches!(s.compact(&id), Err(StoreError::InTransaction(_))));
                assert!(matches!(
                    s.delete_doc(&id),
                    Err(StoreError::InTransaction(_))
                ));
                // Another document is free.
                s.transact(&other, |tx| {
                    Ok::<_, StoreError>(tx.put(&ObjId::Root, "c", 3)?)
                })?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        assert!(commit.hash.is_some());
        assert_eq!(store.doc(&id).unwrap().to_json().unwrap(), json!({"a": 1}));
        assert_eq!(
            store.doc(&other).unwrap().to_json().unwrap(),
            json!({"c": 3})
        );
        // Once the transaction is over, every call works again.
        store.compact(&id).unwrap();
        store
            .transact(&id, |tx| {
                Ok::<_, StoreError>(tx.put(&ObjId::Root, "b", 2)?)
            })
            .unwrap();
    });
}

/// An app's own error type: the store's errors convert into it.
#[derive(Debug)]
enum AppError {
    Store(StoreError),
    TooLong(usize),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::Store(e)
    }
}

impl From<EngineError> for AppError {
    fn from(e: EngineError) -> Self {
        AppError::Store(e.into())
    }
}

#[test]
fn a_transaction_returns_its_value_and_the_apps_error() {
    let store = Store::in_memory(StoreOptions::default()).unwrap();
    let id = store.create_doc().unwrap();
    let commit = store
        .transact(&id, |tx| {
            let list = tx.put_object(&ObjId::Root, "sets", ObjType::List)?;
            tx.insert(&list, 0, 5)?;
            Ok::<_, AppError>(list)
        })
        .unwrap();
    let list = commit.value;
    assert_eq!(store.doc(&id).unwrap().length(&list).unwrap(), 1);
    let err = store
        .transact(&id, |tx| {
            tx.insert(&list, 1, 6)?;
            let n = tx.length(&list)?;
            match n > 1 {
                true => Err(AppError::TooLong(n)),
                false => Ok(()),
            }
        })
        .unwrap_err();
    assert!(matches!(err, AppError::TooLong(2)));
    assert_eq!(store.doc(&id).unwrap().length(&list).unwrap(), 1);
    let missing = mergedb_engine::store::DocId([9; 16]);
    let err = store
        .transact(&missing, |_| Ok::<_, AppError>(()))
        .unwrap_err();
    assert!(matches!(err, AppError::Store(StoreError::NoSuchDoc(_))));
}

#[test]
fn a_commit_records_the_time_and_its_message() {
    use mergedb_engine::CommitOptions;
    let store = Store::in_memory(StoreOptions::default()).unwrap();
    let id = store.create_doc().unwrap();
    let before = mergedb_engine::now_seconds();
    store
        .transact(&id, |tx| {
            Ok::<_, StoreError>(tx.put(&ObjId::Root, "n", 1)?)
        })
        .unwrap();
    let options = CommitOptions::default()
        .with_message("squat PR")
        .with_time(1_700_000_000);
    store
        .transact_with(&id, options, |tx| {
            Ok::<_, StoreError>(tx.put(&ObjId::Root, "n", 2)?)
        })
        .unwrap();
    let changes = store.changes_since(&id, &[]).unwrap();
    assert!(changes[0].time >= before && changes[0].time <= mergedb_engine::now_seconds());
    assert_eq!(changes[0].message, None);
    assert_eq!(changes[1].time, 1_700_000_000);
    assert_eq!(changes[1].message.as_deref(), Some("squat PR"));
}

//! Eight threads commit to one shared document and to one document each: no
//! update is lost, and every document's history is valid, before and after
//! reopening.

use mergedb_engine::format::{ObjId, ScalarValue};
use mergedb_engine::store::{Durability, Store, StoreError, StoreOptions};
use serde_json::json;

const THREADS: usize = 8;
const COMMITS: i64 = 60;

#[test]
fn threads_lose_no_update() {
    let dir = tempfile::tempdir().unwrap();
    let grouped = StoreOptions {
        durability: Durability::Grouped,
        ..StoreOptions::default()
    };
    let store = Store::open_with(dir.path(), grouped).unwrap();
    let shared = store.create_doc().unwrap();
    store
        .transact(&shared, |tx| {
            Ok::<_, StoreError>(tx.put(&ObjId::Root, "n", ScalarValue::Counter(0))?)
        })
        .unwrap();
    let own: Vec<_> = (0..THREADS).map(|_| store.create_doc().unwrap()).collect();
    std::thread::scope(|s| {
        for (t, mine) in own.iter().enumerate() {
            let store = store.clone();
            s.spawn(move || {
                for i in 0..COMMITS {
                    store
                        .transact(&shared, |tx| {
                            Ok::<_, StoreError>(tx.increment(&ObjId::Root, "n", 1)?)
                        })
                        .unwrap();
                    store
                        .transact(mine, |tx| {
                            Ok::<_, StoreError>(tx.put(&ObjId::Root, "last", i)?)
                        })
                        .unwrap();
                    if i % 20 == 0 {
                        store
                            .transact(mine, |tx| {
                                Ok::<_, StoreError>(tx.put(&ObjId::Root, "thread", t as i64)?)
                            })
                            .unwrap();
                    }
                }
            });
        }
    });
    store.flush().unwrap();
    let check = |store: &Store| {
        let doc = store.doc(&shared).unwrap();
        assert_eq!(
            doc.read().unwrap().to_json(),
            json!({"n": THREADS as i64 * COMMITS})
        );
        doc.read().unwrap().check();
        for (t, mine) in own.iter().enumerate() {
            let doc = store.doc(mine).unwrap();
            assert_eq!(
                doc.read().unwrap().to_json(),
                json!({"last": COMMITS - 1, "thread": t})
            );
            doc.read().unwrap().check();
        }
    };
    check(&store);
    drop(store);
    check(&Store::open(dir.path()).unwrap());
}

/// Threads may share a store: it is `Send + Sync` (a compile-time check).
#[test]
fn store_is_send_and_sync() {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<Store>();
    shareable::<mergedb_engine::store::Ticket>();
}

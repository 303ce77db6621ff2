//! The worker, against a real store: it compacts a document whose log passed
//! the threshold, leaves one below it alone, and stops when dropped.

use mergedb_compaction::{Config, Worker};
use mergedb_engine::format::{ObjId, ScalarValue};
use mergedb_engine::store::{DocId, Store, StoreError};
use std::time::{Duration, Instant};

fn commits(store: &Store, doc: &DocId, n: i64) {
    for i in 0..n {
        store
            .transact(doc, |tx| {
                Ok::<_, StoreError>(tx.put(&ObjId::Root, "n", ScalarValue::Int(i))?)
            })
            .unwrap();
    }
}

#[test]
fn the_worker_compacts_what_the_policy_chooses() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let busy = store.create_doc().unwrap();
    let quiet = store.create_doc().unwrap();
    commits(&store, &busy, 50);
    commits(&store, &quiet, 5);
    let config = Config {
        min_records: 20,
        min_bytes: u64::MAX,
        max_per_round: 4,
        interval: Duration::from_millis(5),
    };
    let worker = Worker::start(store.clone(), config);
    // Waits for the worker, with a bound so that a broken one fails the test.
    let deadline = Instant::now() + Duration::from_secs(60);
    while worker.stats().compactions == 0 {
        assert!(
            Instant::now() < deadline,
            "no compaction: {:?}",
            worker.stats()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(worker);
    let logs: Vec<_> = store.log_stats();
    let records = |d: &DocId| logs.iter().find(|(id, _)| id == d).map(|(_, l)| l.records);
    assert_eq!(records(&busy), Some(0));
    assert_eq!(records(&quiet), Some(5));
    let report = store.verify().unwrap();
    assert_eq!((report.snapshots, report.changes), (1, 5));
    assert_eq!(store.stats().compactions, 1);
}

#[test]
fn dropping_the_worker_stops_it() {
    let store = Store::in_memory(Default::default()).unwrap();
    let worker = Worker::start(
        store,
        Config {
            interval: Duration::from_secs(3600),
            ..Config::default()
        },
    );
    // It waits an hour between rounds, so only the stop can end it this soon.
    drop(worker);
}

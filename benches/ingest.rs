//! Ingesting automerge-paper into a store as 259,778 one-keystroke commits.
//!
//! - `grouped/1` and `grouped/4`: `Durability::Grouped`, with 1 or 4 writer
//!   threads (each thread its own document, the whole trace each), ending with
//!   `flush()`, so the time is to everything durable;
//! - `immediate/1000`: the first 1,000 keystrokes with `Durability::Immediate`,
//!   one fsync per commit.
//!
//! Each run also prints fsyncs per commit and bytes on disk per change.
//!
//!     cargo bench --bench ingest

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use mergedb::engine::format::{ObjId, ObjType};
use mergedb::engine::store::{DocId, Durability, Store, StoreError, StoreOptions};
use mergedb_traces::trace::{Patch, Trace};
use std::path::Path;
use std::time::Duration;

fn open(dir: &Path, durability: Durability) -> Store {
    let options = StoreOptions {
        durability,
        ..StoreOptions::default()
    };
    Store::open_with(dir, options).unwrap()
}

/// Replays `txns` into a new document of `store`, one commit per txn.
fn ingest(store: &Store, txns: &[Vec<Patch>]) -> DocId {
    let id = store.create_doc().unwrap();
    let mut text = ObjId::Root;
    store
        .transact(&id, |tx| {
            text = tx.put_object(&ObjId::Root, "text", ObjType::Text)?;
            Ok::<_, StoreError>(())
        })
        .unwrap();
    for txn in txns {
        store
            .transact(&id, |tx| {
                Ok::<_, StoreError>(
                    txn.iter()
                        .try_for_each(|p| tx.splice_text(&text, p.pos, p.del, &p.ins))?,
                )
            })
            .unwrap();
    }
    id
}

fn ingest_threads(dir: &Path, txns: &[Vec<Patch>], threads: usize) -> Store {
    let store = open(dir, Durability::Grouped);
    std::thread::scope(|s| {
        for _ in 0..threads {
            let store = store.clone();
            s.spawn(move || ingest(&store, txns));
        }
    });
    store.flush().unwrap();
    store
}

fn report(name: &str, dir: &Path, store: &Store, commits: usize) {
    let bytes = std::fs::metadata(dir.join("mergedb.redb")).map_or(0, |m| m.len());
    let fsyncs = store.stats().group_fsyncs;
    println!(
        "{name}: {commits} commits, {fsyncs} group fsyncs ({:.6} per commit), {bytes} bytes on disk ({:.0} per change)",
        fsyncs as f64 / commits as f64,
        bytes as f64 / commits as f64
    );
}

fn bench(c: &mut Criterion) {
    let trace = Trace::load(&Trace::default_path()).expect("the trace (set MERGEDB_TRACE)");
    let mut group = c.benchmark_group("ingest");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(15));
    for threads in [1, 4] {
        let dir = tempfile::tempdir().unwrap();
        let store = ingest_threads(dir.path(), &trace.txns, threads);
        let doc = store.list_docs().unwrap()[0];
        let handle = store.doc(&doc).unwrap();
        let (_, text) = handle.get(&ObjId::Root, "text").unwrap().unwrap();
        assert_eq!(handle.text(&text).unwrap(), trace.end_content);
        report(
            &format!("grouped/{threads}"),
            dir.path(),
            &store,
            threads * trace.txns.len(),
        );
        drop(store);
        group.bench_function(format!("grouped/{threads}"), |b| {
            b.iter_batched(
                || tempfile::tempdir().unwrap(),
                |dir| ingest_threads(dir.path(), &trace.txns, threads),
                BatchSize::PerIteration,
            );
        });
    }
    let sample = &trace.txns[..1000];
    group.bench_function("immediate/1000", |b| {
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |dir| ingest(&open(dir.path(), Durability::Immediate), sample),
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

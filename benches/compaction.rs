//! Compacting automerge-paper (259,778 changes) beside automerge's `save()`:
//!
//! - `mergedb/snapshot`: `Document::save`, the snapshot of the whole document,
//!   from the history columns it keeps as it grows (SPEC.md §4.5);
//! - `mergedb/snapshot_cold`: the same, with the columns built whole first,
//!   as the first save after a load does;
//! - `mergedb/store_compact`: `Store::compact` of the loaded document: the
//!   snapshot, plus deleting the log it replaces, in one durable batch;
//! - `mergedb/save_automerge`: `Document::save_automerge`, the document in
//!   Automerge's format;
//! - `automerge/save`: `Automerge::save` of the same document.
//!
//! The trace is `MERGEDB_TRACE`, or ../shared/traces/automerge-paper.json.gz.
//!
//!     cargo bench --bench compaction

mod common;

use common::{automerge_local, mergedb_local};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use mergedb::engine::store::{DocId, Store};
use mergedb_traces::trace::Trace;
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let trace = Trace::load(&Trace::default_path()).expect("the trace (set MERGEDB_TRACE)");
    let doc = mergedb_local(&trace);
    let mut group = c.benchmark_group("compaction");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    group.bench_function("mergedb/snapshot", |b| b.iter(|| doc.save().unwrap()));
    // Automerge's format: one document chunk (SPEC.md §4A.5).
    println!("save_automerge: {} bytes", doc.save_automerge().len());
    group.bench_function("mergedb/save_automerge", |b| {
        b.iter(|| doc.save_automerge())
    });
    group.bench_function("mergedb/snapshot_cold", |b| {
        b.iter_batched(
            || {
                let mut cold = doc.clone();
                cold.forget_kept_columns();
                cold
            },
            |cold| cold.save().unwrap(),
            BatchSize::PerIteration,
        );
    });
    // Only now: a quarter of a million decoded changes in memory would slow
    // the snapshot above, which an app does not have beside its document.
    let changes = doc.changes_since(&[]).unwrap();
    drop(doc);
    group.bench_function("mergedb/store_compact", |b| {
        b.iter_batched(
            || {
                // A store whose document is loaded, with its whole log.
                let dir = tempfile::tempdir().unwrap();
                let store = Store::open(dir.path()).unwrap();
                let id: DocId = store.create_doc().unwrap();
                store.apply_changes(&id, changes.clone()).unwrap();
                (dir, store, id)
            },
            |(dir, store, id)| {
                let done = store.compact(&id).unwrap();
                assert_eq!(done.records_removed, changes.len() as u64);
                (dir, store)
            },
            BatchSize::PerIteration,
        );
    });
    let am = automerge_local(&trace);
    group.bench_function("automerge/save", |b| b.iter(|| am.save()));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

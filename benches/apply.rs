//! Replaying automerge-paper (259,778 keystrokes), mergedb beside automerge:
//!
//! - `local`: each trace txn is one transaction and one commit (259,778 changes);
//! - `remote`: the same changes applied to a fresh document as remote changes.
//!
//! The trace is `MERGEDB_TRACE`, or ../shared/traces/automerge-paper.json.gz.
//! Every run checks the final text against the trace's `endContent`.
//!
//!     cargo bench --bench apply

mod common;

use common::{automerge_local, automerge_text, mergedb_local, mergedb_text};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use mergedb::engine::Document;
use mergedb::format::{ActorId, Change};
use mergedb_traces::trace::Trace;
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let trace = Trace::load(&Trace::default_path()).expect("the trace (set MERGEDB_TRACE)");
    let mut group = c.benchmark_group("apply");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));

    group.bench_function("mergedb/local", |b| {
        b.iter_batched(|| (), |()| mergedb_local(&trace), BatchSize::PerIteration);
    });
    let doc = mergedb_local(&trace);
    assert_eq!(mergedb_text(&doc), trace.end_content);
    let changes: Vec<Change> = doc.changes_since(&[]).unwrap();
    drop(doc);
    group.bench_function("mergedb/remote", |b| {
        b.iter_batched(
            || changes.clone(),
            |changes| {
                let mut doc = Document::with_actor(ActorId::new(&[2; 16]).unwrap());
                doc.apply_changes(changes).unwrap();
                doc
            },
            BatchSize::PerIteration,
        );
    });
    let mut doc = Document::new();
    doc.apply_changes(changes).unwrap();
    assert_eq!(mergedb_text(&doc), trace.end_content);
    drop(doc);

    group.bench_function("automerge/local", |b| {
        b.iter_batched(|| (), |()| automerge_local(&trace), BatchSize::PerIteration);
    });
    let doc = automerge_local(&trace);
    assert_eq!(automerge_text(&doc), trace.end_content);
    let am_changes: Vec<automerge::Change> = doc.get_changes(&[]);
    group.bench_function("automerge/remote", |b| {
        b.iter_batched(
            || am_changes.clone(),
            |changes| {
                let mut doc = automerge::Automerge::new();
                doc.apply_changes(changes).unwrap();
                doc
            },
            BatchSize::PerIteration,
        );
    });
    let mut fresh = automerge::Automerge::new();
    fresh.apply_changes(am_changes).unwrap();
    assert_eq!(automerge_text(&fresh), trace.end_content);
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

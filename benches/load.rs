//! Loading automerge-paper (259,778 changes) beside automerge:
//!
//! - `mergedb/open_and_read`: open the store, open the compacted document from
//!   its snapshot's state section, and read the text (no history decoded);
//! - `mergedb/full_load`: open the store and load the document whole, history
//!   and all, ready to merge;
//! - `mergedb/document_load`: `Document::load` of the snapshot bytes alone;
//! - `mergedb/load_automerge`: `Document::load_automerge` of automerge's
//!   `save()`;
//! - `automerge/load` and `automerge/load_and_read`: `Automerge::load` of the
//!   bytes of its `save()`, then reading the text.
//!
//! The trace is `MERGEDB_TRACE`, or ../shared/traces/automerge-paper.json.gz.
//!
//!     cargo bench --bench load

mod common;

use automerge::ReadDoc;
use common::{automerge_local, mergedb_local, mergedb_text};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use mergedb::engine::format::{ActorId, ObjId};
use mergedb::engine::store::{DocId, Store};
use mergedb::engine::Document;
use mergedb_traces::trace::Trace;
use std::path::Path;
use std::time::Duration;

/// A store at `dir` holding the document, compacted: a snapshot, no log.
fn compacted_store(dir: &Path, doc: &Document) -> DocId {
    let store = Store::open(dir).unwrap();
    let id = store.create_doc().unwrap();
    store
        .apply_changes(&id, doc.changes_since(&[]).unwrap())
        .unwrap();
    store.compact(&id).unwrap();
    id
}

fn read_text(store: &Store, id: &DocId) -> String {
    let handle = store.doc(id).unwrap();
    let (_, text) = handle.get(&ObjId::Root, "text").unwrap().unwrap();
    handle.text(&text).unwrap()
}

fn bench(c: &mut Criterion) {
    let trace = Trace::load(&Trace::default_path()).expect("the trace (set MERGEDB_TRACE)");
    let doc = mergedb_local(&trace);
    let bytes = doc.save().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let id = compacted_store(dir.path(), &doc);
    drop(doc);
    let am = automerge_local(&trace);
    let am_bytes = am.save();
    drop(am);
    println!(
        "snapshot: mergedb {} bytes, automerge save() {} bytes",
        bytes.len(),
        am_bytes.len()
    );

    let mut group = c.benchmark_group("load");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    // Closing the store (stopping its writer thread, closing redb) is left
    // out of the timing: an app opens once and reads.
    // Batches of one: a store is dropped before the next opens it.
    group.bench_function("mergedb/open_and_read", |b| {
        b.iter_batched(
            || (),
            |()| {
                let store = Store::open(dir.path()).unwrap();
                let text = read_text(&store, &id);
                (store, text)
            },
            BatchSize::PerIteration,
        );
    });
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(read_text(&store, &id), trace.end_content);
    assert_eq!(store.stats().history_loads, 0, "the state alone answers");
    drop(store);
    group.bench_function("mergedb/full_load", |b| {
        b.iter_batched(
            || (),
            |()| {
                let store = Store::open(dir.path()).unwrap();
                let handle = store.doc(&id).unwrap();
                let n = handle.read().unwrap().change_count();
                (handle, store, n)
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function("mergedb/document_load", |b| {
        b.iter_with_large_drop(|| Document::load(&bytes, ActorId::new(&[3; 16]).unwrap()).unwrap());
    });
    let loaded = Document::load(&bytes, ActorId::new(&[3; 16]).unwrap()).unwrap();
    assert_eq!(mergedb_text(&loaded), trace.end_content);
    drop(loaded);
    // automerge's own file, loaded by mergedb (SPEC.md §4A.5).
    group.bench_function("mergedb/load_automerge", |b| {
        b.iter_with_large_drop(|| {
            Document::load_automerge(&am_bytes, ActorId::new(&[3; 16]).unwrap()).unwrap()
        });
    });
    group.bench_function("automerge/load", |b| {
        b.iter_with_large_drop(|| automerge::Automerge::load(&am_bytes).unwrap());
    });
    group.bench_function("automerge/load_and_read", |b| {
        b.iter_with_large_drop(|| {
            let doc = automerge::Automerge::load(&am_bytes).unwrap();
            let (_, text) = doc.get(automerge::ROOT, "text").unwrap().unwrap();
            let text = doc.text(&text).unwrap();
            (doc, text)
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Many small documents, as automerge-repo apps keep them: 10,000 documents,
//! each made with its first commit and given nine more one-key commits, with
//! `Durability::Grouped`, ending when everything is durable.
//!
//! - `many_docs/ingest`: the 100,000 commits across the documents;
//! - `many_docs/open`: opening the store of 10,000 documents and reading one;
//! - `many_docs/open_100`: the same for a store of 100 such documents, beside
//!   it, to show that opening does not grow with the number of documents.
//!
//! Each run prints commits per second and bytes on disk per document, before
//! and after compacting every document.
//!
//!     cargo bench --bench many_docs

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use mergedb::engine::format::ObjId;
use mergedb::engine::store::{DocId, Durability, Store, StoreError, StoreOptions};
use std::path::Path;
use std::time::{Duration, Instant};

const DOCS: usize = 10_000;
const COMMITS: i64 = 10;

fn options() -> StoreOptions {
    StoreOptions {
        durability: Durability::Grouped,
        ..StoreOptions::default()
    }
}

fn ingest(dir: &Path) -> Vec<DocId> {
    ingest_n(dir, DOCS)
}

fn ingest_n(dir: &Path, docs: usize) -> Vec<DocId> {
    let store = Store::open_with(dir, options()).unwrap();
    let mut ids = Vec::with_capacity(docs);
    let mut last = None;
    for _ in 0..docs {
        let (id, c) = store
            .create_doc_with(None, |tx| {
                Ok::<_, StoreError>(tx.put(&ObjId::Root, "reps", 0)?)
            })
            .unwrap();
        last = Some(c.ticket);
        for i in 1..COMMITS {
            let c = store
                .transact(&id, |tx| {
                    Ok::<_, StoreError>(tx.put(&ObjId::Root, "reps", i)?)
                })
                .unwrap();
            last = Some(c.ticket);
        }
        ids.push(id);
    }
    if let Some(t) = last {
        t.wait().unwrap();
    }
    ids
}

fn per_doc(dir: &Path) -> f64 {
    let bytes = std::fs::metadata(dir.join("mergedb.redb")).map_or(0, |m| m.len());
    bytes as f64 / DOCS as f64
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let ids = ingest(dir.path());
    let rate = (DOCS as f64 * COMMITS as f64) / t.elapsed().as_secs_f64();
    let before = per_doc(dir.path());
    {
        let store = Store::open_with(dir.path(), options()).unwrap();
        for id in &ids {
            store.compact(id).unwrap();
        }
    }
    println!(
        "{DOCS} documents x {COMMITS} commits: {rate:.0} commits/s; {before:.0} bytes per document, {:.0} after compacting all",
        per_doc(dir.path())
    );

    let mut group = c.benchmark_group("many_docs");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    group.bench_function("ingest", |b| {
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |d| {
                ingest(d.path());
                d
            },
            BatchSize::PerIteration,
        );
    });
    let open_and_read = |b: &mut criterion::Bencher<'_>, dir: &Path, one: DocId| {
        b.iter(|| {
            let store = Store::open_with(dir, options()).unwrap();
            let json = store.doc(&one).unwrap().to_json().unwrap();
            (store, json)
        });
    };
    group.bench_function("open", |b| open_and_read(b, dir.path(), ids[DOCS / 2]));
    let small = tempfile::tempdir().unwrap();
    let few = ingest_n(small.path(), 100);
    group.bench_function("open_100", |b| open_and_read(b, small.path(), few[50]));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

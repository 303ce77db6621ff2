//! Sync over loopback WebSocket, server and client each on a redb store of
//! its own, through `mergedb_net::ws` as an app uses it:
//!
//! - `network/paper_to_empty`: automerge-paper (259,778 changes) from a
//!   `serve`d store to an empty one, until both hold the same changes;
//! - `network/reconnect_all_10000`: 10,000 small documents in sync, 10 of
//!   them changed on the server, and a client that syncs every document,
//!   as automerge-repo does on connect;
//! - `network/reconnect_changed_10`: the same, syncing the 10 changed ones,
//!   the floor;
//! - `network/reconnect_digest_10000`: the same between paired mergedb
//!   devices over TLS, naming every document: the server lists the changed
//!   ones (§6B.8), and only those are synced.
//!
//! Each prints bytes on the wire (sync message bytes, both ways) once,
//! before timing.
//!
//!     cargo bench --bench network

mod common;

use common::mergedb_local;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use mergedb::engine::format::ObjId;
use mergedb::engine::store::{DocId, Durability, Store, StoreError, StoreOptions};
use mergedb_net::identity::{self, Identity};
use mergedb_net::ws::{self, ServeOptions};
use mergedb_net::{Access, DocReport};
use mergedb_traces::trace::Trace;
use std::collections::BTreeMap;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(600);

fn grouped() -> StoreOptions {
    StoreOptions {
        durability: Durability::Grouped,
        ..StoreOptions::default()
    }
}

fn serve(rt: &tokio::runtime::Runtime, store: &Store) -> String {
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    rt.spawn(ws::serve(
        store.clone(),
        listener,
        ServeOptions::unpaired_on_loopback(),
    ));
    url
}

fn wire_bytes(report: &BTreeMap<DocId, DocReport>) -> (usize, usize) {
    report
        .values()
        .fold((0, 0), |(i, o), r| (i + r.bytes_in, o + r.bytes_out))
}

fn paper(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let trace = Trace::load(&Trace::default_path()).expect("the trace (MERGEDB_TRACE)");
    let saved = mergedb_local(&trace).save_automerge();
    let dir = tempfile::tempdir().unwrap();
    let server = Store::open(dir.path()).unwrap();
    let (id, ticket) = server.import_automerge(None, &saved).unwrap();
    ticket.wait().unwrap();
    let url = serve(rt, &server);
    let empty = || {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with(dir.path(), grouped()).unwrap();
        (dir, store)
    };
    let (_d, store) = empty();
    let report = rt.block_on(ws::sync(&store, &url, vec![id], WAIT)).unwrap();
    let (i, o) = wire_bytes(&report);
    eprintln!(
        "network paper_to_empty: {} changes in, {i} bytes in, {o} bytes out",
        report[&id].changes_in
    );
    let mut g = c.benchmark_group("network");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("paper_to_empty", |b| {
        b.iter_batched(
            empty,
            |(dir, store)| {
                rt.block_on(ws::sync(&store, &url, vec![id], WAIT)).unwrap();
                (dir, store)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

const DOCS: usize = 10_000;

fn put(store: &Store, id: &DocId, value: i64) {
    store
        .transact(id, |tx| {
            Ok::<_, StoreError>(tx.put(&ObjId::Root, "reps", value)?)
        })
        .unwrap();
}

fn many(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let (sd, cd) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = Store::open_with(sd.path(), grouped()).unwrap();
    let client = Store::open_with(cd.path(), grouped()).unwrap();
    let ids: Vec<DocId> = (0..DOCS)
        .map(|_| {
            let id = server.create_doc().unwrap();
            put(&server, &id, 0);
            id
        })
        .collect();
    let id_of = |s: &Store| Identity::of_store(s).unwrap().id();
    identity::pair(&server, &id_of(&client), &Access::all()).unwrap();
    identity::pair(&client, &id_of(&server), &Access::all()).unwrap();
    // One port serves both: plain for automerge-repo's way, TLS for the
    // paired device's.
    let url = serve(rt, &server);
    let tls = url.replace("ws://", "wss://");
    rt.block_on(ws::sync(&client, &url, ids.clone(), WAIT))
        .unwrap();
    let mut round = 0i64;
    let mut change_ten = || {
        round += 1;
        for id in ids.iter().step_by(DOCS / 10) {
            put(&server, id, round);
        }
    };
    let changed: Vec<DocId> = ids.iter().step_by(DOCS / 10).copied().collect();
    let runs = [
        ("all_10000", &ids, &url),
        ("changed_10", &changed, &url),
        ("digest_10000", &ids, &tls),
    ];
    for (name, docs, url) in runs {
        change_ten();
        let report = rt
            .block_on(ws::sync(&client, url, docs.clone(), WAIT))
            .unwrap();
        let (i, o) = wire_bytes(&report);
        let moved: usize = report.values().map(|r| r.changes_in).sum();
        eprintln!("network reconnect_{name}: {moved} changes in, {i} bytes in, {o} bytes out");
    }
    let mut g = c.benchmark_group("network");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    for (name, docs, url) in runs {
        g.bench_function(format!("reconnect_{name}"), |b| {
            b.iter_batched(
                &mut change_ten,
                |()| {
                    rt.block_on(ws::sync(&client, url, docs.clone(), WAIT))
                        .unwrap()
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    paper(c, &rt);
    many(c, &rt);
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Sync beside automerge 0.12, on automerge-paper (259,778 changes):
//!
//! - `paper_to_empty`: the whole document to a peer that has nothing, until
//!   neither side has anything to say;
//! - `one_keystroke`: one more keystroke between peers already in sync;
//! - `concurrent/NAME`: the two concurrent traces of
//!   `../shared/traces/concurrent`, one peer holding what agent 0 saw and the
//!   other what the other agents saw, synced until they converge.
//!
//! Each prints its bytes on the wire and messages once, before timing. Both
//! send Automerge's bytes (a peer with nothing gets one V2 document), so the
//! figures compare like with like. `one_keystroke` times the keystroke's
//! commit and its sync, on each side alike.
//!
//!     cargo bench --bench sync

mod common;

use automerge::sync::{State, SyncDoc};
use common::{automerge_local, mergedb_local};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use mergedb::engine::format::sync::Message;
use mergedb::engine::format::{ActorId, ObjId};
use mergedb::engine::{Document, SyncState};
use mergedb_traces::concurrent::ConcurrentTrace;
use mergedb_traces::trace::Trace;
use std::time::Duration;

/// Syncs two mergedb documents to quiet; (messages, bytes).
fn sync_mergedb(docs: &mut [Document; 2], states: &mut [SyncState; 2]) -> (usize, usize) {
    let (mut messages, mut bytes) = (0, 0);
    loop {
        let mut quiet = true;
        for i in 0..2 {
            if let Some(m) = docs[i].generate_sync_message(&mut states[i]) {
                quiet = false;
                let wire = m.encode();
                messages += 1;
                bytes += wire.len();
                let m = Message::decode(&wire).unwrap();
                docs[1 - i]
                    .receive_sync_message(&mut states[1 - i], m)
                    .unwrap();
            }
        }
        if quiet {
            return (messages, bytes);
        }
    }
}

fn sync_automerge(docs: &mut [automerge::Automerge; 2], states: &mut [State; 2]) -> (usize, usize) {
    let (mut messages, mut bytes) = (0, 0);
    loop {
        let mut quiet = true;
        for i in 0..2 {
            let msg = docs[i].generate_sync_message(&mut states[i]);
            if let Some(m) = msg {
                quiet = false;
                let wire = m.encode();
                messages += 1;
                bytes += wire.len();
                let m = automerge::sync::Message::decode(&wire).unwrap();
                docs[1 - i]
                    .receive_sync_message(&mut states[1 - i], m)
                    .unwrap();
            }
        }
        if quiet {
            return (messages, bytes);
        }
    }
}

fn bench(c: &mut Criterion) {
    let trace = Trace::load(&Trace::default_path()).expect("the trace (MERGEDB_TRACE)");
    let md = mergedb_local(&trace);
    let am = automerge_local(&trace);
    let md_pair = || {
        [
            md.clone(),
            Document::with_actor(ActorId::new(&[2; 16]).unwrap()),
        ]
    };
    let am_pair = || {
        let empty =
            automerge::Automerge::new().with_actor(automerge::ActorId::from(&[2u8; 16][..]));
        [am.clone(), empty]
    };
    let (m, b) = sync_mergedb(&mut md_pair(), &mut Default::default());
    eprintln!("mergedb paper_to_empty: {m} messages, {b} bytes");
    let (m, b) = sync_automerge(&mut am_pair(), &mut Default::default());
    eprintln!("automerge paper_to_empty: {m} messages, {b} bytes");

    let mut g = c.benchmark_group("sync");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("mergedb/paper_to_empty", |b| {
        b.iter_batched(
            md_pair,
            |mut d| sync_mergedb(&mut d, &mut Default::default()),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("automerge/paper_to_empty", |b| {
        b.iter_batched(
            am_pair,
            |mut d| sync_automerge(&mut d, &mut Default::default()),
            BatchSize::PerIteration,
        )
    });

    // Peers in sync, then one keystroke.
    let mut md_synced = md_pair();
    let mut md_states: [SyncState; 2] = Default::default();
    sync_mergedb(&mut md_synced, &mut md_states);
    let mut am_synced = am_pair();
    let mut am_states: [State; 2] = Default::default();
    sync_automerge(&mut am_synced, &mut am_states);
    let md_key = |docs: &mut [Document; 2]| {
        let (_, text) = docs[0].get(&ObjId::Root, "text").unwrap().unwrap();
        let mut tx = docs[0].transaction();
        tx.splice_text(&text, 0, 0, "x").unwrap();
        tx.commit();
    };
    let am_key = |docs: &mut [automerge::Automerge; 2]| {
        use automerge::transaction::Transactable;
        use automerge::ReadDoc;
        let (_, text) = docs[0].get(automerge::ROOT, "text").unwrap().unwrap();
        let mut tx = docs[0].transaction();
        tx.splice_text(&text, 0, 0, "x").unwrap();
        tx.commit();
    };
    {
        let (mut d, mut s) = (md_synced.clone(), md_states.clone());
        md_key(&mut d);
        let (m, b) = sync_mergedb(&mut d, &mut s);
        eprintln!("mergedb one_keystroke: {m} messages, {b} bytes");
        let (mut d, mut s) = (am_synced.clone(), am_states.clone());
        am_key(&mut d);
        let (m, b) = sync_automerge(&mut d, &mut s);
        eprintln!("automerge one_keystroke: {m} messages, {b} bytes");
    }
    // The same pair of peers types on: each iteration is one more
    // keystroke and the sync of it, as in an editing session (a clone per
    // iteration would time the copy's first growth of every table instead).
    g.bench_function("mergedb/one_keystroke", |b| {
        b.iter(|| {
            md_key(&mut md_synced);
            sync_mergedb(&mut md_synced, &mut md_states)
        })
    });
    g.bench_function("automerge/one_keystroke", |b| {
        b.iter(|| {
            am_key(&mut am_synced);
            sync_automerge(&mut am_synced, &mut am_states)
        })
    });
    g.finish();
    concurrent(c);
}

fn concurrent(c: &mut Criterion) {
    let mut g = c.benchmark_group("sync/concurrent");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    for name in ["friendsforever", "clownschool"] {
        let path = ConcurrentTrace::shared_path(name);
        let Ok(trace) = ConcurrentTrace::load(&path) else {
            eprintln!("no {}: concurrent/{name} skipped", path.display());
            continue;
        };
        let sides = common::concurrent::sides(&trace);
        let md_pair = || {
            [&sides.a, &sides.b].map(|chunks| {
                let mut d = Document::with_actor(ActorId::new(&[9; 16]).unwrap());
                d.apply_chunks(chunks.iter().map(|c| &c[..])).unwrap();
                d
            })
        };
        let am_pair = || {
            [&sides.a, &sides.b].map(|chunks| {
                let mut d = automerge::Automerge::new();
                d.apply_changes(
                    chunks
                        .iter()
                        .map(|c| automerge::Change::from_bytes(c.clone()).unwrap()),
                )
                .unwrap();
                d
            })
        };
        let mut d = md_pair();
        let (m, b) = sync_mergedb(&mut d, &mut Default::default());
        assert_eq!(d[0].heads(), d[1].heads(), "{name}: mergedb converges");
        assert_eq!(common::mergedb_text(&d[0]), trace.end_content);
        eprintln!(
            "mergedb concurrent/{name}: {m} messages, {b} bytes ({} and {} changes)",
            sides.a.len(),
            sides.b.len()
        );
        let mut d = am_pair();
        let (m, b) = sync_automerge(&mut d, &mut Default::default());
        assert_eq!(
            d[0].get_heads(),
            d[1].get_heads(),
            "{name}: automerge converges"
        );
        eprintln!("automerge concurrent/{name}: {m} messages, {b} bytes");
        g.bench_function(format!("mergedb/{name}"), |b| {
            b.iter_batched(
                md_pair,
                |mut d| sync_mergedb(&mut d, &mut Default::default()),
                BatchSize::PerIteration,
            )
        });
        g.bench_function(format!("automerge/{name}"), |b| {
            b.iter_batched(
                am_pair,
                |mut d| sync_automerge(&mut d, &mut Default::default()),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

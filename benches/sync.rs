//! Sync beside automerge 0.12, on automerge-paper (259,778 changes):
//!
//! - `paper_to_empty`: the whole document to a peer that has nothing, until
//!   neither side has anything to say;
//! - `one_keystroke`: one more keystroke between peers already in sync.
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
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! The same sessions synced twice, mergedb to mergedb and automerge to
//! automerge 0.12, over a lossless link: both converge, and mergedb needs no
//! more messages than automerge in any of 1,000 seeded sessions, and ends at
//! automerge's heads, by value.

mod common;

use automerge::sync::{State, SyncDoc};
use common::pair::session_pairs;
use mergedb::engine::SyncState;
use mergedb::format::sync::Message;

fn sync_mergedb(docs: &mut [mergedb::engine::Document; 2]) -> usize {
    let mut states = [SyncState::new(), SyncState::new()];
    let mut messages = 0;
    loop {
        let mut quiet = true;
        for i in 0..2 {
            if let Some(m) = docs[i].generate_sync_message(&mut states[i]) {
                quiet = false;
                messages += 1;
                let m = Message::decode(&m.encode()).unwrap();
                docs[1 - i]
                    .receive_sync_message(&mut states[1 - i], m)
                    .unwrap();
            }
        }
        if quiet || messages > 200 {
            return messages;
        }
    }
}

fn sync_automerge(docs: &mut [automerge::AutoCommit; 2]) -> usize {
    let mut states = [State::new(), State::new()];
    let mut messages = 0;
    loop {
        let mut quiet = true;
        for i in 0..2 {
            let msg = docs[i].sync().generate_sync_message(&mut states[i]);
            if let Some(m) = msg {
                quiet = false;
                messages += 1;
                docs[1 - i]
                    .sync()
                    .receive_sync_message(&mut states[1 - i], m)
                    .unwrap();
            }
        }
        if quiet || messages > 200 {
            return messages;
        }
    }
}

#[test]
fn mergedb_needs_no_more_messages_than_automerge() {
    let (mut ours, mut theirs, mut fewer, mut more) = (0, 0, 0, 0);
    for seed in 0..1000 {
        let mut pairs = session_pairs(seed);
        let (p0, p1) = (pairs.remove(0), pairs.remove(0));
        let mut md = [p0.md, p1.md];
        let mut am = [p0.am, p1.am];
        let (m, a) = (sync_mergedb(&mut md), sync_automerge(&mut am));
        assert_eq!(md[0].heads(), md[1].heads(), "seed {seed}");
        assert_eq!(md[0].to_json(), md[1].to_json(), "seed {seed}");
        assert_eq!(am[0].get_heads(), am[1].get_heads(), "seed {seed}");
        let am_heads: Vec<[u8; 32]> = am[0].get_heads().iter().map(|h| h.0).collect();
        let md_heads: Vec<[u8; 32]> = md[0].heads().iter().map(|h| h.0).collect();
        assert_eq!(md_heads, am_heads, "seed {seed}: heads by value");
        // The same hashes give the same Bloom filters and the same false
        // positives, so a session takes no more messages than automerge's.
        assert!(
            m <= a,
            "seed {seed}: mergedb took {m} messages, automerge {a}"
        );
        fewer += usize::from(m < a);
        more += usize::from(m > a);
        ours += m;
        theirs += a;
    }
    println!(
        "1,000 sessions: mergedb {ours} messages, automerge {theirs}; mergedb fewer on {fewer}, more on {more}"
    );
    assert!(
        ours <= theirs,
        "mergedb {ours} messages, automerge {theirs}"
    );
}

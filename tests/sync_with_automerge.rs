//! A mergedb peer syncing with an automerge 0.12 peer (SPEC.md §6A), on
//! 1,000 seeded sessions: the two start as replicas of a multi-actor session
//! (forks, concurrent edits, partial merges), keep editing while their
//! messages are dropped, duplicated and reordered and either side restarts
//! from its persisted sync state; once messages flow again they converge to
//! the same JSON, conflicts and heads (by value).
//!
//! Each peer is a `Pair`, the same replica in both systems; only its mergedb
//! half (peer 0) or its automerge half (peer 1) speaks on the wire, and its
//! twin is given whatever the wire brought, so every edit stays checkable.

mod common;

use automerge::sync::{Message as AmMessage, State as AmState, SyncDoc};
use common::pair::{session_pairs, Counts, Pair};
use common::Rng;
use mergedb::engine::SyncState;
use mergedb::format::sync::Message;

struct Peers {
    /// The mergedb peer, and the automerge one.
    p: [Pair; 2],
    md_state: SyncState,
    am_state: AmState,
    /// Bytes on the wire to each peer, in no particular order.
    to: [Vec<Vec<u8>>; 2],
}

impl Peers {
    /// Peer `from`'s next message, if it has one.
    fn generate(&mut self, from: usize) -> Option<Vec<u8>> {
        match from {
            0 => self.p[0]
                .md
                .generate_sync_message(&mut self.md_state)
                .map(|m| m.encode()),
            _ => self.p[1]
                .am
                .sync()
                .generate_sync_message(&mut self.am_state)
                .map(|m| m.encode()),
        }
    }

    /// Peer `to` takes `bytes`; its twin gets the changes that brought.
    fn deliver(&mut self, to: usize, bytes: &[u8], context: &str) {
        match to {
            0 => {
                let m = Message::decode(bytes)
                    .unwrap_or_else(|e| panic!("{context}: automerge's message: {e}"));
                let applied = self.p[0]
                    .md
                    .receive_sync_message(&mut self.md_state, m)
                    .unwrap_or_else(|e| panic!("{context}: mergedb refused a message: {e}"));
                let chunks: Vec<u8> = applied
                    .applied
                    .iter()
                    .filter_map(|h| self.p[0].md.change_chunk(h))
                    .flatten()
                    .collect();
                if !chunks.is_empty() {
                    self.p[0].am.load_incremental(&chunks).unwrap();
                }
            }
            _ => {
                let m = AmMessage::decode(bytes)
                    .unwrap_or_else(|e| panic!("{context}: mergedb's message: {e}"));
                let before = self.p[1].am.get_heads();
                self.p[1]
                    .am
                    .sync()
                    .receive_sync_message(&mut self.am_state, m)
                    .unwrap_or_else(|e| panic!("{context}: automerge refused a message: {e}"));
                let new: Vec<Vec<u8>> = self.p[1]
                    .am
                    .get_changes(&before)
                    .iter()
                    .map(|c| c.raw_bytes().to_vec())
                    .collect();
                self.p[1]
                    .md
                    .apply_chunks(new.iter().map(|c| &c[..]))
                    .unwrap();
            }
        }
    }

    /// A restart of peer `i`: its persisted sync state, nothing in flight to it.
    fn restart(&mut self, i: usize) {
        match i {
            0 => self.md_state = SyncState::decode(&self.md_state.encode()).unwrap(),
            _ => self.am_state = AmState::decode(&self.am_state.encode()).unwrap(),
        }
        self.to[i].clear();
    }
}

/// One session; returns the messages the final, lossless phase took.
fn session(seed: u64) -> usize {
    let context = format!("seed {seed}");
    let mut pairs = session_pairs(seed);
    let mut rng = Rng::new(seed ^ 0x5eed);
    if rng.below(4) == 0 {
        // The automerge peer starts with nothing.
        // A new actor: the session's actor 2 may have changes peer 0 holds.
        pairs[1] = Pair::new(&[7]);
    }
    let (p0, p1) = (pairs.remove(0), pairs.remove(0));
    let mut peers = Peers {
        p: [p0, p1],
        md_state: SyncState::new(),
        am_state: AmState::new(),
        to: [Vec::new(), Vec::new()],
    };
    let mut counts = Counts::default();
    for _ in 0..30 {
        let i = rng.below(2);
        match rng.below(8) {
            0 | 1 => peers.p[i].session(&mut rng, &mut counts),
            2 | 3 => {
                if let Some(bytes) = peers.generate(i) {
                    if rng.below(5) == 0 {
                        peers.to[1 - i].push(bytes.clone());
                    }
                    peers.to[1 - i].push(bytes);
                }
            }
            4 | 5 if !peers.to[i].is_empty() => {
                let at = rng.below(peers.to[i].len());
                let bytes = peers.to[i].remove(at);
                peers.deliver(i, &bytes, &context);
            }
            6 if !peers.to[i].is_empty() => {
                let at = rng.below(peers.to[i].len());
                peers.to[i].remove(at);
            }
            _ => peers.restart(i),
        }
    }
    // The connection comes back: both sides start from their persisted state.
    peers.restart(0);
    peers.restart(1);
    let mut messages = 0;
    loop {
        let mut quiet = true;
        for i in 0..2 {
            if let Some(bytes) = peers.generate(i) {
                quiet = false;
                messages += 1;
                peers.deliver(1 - i, &bytes, &context);
            }
        }
        assert!(messages < 100, "{context}: no end to the messages");
        if quiet {
            break;
        }
    }
    let [p0, p1] = peers.p;
    let across = Pair {
        md: p0.md,
        am: p1.am,
    };
    across.check_same(&format!("{context}: mergedb and automerge after sync"));
    messages
}

#[test]
fn a_thousand_lossy_sessions_with_automerge_converge() {
    let total: usize = (0..1000).map(session).sum();
    println!("1,000 mergedb-automerge sessions converged; {total} messages once they flowed again");
}

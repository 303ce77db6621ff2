//! A sync session driven by the input (SPEC.md §6A): two or three mergedb
//! peers edit while the messages between each pair are held, dropped,
//! duplicated and delivered out of order, and peers restart from their
//! persisted sync states. Once every message flows again, the peers must
//! converge to the same heads and JSON within a bounded number of rounds,
//! and every message one peer makes must decode and be taken by the other.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mergedb_engine::format::sync::Message;
use mergedb_engine::format::{ActorId, ObjId, ObjType, ScalarValue};
use mergedb_engine::{Document, SyncState};

#[derive(Arbitrary, Debug)]
enum Step {
    /// A commit of one edit on a peer.
    Edit { peer: u8, what: u8, at: u8 },
    /// A peer's next message to another goes on the wire (twice if `dup`).
    Send { from: u8, to: u8, dup: bool },
    /// One held message to a peer, picked out of order, arrives.
    Deliver { from: u8, to: u8, pick: u8 },
    /// One held message is lost.
    Drop { from: u8, to: u8, pick: u8 },
    /// A peer restarts: its persisted states, nothing in flight to it.
    Restart { peer: u8 },
}

#[derive(Arbitrary, Debug)]
struct Session {
    three: bool,
    steps: Vec<Step>,
}

struct Peers {
    docs: Vec<Document>,
    /// `states[i][j]`: what peer `i` knows of peer `j`.
    states: Vec<Vec<SyncState>>,
    /// `wire[i][j]`: messages from `i` to `j`, held.
    wire: Vec<Vec<Vec<Vec<u8>>>>,
}

fn edit(doc: &mut Document, what: u8, at: u8) {
    let mut tx = doc.transaction();
    let root = ObjId::Root;
    let key = ["a", "b", "c"][usize::from(what % 3)];
    let _ = match what % 5 {
        0 => tx.put(&root, key, i64::from(at)).map(|_| ()),
        1 => tx.delete(&root, key),
        2 | 3 => {
            let text = match tx.get(&root, "text") {
                Ok(Some((_, id))) if tx.object_type(&id).ok() == Some(ObjType::Text) => Ok(id),
                _ => tx.put_object(&root, "text", ObjType::Text),
            };
            text.and_then(|text| {
                let len = tx.length(&text)?;
                let at = usize::from(at) % (len + 1);
                let del = usize::from(what % 2).min(len - at);
                tx.splice_text(&text, at, del, "xy")
            })
        }
        _ => match tx.increment(&root, "n", 1) {
            Ok(()) => Ok(()),
            Err(_) => tx.put(&root, "n", ScalarValue::Counter(0)).map(|_| ()),
        },
    };
    tx.commit();
}

impl Peers {
    fn new(n: usize) -> Self {
        Peers {
            docs: (0..n)
                .map(|i| Document::with_actor(ActorId::new(&[i as u8 + 1]).unwrap()))
                .collect(),
            states: (0..n).map(|_| vec![SyncState::new(); n]).collect(),
            wire: (0..n).map(|_| vec![Vec::new(); n]).collect(),
        }
    }

    fn send(&mut self, from: usize, to: usize) -> Option<Vec<u8>> {
        let m = self.docs[from].generate_sync_message(&mut self.states[from][to])?;
        Some(m.encode())
    }

    fn deliver(&mut self, from: usize, to: usize, bytes: &[u8]) {
        let m = Message::decode(bytes).expect("a peer's message decodes");
        self.docs[to]
            .receive_sync_message(&mut self.states[to][from], m)
            .expect("a peer's message is taken");
    }

    fn restart(&mut self, peer: usize) {
        for s in &mut self.states[peer] {
            *s = SyncState::decode(&s.encode()).expect("a persisted state decodes");
        }
        for from in 0..self.wire.len() {
            self.wire[from][peer].clear();
        }
    }
}

fuzz_target!(|session: Session| {
    let n = if session.three { 3 } else { 2 };
    let mut p = Peers::new(n);
    let pair = |a: u8, b: u8| {
        let a = usize::from(a) % n;
        (a, (a + 1 + usize::from(b) % (n - 1)) % n)
    };
    for step in session.steps.into_iter().take(64) {
        match step {
            Step::Edit { peer, what, at } => edit(&mut p.docs[usize::from(peer) % n], what, at),
            Step::Send { from, to, dup } => {
                let (from, to) = pair(from, to);
                if let Some(bytes) = p.send(from, to) {
                    if dup {
                        p.wire[from][to].push(bytes.clone());
                    }
                    p.wire[from][to].push(bytes);
                }
            }
            Step::Deliver { from, to, pick } => {
                let (from, to) = pair(from, to);
                let held = &mut p.wire[from][to];
                if !held.is_empty() {
                    let bytes = held.remove(usize::from(pick) % held.len());
                    p.deliver(from, to, &bytes);
                }
            }
            Step::Drop { from, to, pick } => {
                let (from, to) = pair(from, to);
                let held = &mut p.wire[from][to];
                if !held.is_empty() {
                    held.remove(usize::from(pick) % held.len());
                }
            }
            Step::Restart { peer } => p.restart(usize::from(peer) % n),
        }
    }
    // The network heals: every peer starts from its persisted states, and
    // every pair syncs until no one has anything to say.
    for i in 0..n {
        p.restart(i);
    }
    let mut rounds = 0;
    loop {
        let mut quiet = true;
        for from in 0..n {
            for to in (0..n).filter(|t| *t != from) {
                if let Some(bytes) = p.send(from, to) {
                    quiet = false;
                    p.deliver(from, to, &bytes);
                }
            }
        }
        if quiet {
            break;
        }
        rounds += 1;
        assert!(rounds < 50, "no end to the messages");
    }
    for d in &p.docs[1..] {
        assert_eq!(d.heads(), p.docs[0].heads(), "heads differ");
        assert_eq!(d.to_json(), p.docs[0].to_json(), "documents differ");
    }
    p.docs[0].check();
});

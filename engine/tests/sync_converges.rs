//! The sync protocol between mergedb documents (SPEC.md §7A): on 1,000
//! seeded sessions two peers edit concurrently (forks of one document, maps,
//! lists, text, counters) while their messages are dropped, duplicated and
//! reordered and either side restarts from its persisted state; once
//! messages flow again, they converge to the same heads and JSON.

use mergedb_engine::format::sync::Message;
use mergedb_engine::format::{ActorId, ObjId, ObjType};
use mergedb_engine::{Document, SyncState};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn edit(doc: &mut Document, rng: &mut Rng) {
    let mut tx = doc.transaction();
    let root = ObjId::Root;
    for _ in 0..1 + rng.below(4) {
        match rng.below(5) {
            0 => tx
                .put(&root, ["a", "b", "c"][rng.below(3)], rng.below(100) as i64)
                .unwrap(),
            1 => {
                let list = match tx.get(&root, "list").unwrap() {
                    Some((_, id)) if tx.object_type(&id).ok() == Some(ObjType::List) => id,
                    _ => tx.put_object(&root, "list", ObjType::List).unwrap(),
                };
                let len = tx.length(&list).unwrap();
                tx.insert(&list, rng.below(len + 1), rng.below(10) as i64)
                    .unwrap();
            }
            2 => {
                let text = match tx.get(&root, "text").unwrap() {
                    Some((_, id)) if tx.object_type(&id).ok() == Some(ObjType::Text) => id,
                    _ => tx.put_object(&root, "text", ObjType::Text).unwrap(),
                };
                let len = tx.length(&text).unwrap();
                let at = rng.below(len + 1);
                let del = rng.below(2).min(len - at);
                tx.splice_text(&text, at, del, ["x", "yz", ""][rng.below(3)])
                    .unwrap();
            }
            3 => {
                if tx.increment(&root, "n", 1).is_err() {
                    tx.put(&root, "n", mergedb_engine::format::ScalarValue::Counter(0))
                        .unwrap();
                }
            }
            _ => tx.delete(&root, ["a", "b", "c"][rng.below(3)]).unwrap(),
        }
    }
    tx.commit();
}

/// One session; returns the messages the final, lossless phase took.
fn session(seed: u64) -> usize {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut base = Document::with_actor(ActorId::new(&[1]).unwrap());
    for _ in 0..rng.below(4) {
        edit(&mut base, &mut rng);
    }
    let mut docs = [base.fork_with_actor(ActorId::new(&[2]).unwrap()), base];
    if rng.below(3) == 0 {
        // One side starts empty.
        docs[0] = Document::with_actor(ActorId::new(&[2]).unwrap());
    }
    let mut states = [SyncState::new(), SyncState::new()];
    let mut flight: [Vec<Vec<u8>>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..40 {
        let i = rng.below(2);
        match rng.below(7) {
            0 | 1 => edit(&mut docs[i], &mut rng),
            2 | 3 => {
                if let Some(m) = docs[i].generate_sync_message(&mut states[i]) {
                    let bytes = m.encode();
                    if rng.below(5) == 0 {
                        flight[1 - i].push(bytes.clone());
                    }
                    flight[1 - i].push(bytes);
                }
            }
            4 | 5 if !flight[i].is_empty() => {
                let m = flight[i].remove(rng.below(flight[i].len()));
                let m = Message::decode(&m).unwrap();
                docs[i].receive_sync_message(&mut states[i], m).unwrap();
            }
            4 if !flight[i].is_empty() => {
                flight[i].remove(rng.below(flight[i].len()));
            }
            _ => {
                // A restart: the persisted part of the state, nothing in flight to it.
                states[i] = SyncState::decode(&states[i].encode()).unwrap();
                flight[i].clear();
            }
        }
    }
    // The connection comes back: both sides start from their persisted state.
    for s in &mut states {
        *s = SyncState::decode(&s.encode()).unwrap();
    }
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
        assert!(messages < 100, "seed {seed}: no end to the messages");
        if quiet {
            break;
        }
    }
    assert_eq!(
        docs[0].heads(),
        docs[1].heads(),
        "seed {seed}: heads differ"
    );
    assert_eq!(
        docs[0].to_json(),
        docs[1].to_json(),
        "seed {seed}: documents differ"
    );
    docs[0].check();
    messages
}

#[test]
fn a_thousand_lossy_sessions_converge() {
    let total: usize = (0..1000).map(session).sum();
    println!("1,000 sessions converged; {total} messages once they flowed again");
}

#[test]
fn in_sync_peers_send_nothing_and_a_bad_change_changes_nothing() {
    let mut a = Document::with_actor(ActorId::new(&[1]).unwrap());
    let mut rng = Rng(7);
    edit(&mut a, &mut rng);
    let mut b = a.fork_with_actor(ActorId::new(&[2]).unwrap());
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    for _ in 0..3 {
        if let Some(m) = a.generate_sync_message(&mut sa) {
            b.receive_sync_message(&mut sb, m).unwrap();
        }
        if let Some(m) = b.generate_sync_message(&mut sb) {
            a.receive_sync_message(&mut sa, m).unwrap();
        }
    }
    assert!(a.generate_sync_message(&mut sa).is_none());
    assert!(b.generate_sync_message(&mut sb).is_none());
    // One keystroke, then one message carries it.
    edit(&mut a, &mut rng);
    let m = a.generate_sync_message(&mut sa).unwrap();
    assert_eq!(m.changes.len(), 1);
    let mut bad = m.clone();
    bad.changes.push(vec![1, 2, 3]);
    let (heads, state) = (b.heads(), sb.clone());
    assert!(b.receive_sync_message(&mut sb, bad).is_err());
    assert_eq!((b.heads(), &sb), (heads, &state));
    b.receive_sync_message(&mut sb, m).unwrap();
    assert_eq!(a.heads(), b.heads());
}

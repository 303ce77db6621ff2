//! Bloom poisoning (SPEC.md §6A): a peer whose filter answers "have it" for
//! every change (what mined hashes push towards: about 97% false positives in
//! the automerge-poison demonstration) is sent nothing by the filter, and
//! learns what it lacks one dep at a time: one round trip per change. With
//! mergedb's extension it asks for its needs with their ancestors, and the
//! sync takes a few messages whatever the history's length.

use mergedb_engine::format::sync::{Bloom, Message};
use mergedb_engine::format::{ActorId, ObjId};
use mergedb_engine::{Document, SyncState};

/// A filter that holds every hash.
fn saturated() -> Bloom {
    // 100 entries (a one-byte uLEB), 10 bits each, 7 probes: 125 bytes.
    let mut bytes = vec![100, 10, 7];
    bytes.resize(3 + 125, 0xff);
    let bloom = Bloom::decode(&bytes, 0).unwrap();
    assert!(bloom.contains(&mergedb_engine::format::ChangeHash([0x5a; 32])));
    bloom
}

/// A shares a first change with B, then makes `n` more, one after another.
fn peers(n: usize) -> (Document, Document) {
    let mut a = Document::with_actor(ActorId::new(&[0xa; 16]).unwrap());
    let mut tx = a.transaction();
    tx.put(&ObjId::Root, "k", 0).unwrap();
    tx.commit();
    let mut b = Document::with_actor(ActorId::new(&[0xb; 16]).unwrap());
    b.apply_changes(a.changes_since(&[]).unwrap()).unwrap();
    for i in 0..n {
        let mut tx = a.transaction();
        tx.put(&ObjId::Root, "k", i as i64 + 1).unwrap();
        tx.commit();
    }
    (a, b)
}

/// Syncs over the wire until neither side has anything to say, B's filters
/// poisoned on the way; `strip` takes mergedb's extension out of B's
/// messages, as an automerge peer would send them. Gives the message count.
fn sync(a: &mut Document, b: &mut Document, strip: bool) -> usize {
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    let mut messages = 0;
    loop {
        let mut quiet = true;
        if let Some(m) = a.generate_sync_message(&mut sa) {
            let m = Message::decode(&m.encode()).unwrap();
            b.receive_sync_message(&mut sb, m).unwrap();
            messages += 1;
            quiet = false;
        }
        if let Some(mut m) = b.generate_sync_message(&mut sb) {
            m.have.iter_mut().for_each(|h| h.bloom = saturated());
            if strip {
                m.extension = 0;
            }
            let m = Message::decode(&m.encode()).unwrap();
            a.receive_sync_message(&mut sa, m).unwrap();
            messages += 1;
            quiet = false;
        }
        assert!(messages < 1000, "no end to the sync");
        if quiet {
            return messages;
        }
    }
}

#[test]
fn a_poisoned_filter_costs_a_few_messages_not_one_per_change() {
    for n in [5, 40, 150] {
        let (mut a, mut b) = peers(n);
        let messages = sync(&mut a, &mut b, false);
        assert_eq!(a.heads(), b.heads(), "{n} changes");
        assert_eq!(a.to_json(), b.to_json());
        assert!(messages <= 6, "{n} changes took {messages} messages");
        println!("{n} changes behind a poisoned filter: {messages} messages");
    }
}

/// The same sync without the extension: the poisoning is real, so the test
/// above measures the extension and not a filter that was never consulted.
#[test]
fn without_the_extension_it_takes_a_round_trip_per_change() {
    let (mut a, mut b) = peers(40);
    let messages = sync(&mut a, &mut b, true);
    assert_eq!(a.heads(), b.heads());
    assert!(messages >= 80, "only {messages} messages");
    println!("40 changes, no extension: {messages} messages");
}

//! Automerge's sync protocol on the wire (`format::sync`): mergedb's Bloom
//! filter is automerge's bit for bit, and every message two automerge 0.12
//! peers send each other while syncing 100 seeded sessions decodes and
//! re-encodes to the same bytes, as does the persistent sync state.

mod common;

use automerge::sync::{BloomFilter, State, SyncDoc};
use common::pair::session_pairs;
use common::Rng;
use mergedb::format::sync::{decode_sync_state, encode_sync_state, Bloom, Message, Version};
use mergedb::format::{ChangeHash, DecodeError};

fn random_hashes(rng: &mut Rng, n: usize) -> Vec<ChangeHash> {
    (0..n)
        .map(|_| {
            let mut h = [0u8; 32];
            for chunk in h.chunks_mut(8) {
                chunk.copy_from_slice(&rng.next().to_le_bytes());
            }
            ChangeHash(h)
        })
        .collect()
}

#[test]
fn the_bloom_filter_is_automerges_bit_for_bit() {
    let mut rng = Rng::new(42);
    for n in [0, 1, 2, 3, 7, 37, 100, 1000, 4096] {
        let hashes = random_hashes(&mut rng, n);
        let am_hashes: Vec<automerge::ChangeHash> =
            hashes.iter().map(|h| automerge::ChangeHash(h.0)).collect();
        let theirs = BloomFilter::from_hashes(am_hashes.iter());
        let mine = Bloom::from_hashes(hashes.iter());
        let mut bytes = Vec::new();
        mine.encode(&mut bytes);
        assert_eq!(bytes, theirs.to_bytes(), "{n} hashes");
        assert_eq!(Bloom::decode(&bytes, 0).unwrap(), mine);
        assert!(hashes.iter().all(|h| mine.contains(h)), "a false negative");
        for probe in random_hashes(&mut rng, 2000) {
            let am = automerge::ChangeHash(probe.0);
            assert_eq!(
                mine.contains(&probe),
                theirs.contains_hash(&am),
                "{n} hashes"
            );
        }
    }
}

#[test]
fn every_message_of_automerge_peers_round_trips_byte_for_byte() {
    let (mut messages, mut with_changes, mut v2) = (0, 0, 0);
    // The fuzz target's seeds: the first messages of seed 0, written once.
    let seeds =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/sync_message_decode");
    let mut write_seeds = std::fs::read_dir(&seeds).is_ok_and(|d| d.count() < 2);
    for seed in 0..100 {
        let mut pairs = session_pairs(seed);
        let mut docs = [pairs.remove(0).am, pairs.remove(0).am];
        let mut states = [State::new(), State::new()];
        for _round in 0..20 {
            let mut quiet = true;
            for from in 0..2 {
                let to = 1 - from;
                let Some(msg) = docs[from].sync().generate_sync_message(&mut states[from]) else {
                    continue;
                };
                quiet = false;
                let bytes = msg.clone().encode();
                let mine = Message::decode(&bytes).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
                assert_eq!(
                    mine.encode(),
                    bytes,
                    "seed {seed}: re-encoded message differs"
                );
                let heads: Vec<[u8; 32]> = msg.heads.iter().map(|h| h.0).collect();
                assert_eq!(mine.heads.iter().map(|h| h.0).collect::<Vec<_>>(), heads);
                assert_eq!(mine.changes.len(), msg.changes.len());
                messages += 1;
                if write_seeds && messages <= 8 {
                    std::fs::write(seeds.join(format!("message-{messages}")), &bytes).unwrap();
                }
                with_changes += usize::from(!mine.changes.is_empty());
                v2 += usize::from(mine.version == Version::V2);
                let theirs = automerge::sync::Message::decode(&bytes).unwrap();
                docs[to]
                    .sync()
                    .receive_sync_message(&mut states[to], theirs)
                    .unwrap();
            }
            if quiet {
                break;
            }
        }
        write_seeds = false;
        let [a, b] = &mut docs;
        assert_eq!(
            a.get_heads(),
            b.get_heads(),
            "seed {seed}: automerge did not converge"
        );
        let state = states[0].encode();
        let shared = decode_sync_state(&state).unwrap();
        assert_eq!(encode_sync_state(&shared), state);
    }
    println!("{messages} messages ({with_changes} with changes, {v2} V2) round-tripped");
    assert!(
        messages > 300 && with_changes > 100,
        "{messages} {with_changes}"
    );
}

#[test]
fn hostile_messages_get_typed_errors() {
    // A filter asking for a billion probes (automerge would allocate them),
    // and one with entries but no bits (automerge divides by zero).
    let mut msg = vec![0x42, 0, 0, 1, 0];
    let bloom = [1u8, 10, 0xff, 0xff, 0xff, 0xff, 0x03, 0];
    msg.push(bloom.len() as u8);
    msg.extend_from_slice(&bloom);
    msg.push(0);
    assert!(
        matches!(
            Message::decode(&msg),
            Err(DecodeError::BadSyncMessage { .. })
        ),
        "{:?}",
        Message::decode(&msg)
    );
    let no_bits = [0x42, 0, 0, 1, 0, 3, 5, 0, 7, 0];
    assert!(matches!(
        Message::decode(&no_bits),
        Err(DecodeError::BadSyncMessage { .. })
    ));
    // Counts past the input are refused before anything is allocated.
    let huge = [0x42, 0xff, 0xff, 0xff, 0xff, 0x0f];
    assert!(matches!(
        Message::decode(&huge),
        Err(DecodeError::LengthPastEnd { .. })
    ));
    assert!(Message::decode(&[0x44]).is_err());
    assert!(Message::decode(&[]).is_err());
    assert!(decode_sync_state(&[0x42, 0]).is_err());
    let good = Message {
        version: Version::V1,
        heads: vec![ChangeHash([1; 32])],
        need: vec![],
        have: vec![Default::default()],
        changes: vec![vec![1, 2, 3]],
        flags: Some(4),
        extension: 0,
    }
    .encode();
    for cut in 0..good.len() - 3 {
        assert!(Message::decode(&good[..cut]).is_err(), "cut at {cut}");
    }
}

/// mergedb's extension (SPEC.md §4B) rides after the flags, where automerge
/// 0.12 reads nothing: a message that carries it decodes in automerge to the
/// same message as without it, and an automerge peer syncs on it as ever.
#[test]
fn automerge_ignores_mergedbs_extension() {
    use mergedb::format::sync::EXT_ANCESTORS;
    let mut rng = Rng::new(7);
    let sorted = |mut h: Vec<ChangeHash>| {
        h.sort_unstable();
        h
    };
    let mut message = Message {
        version: Version::V2,
        heads: sorted(random_hashes(&mut rng, 2)),
        need: sorted(random_hashes(&mut rng, 3)),
        have: vec![Default::default()],
        changes: vec![],
        flags: Some(4),
        extension: EXT_ANCESTORS,
    };
    let with = message.encode();
    assert_eq!(Message::decode(&with).unwrap(), message);
    message.extension = 0;
    let without = message.encode();
    assert_ne!(with, without);
    let theirs = automerge::sync::Message::decode(&with).unwrap();
    assert_eq!(
        theirs.encode(),
        without,
        "automerge reads the extension as nothing"
    );
    // Whatever else follows the flags is ignored here too, as automerge does.
    let mut odd = without.clone();
    odd.extend_from_slice(&[3, b'X', b'Y', b'Z', 9]);
    assert_eq!(Message::decode(&odd).unwrap().extension, 0);

    // A mergedb peer that asks with the extension syncs with automerge.
    let mut md =
        mergedb::engine::Document::with_actor(mergedb::format::ActorId::new(&[1; 16]).unwrap());
    let mut am = automerge::AutoCommit::new();
    for i in 0..20 {
        use automerge::transaction::Transactable;
        am.put(automerge::ROOT, "k", i as i64).unwrap();
        am.commit();
    }
    let (mut ms, mut ams) = (mergedb::engine::SyncState::new(), State::new());
    for _ in 0..20 {
        let mut quiet = true;
        if let Some(m) = md.generate_sync_message(&mut ms) {
            let m = automerge::sync::Message::decode(&m.encode()).unwrap();
            am.sync().receive_sync_message(&mut ams, m).unwrap();
            quiet = false;
        }
        if let Some(m) = am.sync().generate_sync_message(&mut ams) {
            md.receive_sync_message(&mut ms, Message::decode(&m.encode()).unwrap())
                .unwrap();
            quiet = false;
        }
        if quiet {
            break;
        }
    }
    let heads: Vec<[u8; 32]> = am.get_heads().iter().map(|h| h.0).collect();
    let ours: Vec<[u8; 32]> = md.heads().iter().map(|h| h.0).collect();
    assert_eq!(ours, heads);
}

//! Automerge's change chunks, decoded by mergedb (`format::automerge`): on
//! every change of 300 seeded multi-actor sessions, the hash mergedb computes
//! from the chunk is automerge's, and the decoded ops are exactly the ops
//! mergedb made for the same edits. Compressed chunks decode to the same.

mod common;

use common::pair::session_pairs;
use mergedb::format::automerge::{
    decode_automerge_change, encode_automerge_change, parse_chunk, ChunkKind,
};
use mergedb::format::DecodeError;

#[test]
fn automerge_changes_decode_to_mergedbs_ops_with_automerges_hashes() {
    let (mut changes, mut compressed) = (0, 0);
    for seed in 0..300 {
        let mut pairs = session_pairs(seed);
        for p in &mut pairs {
            let mine = p.md.changes_since(&[]).unwrap();
            for mut am in p.am.get_changes(&[]) {
                let decoded = decode_automerge_change(am.raw_bytes())
                    .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
                assert_eq!(decoded.hash.0, am.hash().0, "seed {seed}: the hash differs");
                let c = &decoded.change;
                assert_eq!(c.actor.as_bytes(), am.actor_id().to_bytes());
                assert_eq!((c.seq, c.start_op), (am.seq(), am.start_op().get()));
                assert_eq!(
                    (c.time, c.message.as_deref()),
                    (am.timestamp(), am.message())
                );
                let deps: Vec<[u8; 32]> = am.deps().iter().map(|h| h.0).collect();
                assert_eq!(c.deps.iter().map(|h| h.0).collect::<Vec<_>>(), deps);
                let same = mine
                    .iter()
                    .find(|m| m.actor == c.actor && m.seq == c.seq)
                    .expect("mergedb made the same change");
                assert_eq!(c.ops, same.ops, "seed {seed}: {} seq {}", c.actor, c.seq);
                // Encoded again, it is automerge's chunk, byte for byte.
                let (bytes, hash) = encode_automerge_change(c);
                assert_eq!(
                    bytes,
                    am.raw_bytes(),
                    "seed {seed}: {} seq {}",
                    c.actor,
                    c.seq
                );
                assert_eq!(hash.0, am.hash().0);
                changes += 1;
                let bytes = am.bytes().to_vec();
                if parse_chunk(&bytes, 0).unwrap().kind == ChunkKind::Compressed {
                    let again = decode_automerge_change(&bytes).unwrap();
                    assert_eq!(again, decoded, "seed {seed}: compressed differs");
                    compressed += 1;
                }
            }
        }
    }
    println!("{changes} automerge changes decoded, {compressed} of them compressed");
    assert!(changes > 3000, "{changes}");
}

#[test]
fn corrupt_chunks_are_refused_with_typed_errors() {
    let mut pairs = session_pairs(7);
    let mut am = pairs[0].am.get_changes(&[]).pop().expect("a change");
    let good = am.raw_bytes().to_vec();
    let mut bad_magic = good.clone();
    bad_magic[0] ^= 1;
    assert!(matches!(
        decode_automerge_change(&bad_magic),
        Err(DecodeError::BadChunkMagic { .. })
    ));
    let mut bad_sum = good.clone();
    let last = bad_sum.len() - 1;
    bad_sum[last] ^= 0x40;
    assert!(decode_automerge_change(&bad_sum).is_err());
    let mut bad_checksum = good.clone();
    bad_checksum[4] ^= 1;
    assert!(matches!(
        decode_automerge_change(&bad_checksum),
        Err(DecodeError::ChunkChecksum { .. })
    ));
    for cut in 0..good.len() {
        assert!(
            decode_automerge_change(&good[..cut]).is_err(),
            "cut at {cut}"
        );
    }
    let mut trailing = good.clone();
    trailing.push(0);
    assert!(matches!(
        decode_automerge_change(&trailing),
        Err(DecodeError::TrailingBytes { .. })
    ));
    // A compressed chunk that inflates to junk.
    let junk = mergedb::format::automerge::deflate(&[0xff; 64]);
    let mut chunk = Vec::new();
    mergedb::format::automerge::write_chunk(ChunkKind::Compressed, &junk, &mut chunk);
    assert!(decode_automerge_change(&chunk).is_err());
    let _ = am.bytes();
}

/// A change large enough that automerge compresses it, and the fuzz seeds:
/// a few real chunks, plain and compressed.
#[test]
fn a_compressed_change_decodes_to_the_same_change() {
    use automerge::transaction::Transactable;
    let mut doc = automerge::AutoCommit::new();
    let text = doc
        .put_object(automerge::ROOT, "notes", automerge::ObjType::Text)
        .unwrap();
    doc.splice_text(&text, 0, 0, &"squat, bench, deadlift; ".repeat(60))
        .unwrap();
    doc.put(automerge::ROOT, "reps", 5).unwrap();
    doc.commit();
    let mut change = doc.get_changes(&[]).pop().unwrap();
    let raw = change.raw_bytes().to_vec();
    let compressed = change.bytes().to_vec();
    assert_eq!(
        parse_chunk(&compressed, 0).unwrap().kind,
        ChunkKind::Compressed
    );
    assert!(compressed.len() < raw.len());
    let a = decode_automerge_change(&raw).unwrap();
    let b = decode_automerge_change(&compressed).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.hash.0, change.hash().0);
    assert_eq!(a.change.ops.len(), 24 * 60 + 2);
    assert_eq!(encode_automerge_change(&a.change).0, raw);
    // The fuzz target's seeds, written once (the directory is committed).
    let seeds =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/automerge_change_decode");
    if std::fs::read_dir(&seeds).is_ok_and(|mut d| d.next().is_none()) {
        let mut small = session_pairs(3);
        for (i, mut c) in small[0].am.get_changes(&[]).into_iter().take(6).enumerate() {
            std::fs::write(seeds.join(format!("change-{i}")), c.bytes()).unwrap();
        }
        std::fs::write(seeds.join("compressed"), &compressed).unwrap();
    }
}

//! What a differential seed checks at its end, beyond the documents
//! agreeing: the heads and every change's bytes are automerge's, and the
//! document survives every way of moving between the two systems.

use super::pair::Pair;
use super::Rng;
use automerge::AutoCommit;
use mergedb::engine::Document;
use mergedb::format::ActorId;

fn am_heads(am: &mut AutoCommit) -> Vec<[u8; 32]> {
    let mut heads: Vec<[u8; 32]> = am.get_heads().iter().map(|h| h.0).collect();
    heads.sort_unstable();
    heads
}

fn md_heads(md: &Document) -> Vec<[u8; 32]> {
    md.heads().iter().map(|h| h.0).collect()
}

/// Heads by value, and each change's chunk byte for byte.
pub fn same_bytes(p: &mut Pair, context: &str) {
    assert_eq!(
        md_heads(&p.md),
        am_heads(&mut p.am),
        "{context}: heads by value"
    );
    for c in p.am.get_changes(&[]) {
        let hash = mergedb::format::ChangeHash(c.hash().0);
        let ours = p.md.change_chunk(&hash);
        assert_eq!(
            ours.as_deref(),
            Some(c.raw_bytes()),
            "{context}: change {} seq {} differs in its bytes",
            c.actor_id(),
            c.seq()
        );
    }
}

/// Both saves load in the other system, and change chunks pass both ways,
/// one at a time and in shuffled batches; each result agrees in JSON,
/// conflicts and heads.
pub fn round_trips(p: &mut Pair, rng: &mut Rng, context: &str) {
    let actor = ActorId::new(&[77]).unwrap();
    let saved = p.md.save_automerge();
    let loaded = AutoCommit::load(&saved)
        .unwrap_or_else(|e| panic!("{context}: automerge refused mergedb's save: {e}"));
    let mut q = Pair {
        md: p.md.clone(),
        am: loaded,
    };
    q.check_same(&format!("{context}: automerge loading save_automerge"));
    same_bytes(
        &mut q,
        &format!("{context}: automerge loading save_automerge"),
    );
    let theirs = p.am.save();
    let md = Document::load_automerge(&theirs, actor)
        .unwrap_or_else(|e| panic!("{context}: mergedb refused automerge's save: {e}"));
    let mut q = Pair {
        md,
        am: p.am.clone(),
    };
    q.check_same(&format!("{context}: mergedb loading save()"));
    same_bytes(&mut q, &format!("{context}: mergedb loading save()"));
    // The one-pass build takes automerge's own files, and gives what the
    // change-by-change reference gives.
    let one_pass = Document::load_automerge_one_pass(&theirs, actor)
        .unwrap_or_else(|e| panic!("{context}: one-pass load: {e}"))
        .unwrap_or_else(|| panic!("{context}: the one-pass load gave up on automerge's save"));
    one_pass.check();
    let reference = Document::load_automerge_reference(&theirs, actor)
        .unwrap_or_else(|e| panic!("{context}: reference load: {e}"));
    assert_eq!(
        one_pass.heads(),
        reference.heads(),
        "{context}: one-pass heads"
    );
    assert_eq!(
        one_pass.to_json(),
        reference.to_json(),
        "{context}: one-pass JSON"
    );
    // The same changes, byte for byte; the two may order them differently.
    let sorted = |d: &Document| {
        let mut c = d.chunks_since(&[]).unwrap();
        c.sort();
        c
    };
    assert_eq!(
        sorted(&one_pass),
        sorted(&reference),
        "{context}: one-pass chunks"
    );

    // Change chunks, automerge to mergedb: shuffled batches.
    let mut chunks: Vec<Vec<u8>> =
        p.am.get_changes(&[])
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
    rng.shuffle(&mut chunks);
    let mut md = Document::with_actor(actor);
    for batch in chunks.chunks(1 + rng.below(4)) {
        md.apply_chunks(batch.iter().map(|c| &c[..]))
            .unwrap_or_else(|e| panic!("{context}: a batch of automerge's chunks: {e}"));
    }
    let mut q = Pair {
        md,
        am: p.am.clone(),
    };
    q.check_same(&format!("{context}: automerge's chunks into mergedb"));
    same_bytes(
        &mut q,
        &format!("{context}: automerge's chunks into mergedb"),
    );
    // mergedb to automerge: one at a time, in causal order.
    let mut am = AutoCommit::new();
    for c in p.md.chunks_since(&[]).unwrap() {
        let change = automerge::Change::from_bytes(c)
            .unwrap_or_else(|e| panic!("{context}: automerge refused a mergedb chunk: {e}"));
        am.apply_changes([change]).unwrap();
    }
    let mut q = Pair {
        md: p.md.clone(),
        am,
    };
    q.check_same(&format!("{context}: mergedb's chunks into automerge"));
    same_bytes(
        &mut q,
        &format!("{context}: mergedb's chunks into automerge"),
    );
}

//! A change chunk that another encoder wrote differently from automerge 0.12
//! (here: one with a column mergedb does not read, which automerge also
//! accepts) keeps its exact bytes and its hash: in the document, through the
//! store's log, a compaction and a reopen, in `save_automerge`, and on its
//! way to an automerge peer.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ReadDoc, ROOT};
use mergedb::engine::store::Store;
use mergedb::engine::Document;
use mergedb::format::automerge::{write_chunk, ChunkKind};
use mergedb::format::{ActorId, ChangeHash};

fn uleb(mut r: &[u8]) -> (u64, &[u8]) {
    let (mut v, mut shift) = (0u64, 0);
    loop {
        let b = r[0];
        r = &r[1..];
        v |= u64::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            return (v, r);
        }
    }
}

fn push_uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// The chunk with one more column, spec `0xf2` (id 15, uLEB run-length), holding `data`.
fn with_unknown_column(chunk: &[u8], data: &[u8]) -> Vec<u8> {
    let (len, rest) = uleb(&chunk[9..]);
    let body = &rest[..len as usize];
    // deps, actor, seq, start_op, time, message, other actors
    let mut r = body;
    let (n, x) = uleb(r);
    r = &x[32 * n as usize..];
    let (a, x) = uleb(r);
    r = &x[a as usize..];
    for _ in 0..3 {
        r = uleb(r).1;
    }
    let (m, x) = uleb(r);
    r = &x[m as usize..];
    let (others, x) = uleb(r);
    r = x;
    for _ in 0..others {
        let (a, x) = uleb(r);
        r = &x[a as usize..];
    }
    let head = &body[..body.len() - r.len()];
    let (ncols, mut x) = uleb(r);
    let mut meta = Vec::new();
    let mut total = 0;
    for _ in 0..ncols {
        let (spec, y) = uleb(x);
        let (l, y) = uleb(y);
        x = y;
        meta.push((spec, l));
        total += l as usize;
    }
    let (cols, extra) = x.split_at(total);
    let mut out = head.to_vec();
    push_uleb(&mut out, ncols + 1);
    for (spec, l) in &meta {
        push_uleb(&mut out, *spec);
        push_uleb(&mut out, *l);
    }
    push_uleb(&mut out, 0xf2);
    push_uleb(&mut out, data.len() as u64);
    out.extend_from_slice(cols);
    out.extend_from_slice(data);
    out.extend_from_slice(extra);
    let mut framed = Vec::new();
    write_chunk(ChunkKind::Change, &out, &mut framed);
    framed
}

#[test]
fn a_chunk_written_otherwise_keeps_its_bytes_and_hash_everywhere() {
    let mut am = AutoCommit::new().with_actor(automerge::ActorId::from(&[7u8; 16][..]));
    am.put(ROOT, "exercise", "squat").unwrap();
    am.commit();
    am.put(ROOT, "reps", 5).unwrap();
    am.commit();
    let changes = am.get_changes(&[]);
    let first = changes[0].raw_bytes().to_vec();
    let odd = with_unknown_column(changes[1].raw_bytes(), &[0x7f, 0x01]);
    // automerge takes it, and names it by the hash of these bytes.
    let theirs = automerge::Change::from_bytes(odd.clone()).unwrap();
    let hash = ChangeHash(theirs.hash().0);

    let mut doc = Document::with_actor(ActorId::new(&[1]).unwrap());
    doc.apply_chunks([&first[..], &odd[..]]).unwrap();
    assert_eq!(doc.heads(), vec![hash]);
    assert!(doc.is_verbatim(&hash));
    assert_eq!(doc.change_chunk(&hash).unwrap(), odd);
    doc.check();

    let dir = tempfile::tempdir().unwrap();
    let id = {
        let store = Store::open(dir.path()).unwrap();
        let id = store.create_doc().unwrap();
        store
            .apply_automerge(&id, &[&first[..], &odd[..]].concat())
            .unwrap();
        id
    };
    for step in ["the log", "the snapshot"] {
        let store = Store::open(dir.path()).unwrap();
        let d = store.doc(&id).unwrap().read().unwrap();
        assert_eq!(d.heads(), vec![hash], "{step}");
        assert_eq!(d.change_chunk(&hash).unwrap(), odd, "{step}");
        d.check();
        store.verify().unwrap();
        assert!(store.compact(&id).is_ok());
    }
    // A save that automerge loads to the same heads (as change chunks).
    let mut back = AutoCommit::load(&doc.save_automerge()).unwrap();
    assert_eq!(back.get_heads()[0].0, hash.0);
    assert_eq!(back.get(ROOT, "reps").unwrap().unwrap().0.as_i64(), Some(5));
    // And through sync to an automerge peer.
    let mut peer = automerge::AutoCommit::new();
    let mut ours = mergedb::engine::SyncState::new();
    let mut theirs_state = automerge::sync::State::new();
    use automerge::sync::SyncDoc;
    for _ in 0..10 {
        if let Some(m) = doc.generate_sync_message(&mut ours) {
            let m = automerge::sync::Message::decode(&m.encode()).unwrap();
            peer.sync()
                .receive_sync_message(&mut theirs_state, m)
                .unwrap();
        }
        if let Some(m) = peer.sync().generate_sync_message(&mut theirs_state) {
            let m = mergedb::format::sync::Message::decode(&m.encode()).unwrap();
            doc.receive_sync_message(&mut ours, m).unwrap();
        }
    }
    // The peer has it under its hash. (automerge 0.12 then serves the change
    // rebuilt from its op set, without the column: mergedb serves the bytes.)
    assert_eq!(peer.get_heads()[0].0, hash.0);
}

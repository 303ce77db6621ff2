//! Automerge documents both ways on a real file, and hostile document
//! chunks refused with typed errors. The differential suite does the round
//! trips on every seed (`common::round_trip`); this is the real trace, and
//! the bytes no fair writer makes.

use automerge::transaction::Transactable;
use automerge::ReadDoc;
use mergedb::engine::{Document, EngineError};
use mergedb::format::automerge::{write_chunk, ChunkKind};
use mergedb::format::{ActorId, DecodeError, ObjId};
use mergedb_traces::trace::Trace;

/// automerge-paper typed into automerge, one commit per keystroke: its first
/// `n` transactions (all of them for `None`).
fn automerge_paper(n: Option<usize>) -> (automerge::AutoCommit, String) {
    let trace = Trace::load(&Trace::default_path()).expect("the trace (set MERGEDB_TRACE)");
    let mut am = automerge::AutoCommit::new().with_actor(automerge::ActorId::from(&[1u8; 16][..]));
    let text = am
        .put_object(automerge::ROOT, "text", automerge::ObjType::Text)
        .unwrap();
    am.commit();
    for txn in trace.txns.iter().take(n.unwrap_or(usize::MAX)) {
        for p in txn {
            am.splice_text(&text, p.pos, p.del as isize, &p.ins)
                .unwrap();
        }
        am.commit();
    }
    let expected = am.text(&text).unwrap();
    (am, expected)
}

fn both_ways(n: Option<usize>) {
    let (mut am, text) = automerge_paper(n);
    let saved = am.save();
    let doc = Document::load_automerge(&saved, ActorId::new(&[2]).unwrap()).unwrap();
    let (_, id) = doc.get(&ObjId::Root, "text").unwrap().unwrap();
    assert_eq!(doc.text(&id).unwrap(), text);
    let heads: Vec<[u8; 32]> = doc.heads().iter().map(|h| h.0).collect();
    let mut theirs: Vec<[u8; 32]> = am.get_heads().iter().map(|h| h.0).collect();
    theirs.sort_unstable();
    assert_eq!(heads, theirs);
    let ours = doc.save_automerge();
    assert!(
        ours.len() <= saved.len() + 16,
        "{} bytes against {}",
        ours.len(),
        saved.len()
    );
    let mut back = automerge::AutoCommit::load(&ours).unwrap();
    let t = back.get(automerge::ROOT, "text").unwrap().unwrap().1;
    assert_eq!(back.text(&t).unwrap(), text);
    assert_eq!(back.get_heads(), am.get_heads());
}

#[test]
fn the_first_5000_keystrokes_of_automerge_paper_go_both_ways() {
    both_ways(Some(5_000));
}

/// Enough keystrokes (past 2^13 op rows) for the document decoder to read its
/// op columns on two threads: the one-pass load gives what the
/// change-by-change reference gives.
#[test]
fn a_document_decoded_on_two_threads_loads_as_the_reference_does() {
    let (mut am, text) = automerge_paper(Some(20_000));
    let saved = am.save();
    let actor = ActorId::new(&[2]).unwrap();
    let fast = Document::load_automerge_one_pass(&saved, actor)
        .unwrap()
        .expect("the one-pass load takes automerge's save");
    let reference = Document::load_automerge_reference(&saved, actor).unwrap();
    assert_eq!(fast.heads(), reference.heads());
    assert_eq!(fast.to_json(), reference.to_json());
    let (_, id) = fast.get(&ObjId::Root, "text").unwrap().unwrap();
    assert_eq!(fast.text(&id).unwrap(), text);
    fast.check();
}

#[test]
#[ignore = "long in a debug build: cargo test --release --test automerge_documents -- --ignored"]
fn automerge_paper_saved_by_automerge_loads_and_saves_back() {
    both_ways(None);
}

fn small() -> Vec<u8> {
    let mut am = automerge::AutoCommit::new();
    am.put(automerge::ROOT, "a", 1).unwrap();
    am.commit();
    am.put(automerge::ROOT, "b", "x").unwrap();
    am.commit();
    am.save()
}

fn load(bytes: &[u8]) -> Result<Document, EngineError> {
    Document::load_automerge(bytes, ActorId::new(&[2]).unwrap())
}

/// The chunk's body, with its checksum made right again after an edit.
fn reframed(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    write_chunk(ChunkKind::Document, body, &mut out);
    out
}

fn body(chunk: &[u8]) -> Vec<u8> {
    let mut at = 9;
    while chunk[at] & 0x80 != 0 {
        at += 1;
    }
    chunk[at + 1..].to_vec()
}

#[test]
fn hostile_document_chunks_get_typed_errors() {
    let good = small();
    assert!(load(&good).is_ok());
    let bad = |bytes: &[u8]| match load(bytes) {
        Err(EngineError::BadAutomerge(e)) => e,
        other => panic!(
            "not refused as bad Automerge data: {:?}",
            other.map(|d| d.heads())
        ),
    };
    // A flipped checksum, a cut anywhere.
    let mut flipped = good.clone();
    flipped[5] ^= 1;
    assert!(matches!(bad(&flipped), DecodeError::ChunkChecksum { .. }));
    for cut in 1..good.len() {
        bad(&good[..cut]);
    }
    // Heads that its changes do not give: the first head's last byte changed.
    let mut b = body(&good);
    let heads_at = 1 + 1 + b[1] as usize + 1; // actor count, len, actor, head count
    b[heads_at + 31] ^= 1;
    assert!(matches!(
        bad(&reframed(&b)),
        DecodeError::BadDocument { .. }
    ));
    // Trailing bytes inside the chunk.
    let mut b = body(&good);
    b.extend_from_slice(&[1, 2, 3]);
    bad(&reframed(&b));
}

#[test]
fn a_run_of_endless_ops_stops_at_the_row_bound() {
    // One actor, no heads, no change columns; four op columns, each one run
    // of 2^40 rows: key "k", id (actor 0, counter +1 each), action put.
    let n: &[u8] = &[0x80, 0x80, 0x80, 0x80, 0x80, 0x20]; // sLEB 2^40
    let mut cols: Vec<(u8, Vec<u8>)> = vec![
        (0x15, [n, &[1, b'k']].concat()),
        (0x21, [n, &[0]].concat()),
        (0x23, [n, &[1]].concat()),
        (0x42, [n, &[1]].concat()),
    ];
    let mut b = vec![1, 1, 9, 0, 0, cols.len() as u8];
    for (spec, data) in &cols {
        b.push(*spec);
        b.push(data.len() as u8);
    }
    for (_, data) in cols.drain(..) {
        b.extend_from_slice(&data);
    }
    match load(&reframed(&b)) {
        Err(EngineError::BadAutomerge(DecodeError::BadColumn { detail, .. })) => {
            assert!(detail.contains("more ops than"), "{detail}")
        }
        other => panic!("{:?}", other.map(|d| d.heads())),
    }
}

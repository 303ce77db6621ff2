//! Changes from a hostile replica into a document: `apply_changes` returns Ok
//! or a typed error, never panics, and the document's invariants hold after.
//!
//! Most `ValidChange`s name objects and ops the document does not have, so the
//! second half of the input edits a real document first and then sends remote
//! changes that refer to what it made.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mergedb_engine::format::{ActorId, ObjId, ObjType, ValidChange};
use mergedb_engine::Document;

fuzz_target!(|input: (Vec<ValidChange>, Vec<ValidChange>, u8)| {
    let (raw, more, split) = input;
    let mut doc = Document::with_actor(ActorId::new(&[1]).unwrap());
    let _ = doc.apply_changes(raw.into_iter().map(|v| v.0));
    doc.check();

    // A small real document, and remote changes built on its heads.
    let mut tx = doc.transaction();
    if let Ok(text) = tx.put_object(&ObjId::Root, "t", ObjType::Text) {
        let _ = tx.splice_text(&text, 0, 0, "ab");
        let _ = tx.put_object(&ObjId::Root, "l", ObjType::List);
    }
    tx.commit();
    let heads = doc.heads();
    let start = doc_max(&doc).saturating_add(1);
    let changes = more.into_iter().map(|v| {
        let mut c = v.0;
        if split % 2 == 0 {
            c.deps = heads.clone();
            c.seq = 1;
            c.start_op = start;
        }
        c
    });
    let _ = doc.apply_changes(changes);
    doc.check();
});

fn doc_max(doc: &Document) -> u64 {
    doc.changes_since(&[])
        .map_or(0, |cs| cs.iter().map(|c| c.max_op()).max().unwrap_or(0))
}

//! What the benches share: the automerge-paper document, built by mergedb
//! and by automerge the same way (one commit per trace transaction).
#![allow(dead_code)]

pub mod concurrent;

use automerge::transaction::Transactable;
use automerge::ReadDoc;
use mergedb::engine::Document;
use mergedb::format::{ActorId, ObjId, ObjType};
use mergedb_traces::trace::Trace;

pub fn mergedb_local(trace: &Trace) -> Document {
    let mut doc = Document::with_actor(ActorId::new(&[1; 16]).unwrap());
    let mut tx = doc.transaction();
    let text = tx.put_object(&ObjId::Root, "text", ObjType::Text).unwrap();
    tx.commit();
    for txn in &trace.txns {
        let mut tx = doc.transaction();
        for p in txn {
            tx.splice_text(&text, p.pos, p.del, &p.ins).unwrap();
        }
        tx.commit();
    }
    doc
}

pub fn mergedb_text(doc: &Document) -> String {
    let (_, text) = doc.get(&ObjId::Root, "text").unwrap().unwrap();
    doc.text(&text).unwrap()
}

pub fn automerge_local(trace: &Trace) -> automerge::Automerge {
    let mut doc = automerge::Automerge::new().with_actor(automerge::ActorId::from(&[1u8; 16][..]));
    let mut tx = doc.transaction();
    let text = tx
        .put_object(automerge::ROOT, "text", automerge::ObjType::Text)
        .unwrap();
    tx.commit();
    for txn in &trace.txns {
        let mut tx = doc.transaction();
        for p in txn {
            tx.splice_text(&text, p.pos, p.del as isize, &p.ins)
                .unwrap();
        }
        tx.commit();
    }
    doc
}

pub fn automerge_text(doc: &automerge::Automerge) -> String {
    let (_, text) = doc.get(automerge::ROOT, "text").unwrap().unwrap();
    doc.text(&text).unwrap()
}

//! Snapshots round-trip every document: a random multi-actor history, saved
//! and loaded, gives the same JSON, heads, changes and state, and the loaded
//! document merges on as the original does. Its state section alone reads as
//! the document does.

mod common;

use common::pair::session_changes;
use mergedb::engine::{Document, Item, StateView, Value};
use mergedb::format::snapshot::parse_snapshot;
use mergedb::format::{ActorId, ObjId, ObjType, ScalarValue};

fn doc_of(seed: u64) -> Document {
    let mut doc = Document::with_actor(ActorId::new(&[9]).unwrap());
    doc.apply_changes(session_changes(seed)).unwrap();
    doc
}

/// Every map and list object, with the items it holds, read from `doc`.
fn items(doc: &Document, obj: &ObjId, out: &mut Vec<(ObjId, Vec<Item>)>) {
    let ty = doc.object_type(obj).unwrap();
    if ty == ObjType::Text {
        return;
    }
    let values = doc.values(obj).unwrap();
    for (v, id) in &values {
        if let Value::Object(_) = v {
            items(doc, id, out);
        }
    }
    out.push((*obj, values));
}

fn check_view(doc: &Document, view: &StateView, seed: u64) {
    assert_eq!(view.to_json(), doc.to_json(), "seed {seed}");
    assert_eq!(view.heads(), doc.heads().as_slice(), "seed {seed}");
    let mut all = Vec::new();
    items(doc, &ObjId::Root, &mut all);
    for (obj, values) in all {
        let from_view: Vec<Item> = match doc.object_type(&obj).unwrap() {
            ObjType::Map => doc
                .keys(&obj)
                .unwrap()
                .into_iter()
                .map(|k| view.get(&obj, k.as_str()).unwrap().unwrap())
                .collect(),
            _ => (0..view.length(&obj).unwrap())
                .map(|i| view.get(&obj, i).unwrap().unwrap())
                .collect(),
        };
        assert_eq!(from_view, values, "seed {seed}: object {obj:?}");
    }
}

#[test]
fn snapshots_round_trip_random_histories() {
    let mut changes = 0;
    for seed in 0..150 {
        let doc = doc_of(seed);
        let bytes = doc.save().unwrap();
        let snapshot = parse_snapshot(&bytes).unwrap();
        let state = snapshot.state().unwrap();
        assert_eq!(state, doc.state(), "seed {seed}");
        check_view(&doc, &StateView::new(state), seed);

        let mut loaded = Document::load(&bytes, ActorId::new(&[8]).unwrap()).unwrap();
        loaded.check();
        assert_eq!(loaded.to_json(), doc.to_json(), "seed {seed}");
        assert_eq!(loaded.heads(), doc.heads(), "seed {seed}");
        let mut want = doc.changes_since(&[]).unwrap();
        let mut got = loaded.changes_since(&[]).unwrap();
        want.sort_by_key(|c| (c.actor, c.seq));
        got.sort_by_key(|c| (c.actor, c.seq));
        assert_eq!(got, want, "seed {seed}");
        changes += want.len();

        // Ready to merge: a new edit on the original applies to the loaded copy.
        let mut edited = doc.fork();
        let mut tx = edited.transaction();
        tx.put(&ObjId::Root, "after", ScalarValue::Int(seed as i64))
            .unwrap();
        tx.commit();
        loaded.merge(&edited).unwrap();
        assert_eq!(loaded.to_json(), edited.to_json(), "seed {seed}");
    }
    println!("150 histories, {changes} changes, saved and loaded");
    assert!(changes > 1000);
}

#[test]
fn an_empty_document_round_trips() {
    let doc = Document::new();
    let bytes = doc.save().unwrap();
    let loaded = Document::load(&bytes, ActorId::random()).unwrap();
    assert_eq!(loaded.to_json(), doc.to_json());
    assert!(loaded.heads().is_empty());
}

//! The document API on small, hand-checked cases.

use mergedb_engine::format::{ActorId, ObjId, ObjType, ScalarValue};
use mergedb_engine::{Document, EngineError, Value};
use serde_json::json;

fn actor(b: u8) -> ActorId {
    ActorId::new(&[b; 4]).unwrap()
}

fn text_doc(a: u8, s: &str) -> (Document, ObjId) {
    let mut doc = Document::with_actor(actor(a));
    let mut tx = doc.transaction();
    let text = tx.put_object(&ObjId::Root, "t", ObjType::Text).unwrap();
    tx.splice_text(&text, 0, 0, s).unwrap();
    tx.commit().unwrap();
    (doc, text)
}

#[test]
fn typing_and_deleting_text() {
    let (mut doc, text) = text_doc(1, "hello");
    let mut tx = doc.transaction();
    tx.splice_text(&text, 5, 0, " world").unwrap();
    tx.splice_text(&text, 0, 1, "J").unwrap();
    assert_eq!(tx.text(&text).unwrap(), "Jello world");
    tx.commit().unwrap();
    assert_eq!(doc.length(&text).unwrap(), 11);
    assert_eq!(doc.to_json(), json!({"t": "Jello world"}));
    assert_eq!(doc.change_count(), 2);
}

#[test]
fn a_dropped_transaction_leaves_nothing() {
    let (mut doc, text) = text_doc(1, "abc");
    let before = doc.to_json();
    let heads = doc.heads();
    {
        let mut tx = doc.transaction();
        tx.splice_text(&text, 1, 1, "XYZ").unwrap();
        let list = tx.put_object(&ObjId::Root, "l", ObjType::List).unwrap();
        tx.insert(&list, 0, 5i64).unwrap();
        tx.put(&ObjId::Root, "k", "v").unwrap();
    }
    assert_eq!(doc.to_json(), before);
    assert_eq!(doc.heads(), heads);
    let mut tx = doc.transaction();
    tx.splice_text(&text, 3, 0, "d").unwrap();
    tx.commit().unwrap();
    assert_eq!(doc.text(&text).unwrap(), "abcd");
}

#[test]
fn concurrent_puts_conflict_and_the_highest_wins() {
    let mut a = Document::with_actor(actor(1));
    let mut tx = a.transaction();
    tx.put(&ObjId::Root, "x", 1i64).unwrap();
    tx.commit();
    let mut b = a.fork();
    b.set_actor(actor(2));
    let mut tx = a.transaction();
    tx.put(&ObjId::Root, "x", "from a").unwrap();
    tx.commit();
    let mut tx = b.transaction();
    tx.put(&ObjId::Root, "x", "from b").unwrap();
    tx.commit();
    a.merge(&b).unwrap();
    b.merge(&a).unwrap();
    let all = a.get_all(&ObjId::Root, "x").unwrap();
    assert_eq!(all.len(), 2);
    let winner = a.get(&ObjId::Root, "x").unwrap().unwrap().0;
    assert_eq!(winner, Value::Scalar(ScalarValue::str("from b")));
    assert_eq!(a.to_json(), b.to_json());
    assert_eq!(a.heads(), b.heads());
}

#[test]
fn counters_add_and_survive_concurrent_increments() {
    let mut a = Document::with_actor(actor(1));
    let mut tx = a.transaction();
    tx.put(&ObjId::Root, "n", ScalarValue::Counter(10)).unwrap();
    tx.commit();
    let mut b = a.fork();
    let mut tx = a.transaction();
    tx.increment(&ObjId::Root, "n", 5).unwrap();
    tx.commit();
    let mut tx = b.transaction();
    tx.increment(&ObjId::Root, "n", -3).unwrap();
    tx.commit();
    a.merge(&b).unwrap();
    assert_eq!(a.to_json(), json!({"n": 12}));
    let mut tx = a.transaction();
    assert_eq!(
        tx.increment(&ObjId::Root, "missing", 1),
        Err(EngineError::NotACounter)
    );
    tx.put(&ObjId::Root, "s", "str").unwrap();
    assert_eq!(
        tx.increment(&ObjId::Root, "s", 1),
        Err(EngineError::NotACounter)
    );
}

#[test]
fn concurrent_inserts_at_one_place_order_by_id() {
    let (mut a, text) = text_doc(1, "ac");
    let mut b = a.fork();
    b.set_actor(actor(2));
    let mut tx = a.transaction();
    tx.splice_text(&text, 1, 0, "X").unwrap();
    tx.commit();
    let mut tx = b.transaction();
    tx.splice_text(&text, 1, 0, "Y").unwrap();
    tx.commit();
    a.merge(&b).unwrap();
    b.merge(&a).unwrap();
    // Same counter; actor 2 is higher, so its insert comes first.
    assert_eq!(a.text(&text).unwrap(), "aYXc");
    assert_eq!(b.text(&text).unwrap(), "aYXc");
}

#[test]
fn time_travel_reads_past_heads() {
    let (mut doc, text) = text_doc(1, "one");
    let first = doc.heads();
    let mut tx = doc.transaction();
    tx.splice_text(&text, 0, 3, "two").unwrap();
    tx.put(&ObjId::Root, "k", true).unwrap();
    tx.commit();
    assert_eq!(doc.text_at(&text, &first).unwrap(), "one");
    assert_eq!(doc.to_json_at(&first).unwrap(), json!({"t": "one"}));
    assert_eq!(doc.to_json_at(&[]).unwrap(), json!({}));
    assert_eq!(doc.to_json(), json!({"t": "two", "k": true}));
    assert_eq!(doc.changes_since(&first).unwrap().len(), 1);
}

#[test]
fn changes_wait_for_their_deps() {
    let (mut a, text) = text_doc(1, "x");
    let mut changes = vec![];
    for c in ["y", "z"] {
        let mut tx = a.transaction();
        let end = tx.length(&text).unwrap();
        tx.splice_text(&text, end, 0, c).unwrap();
        let h = tx.commit().unwrap();
        changes.push(a.change_by_hash(&h).unwrap());
    }
    let mut b = Document::with_actor(actor(2));
    b.apply_changes(changes.iter().rev().cloned()).unwrap();
    assert_eq!(b.to_json(), json!({}));
    assert_eq!(b.missing_deps(&[]).len(), 1);
    b.apply_changes(a.changes_since(&[]).unwrap()).unwrap();
    assert_eq!(b.to_json(), json!({"t": "xyz"}));
    assert!(b.missing_deps(&[]).is_empty());
    // Duplicates are no-ops.
    b.apply_changes(a.changes_since(&[]).unwrap()).unwrap();
    assert_eq!(b.heads(), a.heads());
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let (mut doc, text) = text_doc(1, "ab");
    let before = doc.to_json();
    let mut tx = doc.transaction();
    assert!(matches!(
        tx.insert(&text, 3, "x"),
        Err(EngineError::IndexOutOfBounds { index: 3, len: 2 })
    ));
    assert!(matches!(
        tx.put(&text, "k", 1i64),
        Err(EngineError::WrongKeyKind { .. })
    ));
    assert!(matches!(
        tx.put_object(&text, 0usize, ObjType::Map),
        Err(EngineError::WrongObjectType { .. })
    ));
    assert!(matches!(
        tx.splice_text(&ObjId::Root, 0, 0, "x"),
        Err(EngineError::WrongObjectType { .. })
    ));
    assert!(matches!(
        tx.splice_text(&text, 1, 5, ""),
        Err(EngineError::IndexOutOfBounds { .. })
    ));
    assert_eq!(tx.put(&ObjId::Root, "", 1i64), Err(EngineError::EmptyKey));
    assert_eq!(tx.commit(), None);
    assert_eq!(doc.to_json(), before);

    // A remote change reusing (actor, seq) with other content.
    let mut other = Document::with_actor(actor(1));
    let mut tx = other.transaction();
    tx.put(&ObjId::Root, "z", 1i64).unwrap();
    tx.commit();
    let clash = other.changes_since(&[]).unwrap();
    assert!(matches!(
        doc.apply_changes(clash),
        Err(EngineError::DuplicateSeq { seq: 1, .. })
    ));
    assert_eq!(doc.to_json(), before);
}

#[test]
fn json_in_and_out() {
    let input = json!({
        "title": "notes",
        "count": 3,
        "big": u64::MAX,
        "ratio": 0.5,
        "tags": ["a", {"nested": [true, null]}],
        "empty": {}
    });
    let doc = Document::from_json(&input).unwrap();
    assert_eq!(doc.to_json(), input);
    assert_eq!(doc.change_count(), 1);
    let (tags, tags_id) = doc.get(&ObjId::Root, "tags").unwrap().unwrap();
    assert_eq!(tags, Value::Object(ObjType::List));
    assert_eq!(doc.length(&tags_id).unwrap(), 2);
    assert_eq!(
        doc.keys(&ObjId::Root).unwrap(),
        ["big", "count", "empty", "ratio", "tags", "title"]
    );
    assert!(matches!(
        Document::from_json(&json!([1])),
        Err(EngineError::WrongObjectType { .. })
    ));
}

#[test]
fn remote_changes_come_back_exactly_even_empty_ones() {
    let (mut doc, _) = text_doc(1, "hi");
    let empty = mergedb_engine::format::Change {
        actor: actor(5),
        seq: 1,
        start_op: 40,
        time: 1_764_000_000_000,
        message: Some("nothing to see".into()),
        deps: doc.heads(),
        ops: vec![],
        extra: vec![1, 2, 3],
    };
    let hash = empty.hash();
    doc.apply_changes([empty.clone()]).unwrap();
    assert_eq!(doc.change_by_hash(&hash), Some(empty));
    assert_eq!(doc.heads(), vec![hash]);
    doc.check();
    let mut tx = doc.transaction();
    tx.put(&ObjId::Root, "after", 1i64).unwrap();
    tx.commit();
    assert_eq!(doc.changes_since(&[hash]).unwrap()[0].start_op, 40);
}

/// Found by the long differential run (seed 9287): a counter compares by its
/// current value when a put might be a no-op, as in Automerge.
#[test]
fn putting_a_counters_start_value_over_it_resets_it() {
    let mut doc = Document::with_actor(actor(1));
    let mut tx = doc.transaction();
    tx.put(&ObjId::Root, "n", ScalarValue::Counter(5)).unwrap();
    tx.increment(&ObjId::Root, "n", 3).unwrap();
    // The current value is 8: putting 8 changes nothing, putting 5 resets it.
    tx.put(&ObjId::Root, "n", ScalarValue::Counter(8)).unwrap();
    assert_eq!(tx.pending_ops(), 2);
    tx.put(&ObjId::Root, "n", ScalarValue::Counter(5)).unwrap();
    assert_eq!(tx.pending_ops(), 3);
    tx.commit();
    assert_eq!(doc.to_json(), json!({"n": 5}));
}

/// Found by the engine_apply fuzz target: a remote change may use the last op
/// counters there are; a local edit then gets a typed error, not an overflow.
#[test]
fn counters_at_the_top_of_the_range_are_refused_not_overflowed() {
    use mergedb_engine::format::{Change, Key, Op, OpAction};
    let mut doc = Document::with_actor(actor(1));
    let put = |v: i64| Op {
        obj: ObjId::Root,
        key: Key::map("k"),
        insert: false,
        action: OpAction::Put(v.into()),
        pred: vec![],
    };
    let top = Change {
        actor: actor(2),
        seq: 1,
        start_op: u64::MAX - 1,
        time: 0,
        message: None,
        deps: vec![],
        ops: vec![put(1), put(2)],
        extra: vec![],
    };
    doc.apply_changes([top.clone()]).unwrap();
    assert_eq!(doc.change_by_hash(&doc.heads()[0]), Some(top));
    let mut tx = doc.transaction();
    assert_eq!(
        tx.put(&ObjId::Root, "x", 1i64),
        Err(EngineError::CountersExhausted)
    );
    assert_eq!(tx.commit(), None);
    doc.check();
}

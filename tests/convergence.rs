//! Convergence: any delivery order of the same set of changes gives
//! byte-identical JSON and the same heads (SPEC.md §2.11), and a batch that
//! fails part-way leaves the document as it was.

mod common;

use common::pair::session_changes;
use common::Rng;
use mergedb::engine::{Document, EngineError};
use mergedb::format::{ActorId, Change, ElemId, Key, ObjId, ObjType, OpAction, OpId};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_delivery_order_converges(seed in 0u64..10_000, orders in proptest::collection::vec(any::<u64>(), 2..5)) {
        let changes = session_changes(seed);
        let mut reference: Option<(String, Vec<_>)> = None;
        for order in orders {
            let mut shuffled = changes.clone();
            Rng::new(order).shuffle(&mut shuffled);
            let mut doc = Document::with_actor(ActorId::new(&[42]).unwrap());
            // Deliver in several batches, to exercise the causal queue across calls.
            for batch in shuffled.chunks(1 + (order % 5) as usize) {
                doc.apply_changes(batch.to_vec()).unwrap();
            }
            doc.check();
            let got = (serde_json::to_string(&doc.to_json()).unwrap(), doc.heads());
            match &reference {
                None => reference = Some(got),
                Some(want) => prop_assert_eq!(&got, want),
            }
        }
    }
}

/// A change by a new actor, on top of `doc`'s heads.
fn remote(doc: &Document, ops: Vec<mergedb::format::Op>) -> Change {
    let mut change = Change {
        actor: ActorId::new(&[7]).unwrap(),
        seq: 1,
        start_op: 100,
        time: 0,
        message: None,
        deps: doc.heads(),
        ops,
        extra: vec![],
    };
    change.deps.sort();
    change
}

fn op(
    obj: ObjId,
    key: Key,
    insert: bool,
    action: OpAction,
    pred: Vec<OpId>,
) -> mergedb::format::Op {
    mergedb::format::Op {
        obj,
        key,
        insert,
        action,
        pred,
    }
}

#[test]
fn bad_remote_changes_are_refused_whole() {
    let mut doc = Document::with_actor(ActorId::new(&[1]).unwrap());
    let mut tx = doc.transaction();
    let text = tx.put_object(&ObjId::Root, "t", ObjType::Text).unwrap();
    tx.splice_text(&text, 0, 0, "ab").unwrap();
    tx.commit();
    let before = (doc.to_json(), doc.heads(), doc.change_count());
    let ghost = OpId::new(50, ActorId::new(&[3]).unwrap());
    let put = |v: &str| {
        op(
            ObjId::Root,
            Key::map("k"),
            false,
            OpAction::Put(v.into()),
            vec![],
        )
    };

    // An unknown object, after a good op in the same change.
    let bad = remote(
        &doc,
        vec![
            put("x"),
            op(
                ObjId::Op(ghost),
                Key::map("k"),
                false,
                OpAction::Put(1i64.into()),
                vec![],
            ),
        ],
    );
    assert!(matches!(
        doc.apply_changes([bad]),
        Err(EngineError::UnknownObject { .. })
    ));
    // A pred that does not exist.
    let bad = remote(
        &doc,
        vec![op(
            ObjId::Root,
            Key::map("t"),
            false,
            OpAction::Delete,
            vec![ghost],
        )],
    );
    assert!(matches!(
        doc.apply_changes([bad]),
        Err(EngineError::BadReference { .. })
    ));
    // An element that is not in the list it names.
    let bad = remote(
        &doc,
        vec![op(
            text,
            Key::Seq(ElemId::Op(ghost)),
            true,
            OpAction::Put("z".into()),
            vec![],
        )],
    );
    assert!(matches!(
        doc.apply_changes([bad]),
        Err(EngineError::BadReference { .. })
    ));
    // A good change followed by a bad one in the same batch: neither applies.
    let good = remote(&doc, vec![put("fine")]);
    let mut next = remote(
        &doc,
        vec![op(
            ObjId::Root,
            Key::map("t"),
            false,
            OpAction::Delete,
            vec![ghost],
        )],
    );
    next.seq = 2;
    next.start_op = 101;
    next.deps = vec![good.hash()];
    assert!(doc.apply_changes([good, next]).is_err());
    assert_eq!((doc.to_json(), doc.heads(), doc.change_count()), before);
    doc.check();
}

#[test]
fn a_failed_batch_keeps_the_changes_that_were_waiting() {
    let mut a = Document::with_actor(ActorId::new(&[1]).unwrap());
    let mut changes = vec![];
    for v in ["one", "two"] {
        let mut tx = a.transaction();
        tx.put(&ObjId::Root, "k", v).unwrap();
        let h = tx.commit().unwrap();
        changes.push(a.change_by_hash(&h).unwrap());
    }
    let mut b = Document::with_actor(ActorId::new(&[2]).unwrap());
    b.apply_changes([changes[1].clone()]).unwrap();
    assert_eq!(b.change_count(), 0, "the second change waits for the first");
    // The first change makes the waiting one ready, then a bad change fails the batch.
    let ghost = OpId::new(50, ActorId::new(&[3]).unwrap());
    let mut bad = remote(
        &a,
        vec![op(
            ObjId::Root,
            Key::map("k"),
            false,
            OpAction::Delete,
            vec![ghost],
        )],
    );
    bad.deps = vec![];
    assert!(b.apply_changes([changes[0].clone(), bad]).is_err());
    assert_eq!(b.change_count(), 0);
    // The waiting change is still queued: the first change alone now brings both.
    b.apply_changes([changes[0].clone()]).unwrap();
    assert_eq!(b.to_json(), a.to_json());
    assert_eq!(b.heads(), a.heads());
}

//! `Document::load` builds a snapshot's document in one pass, hashing on a
//! second thread for large histories, and gives up on anything it cannot
//! vouch for. `Document::load_reference` applies the history change by
//! change, through every check of `apply_changes`. The two must give the
//! same document or the same error: on random concurrent histories, on one
//! large enough to hash in parallel, and on hand-made histories that the
//! one-pass build refuses.

mod common;

use common::pair::session_changes;
use common::Rng;
use mergedb::engine::Document;
use mergedb::format::snapshot::{encode_snapshot, DocState, HistoryWriter};
use mergedb::format::{
    ActorId, Change, ChangeBuilder, ElemId, Key, ObjId, ObjType, OpId, ScalarValue,
};

fn reader() -> ActorId {
    ActorId::new(&[0xee]).unwrap()
}

/// Asserts that both loads of `bytes` agree, and returns the document.
fn same(bytes: &[u8], context: &str) -> Option<Document> {
    let fast = Document::load(bytes, reader());
    let slow = Document::load_reference(bytes, reader());
    match (fast, slow) {
        (Ok(fast), Ok(slow)) => {
            fast.check();
            assert_eq!(fast.to_json(), slow.to_json(), "{context}");
            assert_eq!(fast.heads(), slow.heads(), "{context}");
            assert_eq!(fast.actors(), slow.actors(), "{context}");
            assert_eq!(fast.missing_deps(&[]), slow.missing_deps(&[]), "{context}");
            let key = |c: &Change| (c.actor, c.seq);
            let mut a = fast.changes_since(&[]).unwrap();
            let mut b = slow.changes_since(&[]).unwrap();
            a.sort_by_key(key);
            b.sort_by_key(key);
            assert_eq!(a, b, "{context}");
            Some(fast)
        }
        (Err(fast), Err(slow)) => {
            assert_eq!(fast.to_string(), slow.to_string(), "{context}");
            None
        }
        (fast, slow) => panic!(
            "{context}: load gave {:?}, the reference {:?}",
            fast.map(|d| d.to_json()),
            slow.map(|d| d.to_json())
        ),
    }
}

#[test]
fn random_concurrent_histories_load_as_the_reference_does() {
    for seed in 0..60 {
        let mut doc = Document::with_actor(ActorId::new(&[9]).unwrap());
        doc.apply_changes(session_changes(seed)).unwrap();
        let loaded = same(&doc.save().unwrap(), &format!("seed {seed}")).unwrap();
        assert_eq!(loaded.to_json(), doc.to_json(), "seed {seed}");
    }
}

/// Three actors type into one text, each on its own copy, and merge now and
/// then, with maps, lists and counters beside: over 4,096 changes, so the
/// hashes are computed on the second thread.
fn large_concurrent_doc() -> Document {
    let mut rng = Rng::new(7);
    let mut docs: Vec<Document> = (1..=3u8)
        .map(|i| Document::with_actor(ActorId::new(&[i; 16]).unwrap()))
        .collect();
    let mut tx = docs[0].transaction();
    let text = tx.put_object(&ObjId::Root, "text", ObjType::Text).unwrap();
    let list = tx.put_object(&ObjId::Root, "list", ObjType::List).unwrap();
    tx.put(&ObjId::Root, "count", ScalarValue::Counter(0))
        .unwrap();
    tx.commit();
    let first = docs[0].changes_since(&[]).unwrap();
    for d in &mut docs[1..] {
        d.apply_changes(first.clone()).unwrap();
    }
    for round in 0..6000 {
        let i = rng.below(3);
        let d = &mut docs[i];
        let mut tx = d.transaction();
        let len = tx.length(&text).unwrap();
        match rng.below(10) {
            0 if len > 0 => tx.splice_text(&text, rng.below(len), 1, "").unwrap(),
            1 => tx.increment(&ObjId::Root, "count", 1).unwrap(),
            2 => {
                let at = rng.below(tx.length(&list).unwrap() + 1);
                tx.insert(&list, at, ScalarValue::Int(round)).unwrap();
            }
            3 => tx
                .put(&ObjId::Root, "last", ScalarValue::Int(round))
                .unwrap(),
            _ => {
                let c = char::from(b'a' + rng.below(26) as u8).to_string();
                tx.splice_text(&text, rng.below(len + 1), 0, &c).unwrap();
            }
        }
        tx.commit();
        if rng.chance(3) {
            let from = rng.below(3);
            let theirs = docs[from].changes_since(&[]).unwrap();
            docs[i].apply_changes(theirs).unwrap();
        }
    }
    let mut all = Document::with_actor(ActorId::new(&[9]).unwrap());
    for d in &docs {
        all.apply_changes(d.changes_since(&[]).unwrap()).unwrap();
    }
    all
}

#[test]
fn a_large_concurrent_history_loads_with_parallel_hashing() {
    let doc = large_concurrent_doc();
    assert!(doc.change_count() > 4096, "{}", doc.change_count());
    let loaded = same(&doc.save().unwrap(), "large").unwrap();
    assert_eq!(loaded.to_json(), doc.to_json());
    assert_eq!(loaded.heads(), doc.heads());

    // Ready to merge: the loaded copy takes a new edit made on the original.
    let mut edited = doc.fork();
    let mut tx = edited.transaction();
    tx.put(&ObjId::Root, "after", ScalarValue::Int(1)).unwrap();
    tx.commit();
    let mut loaded = loaded;
    loaded.merge(&edited).unwrap();
    assert_eq!(loaded.to_json(), edited.to_json());
    loaded.check();
}

fn actor(n: u8) -> ActorId {
    ActorId::new(&[n]).unwrap()
}

/// Changes, each with its deps as indices of earlier changes.
type History = Vec<(Change, Vec<u32>)>;

/// A snapshot whose history is `changes`, each with deps given as indices of
/// earlier changes, and an empty state section (which `load` does not read).
fn snapshot_of(changes: &[(Change, Vec<u32>)]) -> Vec<u8> {
    let mut actors: Vec<ActorId> = Vec::new();
    for (c, _) in changes {
        let ops = c.ops.iter().flat_map(|op| {
            let obj = match op.obj {
                ObjId::Op(id) => Some(id.actor),
                ObjId::Root => None,
            };
            let elem = match op.key {
                Key::Seq(ElemId::Op(id)) => Some(id.actor),
                _ => None,
            };
            obj.into_iter()
                .chain(elem)
                .chain(op.pred.iter().map(|p| p.actor))
        });
        for a in std::iter::once(c.actor).chain(ops) {
            if !actors.contains(&a) {
                actors.push(a);
            }
        }
    }
    let mut w = HistoryWriter::new(actors);
    for (c, deps) in changes {
        w.push(c, deps);
    }
    encode_snapshot(&DocState::empty(), w).unwrap()
}

/// Actor 1 makes a text with "ab" in change 0; what follows is each case's.
fn base() -> (Change, OpId, OpId, OpId) {
    let mut b = ChangeBuilder::new(actor(1), 1, 1, vec![]);
    let text = b.make(ObjId::Root, Key::Map("t".into()), ObjType::Text, vec![]);
    let t = ObjId::Op(text);
    let a = b.insert(t, ElemId::Head, ScalarValue::Str("a".into()));
    let bb = b.insert(t, ElemId::Op(a), ScalarValue::Str("b".into()));
    (b.build(0, None).unwrap(), text, a, bb)
}

fn hash(c: &Change) -> mergedb::format::ChangeHash {
    c.hash()
}

#[test]
fn histories_the_one_pass_build_refuses_load_as_the_reference_does() {
    let (c0, text, a, b) = base();
    let t = ObjId::Op(text);
    let h0 = hash(&c0);
    let next = |seq, start, f: &dyn Fn(&mut ChangeBuilder)| {
        let mut cb = ChangeBuilder::new(actor(1), seq, start, vec![h0]);
        f(&mut cb);
        cb.build(0, None).unwrap()
    };
    let cases: Vec<(&str, History)> = vec![
        (
            "a seq gap: the change waits in the queue",
            vec![
                (c0.clone(), vec![]),
                (
                    next(3, 4, &|cb| {
                        cb.delete(t, Key::Seq(ElemId::Op(a)), vec![a]);
                    }),
                    vec![0],
                ),
            ],
        ),
        (
            "a duplicate seq",
            vec![
                (c0.clone(), vec![]),
                (
                    next(1, 4, &|cb| {
                        cb.delete(t, Key::Seq(ElemId::Op(a)), vec![a]);
                    }),
                    vec![0],
                ),
            ],
        ),
        (
            "a start_op not above the deps",
            vec![
                (c0.clone(), vec![]),
                (
                    next(2, 3, &|cb| {
                        cb.put(
                            ObjId::Root,
                            Key::Map("x".into()),
                            ScalarValue::Int(1),
                            vec![],
                        );
                    }),
                    vec![0],
                ),
            ],
        ),
        (
            "a pred that is not at the op's key",
            vec![
                (c0.clone(), vec![]),
                (
                    next(2, 4, &|cb| {
                        cb.delete(t, Key::Seq(ElemId::Op(a)), vec![b]);
                    }),
                    vec![0],
                ),
            ],
        ),
        (
            "an element that is not in its list",
            vec![
                (c0.clone(), vec![]),
                (
                    next(2, 4, &|cb| {
                        cb.insert(t, ElemId::Op(OpId::new(3, actor(7))), ScalarValue::Null);
                    }),
                    vec![0],
                ),
            ],
        ),
        (
            "an unknown object",
            vec![
                (c0.clone(), vec![]),
                (
                    next(2, 4, &|cb| {
                        let obj = ObjId::Op(OpId::new(2, actor(1)));
                        cb.put(obj, Key::Map("k".into()), ScalarValue::Null, vec![]);
                    }),
                    vec![0],
                ),
            ],
        ),
        (
            "a map key in a text",
            vec![
                (c0.clone(), vec![]),
                (
                    next(2, 4, &|cb| {
                        cb.put(t, Key::Map("k".into()), ScalarValue::Null, vec![]);
                    }),
                    vec![0],
                ),
            ],
        ),
        ("the base alone, which loads", vec![(c0.clone(), vec![])]),
    ];
    let mut refused = 0;
    for (what, changes) in &cases {
        if same(&snapshot_of(changes), what).is_none() {
            refused += 1;
        }
    }
    // The seq gap and the base load; the other six fail in both.
    assert_eq!(refused, 6);
}

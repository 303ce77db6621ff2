//! The snapshot codec (SPEC.md §4): round trips, every hand-made kind of
//! damage with its own error, and no panic on arbitrary section contents.

mod common;

use common::valid_change;
use mergedb_format::snapshot::{
    decode_history, decode_state, encode_snapshot, encode_state, parse_snapshot, DocState,
    HistoryWriter, StateBody, StateObject, StateValue, MAX_SECTION_LEN,
};
use mergedb_format::{ActorId, Change, DecodeError, ObjId, OpId, ScalarValue};
use proptest::prelude::*;

fn actor(b: u8) -> ActorId {
    ActorId::new(&[b; 4]).unwrap()
}

fn state() -> DocState {
    let a = actor(1);
    DocState {
        heads: vec![],
        objects: vec![
            StateObject {
                id: ObjId::Root,
                body: StateBody::Map(vec![
                    ("list".into(), StateValue::Object(2)),
                    (
                        "n".into(),
                        StateValue::Scalar(ScalarValue::Counter(3), OpId::new(2, a)),
                    ),
                    ("text".into(), StateValue::Object(1)),
                ]),
            },
            StateObject {
                id: ObjId::Op(OpId::new(1, a)),
                body: StateBody::Text("héllo 🌍".into()),
            },
            StateObject {
                id: ObjId::Op(OpId::new(3, a)),
                body: StateBody::List(vec![StateValue::Scalar(
                    ScalarValue::F64(1.5),
                    OpId::new(4, a),
                )]),
            },
        ],
    }
}

/// A writer over the actors of `changes`, with every change pushed (no deps).
fn history_of(changes: &[Change]) -> HistoryWriter {
    let mut actors: Vec<ActorId> = changes
        .iter()
        .flat_map(|c| {
            let mut ids = vec![c.actor];
            for op in &c.ops {
                if let ObjId::Op(o) = &op.obj {
                    ids.push(o.actor);
                }
                if let mergedb_format::Key::Seq(mergedb_format::ElemId::Op(e)) = &op.key {
                    ids.push(e.actor);
                }
                ids.extend(op.pred.iter().map(|p| p.actor));
            }
            ids
        })
        .collect();
    actors.sort();
    actors.dedup();
    let mut w = HistoryWriter::new(actors);
    for c in changes {
        w.push(c, &[]);
    }
    w
}

fn sample() -> Vec<u8> {
    let change = Change {
        actor: actor(1),
        seq: 1,
        start_op: 1,
        time: 1_700_000_000_000,
        message: Some("first".into()),
        deps: vec![],
        ops: vec![],
        extra: vec![],
    };
    encode_snapshot(&state(), history_of(&[change])).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// A change list (each change on its own, with no deps) comes back as it went in.
    #[test]
    fn histories_round_trip(changes in proptest::collection::vec(valid_change(), 0..6)) {
        // One change per actor and seq, each seq 1: the writer predicts seqs per actor.
        let mut seen = std::collections::HashSet::new();
        let changes: Vec<Change> = changes
            .into_iter()
            .filter(|c| seen.insert(c.actor))
            .map(|c| Change { seq: 1, deps: vec![], ..c })
            .collect();
        let bytes = encode_snapshot(&DocState::empty(), history_of(&changes)).unwrap();
        let decoded: Vec<Change> = parse_snapshot(&bytes).unwrap().history().unwrap()
            .into_iter().map(|(c, _)| c).collect();
        prop_assert_eq!(decoded, changes);
    }

    /// Arbitrary bytes as a state or history section: `Ok` or an error, never a panic.
    #[test]
    fn arbitrary_sections_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode_state(&bytes);
        let _ = decode_history(&bytes);
    }
}

#[test]
fn the_state_round_trips() {
    let raw = encode_state(&state());
    assert_eq!(decode_state(&raw).unwrap(), state());
    let bytes = sample();
    assert_eq!(parse_snapshot(&bytes).unwrap().state().unwrap(), state());
}

#[test]
fn every_bit_flip_and_truncation_is_an_error() {
    let bytes = sample();
    let full = |b: &[u8]| -> Result<(), DecodeError> {
        let s = parse_snapshot(b)?;
        s.state()?;
        s.history()?;
        Ok(())
    };
    full(&bytes).unwrap();
    for i in 0..bytes.len() * 8 {
        let mut b = bytes.clone();
        b[i / 8] ^= 1 << (i % 8);
        assert!(full(&b).is_err(), "bit {i} flipped, still decodes");
    }
    for n in 0..bytes.len() {
        assert!(full(&bytes[..n]).is_err(), "truncated to {n}");
    }
}

/// The snapshot's header, and the header of the section at `at`, rewritten.
fn with_u32(bytes: &[u8], at: usize, value: u32) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[at..at + 4].copy_from_slice(&value.to_le_bytes());
    b
}

#[test]
fn each_kind_of_damage_has_its_error() {
    let bytes = sample();
    let err = |b: &[u8]| parse_snapshot(b).and_then(|s| s.state()).unwrap_err();
    assert!(matches!(
        err(b"MDBC\x01\0\0\0"),
        DecodeError::BadSnapshotMagic { .. }
    ));
    let mut v = bytes.clone();
    v[4] = 1;
    assert!(matches!(
        err(&v),
        DecodeError::UnsupportedVersion { version: 1, .. }
    ));
    let mut v = bytes.clone();
    v[6] = 1;
    assert!(matches!(err(&v), DecodeError::ReservedBits { .. }));
    let mut v = bytes.clone();
    v[8] = 2;
    assert!(matches!(
        err(&v),
        DecodeError::UnknownTag {
            field: "section kind",
            ..
        }
    ));
    let too_big = with_u32(&bytes, 16, MAX_SECTION_LEN as u32 + 1);
    assert!(matches!(
        err(&too_big),
        DecodeError::SectionTooLarge {
            section: "state",
            ..
        }
    ));
    let short = with_u32(&bytes, 16, 3);
    assert!(matches!(
        err(&short),
        DecodeError::Decompress {
            section: "state",
            ..
        }
    ));
    let mut v = bytes.clone();
    v[30] ^= 0xff;
    assert!(matches!(
        err(&v),
        DecodeError::SectionChecksum {
            section: "state",
            ..
        }
    ));
    // After the history, only a kept-chunks section may follow.
    let mut v = bytes.clone();
    v.extend_from_slice(&[2, 0, 0, 0]);
    assert!(matches!(err(&v), DecodeError::UnknownTag { tag: 2, .. }));
}

#[test]
fn a_state_that_is_not_a_tree_is_refused() {
    let mut twice = state();
    if let StateBody::Map(entries) = &mut twice.objects[0].body {
        entries[0].1 = StateValue::Object(1);
    }
    let err = decode_state(&encode_state(&twice)).unwrap_err();
    assert!(matches!(err, DecodeError::NotCanonical { .. }), "{err}");
    let mut backwards = state();
    if let StateBody::List(items) = &mut backwards.objects[2].body {
        items.push(StateValue::Object(1));
    }
    assert!(decode_state(&encode_state(&backwards)).is_err());
}

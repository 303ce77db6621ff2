//! Hand-made corrupt changes: each kind of damage gets its own typed error.
//!
//! `golden()` is a body written byte by byte from SPEC.md §3, field by field, so
//! these tests also pin the layout: if the encoder drifts from the spec, the
//! first test fails.

mod common;

use common::frame;
use mergedb_format::*;

/// The golden body, as (field that a cut inside it must name, bytes).
fn golden() -> Vec<(&'static str, Vec<u8>)> {
    let mut dep = vec![1];
    dep.extend([0x11; 32]);
    vec![
        ("actor length", vec![2]),
        ("actor", vec![0xaa, 0xaa]),
        ("seq", vec![3]),
        ("start_op", vec![10]),
        ("time", vec![0x7b]), // -5
        ("message", vec![3, b'h', b'i']),
        ("deps", dep),
        ("actors", vec![1, 1, 0xbb]),
        ("ops", vec![5]),
        // op 0, counter 10: put null at a root key of 16 bytes. It fills the 20
        // bytes after the op count, where every cut names "ops" (5 ops need 20),
        // so that a cut in each later field names that field.
        ("op header", vec![0x01]),
        (
            "map key",
            [16].into_iter().chain(*b"sixteen-byte-key").collect(),
        ),
        ("value tag", vec![0]),
        ("pred", vec![0]),
        // op 1, counter 11: make a text at root key "t".
        ("op header", vec![0x00]),
        ("map key", vec![1, b't']),
        ("object type", vec![2]),
        ("pred", vec![0]),
        // op 2, counter 12: insert "x" at the head of 11@aa.
        ("op header", vec![0x1d]),
        ("obj counter", vec![11]),
        ("obj actor", vec![0]),
        ("value tag", vec![6]),
        ("str value", vec![1, b'x']),
        // op 3, counter 13: put int 7 at root key "n" over 5@bb (13 - 5 - 1 = 7 back).
        ("op header", vec![0x01]),
        ("map key", vec![1, b'n']),
        ("value tag", vec![3]),
        ("int value", vec![7]),
        ("pred", vec![1, 7, 1]),
        // op 4, counter 14: increment root key "c" by 2 over 9@aa (4 back).
        ("op header", vec![0x03]),
        ("map key", vec![1, b'c']),
        ("increment", vec![2]),
        ("pred", vec![1, 4, 0]),
    ]
}

/// The body offset where piece `n` of `golden()` starts.
fn at(n: usize) -> usize {
    golden().iter().take(n).map(|(_, b)| b.len()).sum()
}

fn golden_body() -> Vec<u8> {
    golden().into_iter().flat_map(|(_, bytes)| bytes).collect()
}

fn golden_change() -> Change {
    let (aa, bb) = (
        ActorId::new(&[0xaa; 2]).unwrap(),
        ActorId::new(&[0xbb]).unwrap(),
    );
    let mut b = ChangeBuilder::new(aa, 3, 10, vec![ChangeHash([0x11; 32])]);
    b.put(
        ObjId::Root,
        Key::map("sixteen-byte-key"),
        ScalarValue::Null,
        vec![],
    );
    let text = b.make(ObjId::Root, Key::map("t"), ObjType::Text, vec![]);
    b.insert(text.into(), ElemId::Head, ScalarValue::str("x"));
    b.put(
        ObjId::Root,
        Key::map("n"),
        ScalarValue::Int(7),
        vec![OpId::new(5, bb)],
    );
    b.increment(ObjId::Root, Key::map("c"), 2, vec![OpId::new(9, aa)]);
    b.build(-5, Some("hi".into())).unwrap()
}

/// The body's bytes with `f` applied, framed with a correct CRC.
fn tweak(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut body = golden_body();
    f(&mut body);
    frame(&body)
}

/// The offset in the framed input of body offset `i` (the golden body is short,
/// so its length takes one byte).
const BODY: usize = 10;

#[test]
fn the_golden_bytes_are_the_encoding() {
    let bytes = frame(&golden_body());
    assert_eq!(encode_change(&golden_change()).unwrap(), bytes);
    assert_eq!(decode_change(&bytes).unwrap(), golden_change());
}

#[test]
fn truncation_at_every_field_names_the_field() {
    let pieces = golden();
    let body = golden_body();
    let ops_count_end = at(9);
    let mut named = std::collections::BTreeSet::new();
    let mut start = 0;
    for (field, bytes) in &pieces {
        for cut in start..start + bytes.len() {
            // The op count is checked against the bytes left before any op is
            // read: 5 ops need at least 20 bytes.
            let expected = if cut >= ops_count_end && cut - ops_count_end < 20 {
                "ops"
            } else {
                field
            };
            let err = decode_change(&frame(&body[..cut])).unwrap_err();
            match err {
                DecodeError::Truncated { field, offset }
                | DecodeError::LengthPastEnd { field, offset, .. } => {
                    assert_eq!(field, expected, "cut at body byte {cut}: {err}");
                    assert!(
                        offset <= BODY + cut,
                        "cut at {cut}: offset {offset} is past the cut"
                    );
                }
                other => panic!("cut at body byte {cut}: expected truncation, got {other}"),
            }
            named.insert(expected);
        }
        start += bytes.len();
    }
    assert_eq!(
        named.len(),
        19,
        "every field of the golden body was cut: {named:?}"
    );
}

#[test]
fn truncation_of_the_frame() {
    let bytes = frame(&golden_body());
    for cut in 0..bytes.len() {
        let err = decode_change(&bytes[..cut]).unwrap_err();
        let field = match err {
            DecodeError::Truncated { field, .. } | DecodeError::LengthPastEnd { field, .. } => {
                field
            }
            other => panic!("cut at {cut}: {other}"),
        };
        let expected = match cut {
            0..=3 => "magic",
            4 => "version",
            5..=8 => "checksum",
            9 => "length",
            _ => "body",
        };
        assert_eq!(field, expected, "cut at {cut}");
    }
}

#[test]
fn bad_magic() {
    let mut bytes = frame(&golden_body());
    bytes[0] = b'X';
    assert_eq!(
        decode_change(&bytes),
        Err(DecodeError::BadMagic { found: *b"XDBC" })
    );
}

#[test]
fn bad_version() {
    let mut bytes = frame(&golden_body());
    bytes[4] = 2;
    let err = decode_change(&bytes).unwrap_err();
    assert_eq!(
        err,
        DecodeError::UnsupportedVersion {
            version: 2,
            supported: 1,
            offset: 4
        }
    );
    assert!(err.to_string().contains("version 2"), "{err}");
}

#[test]
fn bad_crc_in_body_and_in_checksum() {
    let good = frame(&golden_body());
    for at in [5, 8, 9, BODY, good.len() - 1] {
        let mut bytes = good.clone();
        bytes[at] ^= 0x10;
        let err = decode_change(&bytes).unwrap_err();
        // A flipped length byte is caught as a length error before the CRC.
        if at == 9 {
            assert!(
                matches!(
                    err,
                    DecodeError::LengthPastEnd { .. } | DecodeError::TrailingBytes { .. }
                ),
                "{err}"
            );
            continue;
        }
        let DecodeError::ChecksumMismatch { expected, actual } = err else {
            panic!("flip at {at}: {err}")
        };
        assert_ne!(expected, actual);
    }
}

#[test]
fn overlong_leb128() {
    // seq 3 written as two bytes.
    let bytes = tweak(|b| b.splice(3..4, [0x83, 0x00]).for_each(drop));
    assert_eq!(
        decode_change(&bytes),
        Err(DecodeError::OverlongLeb128 {
            field: "seq",
            offset: BODY + 3
        })
    );
    // time -5 written as two bytes.
    let bytes = tweak(|b| b.splice(5..6, [0xfb, 0x7f]).for_each(drop));
    assert_eq!(
        decode_change(&bytes),
        Err(DecodeError::OverlongLeb128 {
            field: "time",
            offset: BODY + 5
        })
    );
    // The frame's length written as two bytes.
    let mut bytes = frame(&golden_body());
    bytes[9] |= 0x80;
    bytes.insert(10, 0);
    let crc = crc32fast::hash(&bytes[9..]);
    bytes[5..9].copy_from_slice(&crc.to_le_bytes());
    assert_eq!(
        decode_change(&bytes),
        Err(DecodeError::OverlongLeb128 {
            field: "length",
            offset: 9
        })
    );
}

#[test]
fn leb128_past_64_bits() {
    let bytes = tweak(|b| {
        b.splice(3..4, [0xff; 9].into_iter().chain([0x02]))
            .for_each(drop)
    });
    assert_eq!(
        decode_change(&bytes),
        Err(DecodeError::Leb128Overflow {
            field: "seq",
            offset: BODY + 3
        })
    );
}

#[test]
fn length_past_the_end() {
    // The message claims 100 bytes.
    let bytes = tweak(|b| b[6] = 101);
    let err = decode_change(&bytes).unwrap_err();
    assert!(
        matches!(err, DecodeError::LengthPastEnd { field: "message", offset, declared: 100, .. } if offset == BODY + 6),
        "{err}"
    );
    // The frame claims more body than there is.
    let mut bytes = frame(&golden_body());
    bytes[9] += 1;
    let err = decode_change(&bytes).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::LengthPastEnd {
                field: "body",
                offset: 9,
                ..
            }
        ),
        "{err}"
    );
    // A count of deps that cannot fit.
    let bytes = tweak(|b| b[9] = 3);
    assert!(matches!(
        decode_change(&bytes),
        Err(DecodeError::LengthPastEnd {
            field: "deps",
            declared: 96,
            ..
        })
    ));
}

#[test]
fn actor_index_out_of_range() {
    // Op 1's obj actor index 0 becomes 2; the table has the own actor and one other.
    let i = at(19);
    let bytes = tweak(|b| b[i] = 2);
    assert_eq!(
        decode_change(&bytes),
        Err(DecodeError::ActorIndexOutOfRange {
            offset: BODY + i,
            index: 2,
            actors: 2
        })
    );
}

#[test]
fn trailing_bytes() {
    let mut bytes = frame(&golden_body());
    let end = bytes.len();
    bytes.push(0);
    assert_eq!(
        decode_change(&bytes),
        Err(DecodeError::TrailingBytes {
            offset: end,
            count: 1
        })
    );
}

#[test]
fn bad_actor_length() {
    let bytes = tweak(|b| b[0] = 0);
    assert_eq!(
        decode_change(&bytes),
        Err(DecodeError::BadActorLength {
            offset: BODY,
            len: 0
        })
    );
    let bytes = tweak(|b| b[0] = 33);
    assert_eq!(
        decode_change(&bytes),
        Err(DecodeError::BadActorLength {
            offset: BODY,
            len: 33
        })
    );
}

#[test]
fn invalid_utf8() {
    let bytes = tweak(|b| b[7] = 0xff);
    assert_eq!(
        decode_change(&bytes),
        Err(DecodeError::InvalidUtf8 {
            field: "message",
            offset: BODY + 7
        })
    );
}

#[test]
fn unknown_tags_and_reserved_bits() {
    let bytes = tweak(|b| b[at(15)] = 3);
    assert!(matches!(
        decode_change(&bytes),
        Err(DecodeError::UnknownTag {
            field: "object type",
            tag: 3,
            ..
        })
    ));
    let bytes = tweak(|b| b[at(20)] = 10);
    assert!(matches!(
        decode_change(&bytes),
        Err(DecodeError::UnknownTag {
            field: "value",
            tag: 10,
            ..
        })
    ));
    let bytes = tweak(|b| b[at(9)] = 0x40);
    assert!(matches!(
        decode_change(&bytes),
        Err(DecodeError::ReservedBits {
            field: "op header",
            ..
        })
    ));
    // The element flag with a map key.
    let bytes = tweak(|b| b[at(9)] = 0x20);
    assert!(matches!(
        decode_change(&bytes),
        Err(DecodeError::ReservedBits {
            field: "op header",
            ..
        })
    ));
}

#[test]
fn non_canonical_forms() {
    // An actor table that lists the change's own actor.
    let bytes = tweak(|b| b.splice(42..45, [1, 2, 0xaa, 0xaa]).for_each(drop));
    assert!(
        matches!(decode_change(&bytes), Err(DecodeError::NotCanonical { .. })),
        "{:?}",
        decode_change(&bytes)
    );
    // An actor that no op names: op 3's pred names the own actor instead of bb.
    let i = at(26) + 2;
    let bytes = tweak(|b| b[i] = 0);
    assert!(
        matches!(decode_change(&bytes), Err(DecodeError::NotCanonical { offset, .. }) if offset == BODY + 42)
    );
}

#[test]
fn invalid_changes() {
    let invalid = |bytes: Vec<u8>| match decode_change(&bytes) {
        Err(DecodeError::Invalid { source, .. }) => source,
        other => panic!("{other:?}"),
    };
    assert_eq!(invalid(tweak(|b| b[3] = 0)), InvalidChange::ZeroSeq);
    assert_eq!(invalid(tweak(|b| b[4] = 0)), InvalidChange::ZeroStartOp);
    // Two equal deps.
    let bytes = tweak(|b| {
        b[9] = 2;
        b.splice(10..10, [0x11; 32]).for_each(drop);
    });
    assert_eq!(invalid(bytes), InvalidChange::DepsOrder);
    // Op 0 with the insert flag and a map key.
    let i = at(9);
    let bytes = tweak(|b| b[i] = 0x04);
    assert_eq!(
        invalid(bytes),
        InvalidChange::Op {
            index: 0,
            rule: OpRule::InsertIntoMap
        }
    );
    // Op 4's pred reaching back past counter 1.
    let i = golden_body().len() - 2;
    let bytes = tweak(|b| b[i] = 13);
    assert_eq!(
        invalid(bytes),
        InvalidChange::Op {
            index: 4,
            rule: OpRule::ZeroCounter
        }
    );
    // Op 1's obj naming its own counter.
    let i = at(18);
    let bytes = tweak(|b| b[i] = 12);
    assert_eq!(
        invalid(bytes),
        InvalidChange::Op {
            index: 2,
            rule: OpRule::NotEarlier { named: 12, own: 12 }
        }
    );
}

#[test]
fn errors_read_clearly() {
    let err = decode_change(&frame(&golden_body()[..20])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "deps at offset 19 declares 32 bytes but only 10 remain"
    );
}

//! Property tests of the change codec: canonical round trips both ways.

mod common;

use common::{body, frame, valid_v1_change};
use mergedb_format::{decode_change, encode_change, Change};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// decode(encode(c)) == c for every valid change, and the hash is the hash of the bytes.
    #[test]
    fn decode_inverts_encode(change in valid_v1_change()) {
        let bytes = encode_change(&change).unwrap();
        let decoded = decode_change(&bytes).unwrap();
        prop_assert_eq!(&decoded, &change);
        prop_assert_eq!(encode_change(&decoded).unwrap(), bytes);
    }

    /// encode(decode(b)) == b for every b that decodes. Bodies are mutated and
    /// framed again with a correct CRC, so that the mutations reach the body parser.
    #[test]
    fn encode_inverts_decode(
        change in valid_v1_change(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..4),
    ) {
        let mut b = body(&encode_change(&change).unwrap());
        for (at, byte, kind) in edits {
            let i = at.index(b.len() + 1);
            match kind {
                0 if i < b.len() => b[i] = byte,
                1 => b.insert(i, byte),
                _ if i < b.len() => { b.remove(i); }
                _ => {}
            }
        }
        let framed = frame(&b);
        if let Ok(decoded) = decode_change(&framed) {
            prop_assert_eq!(encode_change(&decoded).unwrap(), framed);
        }
    }

    /// Any change, valid or not: the encoder refuses exactly the invalid ones,
    /// and the valid ones that hold a mark, which version 1 cannot write.
    #[test]
    fn encoder_refuses_invalid(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut u = arbitrary::Unstructured::new(&bytes);
        if let Ok(change) = <Change as arbitrary::Arbitrary>::arbitrary(&mut u) {
            match (change.check(), encode_change(&change)) {
                (Ok(()), Ok(bytes)) => prop_assert_eq!(decode_change(&bytes).unwrap(), change),
                (Err(e), Err(f)) => prop_assert_eq!(e, f),
                (Ok(()), Err(mergedb_format::InvalidChange::MarkInVersion1 { index })) => {
                    let is_mark = matches!(
                        change.ops[index].action,
                        mergedb_format::OpAction::MarkBegin(_) | mergedb_format::OpAction::MarkEnd { .. }
                    );
                    prop_assert!(is_mark);
                }
                (check, enc) => prop_assert!(false, "check {:?} but encode {:?}", check, enc.map(|_| ())),
            }
        }
    }
}

#[test]
fn the_test_framing_agrees_with_the_encoder() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for _ in 0..200 {
        let change = valid_v1_change().new_tree(&mut runner).unwrap().current();
        let bytes = encode_change(&change).unwrap();
        assert_eq!(frame(&body(&bytes)), bytes);
    }
}

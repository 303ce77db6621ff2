//! Structured changes through encode, decode and compare.
//!
//! `ValidChange` is always valid: it must survive the round trip unchanged. A
//! raw `Change` is usually not: the encoder must refuse exactly the changes that
//! `check` refuses, and round-trip the rest. Version 1 has no layout for
//! marks: the valid change's marks become inserts of null, and the encoder
//! refuses a raw change's marks with `MarkInVersion1`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mergedb_format::{
    decode_change, encode_change, Change, InvalidChange, OpAction, ScalarValue, ValidChange,
};

fn is_mark(a: &OpAction) -> bool {
    matches!(a, OpAction::MarkBegin(_) | OpAction::MarkEnd { .. })
}

fuzz_target!(|input: (ValidChange, Change)| {
    let (ValidChange(mut valid), raw) = input;
    for op in &mut valid.ops {
        if is_mark(&op.action) {
            op.action = OpAction::Put(ScalarValue::Null);
        }
    }
    let bytes = encode_change(&valid).expect("a ValidChange encodes");
    let decoded = decode_change(&bytes).expect("an encoded change decodes");
    assert_eq!(decoded, valid);
    assert_eq!(encode_change(&decoded).as_ref(), Ok(&bytes));

    match (raw.check(), encode_change(&raw)) {
        (Ok(()), Ok(bytes)) => assert_eq!(decode_change(&bytes).as_ref(), Ok(&raw)),
        (Err(e), Err(f)) => assert_eq!(e, f),
        (Ok(()), Err(InvalidChange::MarkInVersion1 { index })) => {
            assert!(is_mark(&raw.ops[index].action))
        }
        (check, encoded) => panic!(
            "check says {check:?} but encode says {:?}",
            encoded.map(|_| ())
        ),
    }
});

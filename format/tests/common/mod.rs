//! Helpers shared by the format tests.
#![allow(dead_code)]

pub mod counting;

use arbitrary::{Arbitrary, Unstructured};
use mergedb_format::{Change, OpAction, ScalarValue, ValidChange};
use proptest::prelude::*;

/// Valid changes, drawn from random bytes through the same generator the
/// structured fuzz target uses.
pub fn valid_change() -> impl Strategy<Value = Change> {
    proptest::collection::vec(any::<u8>(), 0..4096).prop_map(|bytes| {
        let mut u = Unstructured::new(&bytes);
        ValidChange::arbitrary(&mut u).map(|v| v.0).unwrap()
    })
}

/// Valid changes without marks, which change format version 1 (SPEC.md §3)
/// has no layout for: each mark becomes an insert of null, which is as valid.
pub fn valid_v1_change() -> impl Strategy<Value = Change> {
    valid_change().prop_map(|mut c| {
        for op in &mut c.ops {
            if matches!(op.action, OpAction::MarkBegin(_) | OpAction::MarkEnd { .. }) {
                op.action = OpAction::Put(ScalarValue::Null);
            }
        }
        c
    })
}

/// Frames `body` as SPEC.md §3.1 says, written here apart from the encoder so
/// that tests can make bodies of their own and check the frame independently.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut checked = Vec::new();
    uleb(&mut checked, body.len() as u64);
    checked.extend_from_slice(body);
    let mut out = b"MDBC\x01".to_vec();
    out.extend_from_slice(&crc32fast::hash(&checked).to_le_bytes());
    out.extend_from_slice(&checked);
    out
}

/// Appends `v` as uLEB128, written here apart from the crate's writer.
pub fn uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The body of an encoded change (everything after the length).
pub fn body(encoded: &[u8]) -> Vec<u8> {
    let mut i = 9;
    while encoded[i] & 0x80 != 0 {
        i += 1;
    }
    encoded[i + 1..].to_vec()
}

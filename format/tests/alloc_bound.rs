//! The decoder's memory is bounded by its input: at most 48 bytes of heap per
//! input byte, plus 1 KiB (SPEC.md §3.7). Measured with a counting allocator;
//! this file holds one test so that no other test allocates at the same time.
mod common;

use common::counting::{peak_during, Counting};
use common::{body, frame, valid_v1_change};
use mergedb_format::{decode_change, encode_change, ActorId, ChangeBuilder, ElemId, ObjId};
use mergedb_format::{Key, ObjType, ScalarValue};
use proptest::strategy::{Strategy, ValueTree};

#[global_allocator]
static ALLOC: Counting = Counting;

const PER_BYTE: usize = 48;
const SLACK: usize = 1024;

/// The most heap that decoding `bytes` holds at once, above what was live before.
fn peak_decoding(bytes: &[u8]) -> usize {
    peak_during(|| decode_change(bytes)).1
}

fn check(bytes: &[u8], worst: &mut f64) {
    let peak = peak_decoding(bytes);
    let limit = PER_BYTE * bytes.len() + SLACK;
    assert!(
        peak <= limit,
        "{peak} bytes of heap for {} bytes of input",
        bytes.len()
    );
    *worst = worst.max(peak.saturating_sub(SLACK) as f64 / bytes.len().max(1) as f64);
}

/// The densest input there is: thousands of the smallest ops, each an insert of
/// null at the head of a list, and deletes with many preds.
fn dense() -> Vec<Vec<u8>> {
    let actor = ActorId::new(&[1]).unwrap();
    let mut inserts = ChangeBuilder::new(actor, 1, 1, vec![]);
    let list = inserts.make(ObjId::Root, Key::map(""), ObjType::List, vec![]);
    for _ in 0..20_000 {
        inserts.insert(list.into(), ElemId::Head, ScalarValue::Null);
    }
    let mut deletes = ChangeBuilder::new(actor, 1, 1_000, vec![]);
    for _ in 0..100 {
        let preds = (1..900)
            .map(|c| mergedb_format::OpId::new(c, actor))
            .collect();
        deletes.delete(ObjId::Root, Key::map(""), preds);
    }
    [inserts, deletes]
        .into_iter()
        .map(|b| encode_change(&b.build(0, None).unwrap()).unwrap())
        .collect()
}

#[test]
fn decoding_allocates_a_bounded_multiple_of_the_input() {
    let mut worst = 0.0f64;
    for bytes in dense() {
        check(&bytes, &mut worst);
        // A count that claims more ops than are there is refused before any op is reserved.
        let mut b = body(&bytes);
        b.truncate(b.len() / 2);
        check(&frame(&b), &mut worst);
    }
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for i in 0..2_000 {
        let change = valid_v1_change().new_tree(&mut runner).unwrap().current();
        let bytes = encode_change(&change).unwrap();
        check(&bytes, &mut worst);
        let mut b = body(&bytes);
        if !b.is_empty() {
            let at = (i * 7919) % b.len();
            b[at] = b[at].wrapping_add(1 + (i % 255) as u8);
        }
        check(&frame(&b), &mut worst);
    }
    println!("worst case: {worst:.1} bytes of heap per input byte (limit {PER_BYTE})");
}

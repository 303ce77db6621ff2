//! The size of a one-keystroke change, the figure SPEC.md §3.8 gives and the
//! one to compare with automerge's 109 bytes per keystroke.

use mergedb_format::*;

/// One character typed into a 100k-character text: a 16-byte actor deep into
/// its history, a real timestamp, one dep, one insert of one character.
fn keystroke(time: i64) -> Change {
    let actor = ActorId::new(&[0x5a; 16]).unwrap();
    let text = OpId::new(1, actor);
    let mut b = ChangeBuilder::new(actor, 182_315, 259_778, vec![ChangeHash([0x42; 32])]);
    b.insert(
        text.into(),
        OpId::new(259_777, actor).into(),
        ScalarValue::str("x"),
    );
    b.build(time, None).unwrap()
}

#[test]
fn a_keystroke_takes_83_bytes_with_a_timestamp_and_78_without() {
    let with_time = encode_change(&keystroke(1_764_000_000_000)).unwrap();
    let without = encode_change(&keystroke(0)).unwrap();
    println!(
        "one keystroke: {} bytes with a timestamp, {} without",
        with_time.len(),
        without.len()
    );
    assert_eq!(with_time.len(), 83);
    assert_eq!(without.len(), 78);
}

//! Inputs the `sync_message_decode` fuzz target found, kept as tests: each
//! must decode to a message that re-encodes to one that decodes the same, or
//! be refused with an error.

use mergedb_format::sync::Message;

/// A bloom filter of 0 entries written with fields (`00 00 00`): it decoded
/// to a filter unequal to the empty one it re-encodes to.
const EMPTY_BLOOM_WITH_FIELDS: &[u8] = include_bytes!(
    "../../fuzz/regressions/sync_message_decode/crash-a9889841620a477a9cdea1816da4a928e63d9cef"
);

#[test]
fn fuzz_finds_round_trip_or_fail() {
    for input in [EMPTY_BLOOM_WITH_FIELDS] {
        if let Ok(msg) = Message::decode(input) {
            let again = Message::decode(&msg.encode()).expect("a re-encoded message decodes");
            assert_eq!(again, msg);
        }
    }
}

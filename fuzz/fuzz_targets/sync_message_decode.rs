//! Raw bytes into the sync message decoder (and the sync state decoder).
//! Whatever the bytes, they return, with memory bounded by the input; a
//! message that decodes re-encodes to a message that decodes to the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mergedb_format::sync::{decode_sync_state, encode_sync_state, Message};

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = Message::decode(data) {
        let again = Message::decode(&msg.encode()).expect("a re-encoded message decodes");
        assert_eq!(again, msg);
    }
    if let Ok(heads) = decode_sync_state(data) {
        assert_eq!(
            decode_sync_state(&encode_sync_state(&heads)).ok(),
            Some(heads)
        );
    }
});

//! Raw bytes into automerge-repo's wire message decoder, as a WebSocket
//! frame from any peer. Whatever the bytes, they return, with memory bounded
//! by the input; a message that decodes re-encodes to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mergedb_net::WireMessage;

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = WireMessage::decode(data) {
        let again = WireMessage::decode(&msg.encode()).expect("a re-encoded message decodes");
        assert_eq!(again, msg);
    }
});

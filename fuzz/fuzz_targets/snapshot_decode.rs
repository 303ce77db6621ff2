//! Raw bytes into the snapshot decoder (SPEC.md §4): as a whole snapshot, and
//! as a bare state section and a bare history section, since the crc32 of a
//! whole snapshot stops nearly every mutation before the section decoders.
//! Each returns `Ok` or an error. A state that decodes re-encodes to a state
//! that decodes to the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mergedb_format::snapshot::{decode_history, decode_state, encode_state, parse_snapshot};

fuzz_target!(|data: &[u8]| {
    if let Ok(snapshot) = parse_snapshot(data) {
        let _ = snapshot.state();
        let _ = snapshot.history();
    }
    if let Ok(state) = decode_state(data) {
        assert_eq!(decode_state(&encode_state(&state)).ok(), Some(state));
    }
    let _ = decode_history(data);
});

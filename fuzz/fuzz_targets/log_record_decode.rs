//! Raw bytes into the log value decoder (SPEC.md §5.3): a log record or a
//! group record. It returns; a record that decodes re-encodes to the same
//! bytes, and a group that decodes re-encodes to a group that decodes to the
//! same entries.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mergedb_format::{decode_log_record, decode_log_value, encode_log_group, encode_log_record};

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = decode_log_record(data) {
        assert_eq!(encode_log_record(r.position, r.verbatim, r.chunk), data);
    }
    if let Ok(entries) = decode_log_value(data) {
        if entries.len() >= 2 {
            let parts: Vec<(u64, bool, &[u8])> = entries
                .iter()
                .map(|e| (e.position, e.verbatim, e.chunk.as_slice()))
                .collect();
            let again = decode_log_value(&encode_log_group(&parts)).expect("a group re-encodes");
            assert_eq!(again, entries);
        }
    }
});

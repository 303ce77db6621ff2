//! Raw bytes into the log record decoder (SPEC.md §5.3): it returns, and a
//! record that decodes re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mergedb_format::{decode_log_record, encode_log_record};

fuzz_target!(|data: &[u8]| {
    if let Ok((position, change)) = decode_log_record(data) {
        assert_eq!(encode_log_record(position, change), data);
    }
});

//! Raw bytes into the change decoder. Whatever the bytes, it returns, and a
//! change that decodes is valid and re-encodes to exactly the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mergedb_format::{decode_change, encode_change};

fuzz_target!(|data: &[u8]| {
    if let Ok(change) = decode_change(data) {
        assert_eq!(change.check(), Ok(()));
        assert_eq!(encode_change(&change).as_deref(), Ok(data));
    }
});

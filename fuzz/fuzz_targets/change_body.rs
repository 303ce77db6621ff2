//! Raw bytes as a change body, framed here with a correct length and crc32 as
//! SPEC.md §3.1 says. The CRC would stop almost every mutation of a framed
//! change at the frame check; this target reaches the body parser directly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mergedb_format::{decode_change, encode_change, CHANGE_MAGIC, CHANGE_VERSION};

fn frame(body: &[u8]) -> Vec<u8> {
    let mut checked = Vec::with_capacity(body.len() + 10);
    let mut n = body.len() as u64;
    while n >= 0x80 {
        checked.push((n as u8) | 0x80);
        n >>= 7;
    }
    checked.push(n as u8);
    checked.extend_from_slice(body);
    let mut out = CHANGE_MAGIC.to_vec();
    out.push(CHANGE_VERSION);
    out.extend_from_slice(&crc32fast::hash(&checked).to_le_bytes());
    out.extend_from_slice(&checked);
    out
}

fuzz_target!(|body: &[u8]| {
    let bytes = frame(body);
    if let Ok(change) = decode_change(&bytes) {
        assert_eq!(change.check(), Ok(()));
        assert_eq!(encode_change(&change), Ok(bytes));
    }
});

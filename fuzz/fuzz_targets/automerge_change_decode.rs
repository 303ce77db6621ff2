//! Raw bytes into the decoder of Automerge change chunks. Whatever the bytes,
//! it returns (memory bounded by the input, a compressed chunk by its
//! inflation limit), and a change that decodes has the hash of its chunk.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mergedb_format::automerge::{chunk_hash, decode_automerge_change, parse_chunk, ChunkKind};

fuzz_target!(|data: &[u8]| {
    if let Ok(decoded) = decode_automerge_change(data) {
        if let Ok(chunk) = parse_chunk(data, 0) {
            if chunk.kind == ChunkKind::Change {
                assert_eq!(decoded.hash, chunk_hash(ChunkKind::Change, chunk.body));
            }
        }
    }
});

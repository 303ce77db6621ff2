//! A history section can declare far more changes than it holds: counts are
//! checked against its bytes, but 8 MiB of zero op counts declare 8 million
//! changes. The decoder must not make room for all of them before it reads
//! one (SPEC.md §4.4): this section fails at its first change, holding little
//! more than a fixed cap. Measured with a counting allocator, alone in its file.

mod common;

use common::counting::{peak_during, Counting};
use common::uleb;
use mergedb_format::snapshot::{decode_history, hash_history};

#[global_allocator]
static ALLOC: Counting = Counting;

/// One actor, `n` changes declared, and 21 columns of which only "change
/// ops" (column 9) holds bytes: `n` zeros.
fn hollow_history(n: usize) -> Vec<u8> {
    let mut raw = vec![1, 1, 7];
    uleb(&mut raw, n as u64);
    for column in 0..21 {
        let len = if column == 9 { n } else { 0 };
        uleb(&mut raw, len as u64);
        raw.resize(raw.len() + len, 0);
    }
    raw
}

#[test]
fn a_hollow_history_is_refused_without_making_room_for_it() {
    let n = 8 << 20;
    let raw = hollow_history(n);
    type Decode = fn(&[u8]) -> bool;
    let cases: [(&str, Decode); 2] = [
        ("decode_history", |r| decode_history(r).is_err()),
        ("hash_history", |r| hash_history(r).is_err()),
    ];
    for (what, refused) in cases {
        let (result, peak) = peak_during(|| refused(&raw));
        assert!(result, "{what}");
        // Room for 2^20 hashes is 32 MiB; for every declared change, 256.
        assert!(
            peak <= 40 << 20,
            "{what}: {peak} bytes of heap for a section of {} bytes",
            raw.len()
        );
    }
}

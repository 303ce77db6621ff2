//! A history section can declare far more changes than it holds: counts are
//! checked against its bytes, but 8 MiB of zero op counts declare 8 million
//! changes. The decoder must not make room for all of them before it reads
//! one (SPEC.md §4.4): this section fails at its first change, holding little
//! more than a fixed cap. Measured with a counting allocator, alone in its file.
#![allow(unsafe_code)] // A counting wrapper around the system allocator, tests only.

use mergedb_format::snapshot::{decode_history, hash_history};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call forwards to `System` with the same arguments; the counters
// are only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), SeqCst) + layout.size();
        PEAK.fetch_max(live, SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

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
        let before = LIVE.load(SeqCst);
        PEAK.store(before, SeqCst);
        let result = refused(&raw);
        let peak = PEAK.load(SeqCst) - before;
        assert!(result, "{what}");
        // Room for 2^20 hashes is 32 MiB; for every declared change, 256.
        assert!(
            peak <= 40 << 20,
            "{what}: {peak} bytes of heap for a section of {} bytes",
            raw.len()
        );
    }
}

//! Replays an editing trace as local edits, one commit per trace txn, and
//! prints the time it took and the resident memory it holds, for mergedb or
//! for automerge (a fresh process each, so the memory figures are clean).
//!
//!     cargo run --release --example replay -- mergedb
//!     cargo run --release --example replay -- automerge
//!
//! The trace is `MERGEDB_TRACE`, or automerge-paper from ../shared/traces.

#![allow(unsafe_code)] // A counting wrapper around the system allocator, to measure the heap.

use automerge::transaction::Transactable;
use mergedb::engine::Document;
use mergedb::format::{ObjId, ObjType};
use mergedb_traces::trace::Trace;
use std::time::Instant;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

struct Counting;
static LIVE: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call forwards to `System` unchanged; the counter is bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as u64, Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as u64, Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Heap bytes live now.
fn heap() -> u64 {
    LIVE.load(Relaxed)
}

/// The process's resident set size in bytes (VmRSS).
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
    kb.unwrap_or(0) * 1024
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let which = std::env::args().nth(1).unwrap_or_else(|| "mergedb".into());
    let trace = Trace::load(&Trace::default_path())?;
    let ops = trace
        .txns
        .iter()
        .flatten()
        .map(|p| p.del + p.ins.chars().count())
        .sum::<usize>();
    let before = heap();
    let start = Instant::now();
    let text = match which.as_str() {
        "mergedb" => {
            let mut doc = Document::new();
            let mut tx = doc.transaction();
            let text = tx.put_object(&ObjId::Root, "text", ObjType::Text)?;
            tx.commit();
            for txn in &trace.txns {
                let mut tx = doc.transaction();
                for p in txn {
                    tx.splice_text(&text, p.pos, p.del, &p.ins)?;
                }
                tx.commit();
            }
            let elapsed = start.elapsed();
            let out = doc.text(&text)?;
            report(&which, elapsed, heap() - before, ops, doc.change_count());
            if std::env::var_os("MEMORY_REPORT").is_some() {
                for (what, bytes) in doc.memory_report() {
                    println!("  {what:<28} {:>6.1} MiB", bytes as f64 / (1 << 20) as f64);
                }
            }
            out
        }
        "automerge" => {
            use automerge::ReadDoc;
            let mut doc = automerge::Automerge::new();
            let mut tx = doc.transaction();
            let text = tx.put_object(automerge::ROOT, "text", automerge::ObjType::Text)?;
            tx.commit();
            for txn in &trace.txns {
                let mut tx = doc.transaction();
                for p in txn {
                    tx.splice_text(&text, p.pos, p.del as isize, &p.ins)?;
                }
                tx.commit();
            }
            let elapsed = start.elapsed();
            let out = doc.text(&text)?;
            report(
                &which,
                elapsed,
                heap() - before,
                ops,
                doc.get_changes(&[]).len(),
            );
            out
        }
        other => return Err(format!("unknown engine {other}: mergedb or automerge").into()),
    };
    if text != trace.end_content {
        return Err("the replayed text differs from endContent".into());
    }
    println!(
        "final text matches endContent ({} code points)",
        text.chars().count()
    );
    Ok(())
}

fn report(which: &str, elapsed: std::time::Duration, bytes: u64, ops: usize, changes: usize) {
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    println!(
        "{which}: {changes} changes, {ops} ops in {:.3} s; the document holds {:.1} MiB of heap, {:.0} bytes per op; process RSS {:.1} MiB",
        elapsed.as_secs_f64(),
        mib(bytes),
        bytes as f64 / ops as f64,
        mib(rss()),
    );
}

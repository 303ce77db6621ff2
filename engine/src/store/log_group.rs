//! One log record per commit group and actor (SPEC.md §5.3): the writer
//! merges the log records of consecutive seqs of one (document, actor) that
//! a group of commits writes into one group record, under the first one's
//! key, before the group's one durable write. A keystroke then costs its
//! share of a compressed record, not a record and a key of its own.

use super::keys;
use super::{Batch, Write};
use mergedb_format::{decode_log_record, encode_log_group};
use std::collections::HashMap;

/// A group being gathered: where its record goes in the output, its first
/// key, its last seq, and its changes (position, kept as it came, chunk).
struct Open {
    slot: usize,
    key: Vec<u8>,
    last_seq: u64,
    entries: Vec<(u64, bool, Vec<u8>)>,
}

/// The batch with runs of log records merged. A delete that could remove a
/// log key ends every run, so that no merged record outlives a delete
/// written after one of its records.
pub(crate) fn coalesce(batch: Batch) -> Batch {
    let writes = batch.into_entries();
    if writes.len() < 2 {
        return Batch::from_entries(writes);
    }
    let mut out: Vec<Write> = Vec::with_capacity(writes.len());
    let mut open: HashMap<Vec<u8>, Open> = HashMap::new();
    for w in writes {
        let Write::Put(key, value) = w else {
            if touches_logs(&w) {
                close_all(&mut open, &mut out);
            }
            out.push(w);
            continue;
        };
        let Some((prefix, seq)) = log_seq(&key) else {
            out.push(Write::Put(key, value));
            continue;
        };
        let record = decode_log_record(&value)
            .ok()
            .map(|r| (r.position, r.verbatim, r.chunk.to_vec()));
        let Some(record) = record else {
            // Not a single record (already a group): kept as it is.
            if let Some(g) = open.remove(&prefix) {
                close(g, &mut out);
            }
            out.push(Write::Put(key, value));
            continue;
        };
        match open.get_mut(&prefix) {
            Some(g) if g.last_seq.checked_add(1) == Some(seq) => {
                g.last_seq = seq;
                g.entries.push(record);
            }
            _ => {
                if let Some(g) = open.remove(&prefix) {
                    close(g, &mut out);
                }
                open.insert(
                    prefix,
                    Open {
                        slot: out.len(),
                        key: key.clone(),
                        last_seq: seq,
                        entries: vec![record],
                    },
                );
                out.push(Write::Put(key, value));
            }
        }
    }
    close_all(&mut open, &mut out);
    Batch::from_entries(out)
}

/// Whether a delete could remove a log key.
fn touches_logs(w: &Write) -> bool {
    match w {
        Write::Delete(k) => k.first() == Some(&b'L'),
        Write::DeletePrefix(p) => p.first().is_none_or(|b| *b == b'L'),
        Write::Put(..) => false,
    }
}

/// A log key's (document, actor) prefix and seq.
fn log_seq(key: &[u8]) -> Option<(Vec<u8>, u64)> {
    let (_, seq) = keys::parse_log_key(key)?;
    Some((key.get(..key.len() - 8)?.to_vec(), seq))
}

fn close_all(open: &mut HashMap<Vec<u8>, Open>, out: &mut [Write]) {
    for (_, g) in open.drain() {
        close(g, out);
    }
}

/// Writes a group of two or more in its slot (one stays as it was written).
fn close(g: Open, out: &mut [Write]) {
    if g.entries.len() < 2 {
        return;
    }
    let entries: Vec<(u64, bool, &[u8])> = g
        .entries
        .iter()
        .map(|(p, v, c)| (*p, *v, c.as_slice()))
        .collect();
    if let Some(slot) = out.get_mut(g.slot) {
        *slot = Write::Put(g.key, encode_log_group(&entries));
    }
}

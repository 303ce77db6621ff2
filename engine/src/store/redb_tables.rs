//! The redb side of the backend: every key in one table (SPEC.md §5.6).
//!
//! Logs were once a table per document, so that compaction dropped a log
//! whole; that cost each document a table's pages, 5.5 KB for a document of
//! ten small commits. A log is now a few group records (one per commit group
//! and actor, §5.3), so deleting it by range costs little, and a document
//! costs what its records need.

use super::backend::prefix_end;
use super::{Entries, StoreError};
use redb::TableDefinition;
use std::ops::Bound;

/// The one table.
pub(crate) const MAIN: TableDefinition<&[u8], &[u8]> = TableDefinition::new("mergedb");

/// Every entry with `prefix`, in key order; with `limit`, at most that many.
pub(crate) fn scan(
    txn: &redb::ReadTransaction,
    prefix: &[u8],
    limit: Option<usize>,
    err: impl Fn(String) -> StoreError,
) -> Result<Entries, StoreError> {
    let table = match txn.open_table(MAIN) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
        Err(e) => return Err(err(e.to_string())),
    };
    let mut out = Vec::new();
    for entry in table.range(prefix..).map_err(|e| err(e.to_string()))? {
        let (k, v) = entry.map_err(|e| err(e.to_string()))?;
        if !k.value().starts_with(prefix) || limit.is_some_and(|l| out.len() >= l) {
            break;
        }
        out.push((k.value().to_vec(), v.value().to_vec()));
    }
    Ok(out)
}

/// Applies one batch in a write transaction, in batch order.
pub(crate) fn apply(
    txn: &redb::WriteTransaction,
    writes: &[super::Write],
    err: impl Fn(String) -> StoreError,
) -> Result<(), StoreError> {
    use super::Write;
    let e = |x: &dyn std::fmt::Display| err(x.to_string());
    let mut table = txn.open_table(MAIN).map_err(|x| e(&x))?;
    for w in writes {
        match w {
            Write::Put(k, v) => table.insert(k.as_slice(), v.as_slice()).map(drop),
            Write::Delete(k) => table.remove(k.as_slice()).map(drop),
            Write::DeletePrefix(p) => {
                let end = prefix_end(p);
                let hi = match &end {
                    Some(h) => Bound::Excluded(h.as_slice()),
                    None => Bound::Unbounded,
                };
                table.retain_in::<&[u8], _>((Bound::Included(p.as_slice()), hi), |_, _| false)
            }
        }
        .map_err(|x| e(&x))?;
    }
    Ok(())
}

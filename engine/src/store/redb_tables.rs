//! Where redb keeps each key: a document's log in a table of its own, all
//! else in the main table (SPEC.md §5.6).
//!
//! Why: compaction deletes a document's whole log in the transaction that
//! writes its snapshot. In one shared table that is a removal per record
//! (20 ms for automerge-paper's 259,779 records, and more pages to write at
//! the commit); a table of its own is dropped whole, page by page. The
//! routing is invisible above the backend: keys, order and prefix semantics
//! are those of one ordered map, which the conformance suite checks.

use super::backend::prefix_end;
use super::{Entries, StoreError};
use mergedb_format::hex;
use redb::{ReadableTable, TableDefinition, TableError, TableHandle};
use std::ops::Bound;

/// The main table: every key that is not a log key.
pub(crate) const MAIN: TableDefinition<&[u8], &[u8]> = TableDefinition::new("mergedb");
/// A log key is `L`, the 16-byte document id, then the actor and seq.
const LOG: u8 = b'L';
const LOG_PREFIX: usize = 17;
const LOG_TABLE: &str = "log/";

/// The name of the log table that holds `key`, or every key with prefix
/// `key`: `None` unless `key` is at least a whole log prefix.
pub(crate) fn log_table(key: &[u8]) -> Option<String> {
    let doc = key
        .get(1..LOG_PREFIX)
        .filter(|_| key.first() == Some(&LOG))?;
    Some(format!("{LOG_TABLE}{}", hex::encode(doc)))
}

/// The log prefix (`L` and the document id) of a log table's keys.
fn table_prefix(name: &str) -> Option<Vec<u8>> {
    let doc = hex::decode(name.strip_prefix(LOG_TABLE)?)?;
    (doc.len() == LOG_PREFIX - 1).then(|| [&[LOG][..], &doc].concat())
}

/// Whether a prefix shorter than a log prefix can match log keys, so that
/// the log tables must be looked at as well as the main table.
fn reaches_logs(prefix: &[u8]) -> bool {
    prefix.is_empty() || (prefix.first() == Some(&LOG) && prefix.len() < LOG_PREFIX)
}

/// The log tables whose keys all start with `prefix` (which is shorter than
/// a log prefix, so they match whole or not at all).
fn log_tables_under(names: impl Iterator<Item = String>, prefix: &[u8]) -> Vec<String> {
    names
        .filter(|n| table_prefix(n).is_some_and(|p| p.starts_with(prefix)))
        .collect()
}

/// Refuses a file whose main table holds log keys: one written before logs
/// had tables of their own, whose logs this layout would not see.
pub(crate) fn check_layout(
    main: &impl ReadableTable<&'static [u8], &'static [u8]>,
) -> Result<(), String> {
    // The first key that could be a log key; shorter keys stay in the main
    // table, and the store writes none.
    let start = [LOG; 1]
        .iter()
        .chain(&[0; LOG_PREFIX - 1])
        .copied()
        .collect::<Vec<u8>>();
    let first_log = main
        .range(start.as_slice()..)
        .map_err(|e| e.to_string())?
        .next()
        .transpose()
        .map_err(|e| e.to_string())?
        .map(|(k, _)| k.value().to_vec());
    match first_log {
        Some(k) if log_table(&k).is_some() => Err(format!(
            "the main table holds log key {}: this file keeps its logs in the layout before \
             per-document log tables (SPEC.md §5.6), which this build does not read",
            hex::encode(&k)
        )),
        _ => Ok(()),
    }
}

/// A table of byte keys and values open in a write transaction.
type BytesTable<'txn> = redb::Table<'txn, &'static [u8], &'static [u8]>;

fn range(prefix: &[u8]) -> (Bound<&[u8]>, Bound<Vec<u8>>) {
    let end = prefix_end(prefix).map_or(Bound::Unbounded, Bound::Excluded);
    (Bound::Included(prefix), end)
}

/// Every entry of `table` with `prefix`, appended to `out`, until `out`
/// holds `limit`.
fn scan_table(
    table: &impl ReadableTable<&'static [u8], &'static [u8]>,
    prefix: &[u8],
    limit: Option<usize>,
    out: &mut Entries,
    err: impl Fn(String) -> StoreError,
) -> Result<(), StoreError> {
    for entry in table.range(prefix..).map_err(|e| err(e.to_string()))? {
        let (k, v) = entry.map_err(|e| err(e.to_string()))?;
        if !k.value().starts_with(prefix) || limit.is_some_and(|l| out.len() >= l) {
            break;
        }
        out.push((k.value().to_vec(), v.value().to_vec()));
    }
    Ok(())
}

/// Scans `prefix` across the main table and the log tables, in key order;
/// with `limit`, stops once it has that many (which are then some entries
/// with the prefix, not the first ones: enough to tell whether there are any).
pub(crate) fn scan(
    txn: &redb::ReadTransaction,
    prefix: &[u8],
    limit: Option<usize>,
    err: impl Fn(String) -> StoreError + Copy,
) -> Result<Entries, StoreError> {
    let mut out = Vec::new();
    if let Some(name) = log_table(prefix) {
        match txn.open_table(TableDefinition::<&[u8], &[u8]>::new(&name)) {
            Ok(table) => scan_table(&table, prefix, limit, &mut out, err)?,
            Err(TableError::TableDoesNotExist(_)) => {}
            Err(e) => return Err(err(e.to_string())),
        }
        return Ok(out);
    }
    let main = txn.open_table(MAIN).map_err(|e| err(e.to_string()))?;
    scan_table(&main, prefix, limit, &mut out, err)?;
    if reaches_logs(prefix) && limit.is_none_or(|l| out.len() < l) {
        let names = txn.list_tables().map_err(|e| err(e.to_string()))?;
        let names = names.map(|t| t.name().to_string());
        for name in log_tables_under(names, prefix) {
            let table = txn
                .open_table(TableDefinition::<&[u8], &[u8]>::new(&name))
                .map_err(|e| err(e.to_string()))?;
            scan_table(&table, prefix, limit, &mut out, err)?;
        }
        out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    }
    Ok(out)
}

/// Applies one batch in a write transaction: each write goes to its key's
/// table, in batch order. A prefix deletion that covers whole log tables
/// drops them. The table last written stays open for the next write, since a
/// batch's puts mostly go to one document's log.
pub(crate) fn apply(
    txn: &redb::WriteTransaction,
    writes: &[super::Write],
    err: impl Fn(String) -> StoreError + Copy,
) -> Result<(), StoreError> {
    use super::Write;
    let e = |x: &dyn std::fmt::Display| err(x.to_string());
    let mut open: Option<(String, BytesTable<'_>)> = None;
    for w in writes {
        let key = match w {
            Write::Put(k, _) | Write::Delete(k) => k,
            Write::DeletePrefix(p) => {
                // A table being dropped must not be open.
                open = None;
                delete_prefix(txn, p, err)?;
                continue;
            }
        };
        let name = log_table(key).unwrap_or_else(|| MAIN.name().to_string());
        let table = match &mut open {
            Some((n, table)) if *n == name => table,
            _ => {
                open = None;
                let def = TableDefinition::<&[u8], &[u8]>::new(&name);
                let table = txn.open_table(def).map_err(|x| e(&x))?;
                &mut open.insert((name, table)).1
            }
        };
        match w {
            Write::Put(k, v) => table.insert(k.as_slice(), v.as_slice()).map(drop),
            _ => table.remove(key.as_slice()).map(drop),
        }
        .map_err(|x| e(&x))?;
    }
    Ok(())
}

fn delete_prefix(
    txn: &redb::WriteTransaction,
    p: &[u8],
    err: impl Fn(String) -> StoreError + Copy,
) -> Result<(), StoreError> {
    let e = |x: &dyn std::fmt::Display| err(x.to_string());
    let retain = |name: &str| -> Result<(), StoreError> {
        let mut table = txn
            .open_table(TableDefinition::<&[u8], &[u8]>::new(name))
            .map_err(|x| e(&x))?;
        let (lo, hi) = range(p);
        let hi = match &hi {
            Bound::Excluded(h) => Bound::Excluded(h.as_slice()),
            _ => Bound::Unbounded,
        };
        table
            .retain_in::<&[u8], _>((lo, hi), |_, _| false)
            .map_err(|x| e(&x))
    };
    match log_table(p) {
        Some(name) if p.len() == LOG_PREFIX => {
            txn.delete_table(TableDefinition::<&[u8], &[u8]>::new(&name))
                .map_err(|x| e(&x))?;
        }
        Some(name) => retain(&name)?,
        None => {
            retain(MAIN.name())?;
            if reaches_logs(p) {
                let names: Vec<String> = txn
                    .list_tables()
                    .map_err(|x| e(&x))?
                    .map(|t| t.name().to_string())
                    .collect();
                for name in log_tables_under(names.into_iter(), p) {
                    txn.delete_table(TableDefinition::<&[u8], &[u8]>::new(&name))
                        .map_err(|x| e(&x))?;
                }
            }
        }
    }
    Ok(())
}

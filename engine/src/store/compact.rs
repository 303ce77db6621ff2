//! Compaction in the store (SPEC.md §6): a snapshot of every change a
//! document holds replaces its log, in one durable batch.

use super::keys::{self, DocId};
use super::reentry;
use super::store::Inner;
use super::{Batch, Store, StoreError};
use std::sync::atomic::Ordering;

/// A document's log since its last snapshot: what the compaction policy looks at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogStats {
    /// Log records.
    pub records: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// What one compaction did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Compaction {
    /// The size of the snapshot written.
    pub snapshot_bytes: u64,
    /// Log records it replaced, and their bytes.
    pub records_removed: u64,
    pub bytes_removed: u64,
    /// Whether it wrote anything: a document whose log is empty is left as
    /// it is (its snapshot, if any, already holds every change).
    pub wrote: bool,
}

impl Store {
    /// The log since the last snapshot of every document loaded now: the
    /// documents that can have grown since they were opened.
    pub fn log_stats(&self) -> Vec<(DocId, LogStats)> {
        let docs = self.inner.cache.lock().all_full();
        docs.into_iter()
            .filter_map(|(id, doc)| {
                let l = doc.try_read()?;
                Some((
                    id,
                    LogStats {
                        records: l.log_records,
                        bytes: l.log_bytes,
                    },
                ))
            })
            .collect()
    }

    /// Compacts a document now: writes a snapshot of every change it holds
    /// and deletes the log records those changes had, in one durable batch
    /// (SPEC.md §6.2). Commits to the document wait while the snapshot is
    /// built and land in the log after it; reads go on.
    pub fn compact(&self, id: &DocId) -> Result<Compaction, StoreError> {
        let inner: &Inner = &self.inner;
        reentry::check_none()?;
        let _one_at_a_time = inner.compacting.lock();
        // A poisoned store writes nothing more, compactions included.
        if let Some(why) = inner.writer.poisoned() {
            return Err(StoreError::Poisoned(why));
        }
        self.require(id)?;
        let cached = inner.cache.lock().peek_full(id);
        let empty_log = match &cached {
            Some(doc) => doc.read().log_records == 0,
            None => !inner.backend.any_with_prefix(&keys::log_prefix(id))?,
        };
        if empty_log {
            return Ok(Compaction::default());
        }
        let loaded = self.loaded(id)?;
        let guard = loaded.read();
        // A change's log record may still wait for the log writer; deleting
        // it first would let it land after the snapshot, duplicated.
        if !inner.writer.is_durable_through(guard.pending) {
            self.flush()?;
        }
        let snapshot = guard.doc.save()?;
        // Every log record of the document holds a change the snapshot holds:
        // the log is what the document was loaded from plus what it committed
        // since, all durable now, and commits wait on the lock we hold.
        let done = Compaction {
            snapshot_bytes: snapshot.len() as u64,
            records_removed: guard.log_records,
            bytes_removed: guard.log_bytes,
            wrote: true,
        };
        let mut batch = Batch::new();
        batch.delete_prefix(keys::log_prefix(id));
        batch.put(keys::snapshot_key(id), snapshot);
        if let Err(e) = inner.backend.write(&batch, true) {
            inner.writer.poison(format!(
                "a compaction's durable write failed, and nothing after it is safe: {e}"
            ));
            return Err(e);
        }
        drop(guard);
        let mut l = loaded.write();
        l.log_records = l.log_records.saturating_sub(done.records_removed);
        l.log_bytes = l.log_bytes.saturating_sub(done.bytes_removed);
        inner.compactions.fetch_add(1, Ordering::Relaxed);
        Ok(done)
    }
}

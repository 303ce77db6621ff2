//! Snapshots in the store: compaction (SPEC.md §6), opening a compacted
//! document from its state section alone, and `verify`.

use super::keys::{self, DocId};
use super::reentry;
use super::store::{corrupt, Inner};
use super::{Batch, Store, StoreError, VerifyReport};
use crate::{Document, StateView};
use mergedb_format::snapshot::parse_snapshot;
use mergedb_format::{decode_log_record, ActorId};
use std::collections::{HashMap, HashSet};
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
    /// The state section of a compacted document whose log and queue are
    /// empty; `None` for any other document.
    pub(crate) fn state_only(&self, id: &DocId) -> Result<Option<StateView>, StoreError> {
        self.require(id)?;
        let backend = &self.inner.backend;
        let key = keys::snapshot_key(id);
        let Some(bytes) = backend.get(&key)? else {
            return Ok(None);
        };
        if backend.any_with_prefix(&keys::log_prefix(id))?
            || backend.any_with_prefix(&keys::queue_prefix(id))?
        {
            return Ok(None);
        }
        let state = parse_snapshot(&bytes)
            .and_then(|s| s.state())
            .map_err(|e| corrupt(id, &key, e))?;
        self.inner.state_loads.fetch_add(1, Ordering::Relaxed);
        Ok(Some(StateView::new(state)))
    }

    /// A document's stored snapshot, as it is on disk.
    pub fn snapshot_bytes(&self, id: &DocId) -> Result<Option<Vec<u8>>, StoreError> {
        self.require(id)?;
        self.inner.backend.get(&keys::snapshot_key(id))
    }

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

    /// Reads every record of every document and checks it: the snapshot's
    /// checksums, that its state section is what its history gives, each log
    /// record's crc32 and change checksum, its key against its change,
    /// gap-free seqs per actor following the snapshot's, distinct positions,
    /// and that the document rebuilds with every change re-encoding to its
    /// hash. Uses no cache and changes nothing.
    pub fn verify(&self) -> Result<VerifyReport, StoreError> {
        let mut report = VerifyReport::default();
        for id in self.list_docs()? {
            let after_snapshot = self.verify_snapshot(&id, &mut report)?;
            let loaded = self.load_with(&id, false)?;
            if let Err(hash) = loaded.doc.verify_changes() {
                return Err(corrupt(
                    &id,
                    &[],
                    format!("change {hash} does not rebuild to its hash"),
                ));
            }
            self.verify_log(&id, &after_snapshot, &mut report)?;
            let queue = self.inner.backend.scan_prefix(&keys::queue_prefix(&id))?;
            report.queued += queue.len() as u64;
            report.docs += 1;
        }
        Ok(report)
    }

    /// Checks a document's snapshot, if it has one; gives each actor's last
    /// seq in it.
    fn verify_snapshot(
        &self,
        id: &DocId,
        report: &mut VerifyReport,
    ) -> Result<HashMap<ActorId, u64>, StoreError> {
        let key = keys::snapshot_key(id);
        let Some(bytes) = self.inner.backend.get(&key)? else {
            return Ok(HashMap::new());
        };
        let bad = |e: &dyn std::fmt::Display| corrupt(id, &key, e);
        let state = parse_snapshot(&bytes)
            .and_then(|s| s.state())
            .map_err(|e| bad(&e))?;
        let doc = Document::load(&bytes, self.inner.actor).map_err(|e| bad(&e))?;
        if doc.state() != state {
            return Err(bad(&"the state section is not what the history gives"));
        }
        report.snapshots += 1;
        report.snapshot_bytes += bytes.len() as u64;
        Ok(doc
            .actors()
            .into_iter()
            .map(|a| (a, doc.last_seq(&a)))
            .collect())
    }

    fn verify_log(
        &self,
        id: &DocId,
        after: &HashMap<ActorId, u64>,
        report: &mut VerifyReport,
    ) -> Result<(), StoreError> {
        let mut positions = HashSet::new();
        let mut seqs: HashMap<ActorId, Vec<u64>> = HashMap::new();
        for (key, value) in self.inner.backend.scan_prefix(&keys::log_prefix(id))? {
            let (position, _) = decode_log_record(&value).map_err(|e| corrupt(id, &key, e))?;
            if !positions.insert(position) {
                return Err(corrupt(
                    id,
                    &key,
                    format!("position {position} is used twice"),
                ));
            }
            let (actor, seq) =
                keys::parse_log_key(&key).ok_or_else(|| corrupt(id, &key, "malformed key"))?;
            seqs.entry(actor).or_default().push(seq);
            report.changes += 1;
            report.bytes += value.len() as u64;
        }
        for (actor, mut list) in seqs {
            list.sort_unstable();
            let first = after.get(&actor).copied().unwrap_or(0) + 1;
            if list.iter().enumerate().any(|(i, s)| *s != first + i as u64) {
                return Err(corrupt(
                    id,
                    &[],
                    format!(
                        "actor {actor}'s seqs in the log do not run on from {first} without a gap"
                    ),
                ));
            }
        }
        Ok(())
    }
}

//! Loading a whole document (SPEC.md §5.5): its snapshot's history, then its
//! log in position order, then its queue, with torn tails handled as the
//! store's `RecoveryMode` says.

use super::cache::Loaded;
use super::keys::{self, DocId};
use super::store::{corrupt, is_last_of_actor, read_records};
use super::{Batch, RecoveryMode, Store, StoreError};
use crate::DecodedChunk;
use crate::Document;
use std::sync::atomic::Ordering;

impl Store {
    /// Reads a document's log, in log order, then its queue.
    pub(crate) fn load(&self, id: &DocId) -> Result<Loaded, StoreError> {
        self.load_with(
            id,
            self.inner.options.recovery == RecoveryMode::TruncateTornTail,
        )
    }

    pub(crate) fn load_with(&self, id: &DocId, recover: bool) -> Result<Loaded, StoreError> {
        self.require(id)?;
        let backend = &self.inner.backend;
        let mut doc = match backend.get(&keys::snapshot_key(id))? {
            Some(bytes) => {
                self.inner.history_loads.fetch_add(1, Ordering::Relaxed);
                Document::load(&bytes, self.inner.actor)
                    .map_err(|e| corrupt(id, &keys::snapshot_key(id), e))?
            }
            None => Document::with_actor(self.inner.actor),
        };
        let (mut records, log_bytes) = self.read_log(id, recover)?;
        records.sort_unstable_by_key(|(p, _)| *p);
        let next_position = records.last().map_or(0, |(p, _)| p + 1);
        let log_records = records.len() as u64;
        doc.apply_decoded(records.into_iter().map(|(_, c)| c).collect())?;
        let mut queued = Vec::new();
        for (key, value) in backend.scan_prefix(&keys::queue_prefix(id))? {
            queued.push(
                doc.decode_chunk(&value, 0)
                    .map_err(|e| corrupt(id, &key, e))?,
            );
        }
        let mut loaded = Loaded {
            doc: std::sync::Arc::new(doc),
            next_position,
            pending: None,
            log_records,
            log_bytes,
        };
        // Queued changes whose deps arrived before a crash apply now, and move to the log.
        let applied = loaded.doc_mut().apply_decoded(queued)?;
        // A read-only store keeps them in memory; the next writable open moves them.
        if !applied.applied.is_empty() && self.inner.backend.read_only().is_none() {
            let batch = self.log_batch(id, &mut loaded, &applied)?;
            let mut pending = None;
            self.persist(batch, &mut pending)?.wait()?;
        }
        Ok(loaded)
    }

    /// A document's valid log records, as (position, change). A corrupt record
    /// fails the read, unless the store recovers torn tails and it is the last
    /// record of its actor: then it is deleted, durably, and the rest is read.
    /// Also gives the bytes of the records kept.
    fn read_log(
        &self,
        id: &DocId,
        recover: bool,
    ) -> Result<(Vec<(u64, DecodedChunk)>, u64), StoreError> {
        let entries = self.inner.backend.scan_prefix(&keys::log_prefix(id))?;
        let mut records = Vec::with_capacity(entries.len());
        let mut bytes = 0;
        let mut torn = Batch::new();
        for (i, (key, value)) in entries.iter().enumerate() {
            match read_records(id, key, value) {
                Ok(changes) => {
                    bytes += value.len() as u64;
                    records.extend(changes);
                }
                Err(e) => {
                    let tail = recover
                        && is_last_of_actor(key, entries.get(i + 1).map(|(k, _)| k.as_slice()));
                    if !tail {
                        return Err(e);
                    }
                    torn.delete(key.clone());
                }
            }
        }
        if !torn.is_empty() {
            let mut pending = None;
            self.persist(torn, &mut pending)?.wait()?;
        }
        Ok((records, bytes))
    }
}

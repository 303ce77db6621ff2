//! Writes to a document: local transactions and remote changes, each
//! logged in one batch that the store's durability makes durable.

use super::cache::Loaded;
use super::keys::{self, DocId};
use super::reentry;
use super::writer::Ticket;
use super::{Batch, Commit, Store, StoreError};
use crate::{Applied, CommitOptions, Transaction};
use mergedb_format::Change;

impl Store {
    /// Runs a transaction on a document and commits it durably (as the store's
    /// durability says), with the current time and no message. If `f` fails,
    /// nothing is kept and its error returns; what it returns comes back as
    /// the commit's `value`. `E` is the app's error type: anything a
    /// `StoreError` converts into, `StoreError` itself included, so `?` works
    /// on the transaction's edits inside `f` when `E` also takes an
    /// `EngineError` (as `StoreError` does).
    pub fn transact<T, E, F>(&self, id: &DocId, f: F) -> Result<Commit<T>, E>
    where
        F: FnOnce(&mut Transaction<'_>) -> Result<T, E>,
        E: From<StoreError>,
    {
        self.transact_with(id, CommitOptions::default(), f)
    }

    /// `transact`, with the commit's message and time given (an unset time
    /// is the current time, in seconds since the epoch, as Automerge's).
    pub fn transact_with<T, E, F>(
        &self,
        id: &DocId,
        options: CommitOptions,
        f: F,
    ) -> Result<Commit<T>, E>
    where
        F: FnOnce(&mut Transaction<'_>) -> Result<T, E>,
        E: From<StoreError>,
    {
        let _inside = reentry::enter(id)?;
        let loaded = self.loaded(id)?;
        let mut guard = loaded.write();
        let l = &mut *guard;
        let mut tx = l.doc_mut().transaction();
        let value = f(&mut tx)?;
        let time = options.time.unwrap_or_else(crate::now_seconds);
        let Some((hash, bytes)) = tx.commit_encoded(options.message, Some(time)) else {
            return Ok(Commit {
                hash: None,
                ticket: Ticket::durable(),
                value,
            });
        };
        let seq = l.doc.last_seq(&self.inner.actor);
        let mut batch = Batch::new();
        l.log(
            &mut batch,
            keys::log_key(id, &self.inner.actor, seq),
            &bytes,
            false,
        );
        self.stamp(id, &mut batch);
        match self.persist(batch, &mut l.pending) {
            Ok(ticket) => {
                drop(guard);
                self.changed(id);
                Ok(Commit {
                    hash: Some(hash),
                    ticket,
                    value,
                })
            }
            Err(e) => {
                // Memory is ahead of the disk; drop it so no read sees the lost change.
                drop(guard);
                self.inner.cache.lock().remove(id);
                Err(e.into())
            }
        }
    }

    /// The log (and queue) writes for what `apply_changes` did.
    pub(crate) fn log_batch(
        &self,
        id: &DocId,
        l: &mut Loaded,
        applied: &Applied,
    ) -> Result<Batch, StoreError> {
        let mut batch = Batch::new();
        for hash in &applied.applied {
            let unknown = crate::EngineError::UnknownHash(*hash);
            let (actor, seq) = l.doc.actor_seq_of(hash).ok_or(unknown.clone())?;
            let bytes = l.doc.change_chunk(hash).ok_or(unknown)?;
            let verbatim = l.doc.is_verbatim(hash);
            l.log(&mut batch, keys::log_key(id, &actor, seq), &bytes, verbatim);
            batch.delete(keys::queue_key(id, hash));
        }
        for hash in &applied.queued {
            if let Some(bytes) = l.doc.change_chunk(hash) {
                batch.put(keys::queue_key(id, hash), bytes);
            }
        }
        if !applied.applied.is_empty() {
            self.stamp(id, &mut batch);
        }
        Ok(batch)
    }

    /// Gives `id` the next change stamp, in the batch of its change.
    pub(crate) fn stamp(&self, id: &DocId, batch: &mut Batch) {
        self.inner.stamps.stamp(id, batch);
    }

    /// Applies remote changes to a document and persists them. Changes whose
    /// deps are missing are persisted in the document's queue.
    pub fn apply_changes(
        &self,
        id: &DocId,
        changes: impl IntoIterator<Item = Change>,
    ) -> Result<Ticket, StoreError> {
        reentry::check(id)?;
        let loaded = self.loaded(id)?;
        let mut guard = loaded.write();
        let l = &mut *guard;
        let applied = l.doc_mut().apply_changes(changes)?;
        let batch = self.log_batch(id, l, &applied)?;
        if batch.is_empty() {
            return Ok(Ticket::durable());
        }
        let ticket = self.persist(batch, &mut l.pending);
        drop(guard);
        match ticket.is_err() {
            true => self.inner.cache.lock().remove(id),
            false => self.changed(id),
        }
        ticket
    }
}

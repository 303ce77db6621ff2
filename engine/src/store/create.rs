//! Creating documents: empty, under an id from another device, or with their
//! first change, written in the same batch as the document itself so that a
//! failed first change leaves no document behind.

use super::cache::{Loaded, Slot};
use super::keys::{self, DocId};
use super::writer::Ticket;
use super::{Batch, Commit, Store, StoreError};
use crate::{Document, Transaction};
use std::sync::Arc;

impl Store {
    /// A new, empty document under a new random id.
    pub fn create_doc(&self) -> Result<DocId, StoreError> {
        let id = DocId::random();
        self.create_doc_as(id)?;
        Ok(id)
    }

    /// A new, empty document under `id`: the id the document has on another
    /// device, so that the two sync as one document. `DocExists` if the
    /// store already has it.
    pub fn create_doc_as(&self, id: DocId) -> Result<(), StoreError> {
        self.create_doc_with(Some(id), |_| Ok::<_, StoreError>(()))
            .map(|_| ())
    }

    /// A new document (under `id`, or a new random id) whose first change is
    /// what `f` makes, in one durable batch with the document: if `f` fails,
    /// or the write does, there is no document. Returns its id and the commit
    /// (`hash` is `None` if `f` made no op; the document still exists).
    pub fn create_doc_with<T, E, F>(&self, id: Option<DocId>, f: F) -> Result<(DocId, Commit<T>), E>
    where
        F: FnOnce(&mut Transaction<'_>) -> Result<T, E>,
        E: From<StoreError>,
    {
        let id = id.unwrap_or_else(DocId::random);
        let mut doc = Document::with_actor(self.inner.actor);
        let mut tx = doc.transaction();
        let value = f(&mut tx)?;
        let encoded = tx.commit_encoded(None, Some(crate::now_seconds()));
        let mut batch = Batch::new();
        let mut loaded = Loaded::new(doc);
        if let Some((_, bytes)) = &encoded {
            let key = keys::log_key(&id, &self.inner.actor, 1);
            loaded.log(&mut batch, key, bytes, false);
        }
        // An empty document is durable before it is handed out, as ever.
        let ticket = self.add_new_doc(id, loaded, batch, encoded.is_none())?;
        let commit = Commit {
            hash: encoded.map(|(hash, _)| hash),
            ticket,
            value,
        };
        Ok((id, commit))
    }

    /// Writes a new document: its `D` record with `batch` (its first log
    /// records), in one batch, unless the store has the id (`DocExists`,
    /// and nothing is written); then caches it. With `wait`, returns once
    /// the batch is durable.
    pub(crate) fn add_new_doc(
        &self,
        id: DocId,
        mut loaded: Loaded,
        mut batch: Batch,
        wait: bool,
    ) -> Result<Ticket, StoreError> {
        batch.put(keys::doc_key(&id), vec![1u8]);
        self.stamp(&id, &mut batch);
        let ticket = {
            let _one_step = self.inner.creating.lock();
            if self.inner.backend.get(&keys::doc_key(&id))?.is_some() {
                return Err(StoreError::DocExists(id));
            }
            self.persist(batch, &mut loaded.pending)?
        };
        if wait {
            ticket.wait()?;
        }
        let slot = Slot::Full(Arc::new(parking_lot::RwLock::new(loaded)));
        self.cache_insert(&mut self.inner.cache.lock(), id, slot);
        self.changed(&id);
        Ok(ticket)
    }
}

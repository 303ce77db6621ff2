//! Automerge files in and out of the store: a new document from a
//! `.automerge` file, and a file's changes merged into a document. Both are
//! all or nothing: the file is decoded and checked whole before one batch
//! writes its changes, so a bad file leaves the store as it was.

use super::cache::Loaded;
use super::keys::DocId;
use super::reentry;
use super::writer::Ticket;
use super::{Store, StoreError};
use crate::{Applied, Document};

impl Store {
    /// A new document (under `id`, or a new random id) holding what an
    /// Automerge file holds (`Document::load_automerge`'s rules). Returns its
    /// id and the ticket of the batch that wrote it.
    pub fn import_automerge(
        &self,
        id: Option<DocId>,
        bytes: &[u8],
    ) -> Result<(DocId, Ticket), StoreError> {
        let id = id.unwrap_or_else(DocId::random);
        let doc = Document::load_automerge(bytes, self.inner.actor)?;
        let applied = Applied {
            applied: doc.change_hashes(),
            queued: doc.queued_hashes(),
        };
        let mut loaded = Loaded::new(doc);
        let batch = self.log_batch(&id, &mut loaded, &applied)?;
        Ok((id, self.add_new_doc(id, loaded, batch, false)?))
    }

    /// Merges an Automerge file (a whole document, an incremental save, or
    /// change chunks) into a document the store has.
    pub fn apply_automerge(
        &self,
        id: &DocId,
        bytes: &[u8],
    ) -> Result<(Applied, Ticket), StoreError> {
        reentry::check(id)?;
        let loaded = self.loaded(id)?;
        let mut guard = loaded.write();
        let l = &mut *guard;
        let (applied, _) = l.doc_mut().apply_automerge(bytes)?;
        let batch = self.log_batch(id, l, &applied)?;
        if batch.is_empty() {
            return Ok((applied, Ticket::durable()));
        }
        let ticket = self.persist(batch, &mut l.pending);
        drop(guard);
        match ticket.is_err() {
            // Memory is ahead of the disk; drop it so no read sees the lost changes.
            true => self.inner.cache.lock().remove(id),
            false => self.changed(id),
        }
        Ok((applied, ticket?))
    }
}

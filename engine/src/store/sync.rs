//! Sync per (document, peer) in the store (SPEC.md §6A): the peer's shared
//! heads are kept in the store, so a restarted device resumes where it was
//! instead of sending its history again. A change is sent only once it is
//! durable, and a message's changes are durable, with the state that
//! acknowledges them, before `receive_sync_message` returns.

use super::keys::{self, DocId};
use super::{reentry, Batch, Store, StoreError};
use crate::{Applied, SyncState};
use mergedb_format::sync::Message;

impl Store {
    /// The sync state of a connection with `peer`: the one in memory, or
    /// else one from the shared heads the store keeps for it.
    fn connection<'a>(
        &self,
        states: &'a mut std::collections::HashMap<(DocId, Vec<u8>), SyncState>,
        id: &DocId,
        peer: &[u8],
    ) -> Result<&'a mut SyncState, StoreError> {
        let key = (*id, peer.to_vec());
        if !states.contains_key(&key) {
            let state = match self.inner.backend.get(&keys::sync_key(id, peer))? {
                Some(bytes) => SyncState::decode(&bytes)
                    .map_err(|e| super::store::corrupt(id, &keys::sync_key(id, peer), e))?,
                None => SyncState::new(),
            };
            states.insert(key.clone(), state);
        }
        states.get_mut(&key).ok_or(StoreError::NoSuchDoc(*id))
    }

    /// The next sync message for `peer` about document `id`, or `None` when
    /// there is nothing to tell it. Commits not yet durable are made durable
    /// first: a change that a crash could take back is never sent.
    pub fn generate_sync_message(
        &self,
        id: &DocId,
        peer: &[u8],
    ) -> Result<Option<Message>, StoreError> {
        reentry::check(id)?;
        let loaded = self.loaded(id)?;
        loop {
            let pending = loaded.read().pending;
            if !self.inner.writer.is_durable_through(pending) {
                // Not under the lock of the states: that would hold up
                // every peer for the flush.
                self.flush()?;
                continue;
            }
            // The states before the document, as `receive_sync_message`
            // takes them; a commit may have come in between.
            let mut states = self.inner.sync.lock();
            let guard = loaded.read();
            if !self.inner.writer.is_durable_through(guard.pending) {
                continue;
            }
            let state = self.connection(&mut states, id, peer)?;
            return Ok(guard.doc.generate_sync_message(state));
        }
    }

    /// Takes `peer`'s sync message about document `id`. Its changes, the
    /// queue records of those that wait for deps, and the peer's new shared
    /// heads are written in one batch, durable before this returns; on any
    /// error the document, the store and the connection are as they were.
    pub fn receive_sync_message(
        &self,
        id: &DocId,
        peer: &[u8],
        message: Message,
    ) -> Result<Applied, StoreError> {
        reentry::check(id)?;
        let loaded = self.loaded(id)?;
        let mut states = self.inner.sync.lock();
        let state = self.connection(&mut states, id, peer)?;
        let before = state.clone();
        let mut guard = loaded.write();
        let l = &mut *guard;
        let applied = match l.doc_mut().receive_sync_message(state, message) {
            Ok(applied) => applied,
            Err(e) => {
                *state = before;
                return Err(e.into());
            }
        };
        let mut batch: Batch = self.log_batch(id, l, &applied)?;
        if state.shared_heads != before.shared_heads {
            batch.put(keys::sync_key(id, peer), state.encode());
        }
        if batch.is_empty() {
            return Ok(applied);
        }
        match self.persist(batch, &mut l.pending) {
            Ok(ticket) => {
                drop(guard);
                drop(states);
                ticket.wait()?;
                if !applied.applied.is_empty() {
                    self.changed(id);
                }
                Ok(applied)
            }
            Err(e) => {
                *state = before;
                drop(guard);
                self.inner.cache.lock().remove(id);
                Err(e)
            }
        }
    }

    /// `receive_sync_message` of a message's bytes, as they came from the
    /// network: refused unread past `StoreOptions::max_message_bytes`.
    pub fn receive_sync_bytes(
        &self,
        id: &DocId,
        peer: &[u8],
        bytes: &[u8],
    ) -> Result<Applied, StoreError> {
        let limit = self.inner.options.max_message_bytes;
        if bytes.len() > limit {
            return Err(StoreError::MessageTooLarge {
                len: bytes.len(),
                limit,
            });
        }
        let message = Message::decode(bytes).map_err(StoreError::BadMessage)?;
        self.receive_sync_message(id, peer, message)
    }

    /// Ends the connection with `peer` about `id`: the next message starts a
    /// new one from the shared heads the store keeps.
    pub fn disconnect(&self, id: &DocId, peer: &[u8]) {
        self.inner.sync.lock().remove(&(*id, peer.to_vec()));
    }

    /// Ends the connection with `peer` about `id` and deletes the shared
    /// heads kept for it: for a peer that will not be back (an ephemeral
    /// one), whose state would only take room.
    pub fn forget_peer(&self, id: &DocId, peer: &[u8]) -> Result<(), StoreError> {
        self.disconnect(id, peer);
        let key = keys::sync_key(id, peer);
        if self.inner.backend.get(&key)?.is_none() {
            return Ok(());
        }
        let mut batch = Batch::new();
        batch.delete(key);
        self.persist(batch, &mut None)?.wait()
    }

    /// Whether `peer` is known to hold every change of `id`: the heads both
    /// sides have, as the sync state kept for it says (the open one, else
    /// the stored one), are the document's heads. False without a state.
    /// A reconnect can skip the documents this holds for (SPEC.md §6B.8).
    pub fn peer_has_all(&self, id: &DocId, peer: &[u8]) -> Result<bool, StoreError> {
        let open = self
            .inner
            .sync
            .lock()
            .get(&(*id, peer.to_vec()))
            .map(|s| s.shared_heads.clone());
        let mut shared = match open {
            Some(heads) => heads,
            None => match self.inner.backend.get(&keys::sync_key(id, peer))? {
                Some(bytes) => {
                    SyncState::decode(&bytes)
                        .map_err(|e| super::store::corrupt(id, &keys::sync_key(id, peer), e))?
                        .shared_heads
                }
                None => return Ok(false),
            },
        };
        let mut ours = self.doc(id)?.heads()?;
        ours.sort_unstable();
        shared.sort_unstable();
        Ok(!ours.is_empty() && ours == shared)
    }

    /// The heads `peer` last said it has of `id` on the open connection, if
    /// it has said any: equal to this store's heads (both sorted), the two
    /// hold the same changes.
    pub fn their_heads(&self, id: &DocId, peer: &[u8]) -> Option<Vec<mergedb_format::ChangeHash>> {
        let states = self.inner.sync.lock();
        let mut heads = states.get(&(*id, peer.to_vec()))?.their_heads.clone()?;
        heads.sort_unstable();
        Some(heads)
    }
}

//! The digest between mergedb devices (SPEC.md §6B.8): a reconnect moves
//! what changed, not every document. Each side knows, from the sync state
//! it keeps per peer, which of its documents the peer already holds whole
//! (`Store::peer_has_all`). The accepting side lists the others in
//! `mergedb-changed` messages; the connecting side starts its own changed
//! documents and the listed ones, and is done once the list is all in
//! and those are settled.

use super::{Connection, Phase};
use crate::wire::{WireMessage, MAX_LIST};
use crate::{DocumentId, NetError};
use mergedb_engine::store::{DocId, StoreError};

impl Connection {
    /// Whether the peer may lack some change of `id` that we have.
    fn changed_for_peer(&self, id: &DocId) -> Result<bool, StoreError> {
        let Phase::Open(peer) = &self.phase else {
            return Ok(true);
        };
        Ok(!self.store.peer_has_all(id, &peer.key)?)
    }

    /// The accepting side: lists the documents the peer may see that
    /// changed for it, in parts of at most `MAX_LIST`.
    pub(super) fn send_digest(&mut self) -> Result<(), NetError> {
        let listed = match self.digest_list() {
            Ok(ids) => ids,
            Err(e) => return self.fail(super::docs::store_error(e)),
        };
        let sender_id = self.config.peer_id.clone();
        let target_id = self.peer_id().unwrap_or_default().to_string();
        // An empty list is still one part: it tells the peer the list is in.
        let parts: Vec<&[DocumentId]> = match listed.is_empty() {
            true => vec![&[]],
            false => listed.chunks(MAX_LIST).collect(),
        };
        let count = parts.len();
        for (i, part) in parts.into_iter().enumerate() {
            let frame = WireMessage::Changed {
                sender_id: sender_id.clone(),
                target_id: target_id.clone(),
                document_ids: part.to_vec(),
                more: i + 1 < count,
            };
            self.out.push(frame.encode());
        }
        Ok(())
    }

    fn digest_list(&self) -> Result<Vec<DocumentId>, StoreError> {
        let mut listed = Vec::new();
        for id in self.store.list_docs()? {
            if self.config.access.allows(&id) && self.changed_for_peer(&id)? {
                listed.push(DocumentId::from(id));
            }
        }
        Ok(listed)
    }

    /// The connecting side, once open: starts the named documents the peer
    /// may lack, holds the rest, and waits for the peer's list.
    pub(super) fn start_changed(&mut self) -> Result<(), NetError> {
        self.awaiting_digest = true;
        for id in std::mem::take(&mut self.wanted) {
            let changed = match self.store.contains_doc(&id) {
                Ok(false) => true,
                Ok(true) => match self.changed_for_peer(&id) {
                    Ok(c) => c,
                    Err(e) => return self.fail(super::docs::store_error(e)),
                },
                Err(e) => return self.fail(super::docs::store_error(e)),
            };
            match changed {
                true => self.start(id)?,
                false => {
                    self.held.insert(id);
                }
            }
        }
        Ok(())
    }

    /// A part of the peer's list: each listed document we sync is started,
    /// if it is not already.
    pub(super) fn on_digest(&mut self, ids: Vec<DocumentId>, more: bool) -> Result<(), NetError> {
        if !self.awaiting_digest {
            return self.fail(NetError::Protocol(
                "a mergedb-changed message it was not asked for".into(),
            ));
        }
        for id in ids.into_iter().map(DocId::from) {
            let named = self.held.remove(&id);
            let offered = self.config.take_offered && self.config.access.allows(&id);
            if (named || offered) && !self.links.contains_key(&id) {
                self.start(id)?;
            }
        }
        self.awaiting_digest = more;
        Ok(())
    }
}

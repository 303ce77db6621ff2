//! The documents of a connection: each one a sync over the store's
//! per-peer `SyncState` (SPEC.md §6A), in `sync` and `request` frames.

use super::{Connection, Phase};
use crate::wire::WireMessage;
use crate::{DocumentId, NetError};
use mergedb_engine::store::{DocId, StoreError};
use mergedb_engine::{Document, SyncState};

/// What moved for one document on one connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocReport {
    /// Changes new to the store, taken from the peer.
    pub changes_in: usize,
    /// Chunks sent (a whole document counts as one).
    pub chunks_out: usize,
    /// Bytes of sync messages taken.
    pub bytes_in: usize,
    /// Bytes of sync messages sent.
    pub bytes_out: usize,
    /// The peer said it does not have the document (or may not share it).
    pub unavailable: bool,
    /// The store made the document for this connection.
    pub created: bool,
}

/// One document of a connection.
#[derive(Clone, Debug, Default)]
pub(super) struct Link {
    pub report: DocReport,
    /// We sync it on our own account: `Connection::connect` named it.
    pub wanted: bool,
}

impl Connection {
    fn peer_key(&self) -> Result<Vec<u8>, NetError> {
        match &self.phase {
            Phase::Open(p) => Ok(p.key.clone()),
            _ => Err(NetError::Protocol("no handshake yet".into())),
        }
    }

    /// The document's link, made if new, within `max_docs`.
    fn link(&mut self, id: DocId) -> Result<&mut Link, NetError> {
        if !self.links.contains_key(&id) && self.links.len() >= self.config.max_docs {
            let max = self.config.max_docs;
            return Err(NetError::Protocol(format!("more than {max} documents")));
        }
        Ok(self.links.entry(id).or_default())
    }

    /// Starts syncing a document of our own: a `sync` if the store has it,
    /// else a `request` from an empty document.
    pub(super) fn start(&mut self, id: DocId) -> Result<(), NetError> {
        let link = match self.link(id) {
            Ok(link) => link,
            Err(e) => return self.fail(e),
        };
        link.wanted = true;
        match self.store.contains_doc(&id) {
            Ok(true) => self.send_sync(id),
            Ok(false) => {
                let first = Document::new().generate_sync_message(&mut SyncState::new());
                let data = first.map(|m| m.encode()).unwrap_or_default();
                self.push(id, data, true);
                Ok(())
            }
            Err(e) => self.fail(store_error(e)),
        }
    }

    /// Tells the peer of a change to `id`, if the connection syncs it.
    /// Between mergedb devices, a document the connection does not sync
    /// yet that the peer may see is synced from now on.
    pub fn doc_changed(&mut self, id: &DocId) -> Result<(), NetError> {
        if !matches!(self.phase, Phase::Open(_)) {
            return Ok(());
        }
        if !self.links.contains_key(id) {
            if !(self.config.digest && self.config.access.allows(id)) {
                return Ok(());
            }
            if let Err(e) = self.link(*id) {
                return self.fail(e);
            }
        }
        match self.store.contains_doc(id) {
            Ok(true) => self.send_sync(*id),
            Ok(false) => Ok(()),
            Err(e) => self.fail(store_error(e)),
        }
    }

    /// The next sync message for `id`, if there is one, as a `sync` frame.
    fn send_sync(&mut self, id: DocId) -> Result<(), NetError> {
        let key = self.peer_key()?;
        let message = match self.store.generate_sync_message(&id, &key) {
            Ok(m) => m,
            Err(e) => return self.fail(store_error(e)),
        };
        if let Some(message) = message {
            if let Some(link) = self.links.get_mut(&id) {
                link.report.chunks_out += message.changes.len();
            }
            self.push(id, message.encode(), false);
        }
        Ok(())
    }

    fn push(&mut self, id: DocId, data: Vec<u8>, request: bool) {
        let sender_id = self.config.peer_id.clone();
        let target_id = self.peer_id().unwrap_or_default().to_string();
        let document_id = DocumentId::from(id);
        if let Some(link) = self.links.get_mut(&id) {
            link.report.bytes_out += data.len();
        }
        let frame = match request {
            true => WireMessage::Request {
                sender_id,
                target_id,
                document_id,
                data,
            },
            false => WireMessage::Sync {
                sender_id,
                target_id,
                document_id,
                data,
            },
        };
        self.out.push(frame.encode());
    }

    fn unavailable(&mut self, id: DocId) {
        let frame = WireMessage::DocUnavailable {
            sender_id: self.config.peer_id.clone(),
            target_id: self.peer_id().unwrap_or_default().to_string(),
            document_id: id.into(),
        };
        self.out.push(frame.encode());
    }

    /// The peer's sync message for `id` (from a `request` when it lacks the
    /// document). A document outside its access, or one the store lacks
    /// and may not make, is `doc-unavailable`, the same answer either way.
    pub(super) fn on_sync(
        &mut self,
        id: DocId,
        data: &[u8],
        request: bool,
    ) -> Result<(), NetError> {
        let wanted = self.links.get(&id).is_some_and(|l| l.wanted);
        if !wanted && !self.config.access.allows(&id) {
            self.unavailable(id);
            return Ok(());
        }
        let created = match self.store.contains_doc(&id) {
            Ok(true) => false,
            Ok(false) if request || !(wanted || self.config.access.create) => {
                self.unavailable(id);
                return Ok(());
            }
            Ok(false) => true,
            Err(e) => return self.fail(store_error(e)),
        };
        if let Err(e) = self.link(id) {
            return self.fail(e);
        }
        let key = self.peer_key()?;
        if created {
            match self.store.create_doc_as(id) {
                Ok(()) | Err(StoreError::DocExists(_)) => {}
                Err(e) => return self.fail(store_error(e)),
            }
        }
        let applied = match self.store.receive_sync_bytes(&id, &key, data) {
            Ok(a) => a,
            Err(e) => return self.fail(store_error(e)),
        };
        if let Some(link) = self.links.get_mut(&id) {
            link.report.changes_in += applied.applied.len();
            link.report.bytes_in += data.len();
            link.report.created |= created;
        }
        self.send_sync(id)
    }

    /// Whether every document we sync on our own account is settled: the
    /// peer lacks it, or it said it has exactly the heads we have.
    pub fn is_done(&self) -> Result<bool, NetError> {
        let Phase::Open(peer) = &self.phase else {
            return Ok(false);
        };
        if self.awaiting_digest {
            return Ok(false);
        }
        for (id, link) in self.links.iter().filter(|(_, l)| l.wanted) {
            if link.report.unavailable {
                continue;
            }
            let Some(theirs) = self.store.their_heads(id, &peer.key) else {
                return Ok(false);
            };
            let mut ours = match self.store.doc(id).and_then(|d| d.heads()) {
                Ok(h) => h,
                Err(StoreError::NoSuchDoc(_)) => return Ok(false),
                Err(e) => return Err(store_error(e)),
            };
            ours.sort_unstable();
            if theirs != ours {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// A store error as the network layer's: the peer's bytes are to blame
/// for some, the store for the rest.
pub(super) fn store_error(e: StoreError) -> NetError {
    match e {
        StoreError::BadMessage(_) | StoreError::MessageTooLarge { .. } => {
            NetError::Protocol(format!("its sync message: {e}"))
        }
        e => NetError::Store(e.to_string()),
    }
}

impl From<DocumentId> for DocId {
    fn from(id: DocumentId) -> DocId {
        DocId(id.0)
    }
}

impl From<DocId> for DocumentId {
    fn from(id: DocId) -> DocumentId {
        DocumentId(id.0)
    }
}

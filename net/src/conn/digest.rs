//! The digest between mergedb devices (SPEC.md §6B.8): a reconnect moves
//! what changed, not every document. Each side knows, from the sync state
//! it keeps per peer, which of its documents the peer already holds whole
//! (`Store::peer_has_all`). The accepting side lists the others in
//! `mergedb-changed` messages; the connecting side starts its own changed
//! documents and the listed ones, and is done once the list is all in
//! and those are settled.
//!
//! Neither side looks at every document: each keeps, per peer, a mark in
//! the store's change stamps (`Store::change_stamp`), before which every
//! document it shares with the peer was settled. A session looks only at
//! the documents changed since (`Store::changed_after`) and, as it closes,
//! moves the mark to its start, or to just before the first document it
//! left unsettled.

use super::{Connection, Phase};
use crate::wire::{WireMessage, MAX_LIST};
use crate::{DocumentId, NetError};
use mergedb_engine::store::{DocId, Stamp, StoreError, SESSION_MARK};
use std::collections::BTreeSet;

/// A digest session's start, and the documents that may have changed for
/// the peer since its mark (`None`: no mark to trust, so any of them).
#[derive(Debug)]
pub(super) struct Marking {
    start: Stamp,
    candidates: Option<BTreeSet<DocId>>,
}

/// The setting that keeps the mark for the peer keyed `key`: by the part
/// the store keeps its sync states under (before `SESSION_MARK`).
fn mark_name(key: &[u8]) -> String {
    let end = key.iter().position(|b| *b == SESSION_MARK);
    let kept = key.get(..end.unwrap_or(key.len())).unwrap_or(key);
    let hex: String = kept.iter().map(|b| format!("{b:02x}")).collect();
    format!("digest/{hex}")
}

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

    /// Reads the peer's mark, and with it which documents may have changed
    /// for it. A mark made under other access, or of a rebuilt stamp table,
    /// is no mark.
    fn begin_marking(&mut self) -> Result<(), StoreError> {
        let Phase::Open(peer) = &self.phase else {
            return Ok(());
        };
        let start = self.store.change_stamp()?;
        let fingerprint = self.config.access.fingerprint();
        // A name too long to keep (no paired device's is) is no mark.
        let kept = self.store.setting(&mark_name(&peer.key)).ok().flatten();
        let since = kept.and_then(|b| {
            let (stamp, fp) = (b.get(..16)?, b.get(16..)?);
            (fp == fingerprint).then(|| Stamp::from_bytes(stamp))?
        });
        let candidates = match since {
            Some(since) => self
                .store
                .changed_after(since)?
                .map(|docs| docs.into_iter().collect()),
            None => None,
        };
        self.marking = Some(Marking { start, candidates });
        Ok(())
    }

    /// Whether nothing of `id` is left for the peer to take.
    fn settled(&self, id: &DocId) -> Result<bool, StoreError> {
        if !self.store.contains_doc(id)? || self.store.doc(id)?.heads()?.is_empty() {
            return Ok(true);
        }
        Ok(!self.changed_for_peer(id)?)
    }

    /// As the connection closes: moves the peer's mark to the session's
    /// start, or to just before the first document still unsettled; where
    /// that cannot be worked out, the old mark stays (it is only ever too
    /// early, which costs a look, never a change).
    pub(super) fn keep_mark(&mut self) {
        let Some(marking) = self.marking.take() else {
            return;
        };
        let Phase::Open(peer) = &self.phase else {
            return;
        };
        if peer.ephemeral {
            return;
        }
        let name = mark_name(&peer.key);
        let Ok(candidates) = self.candidates_of(&marking) else {
            return;
        };
        let mut value = marking.start.value;
        for id in candidates.iter().filter(|d| self.config.access.allows(d)) {
            match (self.settled(id), self.store.stamp_of(id)) {
                (Ok(true), _) | (Ok(false), Ok(None)) => {}
                (Ok(false), Ok(Some(s))) => match s.checked_sub(1) {
                    Some(before) => value = value.min(before),
                    // Unsettled since the table began: no mark can say so.
                    None => return drop(self.store.remove_setting(&name)),
                },
                _ => return,
            }
        }
        let mark = Stamp {
            generation: marking.start.generation,
            value,
        };
        let mut bytes = mark.to_bytes().to_vec();
        bytes.extend_from_slice(&self.config.access.fingerprint());
        // Should this fail, the old mark stays: safe.
        let _ = self.store.set_setting(&name, &bytes);
    }

    /// The documents that may have changed for the peer.
    fn candidates_of(&self, marking: &Marking) -> Result<Vec<DocId>, StoreError> {
        match &marking.candidates {
            Some(docs) => Ok(docs.iter().copied().collect()),
            None => self.store.list_docs(),
        }
    }

    fn digest_list(&mut self) -> Result<Vec<DocumentId>, StoreError> {
        self.begin_marking()?;
        let docs = match self.marking.as_ref() {
            Some(marking) => self.candidates_of(marking)?,
            None => self.store.list_docs()?,
        };
        let mut listed = Vec::new();
        for id in docs {
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
        if let Err(e) = self.begin_marking() {
            return self.fail(super::docs::store_error(e));
        }
        let candidates = self.marking.as_ref().and_then(|m| m.candidates.clone());
        for id in std::mem::take(&mut self.wanted) {
            // Unchanged since the mark: the peer has all of it. A document
            // named that the store lacks is always asked for.
            let unchanged = candidates.as_ref().is_some_and(|c| !c.contains(&id));
            if unchanged
                && (self.config.take_offered || self.store.contains_doc(&id).unwrap_or(false))
            {
                self.held.insert(id);
                continue;
            }
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

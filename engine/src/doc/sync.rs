//! Automerge's sync protocol on one document (SPEC.md §7A): each side keeps
//! a `SyncState` per peer, turns it into the next message with
//! `generate_sync_message`, and takes the peer's with
//! `receive_sync_message`. It follows automerge 0.12's `sync.rs` (read, not
//! copied): a Bloom filter of the changes since the last sync, the changes
//! the peer's filter lacks and everything that depends on them, and the
//! hashes it names as needed.
//!
//! Changes travel as Automerge change chunks and document chunks, with
//! Automerge's hashes, so this syncs with any automerge 0.12 peer.

use crate::{Applied, Document, EngineError};
use mergedb_format::sync::{
    decode_sync_state, encode_sync_state, Bloom, Have, Message, Version, EXT_ANCESTORS,
};
use mergedb_format::{ChangeHash, DecodeError};
use std::collections::{BTreeSet, HashSet};

/// What one side knows of one peer, for one document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncState {
    /// Heads both sides are known to have: kept across restarts.
    pub shared_heads: Vec<ChangeHash>,
    /// The heads of the last message sent.
    pub last_sent_heads: Vec<ChangeHash>,
    /// The peer's heads, from its last message.
    pub their_heads: Option<Vec<ChangeHash>>,
    /// What the peer asked for.
    pub their_need: Option<Vec<ChangeHash>>,
    /// What the peer said it has.
    pub their_have: Option<Vec<Have>>,
    /// Changes sent this session, not to be sent again.
    pub sent_hashes: HashSet<ChangeHash>,
    /// The heads of a whole document sent this session: every change of
    /// their history counts as sent too (empty: none). A whole document is
    /// every change, and recording each in `sent_hashes` cost more than
    /// writing the document.
    pub sent_whole: Vec<ChangeHash>,
    /// A message has gone out that the peer has not answered.
    pub in_flight: bool,
    /// At least one message has gone out this session.
    pub have_responded: bool,
    /// The peer sent the flags section: it takes V2 messages.
    pub peer_v2: bool,
    /// The peer's last message asked for its needs with their ancestors
    /// (mergedb's extension, `EXT_ANCESTORS`).
    pub their_ancestors: bool,
    /// The last filter sent, while the shared heads and ours stay the same.
    have_cache: HaveCache,
}

/// A filter sent, with the shared heads and our heads it was built at: the
/// first messages of a sync all carry the same one, and on a large document
/// building it costs a hash's probes per change. Not part of the state's
/// value: two states that differ only here are equal.
#[derive(Clone, Debug, Default)]
struct HaveCache(Option<Box<CachedHave>>);

/// The shared heads, our heads, and the filter built at them.
type CachedHave = (Vec<ChangeHash>, Vec<ChangeHash>, Have);

impl PartialEq for HaveCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for HaveCache {}

impl SyncState {
    fn version(&self) -> Version {
        match self.peer_v2 {
            true => Version::V2,
            false => Version::V1,
        }
    }
}

/// What a message sends: these changes, or the whole document.
enum Sending {
    Hashes(Vec<ChangeHash>),
    Whole,
}

/// The flag that asks the receiver to forget what it has sent.
const SYNC_RESET: u8 = 1;
/// The flag that says the sender understands `SYNC_RESET`.
const SUPPORTS_SYNC_RESET: u8 = 4;

impl SyncState {
    /// A state for a peer never synced with.
    pub fn new() -> Self {
        Self::default()
    }

    /// The part that outlives a connection (the shared heads), as automerge
    /// encodes it.
    pub fn encode(&self) -> Vec<u8> {
        encode_sync_state(&self.shared_heads)
    }

    /// A state from `encode`'s bytes, for a new connection.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        Ok(SyncState {
            shared_heads: decode_sync_state(bytes)?,
            ..Self::default()
        })
    }
}

/// Heads that are new since `before`, and shared heads still heads.
fn advance_heads(
    before: &[ChangeHash],
    after: &[ChangeHash],
    shared: &[ChangeHash],
) -> Vec<ChangeHash> {
    let mut out: Vec<ChangeHash> = after
        .iter()
        .filter(|h| !before.contains(h) || shared.contains(h))
        .copied()
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

impl Document {
    /// The hashes of the changes not in the history of `heads` (all known).
    fn hashes_since(&self, heads: &[ChangeHash]) -> Result<Vec<ChangeHash>, EngineError> {
        Ok(self
            .history
            .not_ancestors(heads)?
            .into_iter()
            .map(|i| self.history.hash(i))
            .collect())
    }

    /// What this document must ask for to reach `heads`: those it neither
    /// has nor holds queued, and the missing deps of queued changes on the
    /// way to them (not of every queued change: an orphan from another peer
    /// would block the sync with a need this peer cannot meet).
    fn need_for(&self, heads: &[ChangeHash]) -> Vec<ChangeHash> {
        let mut need = BTreeSet::new();
        let mut seen = HashSet::new();
        let mut stack: Vec<ChangeHash> = heads.to_vec();
        while let Some(h) = stack.pop() {
            if self.has_change(&h) || !seen.insert(h) {
                continue;
            }
            match self.queued_change(&h) {
                Some(c) => stack.extend(c.deps.iter().copied()),
                None => {
                    need.insert(h);
                }
            }
        }
        need.into_iter().collect()
    }

    /// The hashes to send a peer that has `have` and asked for `need`: what
    /// none of its filters holds, everything that depends on those, and the
    /// needed ones this document has (with their missing ancestors, given
    /// the peer's heads, when it asked with `EXT_ANCESTORS`). Only the needed
    /// ones when `heads_covered`: every head of ours is one of the peer's.
    fn hashes_to_send(
        &self,
        have: &[Have],
        need: &[ChangeHash],
        ancestors_of_need: Option<&[ChangeHash]>,
        heads_covered: bool,
    ) -> Result<Vec<ChangeHash>, EngineError> {
        let mut need: Vec<ChangeHash> = need
            .iter()
            .filter(|h| self.has_change(h))
            .copied()
            .collect();
        if let Some(their_heads) = ancestors_of_need.filter(|_| !need.is_empty()) {
            need = self.missing_ancestors(&need, their_heads)?;
        }
        if have.is_empty() || heads_covered {
            // Heads of ours that are all the peer's: it has every change we
            // have, and no filter would hold back one (the end of a sync of a
            // large document, where the scan would cost a probe per change).
            return Ok(need);
        }
        let mut last_sync: Vec<ChangeHash> = have
            .iter()
            .flat_map(|h| h.last_sync.iter().copied())
            .collect();
        last_sync.sort_unstable();
        last_sync.dedup();
        // In history order, each change's deps come before it: one pass
        // marks what no filter holds and everything that depends on it.
        let since = self.history.not_ancestors(&last_sync)?;
        let mut send = vec![false; self.history.len()];
        for i in &since {
            let hash = self.history.hash(*i);
            let depends = self
                .history
                .deps(*i)
                .iter()
                .any(|d| send.get(*d as usize).copied().unwrap_or(false));
            if depends || have.iter().all(|h| !h.bloom.contains(&hash)) {
                if let Some(s) = send.get_mut(*i as usize) {
                    *s = true;
                }
            }
        }
        let sent = |h: &ChangeHash| {
            self.history
                .index_of(h)
                .is_some_and(|i| send.get(i as usize).copied().unwrap_or(false))
        };
        let mut out: Vec<ChangeHash> = need.into_iter().filter(|h| !sent(h)).collect();
        out.extend(
            since
                .iter()
                .filter(|i| send.get(**i as usize).copied().unwrap_or(false))
                .map(|i| self.history.hash(*i)),
        );
        Ok(out)
    }

    /// `need` and every ancestor of it that the peer's heads (those known
    /// here) do not cover, in history order: what a peer that asks with
    /// `EXT_ANCESTORS` lacks on the way to `need`, whatever its filter said.
    fn missing_ancestors(
        &self,
        need: &[ChangeHash],
        their_heads: &[ChangeHash],
    ) -> Result<Vec<ChangeHash>, EngineError> {
        let known: Vec<ChangeHash> = their_heads
            .iter()
            .filter(|h| self.has_change(h))
            .copied()
            .collect();
        let theirs = self.history.ancestors(&known)?;
        let wanted = self.history.ancestors(need)?;
        Ok(wanted
            .iter()
            .zip(&theirs)
            .enumerate()
            .filter(|(_, (w, t))| **w && !**t)
            .map(|(i, _)| self.history.hash(i as u32))
            .collect())
    }

    /// Our filter of the changes since the shared heads, with those heads.
    fn have(&self, state: &mut SyncState, heads: &[ChangeHash]) -> Option<Have> {
        if let Some(cached) = &state.have_cache.0 {
            if cached.0 == state.shared_heads && cached.1 == heads {
                return Some(cached.2.clone());
            }
        }
        let since = self.hashes_since(&state.shared_heads).ok()?;
        let have = Have {
            last_sync: state.shared_heads.clone(),
            bloom: Bloom::from_hashes(since.iter()),
        };
        let key = (state.shared_heads.clone(), heads.to_vec(), have.clone());
        state.have_cache = HaveCache(Some(Box::new(key)));
        Some(have)
    }

    /// The next message for the peer `state` describes, or `None` when there
    /// is nothing to tell it. As automerge 0.12 does, a peer that sent the
    /// flags section gets V2 messages: the whole document (one document
    /// chunk) when it has nothing or when the changes to send are more than
    /// a third of the document, else the changes concatenated in one entry.
    pub fn generate_sync_message(&self, state: &mut SyncState) -> Option<Message> {
        let heads = self.heads();
        let need = self.need_for(state.their_heads.as_deref().unwrap_or(&[]));
        let their_heads = state.their_heads.clone().unwrap_or_default();
        // A need beyond the peer's heads is a dep its filter made it hold
        // back: then no filter goes (as automerge does), and the message
        // asks for the ancestors too (below).
        let need_in_heads = need.iter().all(|h| their_heads.contains(h));
        let have = match need_in_heads {
            true => vec![self.have(state, &heads)?],
            false => Vec::new(),
        };
        if let Some(first) = state.their_have.as_ref().and_then(|h| h.first()) {
            if !first.last_sync.iter().all(|h| self.has_change(h)) {
                // The peer's last sync names changes we lack: start over.
                return Some(Message {
                    version: Version::V1,
                    heads,
                    need: Vec::new(),
                    have: vec![Have::default()],
                    changes: Vec::new(),
                    flags: Some(SUPPORTS_SYNC_RESET),
                    extension: 0,
                });
            }
        }
        let (sending, changes, version) = self.payload(state, &heads)?;
        let heads_unchanged = state.last_sent_heads == heads;
        let heads_equal = state.their_heads.as_ref() == Some(&heads);
        let nothing = match &sending {
            Sending::Hashes(h) => h.is_empty(),
            Sending::Whole => heads.is_empty(),
        };
        if heads_unchanged && state.have_responded && ((heads_equal && nothing) || state.in_flight)
        {
            return None;
        }
        state.have_responded = true;
        state.last_sent_heads.clone_from(&heads);
        match sending {
            Sending::Hashes(hashes) => state.sent_hashes.extend(hashes),
            Sending::Whole => state.sent_whole.clone_from(&heads),
        }
        state.in_flight = true;
        // Asking for the ancestors bounds the round trips a filter's false
        // positives can cost between mergedb peers. An automerge peer ignores
        // the ask; and a sync without false positives never makes it, so it
        // costs no byte over automerge's.
        let extension = match need_in_heads {
            true => 0,
            false => EXT_ANCESTORS,
        };
        Some(Message {
            version,
            heads,
            need,
            have,
            changes,
            flags: Some(SUPPORTS_SYNC_RESET),
            extension,
        })
    }

    /// What the next message carries: what it sends, the chunks, and the
    /// message version.
    fn payload(
        &self,
        state: &SyncState,
        heads: &[ChangeHash],
    ) -> Option<(Sending, Vec<Vec<u8>>, Version)> {
        let (Some(have), Some(need)) = (&state.their_have, &state.their_need) else {
            return Some((Sending::Hashes(Vec::new()), Vec::new(), state.version()));
        };
        if state.their_heads.as_ref().is_some_and(|h| h.is_empty()) && state.peer_v2 {
            return Some(self.whole_document());
        }
        let ancestors = match state.their_ancestors {
            true => Some(state.their_heads.as_deref().unwrap_or_default()),
            false => None,
        };
        let covered = state
            .their_heads
            .as_ref()
            .is_some_and(|theirs| heads.iter().all(|h| theirs.contains(h)));
        let sent_whole = match state.sent_whole.is_empty() {
            true => None,
            false => Some(self.history.ancestors(&state.sent_whole).ok()?),
        };
        let in_whole = |h: &ChangeHash| {
            sent_whole.as_ref().is_some_and(|seen| {
                self.history
                    .index_of(h)
                    .is_some_and(|i| seen.get(i as usize).copied().unwrap_or(false))
            })
        };
        let hashes: Vec<ChangeHash> = self
            .hashes_to_send(have, need, ancestors, covered)
            .ok()?
            .into_iter()
            .filter(|h| !state.sent_hashes.contains(h) && !in_whole(h))
            .collect();
        if state.peer_v2 && hashes.len() > self.history.len() / 3 {
            return Some(self.whole_document());
        }
        let mut changes = Vec::with_capacity(hashes.len());
        for h in &hashes {
            changes.push(self.change_chunk(h)?);
        }
        if state.peer_v2 {
            // V2 sends the chunks as one entry, which is empty if none.
            let joined = changes.concat();
            changes = if joined.is_empty() {
                Vec::new()
            } else {
                vec![joined]
            };
        }
        Some((Sending::Hashes(hashes), changes, state.version()))
    }

    /// Every change, as one document chunk in a V2 message.
    fn whole_document(&self) -> (Sending, Vec<Vec<u8>>, Version) {
        let changes = match self.history.len() {
            0 => Vec::new(),
            _ => vec![self.save_automerge()],
        };
        (Sending::Whole, changes, Version::V2)
    }

    /// Takes the peer's message: its changes are applied (all or nothing: a
    /// change that does not decode or apply leaves the document and `state`
    /// as they were), and `state` learns its heads, needs and filters.
    pub fn receive_sync_message(
        &mut self,
        state: &mut SyncState,
        msg: Message,
    ) -> Result<Applied, EngineError> {
        let before = self.heads();
        // A peer that had nothing gets the whole document in one entry.
        let whole = match msg.changes.as_slice() {
            [one] => self.apply_whole(one)?,
            _ => None,
        };
        let applied = match whole {
            Some(applied) => applied,
            None => {
                let mut changes = Vec::with_capacity(msg.changes.len());
                for c in &msg.changes {
                    changes.extend(self.decode_automerge(c)?);
                }
                match changes.is_empty() {
                    true => Applied::default(),
                    false => self.apply_decoded(changes)?,
                }
            }
        };
        // The changes are in: only now does the state learn from the
        // message, so a message refused above leaves it as it was.
        if let Some(flags) = msg.flags {
            // Sending the flags section says V2 is understood.
            state.peer_v2 = true;
            if flags & SYNC_RESET != 0 {
                state.sent_hashes.clear();
                state.sent_whole.clear();
            }
        }
        state.in_flight = false;
        if !applied.applied.is_empty() {
            state.shared_heads = advance_heads(&before, &self.heads(), &state.shared_heads);
        }
        // Forget having sent what the peer's heads now cover: all of it
        // when they are ours (the usual end of a sync), without a lookup.
        if msg.heads == self.heads() {
            state.sent_hashes.clear();
            state.sent_whole.clear();
        } else if let (false, Ok(seen)) = (
            state.sent_hashes.is_empty() && state.sent_whole.is_empty(),
            self.history.ancestors(&msg.heads),
        ) {
            let covered =
                |h: &ChangeHash| self.history.index_of(h).is_some_and(|i| seen[i as usize]);
            state.sent_hashes.retain(|h| !covered(h));
            if state.sent_whole.iter().all(covered) {
                state.sent_whole.clear();
            }
        }
        if msg.changes.is_empty() && msg.heads == before {
            state.last_sent_heads.clone_from(&msg.heads);
        }
        let known: Vec<ChangeHash> = msg
            .heads
            .iter()
            .filter(|h| self.has_change(h))
            .copied()
            .collect();
        if known.len() == msg.heads.len() {
            state.shared_heads.clone_from(&msg.heads);
            if msg.heads.is_empty() {
                // The peer has lost everything: send it all again.
                state.last_sent_heads.clear();
                state.sent_hashes.clear();
                state.sent_whole.clear();
            }
        } else {
            state.shared_heads.extend(known);
            state.shared_heads.sort_unstable();
            state.shared_heads.dedup();
        }
        state.their_ancestors = msg.extension & EXT_ANCESTORS != 0;
        state.their_have = Some(msg.have);
        state.their_heads = Some(msg.heads);
        state.their_need = Some(msg.need);
        Ok(applied)
    }
}

//! The store's key layout (SPEC.md §5.2). Every key starts with one byte that
//! names its kind, then the document id, so that one prefix scan finds all of
//! a document's records of one kind.
//!
//! | Kind | Key | Value |
//! |---|---|---|
//! | store | `M` | "mergedb store" and the layout version |
//! | actor | `A` | the store's actor and whether a session is open (§5.7) |
//! | storage id | `I` | the store's lasting id: 16 random bytes |
//! | document | `D` doc(16) | the document record |
//! | log | `L` doc(16) actor-length(1) actor seq(u64 big-endian) | a log record (§5.3) |
//! | queue | `Q` doc(16) hash(32) | an encoded change waiting for its deps |
//! | sync | `Y` doc(16) peer | a peer's persisted sync state (§6A) |
//! | setting | `N` name | a store-wide setting of a layer above (§5.2) |
//! | stamps | `T`, `T` doc(16), `W` | the change stamp table (§5.9, `stamps.rs`) |

use mergedb_format::{hex, ActorId, ChangeHash};
use std::fmt;

pub(crate) const STORE_KEY: &[u8] = b"M";
pub(crate) const STORE_VALUE: &[u8] = b"mergedb store 4";
pub(crate) const ACTOR_KEY: &[u8] = b"A";
pub(crate) const STORAGE_ID_KEY: &[u8] = b"I";
pub(crate) const SETTING: u8 = b'N';
const DOC: u8 = b'D';
const LOG: u8 = b'L';
const QUEUE: u8 = b'Q';

/// A document's id in a store: 16 random bytes, shown as hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocId(pub [u8; 16]);

impl DocId {
    /// A new random id.
    pub fn random() -> Self {
        let mut id = [0u8; 16];
        id.copy_from_slice(&ActorId::random().as_bytes()[..16]);
        DocId(id)
    }

    /// An id from 32 hex digits.
    pub fn parse(text: &str) -> Option<Self> {
        hex::decode(text)?.try_into().ok().map(DocId)
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

impl fmt::Debug for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocId({self})")
    }
}

fn with_doc(kind: u8, doc: &DocId, extra: usize) -> Vec<u8> {
    let mut key = Vec::with_capacity(17 + extra);
    key.push(kind);
    key.extend_from_slice(&doc.0);
    key
}

pub(crate) fn doc_key(doc: &DocId) -> Vec<u8> {
    with_doc(DOC, doc, 0)
}

/// The prefix of every document record.
pub(crate) fn doc_prefix() -> Vec<u8> {
    vec![DOC]
}

pub(crate) fn doc_of_key(key: &[u8]) -> Option<DocId> {
    key.get(1..17)?.try_into().ok().map(DocId)
}

/// The key of a document's snapshot (SPEC.md §5.2).
pub(crate) fn snapshot_key(doc: &DocId) -> Vec<u8> {
    let mut k = vec![b'S'];
    k.extend_from_slice(&doc.0);
    k
}

pub(crate) fn log_key(doc: &DocId, actor: &ActorId, seq: u64) -> Vec<u8> {
    let actor = actor.as_bytes();
    let mut key = with_doc(LOG, doc, 1 + actor.len() + 8);
    key.push(actor.len() as u8);
    key.extend_from_slice(actor);
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

pub(crate) fn log_prefix(doc: &DocId) -> Vec<u8> {
    with_doc(LOG, doc, 0)
}

/// The actor and seq a log key names, if it is well formed.
pub(crate) fn parse_log_key(key: &[u8]) -> Option<(ActorId, u64)> {
    let len = usize::from(*key.get(17)?);
    let actor = ActorId::new(key.get(18..18 + len)?).ok()?;
    let seq = u64::from_be_bytes(key.get(18 + len..)?.try_into().ok()?);
    Some((actor, seq))
}

pub(crate) fn queue_key(doc: &DocId, hash: &ChangeHash) -> Vec<u8> {
    let mut key = with_doc(QUEUE, doc, 32);
    key.extend_from_slice(&hash.0);
    key
}

/// The byte that starts a session's part of a peer name: the open sync
/// states are per session (the whole name), the stored one per peer (the
/// name before it), so that two connections of one peer that overlap, as
/// a quick reconnect does, never share the state of a session.
pub const SESSION_MARK: u8 = 0xff;

/// The key of a peer's sync state for a document.
pub(crate) fn sync_key(doc: &DocId, peer: &[u8]) -> Vec<u8> {
    let end = peer.iter().position(|b| *b == SESSION_MARK);
    let peer = peer.get(..end.unwrap_or(peer.len())).unwrap_or(peer);
    let mut key = with_doc(b'Y', doc, peer.len());
    key.extend_from_slice(peer);
    key
}

pub(crate) fn sync_prefix(doc: &DocId) -> Vec<u8> {
    with_doc(b'Y', doc, 0)
}

pub(crate) fn queue_prefix(doc: &DocId) -> Vec<u8> {
    with_doc(QUEUE, doc, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_keys_round_trip_and_sort_by_actor_then_seq() {
        let doc = DocId([7; 16]);
        let a = ActorId::new(&[1, 2]).unwrap();
        let key = log_key(&doc, &a, 300);
        assert_eq!(parse_log_key(&key), Some((a, 300)));
        assert_eq!(doc_of_key(&key), Some(doc));
        assert!(key.starts_with(&log_prefix(&doc)));
        assert!(log_key(&doc, &a, 2) < log_key(&doc, &a, 256));
        assert_eq!(DocId::parse(&doc.to_string()), Some(doc));
    }
}

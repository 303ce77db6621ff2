//! Changes as Automerge change chunks (SPEC.md §4A): the bytes a document
//! takes from and gives to peers, the store's log and the sync protocol.
//!
//! A change mergedb makes is encoded as automerge 0.12 encodes it, so its
//! chunk can always be rebuilt from the op set. A change that arrives as
//! bytes is checked against that canonical encoding: if another encoder
//! wrote it differently (other run choices, a column mergedb does not read,
//! bytes after the columns), its exact bytes are kept beside the history
//! and served in place of the rebuilt ones, so its hash stays true.

use crate::document::Applied;
use crate::{Document, EngineError};
use mergedb_format::automerge::{decode_automerge_change, encode_automerge_change_into};
use mergedb_format::{Change, ChangeHash};
use std::sync::Arc;

/// A change decoded from its chunk: the change, its hash, and its bytes if
/// they are not the canonical encoding (`None`: they are).
#[derive(Clone, Debug)]
pub struct DecodedChunk {
    /// The change.
    pub change: Change,
    /// Its hash: the SHA-256 of its chunk.
    pub hash: ChangeHash,
    /// The chunk as it came, when rebuilding it would give other bytes.
    pub verbatim: Option<Arc<[u8]>>,
}

impl Document {
    /// Decodes one change chunk (compressed or not), and finds whether its
    /// bytes are the canonical encoding. `index` names it in an error.
    pub fn decode_chunk(
        &mut self,
        bytes: &[u8],
        index: usize,
    ) -> Result<DecodedChunk, EngineError> {
        let decoded = decode_automerge_change(bytes)
            .map_err(|source| EngineError::BadChange { index, source })?;
        decoded.change.check().map_err(EngineError::InvalidChange)?;
        let canonical =
            encode_automerge_change_into(&decoded.change, &mut self.encoder, &mut self.scratch);
        let verbatim = (canonical != decoded.hash).then(|| Arc::from(inflated(bytes)));
        Ok(DecodedChunk {
            change: decoded.change,
            hash: decoded.hash,
            verbatim,
        })
    }

    /// Applies change chunks from a peer or a file: each is decoded, hashed
    /// from its own bytes, and applied (or queued for its deps) as
    /// `apply_changes` does. All or nothing: a chunk that does not decode or
    /// apply leaves the document as it was.
    pub fn apply_chunks<'a>(
        &mut self,
        chunks: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<Applied, EngineError> {
        let mut decoded = Vec::new();
        for (index, bytes) in chunks.into_iter().enumerate() {
            decoded.push(self.decode_chunk(bytes, index)?);
        }
        self.apply_decoded(decoded)
    }

    /// Applies decoded chunks, all or nothing.
    pub fn apply_decoded(&mut self, chunks: Vec<DecodedChunk>) -> Result<Applied, EngineError> {
        let mut added = Vec::new();
        for c in &chunks {
            if let Some(raw) = &c.verbatim {
                if let std::collections::hash_map::Entry::Vacant(e) = self.verbatim.entry(c.hash) {
                    e.insert(raw.clone());
                    added.push(c.hash);
                }
            }
        }
        let result = self.apply_batch(chunks.into_iter().map(|c| (c.change, Some(c.hash))));
        if result.is_err() {
            for h in added {
                self.verbatim.remove(&h);
            }
        }
        result
    }

    /// The chunk of a change the document holds or has queued: its bytes as
    /// they came if they were not canonical, else its canonical encoding.
    pub fn change_chunk(&self, hash: &ChangeHash) -> Option<Vec<u8>> {
        if let Some(raw) = self.verbatim.get(hash) {
            return Some(raw.to_vec());
        }
        let change = match self.history.index_of(hash) {
            Some(i) => self.rebuild_change(i),
            None => self.queued_change(hash)?.clone(),
        };
        Some(mergedb_format::automerge::encode_automerge_change(&change).0)
    }

    /// The actor and seq of a change the document holds.
    pub fn actor_seq_of(&self, hash: &ChangeHash) -> Option<(mergedb_format::ActorId, u64)> {
        let i = self.history.index_of(hash)?;
        let actor = self.ops.actors.get(self.history.get(i).actor);
        Some((actor, self.history.seq_of(i)))
    }

    /// Whether the change's chunk is kept as it came (it is not canonical).
    pub fn is_verbatim(&self, hash: &ChangeHash) -> bool {
        self.verbatim.contains_key(hash)
    }

    /// The chunks of every change not in the history of `heads`, in an
    /// order in which they can be applied.
    pub fn chunks_since(&self, heads: &[ChangeHash]) -> Result<Vec<Vec<u8>>, EngineError> {
        Ok(self
            .history
            .not_ancestors(heads)?
            .into_iter()
            .filter_map(|i| self.change_chunk(&self.history.hash(i)))
            .collect())
    }
}

/// A compressed chunk's bytes are kept as the change chunk it inflates to:
/// the same change and hash, in the form every Automerge reader takes.
fn inflated(bytes: &[u8]) -> Vec<u8> {
    use mergedb_format::automerge::{parse_chunk, write_chunk, ChunkKind};
    match parse_chunk(bytes, 0).map(|c| (c.kind, c.verify())) {
        Ok((ChunkKind::Compressed, Ok((_, Some(body))))) => {
            let mut out = Vec::new();
            write_chunk(ChunkKind::Change, &body, &mut out);
            out
        }
        _ => bytes.to_vec(),
    }
}

//! Loading Automerge's files (SPEC.md §4A.5): what automerge 0.12's
//! `Automerge::load` takes, a document chunk followed by change chunks or
//! change chunks alone, compressed or not.

use crate::document::Applied;
use crate::{DecodedChunk, Document, EngineError};
use mergedb_format::automerge::document_changes::document_changes;
use mergedb_format::automerge::document_decode::decode_document;
use mergedb_format::automerge::{parse_chunk, split_chunks, ChunkKind};
use mergedb_format::{ActorId, DecodeError};

impl Document {
    /// Every change an Automerge file holds, decoded and hashed: those of its
    /// document chunks, and its change chunks. Nothing is applied.
    pub fn decode_automerge(&mut self, bytes: &[u8]) -> Result<Vec<DecodedChunk>, EngineError> {
        let chunks = split_chunks(bytes).map_err(EngineError::BadAutomerge)?;
        let mut decoded = Vec::new();
        for (index, chunk) in chunks.iter().enumerate() {
            match chunk.kind {
                ChunkKind::Document => {
                    let doc = decode_document(chunk).map_err(EngineError::BadAutomerge)?;
                    let changes = document_changes(&doc).map_err(EngineError::BadAutomerge)?;
                    for (change, hash) in changes {
                        decoded.push(DecodedChunk {
                            change,
                            hash,
                            verbatim: None,
                        });
                    }
                }
                ChunkKind::Change | ChunkKind::Compressed => {
                    decoded.push(self.decode_chunk(chunk.bytes, index)?);
                }
                ChunkKind::Bundle => {
                    return Err(EngineError::BadAutomerge(DecodeError::Unsupported {
                        offset: chunk.offset,
                        what: "a bundle chunk (automerge 0.7's change bundles)".into(),
                    }))
                }
            }
        }
        Ok(decoded)
    }

    /// Loads an Automerge file into a new document that writes as `actor`.
    /// As automerge does, empty input is an empty document, and a change
    /// whose deps are missing is refused unless the file starts with a
    /// document chunk (then it waits in the queue).
    pub fn load_automerge(bytes: &[u8], actor: ActorId) -> Result<Document, EngineError> {
        let mut doc = Document::with_actor(actor);
        let starts_with_doc = doc.apply_automerge(bytes)?.1;
        if !starts_with_doc && doc.queued_count() > 0 {
            return Err(EngineError::MissingDeps {
                missing: doc.missing_deps(&[]).len(),
            });
        }
        Ok(doc)
    }

    /// Merges an Automerge file (a whole document, an incremental save, or
    /// change chunks) into this document, all or nothing. Also says whether
    /// the file starts with a document chunk.
    pub fn apply_automerge(&mut self, bytes: &[u8]) -> Result<(Applied, bool), EngineError> {
        let decoded = self.decode_automerge(bytes)?;
        // The file parsed whole just now: its first chunk's header is sound.
        let starts_with_doc = parse_chunk(bytes, 0).is_ok_and(|c| c.kind == ChunkKind::Document);
        Ok((self.apply_decoded(decoded)?, starts_with_doc))
    }
}

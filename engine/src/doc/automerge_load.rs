//! Loading Automerge's files (SPEC.md §4A.5): what automerge 0.12's
//! `Automerge::load` takes, a document chunk followed by change chunks or
//! change chunks alone, compressed or not.
//!
//! A file that starts with a document chunk loads in one pass, as a
//! snapshot does: the chunk's rows become borrowed change views, and the
//! op set is built from them while a second thread hashes the changes.
//! Whatever that pass cannot vouch for, including heads other than those
//! the chunk declares, goes the way of `apply_automerge`: each change
//! rebuilt and applied, which gives the same document or the exact error.

use crate::doc::snapshot_load::{load_views, Views};
use crate::document::{Applied, DEFAULT_QUEUE_LIMIT};
use crate::{DecodedChunk, Document, EngineError};
use mergedb_format::automerge::document_changes::document_changes;
use mergedb_format::automerge::document_decode::decode_document;
use mergedb_format::automerge::document_views::DocumentViews;
use mergedb_format::automerge::{parse_chunk, split_chunks, Chunk, ChunkKind};
use mergedb_format::snapshot::ChangeView;
use mergedb_format::{ActorId, DecodeError};

use crate::opset::GiveUp;

impl Document {
    /// Every change an Automerge file holds, decoded and hashed: those of its
    /// document chunks, and its change chunks. Nothing is applied.
    pub fn decode_automerge(&mut self, bytes: &[u8]) -> Result<Vec<DecodedChunk>, EngineError> {
        let chunks = split_chunks(bytes).map_err(EngineError::BadAutomerge)?;
        self.decode_chunks(&chunks, 0)
    }

    /// The changes of `chunks`, the first of which is the file's chunk
    /// number `first`.
    fn decode_chunks(
        &mut self,
        chunks: &[Chunk<'_>],
        first: usize,
    ) -> Result<Vec<DecodedChunk>, EngineError> {
        let mut decoded = Vec::new();
        for (index, chunk) in chunks.iter().enumerate() {
            match chunk.kind {
                ChunkKind::Document => {
                    let cols = decode_document(chunk).map_err(EngineError::BadAutomerge)?;
                    let doc = cols.rows().map_err(EngineError::BadAutomerge)?;
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
                    decoded.push(self.decode_chunk(chunk.bytes, first + index)?);
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
        match load_one_pass(bytes, actor, DEFAULT_QUEUE_LIMIT)? {
            Some(doc) => Ok(doc),
            None => Document::load_automerge_reference(bytes, actor),
        }
    }

    /// `load_automerge` by the one-pass build alone: `None` where that
    /// cannot vouch for the file. For tests and the fuzzer, which hold it
    /// to `load_automerge_reference`.
    #[doc(hidden)]
    pub fn load_automerge_one_pass(
        bytes: &[u8],
        actor: ActorId,
    ) -> Result<Option<Document>, EngineError> {
        load_one_pass(bytes, actor, DEFAULT_QUEUE_LIMIT)
    }

    /// `apply_automerge` for an empty document (nothing applied, nothing
    /// queued): a file that starts with a document chunk, as a sync peer
    /// sends one that has nothing, is built in one pass and becomes this
    /// document, which keeps its actor and queue limit. `None` where that
    /// does not apply; then nothing has changed.
    pub(crate) fn apply_whole(&mut self, bytes: &[u8]) -> Result<Option<Applied>, EngineError> {
        if self.history.len() != 0 || self.queued_count() != 0 {
            return Ok(None);
        }
        let Some(doc) = load_one_pass(bytes, self.actor, self.queue_limit)? else {
            return Ok(None);
        };
        let applied = (0..doc.history.len() as u32)
            .map(|i| doc.history.hash(i))
            .collect();
        let queued = doc.queued_hashes();
        *self = doc;
        Ok(Some(Applied { applied, queued }))
    }

    /// `load_automerge` change by change, which gives the exact error.
    #[doc(hidden)]
    pub fn load_automerge_reference(bytes: &[u8], actor: ActorId) -> Result<Document, EngineError> {
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

impl<'a> Views<'a> for DocumentViews<'a> {
    fn actors(&self) -> &[ActorId] {
        DocumentViews::actors(self)
    }
    fn changes(&self) -> usize {
        self.len()
    }
    fn ops(&self) -> usize {
        self.op_count()
    }
    fn next_view(&mut self) -> Result<Option<(&ChangeView<'a>, &[ActorId])>, GiveUp> {
        self.next().map_err(|_| GiveUp)
    }
}

/// The document of a file that starts with a document chunk, built in one
/// pass, then the file's other chunks applied; `None` where that pass
/// cannot vouch for the chunk (or the file does not start with one).
fn load_one_pass(
    bytes: &[u8],
    actor: ActorId,
    queue_limit: usize,
) -> Result<Option<Document>, EngineError> {
    let chunks = split_chunks(bytes).map_err(EngineError::BadAutomerge)?;
    let Some(first) = chunks.first().filter(|c| c.kind == ChunkKind::Document) else {
        return Ok(None);
    };
    let cols = decode_document(first).map_err(EngineError::BadAutomerge)?;
    let mut rows = cols.rows().map_err(EngineError::BadAutomerge)?;
    let declared = rows.heads;
    let Ok(views) = DocumentViews::new(&mut rows) else {
        return Ok(None);
    };
    let Ok(mut doc) = load_views(views, actor, &[]) else {
        return Ok(None);
    };
    doc.queue_limit = queue_limit;
    let mut declared = declared.to_vec();
    declared.sort_unstable();
    if doc.heads() != declared {
        return Ok(None);
    }
    let rest = doc.decode_chunks(chunks.get(1..).unwrap_or_default(), 1)?;
    doc.apply_decoded(rest)?;
    Ok(Some(doc))
}

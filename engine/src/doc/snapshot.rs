//! Saving a document as a snapshot (SPEC.md §4) and loading it back.

use crate::{Document, EngineError, Value};
use mergedb_format::automerge::decode_automerge_change;
use mergedb_format::snapshot::{
    assemble_snapshot, decode_history_kept, encode_state, parse_snapshot, CompressedHistory,
    CompressedState, DocState, StateBody, StateObject, StateValue,
};
use mergedb_format::{ActorId, Change, ChangeHash, ObjId, ObjType};
use std::collections::VecDeque;
use std::sync::Arc;

/// A snapshot's kept chunks, parsed and verified: the hash each names its
/// change by, and the bytes to serve.
pub(crate) struct Kept {
    pub(crate) hashes: Vec<(u32, ChangeHash)>,
    chunks: Vec<(u32, Change, Arc<[u8]>)>,
}

impl Kept {
    pub(crate) fn decode(kept: Vec<(u32, Vec<u8>)>) -> Result<Kept, EngineError> {
        let mut out = Kept {
            hashes: Vec::with_capacity(kept.len()),
            chunks: Vec::with_capacity(kept.len()),
        };
        for (index, bytes) in kept {
            let decoded = decode_automerge_change(&bytes)?;
            out.hashes.push((index, decoded.hash));
            out.chunks.push((index, decoded.change, Arc::from(bytes)));
        }
        Ok(out)
    }

    /// Checks that each chunk is the change at its index, and gives the
    /// document its bytes.
    pub(crate) fn attach(self, doc: &mut Document) -> Result<(), EngineError> {
        for ((index, change, bytes), (_, hash)) in self.chunks.into_iter().zip(self.hashes) {
            if index as usize >= doc.history.len() || doc.rebuild_change(index) != change {
                return Err(EngineError::Snapshot(
                    mergedb_format::DecodeError::BadKeptChunks { offset: 0 },
                ));
            }
            doc.verbatim.insert(hash, bytes);
        }
        Ok(())
    }
}

impl Document {
    /// The visible document, as a snapshot's state section holds it: objects
    /// in breadth-first order from the root, so each is listed after its parent.
    pub fn state(&self) -> DocState {
        let placeholder = || StateBody::Text(String::new());
        let mut objects = vec![StateObject {
            id: ObjId::Root,
            body: placeholder(),
        }];
        let mut queue = VecDeque::from([(ObjId::Root, 0usize)]);
        while let Some((obj, at)) = queue.pop_front() {
            // Every object queued exists: it was just read from its parent.
            let ty = self.object_type(&obj).unwrap_or(ObjType::Map);
            // A scalar always comes with the id of the op that put it (never
            // the root's), so `None` does not happen.
            let mut value = |(v, id): (Value, ObjId)| match (v, id) {
                (Value::Object(_), id) => {
                    let i = objects.len();
                    objects.push(StateObject {
                        id,
                        body: placeholder(),
                    });
                    queue.push_back((id, i));
                    Some(StateValue::Object(i as u32))
                }
                (Value::Scalar(s), ObjId::Op(op)) => Some(StateValue::Scalar(s, op)),
                (Value::Scalar(_), ObjId::Root) => None,
            };
            let body = match ty {
                ObjType::Text => StateBody::Text(self.text(&obj).unwrap_or_default()),
                ObjType::List => {
                    let items = self.values(&obj).unwrap_or_default();
                    StateBody::List(items.into_iter().filter_map(&mut value).collect())
                }
                ObjType::Map | ObjType::Table => {
                    let keys = self.keys(&obj).unwrap_or_default();
                    let items = self.values(&obj).unwrap_or_default();
                    let values = items.into_iter().map(&mut value);
                    let entries = keys
                        .into_iter()
                        .zip(values)
                        .filter_map(|(k, v)| Some((k, v?)))
                        .collect();
                    match ty {
                        ObjType::Table => StateBody::Table(entries),
                        _ => StateBody::Map(entries),
                    }
                }
            };
            if let Some(o) = objects.get_mut(at) {
                o.body = body;
            }
        }
        DocState {
            heads: self.heads(),
            objects,
        }
    }

    /// The whole document as a snapshot: its state and its history. A
    /// second thread encodes the state while this one brings the kept history
    /// columns up to date (all of them, the first time after a load); then
    /// the two sections are compressed at once, the history against the
    /// state.
    pub fn save(&self) -> Result<Vec<u8>, EngineError> {
        // `state()` reads what exists and does not panic; should a thread
        // panic all the same, its part is done again here instead of failing.
        let (state_raw, history_raw) = std::thread::scope(|s| {
            let state_raw = s.spawn(|| encode_state(&self.state()));
            let history_raw = self.history_raw();
            let state_raw = state_raw
                .join()
                .unwrap_or_else(|_| encode_state(&self.state()));
            (state_raw, history_raw)
        });
        std::thread::scope(|s| {
            let state = s.spawn(|| CompressedState::new(&state_raw));
            let history = CompressedHistory::new(&history_raw, &state_raw)?;
            let state = match state.join() {
                Ok(state) => state?,
                Err(_) => CompressedState::new(&state_raw)?,
            };
            let kept = self.kept_for_snapshot();
            let kept: Vec<(u32, &[u8])> = kept.iter().map(|(i, c)| (*i, &c[..])).collect();
            Ok(assemble_snapshot(&state, &history, &kept)?)
        })
    }

    /// Loads a snapshot as the reference does, change by change: decodes
    /// each change of its history and applies it through `apply_changes`'
    /// checks. `load` gives the same document, or the same error; tests and
    /// the fuzzer hold the two side by side.
    #[doc(hidden)]
    pub fn load_reference(bytes: &[u8], actor: ActorId) -> Result<Document, EngineError> {
        let snapshot = parse_snapshot(bytes)?;
        let kept = Kept::decode(snapshot.kept_chunks()?)?;
        let mut doc = Document::load_history_kept(&snapshot.history_raw()?, actor, &kept.hashes)?;
        kept.attach(&mut doc)?;
        Ok(doc)
    }

    /// The chunks kept as they came of the changes in the history, by
    /// history index, ascending.
    fn kept_for_snapshot(&self) -> Vec<(u32, Arc<[u8]>)> {
        let mut kept: Vec<(u32, Arc<[u8]>)> = self
            .verbatim
            .iter()
            .filter_map(|(h, c)| Some((self.history.index_of(h)?, c.clone())))
            .collect();
        kept.sort_unstable_by_key(|(i, _)| *i);
        kept
    }

    /// `load_reference` from a raw history section: applies its changes in chunks as they are
    /// decoded, so the decoded changes of the whole history are never in
    /// memory at once; the history is in causal order, so every chunk applies
    /// as it comes.
    #[doc(hidden)]
    pub fn load_history_reference(raw: &[u8], actor: ActorId) -> Result<Document, EngineError> {
        Document::load_history_kept(raw, actor, &[])
    }

    /// `load_history_reference`, with the hashes of the changes kept as they
    /// came (by history index, ascending).
    pub(crate) fn load_history_kept(
        raw: &[u8],
        actor: ActorId,
        kept: &[(u32, ChangeHash)],
    ) -> Result<Document, EngineError> {
        let mut doc = Document::with_actor(actor);
        let mut chunk = Vec::with_capacity(CHUNK);
        let mut applied = Ok(());
        let apply = |doc: &mut Document, chunk: &mut Vec<(Change, ChangeHash)>| {
            // The decoder checked and hashed every change as it rebuilt it.
            let changes = chunk.drain(..).map(|(c, h)| (c, Some(h)));
            doc.apply_batch(changes).map(drop)
        };
        decode_history_kept(raw, kept, |change, hash| {
            chunk.push((change, hash));
            if chunk.len() == CHUNK && applied.is_ok() {
                applied = apply(&mut doc, &mut chunk);
            }
        })?;
        applied?;
        apply(&mut doc, &mut chunk)?;
        Ok(doc)
    }
}

/// Changes decoded before they are applied.
const CHUNK: usize = 4096;

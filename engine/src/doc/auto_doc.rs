//! `AutoDoc`: a document that takes edits one call at a time, as Automerge's
//! `AutoCommit` does, for programs that drive a document op by op (tests,
//! bindings, an automerge-style app). Edits go into an open transaction that
//! stays open across calls; it commits on `commit`, or before anything that
//! reads or shares history: heads, changes, a merge, a save, a fork.

use super::suspended::Suspended;
use crate::{now_seconds, CommitOptions, Document, EngineError, Prop, Transaction};
use mergedb_format::{ActorId, ChangeHash, ObjId, ObjType, ScalarValue};
use serde_json::Value as Json;

/// A document with an implicit transaction; see the module docs. Reads of
/// the current state see the open transaction's edits.
#[derive(Debug, Default)]
pub struct AutoDoc {
    doc: Document,
    open: Option<Suspended>,
}

impl AutoDoc {
    /// An empty document that writes as a new random actor.
    pub fn new() -> Self {
        Self::from_document(Document::new())
    }

    /// An empty document that writes as `actor`.
    pub fn with_actor(actor: ActorId) -> Self {
        Self::from_document(Document::with_actor(actor))
    }

    /// Takes edits for `doc` from now on.
    pub fn from_document(doc: Document) -> Self {
        AutoDoc { doc, open: None }
    }

    /// The document, its open transaction committed first.
    pub fn document(&mut self) -> &Document {
        self.commit();
        &self.doc
    }

    /// The document, its open transaction committed first.
    pub fn into_document(mut self) -> Document {
        self.commit();
        self.doc
    }

    /// The document, open edits applied to its op set but not to its
    /// history: for reads of the current state only.
    pub(crate) fn doc_ref(&self) -> &Document {
        &self.doc
    }

    /// The document to change; no transaction may be open.
    pub(crate) fn doc_mut(&mut self) -> &mut Document {
        debug_assert!(self.open.is_none());
        &mut self.doc
    }

    /// Runs one edit in the open transaction, opening one if none is.
    fn edit<T>(
        &mut self,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        let mut tx = match self.open.take() {
            Some(open) => self.doc.resume(open),
            None => self.doc.transaction(),
        };
        let result = f(&mut tx);
        self.open = Some(tx.suspend());
        result
    }

    /// Commits the open transaction as one change, with the current time;
    /// its hash, or `None` if there was nothing to commit.
    pub fn commit(&mut self) -> Option<ChangeHash> {
        self.commit_with(CommitOptions::default())
    }

    /// Commits with a message and a time (the current time if none).
    pub fn commit_with(&mut self, options: CommitOptions) -> Option<ChangeHash> {
        let open = self.open.take()?;
        let time = options.time.unwrap_or_else(now_seconds);
        self.doc
            .resume(open)
            .commit_with(options.message, Some(time))
    }

    /// Undoes the open transaction's edits; how many ops they were.
    pub fn rollback(&mut self) -> usize {
        match self.open.take() {
            Some(open) => {
                let tx = self.doc.resume(open);
                let n = tx.pending_ops();
                drop(tx);
                n
            }
            None => 0,
        }
    }

    /// How many ops the open transaction holds.
    pub fn pending_ops(&self) -> usize {
        self.open.as_ref().map_or(0, Suspended::len)
    }

    // Edits, as `Transaction` gives them.

    /// Puts a scalar at a map key or list index.
    pub fn put(
        &mut self,
        obj: &ObjId,
        prop: impl Into<Prop>,
        value: impl Into<ScalarValue>,
    ) -> Result<(), EngineError> {
        self.edit(|tx| tx.put(obj, prop, value))
    }

    /// Puts a new object at a map key or list index; its id.
    pub fn put_object(
        &mut self,
        obj: &ObjId,
        prop: impl Into<Prop>,
        ty: ObjType,
    ) -> Result<ObjId, EngineError> {
        self.edit(|tx| tx.put_object(obj, prop, ty))
    }

    /// Inserts a scalar at a list index.
    pub fn insert(
        &mut self,
        obj: &ObjId,
        index: usize,
        value: impl Into<ScalarValue>,
    ) -> Result<(), EngineError> {
        self.edit(|tx| tx.insert(obj, index, value))
    }

    /// Inserts a new object at a list index; its id.
    pub fn insert_object(
        &mut self,
        obj: &ObjId,
        index: usize,
        ty: ObjType,
    ) -> Result<ObjId, EngineError> {
        self.edit(|tx| tx.insert_object(obj, index, ty))
    }

    /// Deletes a map key or list element.
    pub fn delete(&mut self, obj: &ObjId, prop: impl Into<Prop>) -> Result<(), EngineError> {
        self.edit(|tx| tx.delete(obj, prop))
    }

    /// Adds `by` to a counter.
    pub fn increment(
        &mut self,
        obj: &ObjId,
        prop: impl Into<Prop>,
        by: i64,
    ) -> Result<(), EngineError> {
        self.edit(|tx| tx.increment(obj, prop, by))
    }

    /// Deletes `del` elements at `index` of a list or text and inserts `values`.
    pub fn splice(
        &mut self,
        obj: &ObjId,
        index: usize,
        del: usize,
        values: impl IntoIterator<Item = ScalarValue>,
    ) -> Result<(), EngineError> {
        self.edit(|tx| tx.splice(obj, index, del, values))
    }

    /// Deletes `del` code points at `index` of a text and inserts `text`.
    pub fn splice_text(
        &mut self,
        obj: &ObjId,
        index: usize,
        del: usize,
        text: &str,
    ) -> Result<(), EngineError> {
        self.edit(|tx| tx.splice_text(obj, index, del, text))
    }

    /// Puts a JSON value at a map key or list index.
    pub fn put_json(
        &mut self,
        obj: &ObjId,
        prop: impl Into<Prop>,
        value: &Json,
    ) -> Result<(), EngineError> {
        self.edit(|tx| tx.put_json(obj, prop, value))
    }
}

//! `AutoDoc`'s reads: the current state (open edits included) as it is,
//! and history only after the open transaction commits.

use crate::{Applied, AutoDoc, Document, EngineError, Item, Prop};
use mergedb_format::{ActorId, Change, ChangeHash, ObjId, ObjType};
use serde_json::Value as Json;
use std::ops::RangeBounds;

impl AutoDoc {
    /// The actor this document writes as.
    pub fn actor(&self) -> ActorId {
        self.doc_ref().actor()
    }

    /// The type of an object.
    pub fn object_type(&self, obj: &ObjId) -> Result<ObjType, EngineError> {
        self.doc_ref().object_type(obj)
    }

    /// The winning value at a key or index.
    pub fn get(&self, obj: &ObjId, prop: impl Into<Prop>) -> Result<Option<Item>, EngineError> {
        self.doc_ref().get(obj, prop)
    }

    /// Every visible value at a key or index (the conflicts).
    pub fn get_all(&self, obj: &ObjId, prop: impl Into<Prop>) -> Result<Vec<Item>, EngineError> {
        self.doc_ref().get_all(obj, prop)
    }

    /// The keys of a map.
    pub fn keys(&self, obj: &ObjId) -> Result<Vec<String>, EngineError> {
        self.doc_ref().keys(obj)
    }

    /// The length of a map, list or text.
    pub fn length(&self, obj: &ObjId) -> Result<usize, EngineError> {
        self.doc_ref().length(obj)
    }

    /// The content of a text.
    pub fn text(&self, obj: &ObjId) -> Result<String, EngineError> {
        self.doc_ref().text(obj)
    }

    /// The winning values of a list's elements in `range`.
    pub fn list_range(
        &self,
        obj: &ObjId,
        range: impl RangeBounds<usize>,
    ) -> Result<Vec<Item>, EngineError> {
        self.doc_ref().list_range(obj, range)
    }

    /// The whole document as JSON.
    pub fn to_json(&self) -> Json {
        self.doc_ref().to_json()
    }

    // History: each of these commits the open transaction first.

    /// The heads.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.document().heads()
    }

    /// Whether the document holds the change with this hash.
    pub fn has_change(&mut self, hash: &ChangeHash) -> bool {
        self.document().has_change(hash)
    }

    /// Every change not in the history of `heads`.
    pub fn changes_since(&mut self, heads: &[ChangeHash]) -> Result<Vec<Change>, EngineError> {
        self.document().changes_since(heads)
    }

    /// The changes of `other` that this document lacks (Automerge's
    /// `get_changes_added`).
    pub fn get_changes_added(&mut self, other: &mut AutoDoc) -> Vec<Change> {
        let other = other.document();
        self.document().get_changes_added(other)
    }

    /// Applies remote changes.
    pub fn apply_changes(
        &mut self,
        changes: impl IntoIterator<Item = Change>,
    ) -> Result<Applied, EngineError> {
        self.commit();
        self.doc_mut().apply_changes(changes)
    }

    /// Applies every change of `other` that this document lacks.
    pub fn merge(&mut self, other: &mut AutoDoc) -> Result<Applied, EngineError> {
        other.commit();
        self.commit();
        let other = other.document();
        self.doc_mut().merge(other)
    }

    /// A snapshot of the document (SPEC.md §4).
    pub fn save(&mut self) -> Result<Vec<u8>, EngineError> {
        self.document().save()
    }

    /// A copy that writes as a new random actor.
    pub fn fork(&mut self) -> AutoDoc {
        AutoDoc::from_document(self.document().fork())
    }

    /// A copy that writes as `actor`.
    pub fn fork_with_actor(&mut self, actor: ActorId) -> AutoDoc {
        AutoDoc::from_document(self.document().fork_with_actor(actor))
    }

    /// A copy of the document as it was at `heads`, writing as a new actor.
    pub fn fork_at(&mut self, heads: &[ChangeHash]) -> Result<AutoDoc, EngineError> {
        let doc = self.document();
        let mut copy = Document::new();
        copy.apply_changes(doc.changes_up_to(heads)?)?;
        Ok(AutoDoc::from_document(copy))
    }
}

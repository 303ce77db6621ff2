//! `DocHandle`: reads of one document, from its snapshot's state section
//! while that is all there is to read, and from the whole document otherwise.

use super::cache::{CachedState, Loaded, Slot};
use super::{reentry, DocId, Store, StoreError};
use crate::{Document, Item, Prop, StateView};
use mergedb_format::{ChangeHash, ObjId, ObjType};
use parking_lot::RwLock;
use serde_json::Value as Json;
use std::ops::RangeBounds;
use std::sync::{Arc, OnceLock};

/// A document to read. Handed out by `Store::doc`, it holds either the whole
/// document or, for a compacted document with nothing in its log, only the
/// state section of its snapshot. The reads below answer from whichever it
/// holds; `read()` loads the whole document (history and all) when needed.
#[derive(Debug)]
pub struct DocHandle {
    store: Store,
    id: DocId,
    state: Option<Arc<CachedState>>,
    full: OnceLock<Arc<RwLock<Loaded>>>,
}

impl DocHandle {
    pub(crate) fn new(store: Store, id: DocId, slot: Slot) -> Self {
        let full = OnceLock::new();
        let state = match slot {
            Slot::Full(doc) => {
                let _ = full.set(doc);
                None
            }
            Slot::State(view) => Some(view),
        };
        DocHandle {
            store,
            id,
            state,
            full,
        }
    }

    /// The whole document as it is now, loading its history first if this
    /// handle has only its state: the full read API of `Document`.
    ///
    /// It is a snapshot, and holds no lock: commits made while it is held
    /// (on this thread or another) go ahead, and it keeps showing the
    /// document as it was when it was taken. Take it again to see them.
    pub fn read(&self) -> Result<Arc<Document>, StoreError> {
        reentry::check(&self.id)?;
        let full = match self.full.get() {
            Some(full) => full,
            None => {
                let loaded = self.store.loaded(&self.id)?;
                self.full.get_or_init(|| loaded)
            }
        };
        Ok(Arc::clone(&full.read().doc))
    }

    /// Whether the history is loaded (false while reads come from the state).
    pub fn is_fully_loaded(&self) -> bool {
        self.full.get().is_some()
    }

    /// The state view, while the whole document is not loaded. Once anything
    /// has loaded it (a write through the store, say), the state is out of
    /// date, and reads go to the whole document from then on.
    fn view(&self) -> Option<&StateView> {
        if self.full.get().is_some() {
            return None;
        }
        let state = self.state.as_deref()?;
        match state.stale.load(std::sync::atomic::Ordering::Acquire) {
            true => None,
            false => Some(&state.view),
        }
    }

    /// The document's heads.
    pub fn heads(&self) -> Result<Vec<ChangeHash>, StoreError> {
        match self.view() {
            Some(v) => Ok(v.heads().to_vec()),
            None => Ok(self.read()?.heads()),
        }
    }

    /// The type of an object.
    pub fn object_type(&self, obj: &ObjId) -> Result<ObjType, StoreError> {
        Ok(match self.view() {
            Some(v) => v.object_type(obj)?,
            None => self.read()?.object_type(obj)?,
        })
    }

    /// The winning value at a key or index. An index into a text needs the
    /// whole document (the state keeps a text as a string).
    pub fn get(&self, obj: &ObjId, prop: impl Into<Prop>) -> Result<Option<Item>, StoreError> {
        let prop = prop.into();
        if let Some(v) = self.view() {
            if v.object_type(obj)? != ObjType::Text {
                return Ok(v.get(obj, prop)?);
            }
        }
        Ok(self.read()?.get(obj, prop)?)
    }

    /// The keys of a map.
    pub fn keys(&self, obj: &ObjId) -> Result<Vec<String>, StoreError> {
        Ok(match self.view() {
            Some(v) => v.keys(obj)?,
            None => self.read()?.keys(obj)?,
        })
    }

    /// The length of a map, list or text.
    pub fn length(&self, obj: &ObjId) -> Result<usize, StoreError> {
        Ok(match self.view() {
            Some(v) => v.length(obj)?,
            None => self.read()?.length(obj)?,
        })
    }

    /// The content of a text object.
    pub fn text(&self, obj: &ObjId) -> Result<String, StoreError> {
        Ok(match self.view() {
            Some(v) => v.text(obj)?,
            None => self.read()?.text(obj)?,
        })
    }

    /// The whole document as JSON.
    pub fn to_json(&self) -> Result<Json, StoreError> {
        Ok(match self.view() {
            Some(v) => v.to_json(),
            None => self.read()?.to_json(),
        })
    }

    /// One object, and everything below it, as JSON.
    pub fn object_to_json(&self, obj: &ObjId) -> Result<Json, StoreError> {
        Ok(match self.view() {
            Some(v) => v.object_to_json(obj)?,
            None => self.read()?.object_to_json(obj)?,
        })
    }

    /// Every visible value at a key or index: more than one is a conflict,
    /// and the last is the winner. The state section keeps winners only, so
    /// this reads the whole document.
    pub fn get_all(&self, obj: &ObjId, prop: impl Into<Prop>) -> Result<Vec<Item>, StoreError> {
        Ok(self.read()?.get_all(obj, prop)?)
    }

    /// The winning values of a list's (or text's) elements in `range`. A
    /// list reads from the state section; a text's elements need the whole
    /// document (the state keeps a text as a string).
    pub fn list_range(
        &self,
        obj: &ObjId,
        range: impl RangeBounds<usize>,
    ) -> Result<Vec<Item>, StoreError> {
        if let Some(v) = self.view() {
            if v.object_type(obj)? == ObjType::List {
                return Ok(v.list_range(obj, range)?);
            }
        }
        Ok(self.read()?.list_range(obj, range)?)
    }

    /// The state section, if this handle reads from it and `heads` are its
    /// heads: a read at the current heads needs no history.
    fn view_at(&self, heads: &[ChangeHash]) -> Option<&StateView> {
        let view = self.view()?;
        let mut sorted = heads.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        (sorted == view.heads()).then_some(view)
    }

    /// The winning value at a key or index at `heads`.
    pub fn get_at(
        &self,
        obj: &ObjId,
        prop: impl Into<Prop>,
        heads: &[ChangeHash],
    ) -> Result<Option<Item>, StoreError> {
        let prop = prop.into();
        if let Some(v) = self.view_at(heads) {
            if v.object_type(obj)? != ObjType::Text {
                return Ok(v.get(obj, prop)?);
            }
        }
        Ok(self.read()?.get_at(obj, prop, heads)?)
    }

    /// Every visible value at a key or index at `heads`.
    pub fn get_all_at(
        &self,
        obj: &ObjId,
        prop: impl Into<Prop>,
        heads: &[ChangeHash],
    ) -> Result<Vec<Item>, StoreError> {
        Ok(self.read()?.get_all_at(obj, prop, heads)?)
    }

    /// The keys of a map at `heads`.
    pub fn keys_at(&self, obj: &ObjId, heads: &[ChangeHash]) -> Result<Vec<String>, StoreError> {
        Ok(match self.view_at(heads) {
            Some(v) => v.keys(obj)?,
            None => self.read()?.keys_at(obj, heads)?,
        })
    }

    /// The length of a map, list or text at `heads`.
    pub fn length_at(&self, obj: &ObjId, heads: &[ChangeHash]) -> Result<usize, StoreError> {
        Ok(match self.view_at(heads) {
            Some(v) => v.length(obj)?,
            None => self.read()?.length_at(obj, heads)?,
        })
    }

    /// The content of a text object at `heads`.
    pub fn text_at(&self, obj: &ObjId, heads: &[ChangeHash]) -> Result<String, StoreError> {
        Ok(match self.view_at(heads) {
            Some(v) => v.text(obj)?,
            None => self.read()?.text_at(obj, heads)?,
        })
    }

    /// The list's (or text's) elements in `range` at `heads`.
    pub fn list_range_at(
        &self,
        obj: &ObjId,
        range: impl RangeBounds<usize>,
        heads: &[ChangeHash],
    ) -> Result<Vec<Item>, StoreError> {
        if let Some(v) = self.view_at(heads) {
            if v.object_type(obj)? == ObjType::List {
                return Ok(v.list_range(obj, range)?);
            }
        }
        Ok(self.read()?.list_range_at(obj, range, heads)?)
    }

    /// The whole document as JSON at `heads`.
    pub fn to_json_at(&self, heads: &[ChangeHash]) -> Result<Json, StoreError> {
        Ok(match self.view_at(heads) {
            Some(v) => v.to_json(),
            None => self.read()?.to_json_at(heads)?,
        })
    }
}

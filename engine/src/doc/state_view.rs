//! Reads of a document from its snapshot's state section alone: what a store
//! serves before, or instead of, decoding the history.

use crate::json::scalar_to_json;
use crate::{EngineError, Item, Prop, Value};
use mergedb_format::snapshot::{DocState, StateBody, StateValue};
use mergedb_format::{ChangeHash, ObjId, ObjType};
use serde_json::{Map, Value as Json};
use std::collections::HashMap;

/// A document's visible state, indexed for reads. It has no history: reads at
/// past heads, conflicts and edits need the full `Document`.
#[derive(Debug, Clone)]
pub struct StateView {
    state: DocState,
    index: HashMap<ObjId, u32>,
}

impl StateView {
    /// Indexes a decoded state.
    pub fn new(state: DocState) -> Self {
        let index = state
            .objects
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id, i as u32))
            .collect();
        StateView { state, index }
    }

    /// The heads of the history this state is the result of.
    pub fn heads(&self) -> &[ChangeHash] {
        &self.state.heads
    }

    /// A rough count of the heap this view holds, for cache accounting.
    pub fn heap_estimate(&self) -> usize {
        let body = |b: &StateBody| match b {
            StateBody::Text(s) => s.len(),
            StateBody::List(items) => items.len() * 48,
            StateBody::Map(entries) | StateBody::Table(entries) => {
                entries.iter().map(|(k, _)| k.len() + 72).sum()
            }
        };
        self.state
            .objects
            .iter()
            .map(|o| 64 + body(&o.body))
            .sum::<usize>()
            + self.index.len() * 48
    }

    fn body(&self, obj: &ObjId) -> Result<&StateBody, EngineError> {
        self.index
            .get(obj)
            .and_then(|i| self.state.objects.get(*i as usize))
            .map(|o| &o.body)
            .ok_or(EngineError::NoSuchObject(*obj))
    }

    fn item(&self, v: &StateValue) -> Option<Item> {
        match v {
            StateValue::Scalar(s, id) => Some((Value::Scalar(s.clone()), ObjId::Op(*id))),
            StateValue::Object(i) => {
                let o = self.state.objects.get(*i as usize)?;
                Some((Value::Object(o.body.obj_type()), o.id))
            }
        }
    }

    /// The type of an object.
    pub fn object_type(&self, obj: &ObjId) -> Result<ObjType, EngineError> {
        Ok(self.body(obj)?.obj_type())
    }

    /// The winning value at a map key or list index. A text's characters are
    /// not kept with their op ids here, so `get` on a text is refused with
    /// `WrongObjectType`; the full document answers it.
    pub fn get(&self, obj: &ObjId, prop: impl Into<Prop>) -> Result<Option<Item>, EngineError> {
        let body = self.body(obj)?;
        Ok(match (body, prop.into()) {
            (StateBody::Map(entries) | StateBody::Table(entries), Prop::Map(key)) => entries
                .binary_search_by(|(k, _)| k.as_str().cmp(key.as_str()))
                .ok()
                .and_then(|i| entries.get(i))
                .and_then(|(_, v)| self.item(v)),
            (StateBody::List(items), Prop::Seq(i)) => items.get(i).and_then(|v| self.item(v)),
            (found @ (StateBody::Map(_) | StateBody::Table(_)), Prop::Seq(_)) => {
                return Err(EngineError::WrongKeyKind {
                    found: found.obj_type(),
                    expected: "map key",
                })
            }
            (StateBody::List(_), Prop::Map(_)) => {
                return Err(EngineError::WrongKeyKind {
                    found: ObjType::List,
                    expected: "list index",
                })
            }
            (StateBody::Text(_), _) => {
                return Err(EngineError::WrongObjectType {
                    op: "get on a state view",
                    found: ObjType::Text,
                })
            }
        })
    }

    /// The winning values of a list's elements in `range`; a range past the
    /// end gives the elements there are. A text's characters are kept here
    /// without their op ids, so a text is refused with `WrongObjectType`.
    pub fn list_range(
        &self,
        obj: &ObjId,
        range: impl std::ops::RangeBounds<usize>,
    ) -> Result<Vec<Item>, EngineError> {
        match self.body(obj)? {
            StateBody::List(items) => Ok(crate::read::clamp(range, items.len())
                .and_then(|r| items.get(r))
                .map_or_else(Vec::new, |v| {
                    v.iter().filter_map(|v| self.item(v)).collect()
                })),
            other => Err(EngineError::WrongObjectType {
                op: "list_range on a state view",
                found: other.obj_type(),
            }),
        }
    }

    /// The keys of a map, in order.
    pub fn keys(&self, obj: &ObjId) -> Result<Vec<String>, EngineError> {
        match self.body(obj)? {
            StateBody::Map(entries) | StateBody::Table(entries) => {
                Ok(entries.iter().map(|(k, _)| k.clone()).collect())
            }
            other => Err(EngineError::WrongObjectType {
                op: "keys",
                found: other.obj_type(),
            }),
        }
    }

    /// The number of keys of a map, elements of a list, or code points of a text.
    pub fn length(&self, obj: &ObjId) -> Result<usize, EngineError> {
        Ok(match self.body(obj)? {
            StateBody::Map(entries) | StateBody::Table(entries) => entries.len(),
            StateBody::List(items) => items.len(),
            StateBody::Text(s) => s.chars().count(),
        })
    }

    /// The content of a text object.
    pub fn text(&self, obj: &ObjId) -> Result<String, EngineError> {
        self.text_ref(obj).map(str::to_string)
    }

    /// The content of a text object, borrowed.
    pub fn text_ref(&self, obj: &ObjId) -> Result<&str, EngineError> {
        match self.body(obj)? {
            StateBody::Text(s) => Ok(s),
            other => Err(EngineError::WrongObjectType {
                op: "text",
                found: other.obj_type(),
            }),
        }
    }

    /// The whole document as JSON, as `Document::to_json` gives it.
    pub fn to_json(&self) -> Json {
        self.json_of(0)
    }

    /// One object, and everything below it, as JSON.
    pub fn object_to_json(&self, obj: &ObjId) -> Result<Json, EngineError> {
        self.body(obj)?;
        Ok(self.index.get(obj).map_or(Json::Null, |i| self.json_of(*i)))
    }

    fn json_of(&self, i: u32) -> Json {
        let Some(o) = self.state.objects.get(i as usize) else {
            return Json::Null;
        };
        let value = |v: &StateValue| match v {
            StateValue::Scalar(s, _) => scalar_to_json(s),
            StateValue::Object(j) => self.json_of(*j),
        };
        match &o.body {
            StateBody::Text(s) => Json::String(s.clone()),
            StateBody::List(items) => Json::Array(items.iter().map(value).collect()),
            StateBody::Map(entries) | StateBody::Table(entries) => {
                let map: Map<String, Json> =
                    entries.iter().map(|(k, v)| (k.clone(), value(v))).collect();
                Json::Object(map)
            }
        }
    }
}

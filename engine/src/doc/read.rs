//! The read API of `Document`, now or at past heads.

use crate::clock::{covered, Clock};
use crate::opset::{ObjData, ROOT};
use crate::{Document, EngineError, Value};
use mergedb_format::{ChangeHash, ObjId, ObjType};
use std::ops::{Bound, RangeBounds};

/// A map key or a list index.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Prop {
    /// A map key.
    Map(String),
    /// A list or text index.
    Seq(usize),
}

impl From<&str> for Prop {
    fn from(s: &str) -> Self {
        Prop::Map(s.to_string())
    }
}

impl From<String> for Prop {
    fn from(s: String) -> Self {
        Prop::Map(s)
    }
}

impl From<usize> for Prop {
    fn from(i: usize) -> Self {
        Prop::Seq(i)
    }
}

/// `range` within `0..len`: past the end is cut off, and an empty or
/// backwards range gives `None`.
pub(crate) fn clamp(range: impl RangeBounds<usize>, len: usize) -> Option<std::ops::Range<usize>> {
    let start = match range.start_bound() {
        Bound::Included(s) => *s,
        Bound::Excluded(s) => s.saturating_add(1),
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(e) => e.saturating_add(1),
        Bound::Excluded(e) => *e,
        Bound::Unbounded => len,
    }
    .min(len);
    (start < end).then_some(start..end)
}

/// A value with the id of the op that holds it; for an object, its id.
pub type Item = (Value, ObjId);

impl Document {
    /// The internal index of `obj`, if it exists at `clock`.
    pub(crate) fn obj_index(&self, obj: &ObjId, clock: Option<&Clock>) -> Result<u32, EngineError> {
        let found = match obj {
            ObjId::Root => Some(ROOT),
            ObjId::Op(id) => self.ops.actors.lookup(&id.actor).and_then(|actor| {
                let id = crate::actors::Id {
                    counter: id.counter,
                    actor,
                };
                self.ops.object_by_id(id).filter(|_| covered(clock, id))
            }),
        };
        found.ok_or(EngineError::NoSuchObject(*obj))
    }

    fn item(&self, op: u32, clock: Option<&Clock>) -> Item {
        let id = self.ops.actors.export(self.ops.ops[op as usize].id());
        (self.ops.value(op, clock), ObjId::Op(id))
    }

    fn clock_at(&self, heads: &[ChangeHash]) -> Result<Clock, EngineError> {
        self.history.clock(heads, &self.ops)
    }

    /// The type of an object.
    pub fn object_type(&self, obj: &ObjId) -> Result<ObjType, EngineError> {
        Ok(self.ops.objects[self.obj_index(obj, None)? as usize].ty)
    }

    /// The winning value at a key or index, if any.
    pub fn get(&self, obj: &ObjId, prop: impl Into<Prop>) -> Result<Option<Item>, EngineError> {
        Ok(self.get_all_in(obj, prop.into(), None)?.pop())
    }

    /// The winning value at a key or index at past heads.
    pub fn get_at(
        &self,
        obj: &ObjId,
        prop: impl Into<Prop>,
        heads: &[ChangeHash],
    ) -> Result<Option<Item>, EngineError> {
        let clock = self.clock_at(heads)?;
        Ok(self.get_all_in(obj, prop.into(), Some(&clock))?.pop())
    }

    /// Every visible value at a key or index, ascending by op id: more than one
    /// is a conflict, and the last is the winner.
    pub fn get_all(&self, obj: &ObjId, prop: impl Into<Prop>) -> Result<Vec<Item>, EngineError> {
        self.get_all_in(obj, prop.into(), None)
    }

    /// Every visible value at a key or index at past heads.
    pub fn get_all_at(
        &self,
        obj: &ObjId,
        prop: impl Into<Prop>,
        heads: &[ChangeHash],
    ) -> Result<Vec<Item>, EngineError> {
        let clock = self.clock_at(heads)?;
        self.get_all_in(obj, prop.into(), Some(&clock))
    }

    /// The winning values of the elements of a list or text in `range`, in
    /// order; a range past the end gives the elements there are.
    pub fn list_range(
        &self,
        obj: &ObjId,
        range: impl RangeBounds<usize>,
    ) -> Result<Vec<Item>, EngineError> {
        self.list_range_in(obj, range, None)
    }

    /// `list_range` at past heads.
    pub fn list_range_at(
        &self,
        obj: &ObjId,
        range: impl RangeBounds<usize>,
        heads: &[ChangeHash],
    ) -> Result<Vec<Item>, EngineError> {
        let clock = self.clock_at(heads)?;
        self.list_range_in(obj, range, Some(&clock))
    }

    fn list_range_in(
        &self,
        obj: &ObjId,
        range: impl RangeBounds<usize>,
        clock: Option<&Clock>,
    ) -> Result<Vec<Item>, EngineError> {
        let ty = self.ops.objects[self.obj_index(obj, clock)? as usize].ty;
        if ty.is_map() {
            return Err(EngineError::WrongObjectType {
                op: "list_range",
                found: ty,
            });
        }
        let values = self.values_in(obj, clock)?;
        Ok(clamp(range, values.len())
            .and_then(|r| values.get(r))
            .map_or_else(Vec::new, <[Item]>::to_vec))
    }

    fn get_all_in(
        &self,
        obj: &ObjId,
        prop: Prop,
        clock: Option<&Clock>,
    ) -> Result<Vec<Item>, EngineError> {
        let o = self.obj_index(obj, clock)?;
        let ty = self.ops.objects[o as usize].ty;
        let ops = match prop {
            Prop::Map(key) if ty.is_map() => self.ops.map_ops(o, &key, clock),
            Prop::Seq(index) if !ty.is_map() => match self.elem_at(o, index, clock) {
                Some(elem) => self.ops.elem_ops(o, elem, clock),
                None => Vec::new(),
            },
            Prop::Map(_) => {
                return Err(EngineError::WrongKeyKind {
                    expected: "list index",
                    found: ty,
                })
            }
            Prop::Seq(_) => {
                return Err(EngineError::WrongKeyKind {
                    expected: "map key",
                    found: ty,
                })
            }
        };
        Ok(ops.into_iter().map(|op| self.item(op, clock)).collect())
    }

    /// The insert op of the element at width index `index`.
    pub(crate) fn elem_at(&self, obj: u32, index: usize, clock: Option<&Clock>) -> Option<u32> {
        match clock {
            None => {
                let ObjData::Seq(seq, _) = &self.ops.objects[obj as usize].data else {
                    return None;
                };
                let (c, _) = seq.nth(index)?;
                seq.get(c).map(|e| e.op)
            }
            Some(_) => {
                let mut at = 0;
                for (elem, winner) in self.ops.seq_elems(obj, clock) {
                    at += self.ops.elem_width(obj, winner);
                    if at > index {
                        return Some(elem);
                    }
                }
                None
            }
        }
    }

    /// The keys of a map that have a value, in key order.
    pub fn keys(&self, obj: &ObjId) -> Result<Vec<String>, EngineError> {
        self.keys_in(obj, None)
    }

    /// The keys of a map at past heads.
    pub fn keys_at(&self, obj: &ObjId, heads: &[ChangeHash]) -> Result<Vec<String>, EngineError> {
        let clock = self.clock_at(heads)?;
        self.keys_in(obj, Some(&clock))
    }

    fn keys_in(&self, obj: &ObjId, clock: Option<&Clock>) -> Result<Vec<String>, EngineError> {
        let o = self.obj_index(obj, clock)?;
        Ok(self
            .ops
            .map_keys(o, clock)
            .into_iter()
            .map(|(k, _)| k.to_string())
            .collect())
    }

    /// The number of keys of a map, elements of a list, or code points of a text.
    pub fn length(&self, obj: &ObjId) -> Result<usize, EngineError> {
        self.length_in(obj, None)
    }

    /// The length of an object at past heads.
    pub fn length_at(&self, obj: &ObjId, heads: &[ChangeHash]) -> Result<usize, EngineError> {
        let clock = self.clock_at(heads)?;
        self.length_in(obj, Some(&clock))
    }

    pub(crate) fn length_in(
        &self,
        obj: &ObjId,
        clock: Option<&Clock>,
    ) -> Result<usize, EngineError> {
        let o = self.obj_index(obj, clock)?;
        Ok(match (&self.ops.objects[o as usize].data, clock) {
            (ObjData::Map(_), _) => self.ops.map_keys(o, clock).len(),
            (ObjData::Seq(seq, _), None) => seq.width(),
            (ObjData::Seq(..), Some(_)) => self
                .ops
                .seq_elems(o, clock)
                .iter()
                .map(|(_, w)| self.ops.elem_width(o, *w))
                .sum(),
        })
    }

    /// The winning values of a map in key order, or of a list in order.
    pub fn values(&self, obj: &ObjId) -> Result<Vec<Item>, EngineError> {
        self.values_in(obj, None)
    }

    pub(crate) fn values_in(
        &self,
        obj: &ObjId,
        clock: Option<&Clock>,
    ) -> Result<Vec<Item>, EngineError> {
        let o = self.obj_index(obj, clock)?;
        let winners: Vec<u32> = match &self.ops.objects[o as usize].data {
            ObjData::Map(_) => self
                .ops
                .map_keys(o, clock)
                .into_iter()
                .map(|(_, w)| w)
                .collect(),
            ObjData::Seq(..) => self
                .ops
                .seq_elems(o, clock)
                .into_iter()
                .map(|(_, w)| w)
                .collect(),
        };
        Ok(winners.into_iter().map(|w| self.item(w, clock)).collect())
    }

    /// The content of a text object.
    pub fn text(&self, obj: &ObjId) -> Result<String, EngineError> {
        self.text_in(obj, None)
    }

    /// The content of a text object at past heads.
    pub fn text_at(&self, obj: &ObjId, heads: &[ChangeHash]) -> Result<String, EngineError> {
        let clock = self.clock_at(heads)?;
        self.text_in(obj, Some(&clock))
    }

    pub(crate) fn text_in(
        &self,
        obj: &ObjId,
        clock: Option<&Clock>,
    ) -> Result<String, EngineError> {
        let o = self.obj_index(obj, clock)?;
        let ty = self.ops.objects[o as usize].ty;
        if ty != ObjType::Text {
            return Err(EngineError::WrongObjectType {
                op: "text",
                found: ty,
            });
        }
        let mut out = String::new();
        for (_, winner) in self.ops.seq_elems(o, clock) {
            match self.ops.val(winner) {
                Some(v) => v.push_text(&mut out),
                None => out.push('\u{fffc}'),
            }
        }
        Ok(out)
    }
}

//! Local edits: a transaction applies ops as it goes, so that reads through it
//! see them, and either commits them as one change or, dropped, undoes them.

use crate::actors::Id;
use crate::history::NewChange;
use crate::opset::{KeyRef, NewOp, ObjData, Undo, NONE};
use crate::value::{Action, Val};
use crate::{Document, EngineError, Prop};
use mergedb_format::{
    automerge::encode_automerge_change_into, Change, ChangeHash, ElemId, Key, ObjId, ObjType, Op,
    OpId, ScalarValue,
};

/// A transaction on a document; see `Document::transaction`.
#[derive(Debug)]
pub struct Transaction<'a> {
    pub(super) doc: &'a mut Document,
    pub(super) seq: u64,
    /// The first op's counter; `None` when no counter is left.
    pub(super) start_op: Option<u64>,
    pub(super) deps: Vec<ChangeHash>,
    /// The op set index of the transaction's first op.
    pub(super) first_op: u32,
    pub(super) ops: Vec<Op>,
    pub(super) undo: Vec<Undo>,
}

impl Document {
    /// Starts a transaction: its ops form one change when it commits, and
    /// vanish if it is dropped.
    pub fn transaction(&mut self) -> Transaction<'_> {
        let seq = self.history.last_seq(self.actor_index) + 1;
        let mut deps = self.history.heads();
        // Like Automerge, a change always names its actor's previous change,
        // even when that change is below the heads rather than one of them.
        if let Some(prev) = self.history.by_seq(self.actor_index, seq - 1) {
            let prev = self.history.hash(prev);
            if let Err(at) = deps.binary_search(&prev) {
                deps.insert(at, prev);
            }
        }
        Transaction {
            seq,
            start_op: self.history.max_op_overall().checked_add(1),
            first_op: self.ops.ops.len() as u32,
            deps,
            ops: Vec::new(),
            undo: Vec::new(),
            doc: self,
        }
    }
}

impl std::ops::Deref for Transaction<'_> {
    type Target = Document;
    fn deref(&self) -> &Document {
        self.doc
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        while let Some(u) = self.undo.pop() {
            self.doc.ops.undo(u);
        }
    }
}

/// An op to add, in both the engine's terms and the change's.
struct Local {
    obj: u32,
    key: KeyRef,
    insert: bool,
    action: Action,
    pred: Vec<u32>,
}

impl Transaction<'_> {
    /// Commits the ops as one change and returns its hash; `None` if there were no ops.
    pub fn commit(self) -> Option<ChangeHash> {
        self.commit_with(None, None)
    }

    /// Commits like `commit_with`, and returns the change's encoding as well,
    /// for a caller that stores it.
    pub fn commit_encoded(
        mut self,
        message: Option<String>,
        time: Option<i64>,
    ) -> Option<(ChangeHash, Vec<u8>)> {
        let hash = self.finish(message, time)?;
        Some((hash, self.doc.scratch.clone()))
    }

    /// Commits with an optional message and an optional time (seconds since
    /// the epoch; none is stored as 0, "unknown").
    pub fn commit_with(mut self, message: Option<String>, time: Option<i64>) -> Option<ChangeHash> {
        self.finish(message, time)
    }

    /// Makes the change and puts it in the history; the encoding is left in
    /// the document's scratch buffer.
    fn finish(&mut self, message: Option<String>, time: Option<i64>) -> Option<ChangeHash> {
        let time = time.unwrap_or(0);
        if self.ops.is_empty() {
            return None;
        }
        let change = Change {
            actor: self.doc.actor,
            seq: self.seq,
            start_op: self.start_op.unwrap_or(u64::MAX),
            time,
            message,
            deps: std::mem::take(&mut self.deps),
            ops: std::mem::take(&mut self.ops),
            extra: Vec::new(),
        };
        // The ops were built from the document itself and each was checked
        // as it was added; an invalid change here is a bug in this module.
        if let Err(e) = change.check() {
            panic!("a local change failed its own checks: {e}");
        }
        let doc = &mut *self.doc;
        let hash = encode_automerge_change_into(&change, &mut doc.encoder, &mut doc.scratch);
        let history = &mut self.doc.history;
        let deps: Vec<u32> = change
            .deps
            .iter()
            .filter_map(|d| history.index_of(d))
            .collect();
        history.push(NewChange {
            hash,
            actor: self.doc.actor_index,
            start_op: self.start_op.unwrap_or(u64::MAX),
            first_op: self.first_op,
            n_ops: change.ops.len() as u32,
            time,
            deps: &deps,
            message: change.message.as_deref(),
            extra: &[],
        });
        self.doc.keep_last_change();
        self.undo.clear();
        Some(hash)
    }

    /// How many ops the transaction holds so far.
    pub fn pending_ops(&self) -> usize {
        self.ops.len()
    }

    /// The next op's id; an error once the 64-bit counters are used up
    /// (a remote change may have taken the last of them).
    fn next_id(&self) -> Result<Id, EngineError> {
        let counter = self
            .start_op
            .and_then(|s| s.checked_add(self.ops.len() as u64));
        Ok(Id {
            counter: counter.ok_or(EngineError::CountersExhausted)?,
            actor: self.doc.actor_index,
        })
    }

    fn export(&self, op: u32) -> OpId {
        self.doc
            .ops
            .actors
            .export(self.doc.ops.ops[op as usize].id())
    }

    fn obj_id(&self, obj: u32) -> ObjId {
        match self.doc.ops.objects[obj as usize].made_by {
            NONE => ObjId::Root,
            made_by => ObjId::Op(self.export(made_by)),
        }
    }

    /// Applies a local op and records it for the change.
    fn push(&mut self, op: Local) -> Result<OpId, EngineError> {
        let id = self.next_id()?;
        let mut pred: Vec<OpId> = op.pred.iter().map(|p| self.export(*p)).collect();
        pred.sort_unstable();
        let key = match op.key {
            KeyRef::Map(p) => Key::Map(self.doc.ops.prop(p).to_string()),
            KeyRef::Seq(NONE) => Key::Seq(ElemId::Head),
            KeyRef::Seq(e) => Key::Seq(ElemId::Op(self.export(e))),
        };
        let action = op.action.to_op_action();
        self.ops.push(Op {
            obj: self.obj_id(op.obj),
            key,
            insert: op.insert,
            action,
            pred,
        });
        let new = NewOp {
            id,
            obj: op.obj,
            key: op.key,
            insert: op.insert,
            action: op.action,
        };
        let undo = self.doc.ops.apply(new, &op.pred);
        self.undo.push(undo);
        Ok(self.doc.ops.actors.export(id))
    }

    /// The object, checked to be of one of `types`.
    fn object(&self, obj: &ObjId, op: &'static str, types: &[ObjType]) -> Result<u32, EngineError> {
        let o = self.doc.obj_index(obj, None)?;
        let found = self.doc.ops.objects[o as usize].ty;
        if !types.contains(&found) {
            return Err(EngineError::WrongObjectType { op, found });
        }
        Ok(o)
    }

    /// The key and the visible ops at a prop of `o`.
    fn target(&mut self, o: u32, prop: Prop) -> Result<(KeyRef, Vec<u32>), EngineError> {
        let ty = self.doc.ops.objects[o as usize].ty;
        match (prop, ty) {
            (Prop::Map(k), ObjType::Map | ObjType::Table) => {
                if k.is_empty() {
                    return Err(EngineError::EmptyKey);
                }
                let visible = self.doc.ops.map_ops(o, &k, None);
                Ok((KeyRef::Map(self.doc.ops.intern_prop(&k)), visible))
            }
            (Prop::Seq(index), ObjType::List | ObjType::Text) => {
                let elem =
                    self.doc
                        .elem_at(o, index, None)
                        .ok_or(EngineError::IndexOutOfBounds {
                            index,
                            len: self.doc.length_in(&self.obj_id(o), None)?,
                        })?;
                Ok((KeyRef::Seq(elem), self.doc.ops.elem_ops(o, elem, None)))
            }
            (Prop::Map(_), found) => Err(EngineError::WrongKeyKind {
                expected: "list index",
                found,
            }),
            (Prop::Seq(_), found) => Err(EngineError::WrongKeyKind {
                expected: "map key",
                found,
            }),
        }
    }

    /// Puts a scalar at a map key or list index.
    pub fn put(
        &mut self,
        obj: &ObjId,
        prop: impl Into<Prop>,
        value: impl Into<ScalarValue>,
    ) -> Result<(), EngineError> {
        let all = [ObjType::Map, ObjType::List, ObjType::Text];
        let o = self.object(obj, "put", &all)?;
        let (key, mut pred) = self.target(o, prop.into())?;
        let val = Val::from_scalar(&value.into());
        // Putting the value that already wins makes no op when it stands alone,
        // and otherwise deletes the values it conflicts with (as Automerge).
        let action = match pred.last() {
            Some(winner) if self.same_value(*winner, &val) => {
                if pred.len() == 1 {
                    return Ok(());
                }
                pred.pop();
                Action::Delete
            }
            _ => Action::Put(val),
        };
        self.push(Local {
            obj: o,
            key,
            insert: false,
            action,
            pred,
        })?;
        Ok(())
    }

    /// Whether op `winner` holds `val`: scalars compare as values (floats by
    /// `==`), and a counter by its current value, increments included, as
    /// Automerge compares them.
    fn same_value(&self, winner: u32, val: &Val) -> bool {
        match (self.doc.ops.val(winner), val) {
            (Some(Val::Counter(_)), Val::Counter(new)) => matches!(
                self.doc.ops.value(winner, None),
                crate::Value::Scalar(ScalarValue::Counter(current)) if current == *new
            ),
            (Some(old), new) => old == new,
            (None, _) => false,
        }
    }

    /// Makes a new object at a map key or list index; returns its id.
    pub fn put_object(
        &mut self,
        obj: &ObjId,
        prop: impl Into<Prop>,
        ty: ObjType,
    ) -> Result<ObjId, EngineError> {
        // A table takes no local edit, as in automerge 0.12 (which makes
        // tables but refuses ops in them): it is kept, and read as a map.
        let o = self.object(obj, "put_object", &[ObjType::Map, ObjType::List])?;
        let (key, pred) = self.target(o, prop.into())?;
        let action = Action::Make(ty);
        Ok(ObjId::Op(self.push(Local {
            obj: o,
            key,
            insert: false,
            action,
            pred,
        })?))
    }

    /// The element before width index `index` of `o`, checked against its length.
    fn insert_ref(&self, o: u32, index: usize) -> Result<u32, EngineError> {
        let ObjData::Seq(seq, _) = &self.doc.ops.objects[o as usize].data else {
            return Err(EngineError::WrongObjectType {
                op: "insert",
                found: ObjType::Map,
            });
        };
        if index > seq.width() {
            return Err(EngineError::IndexOutOfBounds {
                index,
                len: seq.width(),
            });
        }
        let before = seq.visible_before(index);
        let after = before.and_then(|c| seq.get(c)).map_or(NONE, |e| e.op);
        Ok(self.doc.ops.insert_spot(seq, before, after))
    }

    /// Inserts a scalar at `index` of a list or text.
    pub fn insert(
        &mut self,
        obj: &ObjId,
        index: usize,
        value: impl Into<ScalarValue>,
    ) -> Result<(), EngineError> {
        self.splice(obj, index, 0, [value.into()])
    }

    /// Inserts a new object at `index` of a list; returns its id.
    pub fn insert_object(
        &mut self,
        obj: &ObjId,
        index: usize,
        ty: ObjType,
    ) -> Result<ObjId, EngineError> {
        let o = self.object(obj, "insert_object", &[ObjType::List, ObjType::Text])?;
        let after = self.insert_ref(o, index)?;
        let action = Action::Make(ty);
        Ok(ObjId::Op(self.push(Local {
            obj: o,
            key: KeyRef::Seq(after),
            insert: true,
            action,
            pred: vec![],
        })?))
    }

    /// Deletes a map key (nothing if it has no value) or a list element.
    pub fn delete(&mut self, obj: &ObjId, prop: impl Into<Prop>) -> Result<(), EngineError> {
        let all = [ObjType::Map, ObjType::List, ObjType::Text];
        let o = self.object(obj, "delete", &all)?;
        let (key, pred) = self.target(o, prop.into())?;
        if !pred.is_empty() {
            self.push(Local {
                obj: o,
                key,
                insert: false,
                action: Action::Delete,
                pred,
            })?;
        }
        Ok(())
    }

    /// Adds `by` to the counter at a map key or list index.
    pub fn increment(
        &mut self,
        obj: &ObjId,
        prop: impl Into<Prop>,
        by: i64,
    ) -> Result<(), EngineError> {
        let all = [ObjType::Map, ObjType::List, ObjType::Text];
        let o = self.object(obj, "increment", &all)?;
        let (key, pred) = self.target(o, prop.into())?;
        let is_counter = |p: &u32| matches!(self.doc.ops.val(*p), Some(Val::Counter(_)));
        if !pred.iter().any(is_counter) {
            return Err(EngineError::NotACounter);
        }
        self.push(Local {
            obj: o,
            key,
            insert: false,
            action: Action::Inc(by),
            pred,
        })?;
        Ok(())
    }

    /// Deletes `del` elements at `index` of a list or text and inserts `values` there.
    pub fn splice(
        &mut self,
        obj: &ObjId,
        index: usize,
        del: usize,
        values: impl IntoIterator<Item = ScalarValue>,
    ) -> Result<(), EngineError> {
        let o = self.object(obj, "splice", &[ObjType::List, ObjType::Text])?;
        self.splice_in(
            o,
            index,
            del,
            values.into_iter().map(|v| Val::from_scalar(&v)),
        )
    }

    /// Deletes `del` code points at `index` of a text and inserts `text` there,
    /// one element per code point.
    pub fn splice_text(
        &mut self,
        obj: &ObjId,
        index: usize,
        del: usize,
        text: &str,
    ) -> Result<(), EngineError> {
        let o = self.object(obj, "splice_text", &[ObjType::Text])?;
        self.splice_in(o, index, del, text.chars().map(Val::Char))
    }

    fn splice_in(
        &mut self,
        o: u32,
        index: usize,
        del: usize,
        values: impl Iterator<Item = Val>,
    ) -> Result<(), EngineError> {
        let len = self.doc.length_in(&self.obj_id(o), None)?;
        if index > len || del > len - index {
            return Err(EngineError::IndexOutOfBounds {
                index: index.saturating_add(del),
                len,
            });
        }
        // Insert first, then delete after what was inserted: Automerge's order,
        // which decides the op ids and so must match it.
        let mut after = self.insert_ref(o, index)?;
        let mut inserted = 0;
        for v in values {
            inserted += if self.doc.ops.objects[o as usize].ty == ObjType::Text {
                v.text_width() as usize
            } else {
                1
            };
            let local = Local {
                obj: o,
                key: KeyRef::Seq(after),
                insert: true,
                action: Action::Put(v),
                pred: vec![],
            };
            self.push(local)?;
            after = (self.doc.ops.ops.len() - 1) as u32;
        }
        let mut deleted = 0;
        while deleted < del {
            let Some(elem) = self.doc.elem_at(o, index + inserted, None) else {
                break;
            };
            let pred = self.doc.ops.elem_ops(o, elem, None);
            deleted += pred.last().map_or(1, |w| self.doc.ops.elem_width(o, *w));
            self.push(Local {
                obj: o,
                key: KeyRef::Seq(elem),
                insert: false,
                action: Action::Delete,
                pred,
            })?;
        }
        Ok(())
    }
}

//! Changes as the history decoder hands them out: borrowed from the section,
//! with op ids as indices into its actor table, so that a loader can build a
//! document from them with no allocation per op (SPEC.md §4.3).

use super::{IdRef, KeyRef};
use crate::op::{OpShape, ShapeKey};
use crate::{ActorId, ChangeHash, ElemId, InvalidChange, Key, ObjId, ObjType, Op, OpAction};
use crate::{Change, OpId, ScalarValue};

/// A scalar value, borrowed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ValueRef<'a> {
    /// Null.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    Uint(u64),
    /// A float.
    F64(f64),
    /// A string.
    Str(&'a str),
    /// Bytes.
    Bytes(&'a [u8]),
    /// A counter's initial value.
    Counter(i64),
    /// A timestamp.
    Timestamp(i64),
}

impl<'a> ValueRef<'a> {
    /// Borrows a scalar.
    pub fn of(v: &'a ScalarValue) -> Self {
        match v {
            ScalarValue::Null => ValueRef::Null,
            ScalarValue::Bool(b) => ValueRef::Bool(*b),
            ScalarValue::Int(i) => ValueRef::Int(*i),
            ScalarValue::Uint(u) => ValueRef::Uint(*u),
            ScalarValue::F64(f) => ValueRef::F64(*f),
            ScalarValue::Str(s) => ValueRef::Str(s),
            ScalarValue::Bytes(b) => ValueRef::Bytes(b),
            ScalarValue::Counter(c) => ValueRef::Counter(*c),
            ScalarValue::Timestamp(t) => ValueRef::Timestamp(*t),
        }
    }

    /// An owned copy.
    pub fn to_scalar(self) -> ScalarValue {
        match self {
            ValueRef::Null => ScalarValue::Null,
            ValueRef::Bool(b) => ScalarValue::Bool(b),
            ValueRef::Int(i) => ScalarValue::Int(i),
            ValueRef::Uint(u) => ScalarValue::Uint(u),
            ValueRef::F64(f) => ScalarValue::F64(f),
            ValueRef::Str(s) => ScalarValue::Str(s.to_string()),
            ValueRef::Bytes(b) => ScalarValue::Bytes(b.to_vec()),
            ValueRef::Counter(c) => ScalarValue::Counter(c),
            ValueRef::Timestamp(t) => ScalarValue::Timestamp(t),
        }
    }
}

/// What an op does, borrowed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum ActionView<'a> {
    /// Makes an object.
    Make(ObjType),
    /// Puts a value.
    Put(ValueRef<'a>),
    /// Deletes.
    #[default]
    Delete,
    /// Increments a counter.
    Increment(i64),
    /// Opens a mark.
    MarkBegin {
        /// Its name.
        name: &'a str,
        /// Its value.
        value: ValueRef<'a>,
        /// Whether it grows at its start.
        expand: bool,
    },
    /// Closes a mark.
    MarkEnd {
        /// Whether it grows at its end.
        expand: bool,
    },
}

impl<'a> ActionView<'a> {
    /// The owned action.
    pub fn to_owned(self) -> OpAction {
        match self {
            ActionView::Make(t) => OpAction::MakeObject(t),
            ActionView::Put(v) => OpAction::Put(v.to_scalar()),
            ActionView::Delete => OpAction::Delete,
            ActionView::Increment(by) => OpAction::Increment(by),
            ActionView::MarkBegin {
                name,
                value,
                expand,
            } => OpAction::MarkBegin(Box::new(crate::MarkBegin {
                name: name.to_string(),
                value: value.to_scalar(),
                expand,
            })),
            ActionView::MarkEnd { expand } => OpAction::MarkEnd { expand },
        }
    }

    /// Borrows an op's action.
    pub fn of(action: &'a OpAction) -> Self {
        match action {
            OpAction::MakeObject(t) => ActionView::Make(*t),
            OpAction::Put(v) => ActionView::Put(ValueRef::of(v)),
            OpAction::Delete => ActionView::Delete,
            OpAction::Increment(by) => ActionView::Increment(*by),
            OpAction::MarkBegin(m) => ActionView::MarkBegin {
                name: &m.name,
                value: ValueRef::of(&m.value),
                expand: m.expand,
            },
            OpAction::MarkEnd { expand } => ActionView::MarkEnd { expand: *expand },
        }
    }
}

/// One op of a [`ChangeView`]; its preds are in the change's pred list.
#[derive(Clone, Copy, Debug)]
pub struct OpView<'a> {
    /// The object: `None` for the root.
    pub obj: Option<IdRef>,
    /// The key.
    pub key: KeyRef<'a>,
    /// Whether it inserts.
    pub insert: bool,
    /// What it does.
    pub action: ActionView<'a>,
    pred_at: u32,
    pred_len: u32,
}

/// One change, borrowed. Op ids name actors by their index in the table that
/// comes with the view (the history section's, or the change's own).
#[derive(Clone, Debug, Default)]
pub struct ChangeView<'a> {
    /// The actor's index.
    pub actor: u32,
    /// Its seq.
    pub seq: u64,
    /// Its start_op.
    pub start_op: u64,
    /// Its time.
    pub time: i64,
    /// Its message.
    pub message: Option<&'a str>,
    /// Its extra bytes.
    pub extra: &'a [u8],
    /// In a history section: the indices of the earlier changes its deps
    /// name, ascending and distinct. Empty for a view of a [`Change`], whose
    /// deps are hashes.
    pub deps: Vec<u32>,
    /// Its ops.
    pub ops: Vec<OpView<'a>>,
    preds: Vec<IdRef>,
    spare: ActionView<'a>,
}

impl<'a> ChangeView<'a> {
    /// Makes this view a copy of `other`, reusing its buffers: for a loader
    /// that hands views to another thread.
    pub fn copy_from(&mut self, other: &ChangeView<'a>) {
        self.actor = other.actor;
        self.seq = other.seq;
        self.start_op = other.start_op;
        self.time = other.time;
        self.message = other.message;
        self.extra = other.extra;
        self.deps.clone_from(&other.deps);
        self.ops.clone_from(&other.ops);
        self.preds.clone_from(&other.preds);
    }

    /// Empties the view for the next change, keeping its buffers.
    pub(crate) fn clear(&mut self) {
        self.deps.clear();
        self.ops.clear();
        self.preds.clear();
    }

    /// How many preds the ops so far have: where the next op's start.
    pub(crate) fn pred_count(&self) -> u32 {
        self.preds.len() as u32
    }

    pub(crate) fn push_pred(&mut self, pred: IdRef) {
        self.preds.push(pred);
    }

    /// Appends an op whose preds are those pushed since `pred_at`, and
    /// returns its action to fill in (a delete until then).
    pub(crate) fn push_op(
        &mut self,
        obj: Option<IdRef>,
        key: KeyRef<'a>,
        insert: bool,
        pred_at: u32,
    ) -> &mut ActionView<'a> {
        self.ops.push(OpView {
            obj,
            key,
            insert,
            action: ActionView::Delete,
            pred_at,
            pred_len: self.preds.len() as u32 - pred_at,
        });
        match self.ops.last_mut() {
            Some(op) => &mut op.action,
            // Not taken: an op was just pushed.
            None => &mut self.spare,
        }
    }

    /// The preds of `op`, one of this change's ops.
    pub fn preds(&self, op: &OpView<'_>) -> &[IdRef] {
        let start = op.pred_at as usize;
        self.preds
            .get(start..start + op.pred_len as usize)
            .unwrap_or_default()
    }

    /// A view of `change`, whose op ids name actors by their index in
    /// `actors`, which this fills: the change's actor first.
    pub fn of_change(change: &'a Change, actors: &mut Vec<ActorId>) -> Self {
        actors.clear();
        actors.push(change.actor);
        let mut id = |o: &OpId| IdRef {
            counter: o.counter,
            actor: match actors.iter().position(|a| *a == o.actor) {
                Some(i) => i as u32,
                None => {
                    actors.push(o.actor);
                    actors.len() as u32 - 1
                }
            },
        };
        let mut view = ChangeView {
            seq: change.seq,
            start_op: change.start_op,
            time: change.time,
            message: change.message.as_deref(),
            extra: &change.extra,
            ..ChangeView::default()
        };
        for op in &change.ops {
            let obj = match &op.obj {
                ObjId::Root => None,
                ObjId::Op(o) => Some(id(o)),
            };
            let key = match &op.key {
                Key::Map(k) => KeyRef::Map(k),
                Key::Seq(ElemId::Head) => KeyRef::Head,
                Key::Seq(ElemId::Op(o)) => KeyRef::Elem(id(o)),
            };
            let action = ActionView::of(&op.action);

            let pred_at = view.pred_count();
            for p in &op.pred {
                let p = id(p);
                view.push_pred(p);
            }
            *view.push_op(obj, key, op.insert, pred_at) = action;
        }
        view
    }

    /// Checks the rules of SPEC.md §3.4 that a view can break (its deps are
    /// checked where they are read). `actors` is the table its ids index.
    pub(crate) fn check(&self, actors: &[ActorId]) -> Result<(), InvalidChange> {
        if self.seq == 0 {
            return Err(InvalidChange::ZeroSeq);
        }
        if self.start_op == 0 {
            return Err(InvalidChange::ZeroStartOp);
        }
        crate::change::check_counter_range(self.start_op, self.ops.len())?;
        let order = |p: &IdRef| (p.counter, actors.get(p.actor as usize));
        for (index, op) in self.ops.iter().enumerate() {
            let shape = OpShape {
                obj: op.obj.map(|o| o.counter),
                key: match op.key {
                    KeyRef::Map(_) => ShapeKey::Map,
                    KeyRef::Head => ShapeKey::Head,
                    KeyRef::Elem(e) => ShapeKey::Elem(e.counter),
                },
                insert: op.insert,
                put_or_make: matches!(op.action, ActionView::Make(_) | ActionView::Put(_)),
                mark: matches!(
                    op.action,
                    ActionView::MarkBegin { .. } | ActionView::MarkEnd { .. }
                ),
            };
            let pred = self.preds(op);
            let ascending = pred
                .windows(2)
                .all(|w| matches!(w, [a, b] if order(a) < order(b)));
            let own = self.start_op + index as u64;
            shape
                .check(own, pred.iter().map(|p| p.counter), ascending)
                .map_err(|rule| InvalidChange::Op { index, rule })?;
        }
        Ok(())
    }

    /// The change, owned. `actors` is the table its ids index, and `deps`
    /// its deps' hashes.
    pub fn to_change(&self, actors: &[ActorId], mut deps: Vec<ChangeHash>) -> Change {
        let actor = |i: u32| {
            actors
                .get(i as usize)
                .copied()
                .unwrap_or(ActorId::PLACEHOLDER)
        };
        let id = |r: IdRef| OpId::new(r.counter, actor(r.actor));
        deps.sort_unstable();
        let ops = self
            .ops
            .iter()
            .map(|op| Op {
                obj: op.obj.map_or(ObjId::Root, |o| ObjId::Op(id(o))),
                key: match op.key {
                    KeyRef::Map(k) => Key::Map(k.to_string()),
                    KeyRef::Head => Key::Seq(ElemId::Head),
                    KeyRef::Elem(e) => Key::Seq(ElemId::Op(id(e))),
                },
                insert: op.insert,
                action: op.action.to_owned(),
                pred: self.preds(op).iter().map(|p| id(*p)).collect(),
            })
            .collect();
        Change {
            actor: actor(self.actor),
            seq: self.seq,
            start_op: self.start_op,
            time: self.time,
            message: self.message.map(str::to_string),
            deps,
            ops,
            extra: self.extra.to_vec(),
        }
    }
}

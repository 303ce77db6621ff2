//! A helper that assigns op ids while a change is put together.

use crate::{ActorId, Change, ChangeHash, ElemId, InvalidChange, Key, ObjId, ObjType, Op};
use crate::{OpAction, OpId, ScalarValue};

/// Builds one change: each op added gets the next counter, and its id is returned
/// so that later ops can name it.
#[derive(Debug, Clone)]
pub struct ChangeBuilder {
    change: Change,
}

impl ChangeBuilder {
    /// A change by `actor`, the `seq`-th of that actor's, whose first op has counter
    /// `start_op` and which depends on `deps` (in any order).
    pub fn new(actor: ActorId, seq: u64, start_op: u64, mut deps: Vec<ChangeHash>) -> Self {
        deps.sort_unstable();
        deps.dedup();
        ChangeBuilder {
            change: Change {
                actor,
                seq,
                start_op,
                time: 0,
                message: None,
                deps,
                ops: Vec::new(),
                extra: Vec::new(),
            },
        }
    }

    /// The id that the next op will get.
    pub fn next_id(&self) -> OpId {
        let counter = self.change.start_op + self.change.ops.len() as u64;
        OpId::new(counter, self.change.actor)
    }

    /// Adds an op, with its preds put in order, and returns its id.
    pub fn push(&mut self, mut op: Op) -> OpId {
        let id = self.next_id();
        op.pred.sort_unstable();
        op.pred.dedup();
        self.change.ops.push(op);
        id
    }

    /// Makes an object at a map key or list element, overwriting `pred`.
    pub fn make(&mut self, obj: ObjId, key: Key, kind: ObjType, pred: Vec<OpId>) -> OpId {
        self.push(op(obj, key, false, OpAction::MakeObject(kind), pred))
    }

    /// Puts a value at a map key or list element, overwriting `pred`.
    pub fn put(&mut self, obj: ObjId, key: Key, value: ScalarValue, pred: Vec<OpId>) -> OpId {
        self.push(op(obj, key, false, OpAction::Put(value), pred))
    }

    /// Inserts a value after `after` in a list or text.
    pub fn insert(&mut self, obj: ObjId, after: ElemId, value: ScalarValue) -> OpId {
        self.push(op(
            obj,
            Key::Seq(after),
            true,
            OpAction::Put(value),
            Vec::new(),
        ))
    }

    /// Inserts a new object after `after` in a list.
    pub fn insert_object(&mut self, obj: ObjId, after: ElemId, kind: ObjType) -> OpId {
        let action = OpAction::MakeObject(kind);
        self.push(op(obj, Key::Seq(after), true, action, Vec::new()))
    }

    /// Deletes the ops `pred` at a key.
    pub fn delete(&mut self, obj: ObjId, key: Key, pred: Vec<OpId>) -> OpId {
        self.push(op(obj, key, false, OpAction::Delete, pred))
    }

    /// Adds `by` to the counters `pred` at a key.
    pub fn increment(&mut self, obj: ObjId, key: Key, by: i64, pred: Vec<OpId>) -> OpId {
        self.push(op(obj, key, false, OpAction::Increment(by), pred))
    }

    /// The finished change, checked against every rule of SPEC.md §3.4.
    pub fn build(mut self, time: i64, message: Option<String>) -> Result<Change, InvalidChange> {
        self.change.time = time;
        self.change.message = message;
        self.change.check()?;
        Ok(self.change)
    }
}

fn op(obj: ObjId, key: Key, insert: bool, action: OpAction, pred: Vec<OpId>) -> Op {
    Op {
        obj,
        key,
        insert,
        action,
        pred,
    }
}

//! Ops: the unit of every edit.

use crate::{ElemId, Key, ObjId, ObjType, OpId, ScalarValue};

/// What an op does.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum OpAction {
    /// Make a new, empty object whose id is this op's id.
    MakeObject(ObjType),
    /// Put a scalar value.
    Put(ScalarValue),
    /// Hide the ops named in `pred`.
    Delete,
    /// Add to the counters named in `pred`.
    Increment(i64),
}

/// One op. Its own id is implicit: the change's `start_op` plus its index, and
/// the change's actor.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Op {
    /// The object acted on.
    pub obj: ObjId,
    /// The map key, or for a list the element: the one replaced, deleted or
    /// incremented, or for an insert the one the new element goes after.
    pub key: Key,
    /// Whether this op inserts a new element after `key`.
    pub insert: bool,
    /// What it does.
    pub action: OpAction,
    /// The ops at this key that this op overwrites, deletes or increments,
    /// ascending in op id order.
    pub pred: Vec<OpId>,
}

/// Why an op is not valid in a change. See SPEC.md §3.4 for the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpRule {
    /// An op id whose counter is 0.
    #[error("an op id has counter 0; counters start at 1")]
    ZeroCounter,
    /// A reference to an op whose counter is not below this op's.
    #[error("it names op counter {named}, which is not below its own counter {own}")]
    NotEarlier {
        /// The counter named.
        named: u64,
        /// This op's counter.
        own: u64,
    },
    /// A list element or list head named in the root, which is a map.
    #[error("the root is a map: an op on it must name a map key")]
    RootIsMap,
    /// An insert with a map key.
    #[error("an insert must name a list element, not a map key")]
    InsertIntoMap,
    /// An insert that deletes or increments.
    #[error("an insert must make an object or put a value")]
    InsertAction,
    /// An insert with preds.
    #[error("an insert must have no pred")]
    InsertWithPred,
    /// A non-insert op on the list head.
    #[error("only an insert may name the list head")]
    HeadWithoutInsert,
    /// A delete or increment with nothing to act on.
    #[error("a delete or increment must name at least one pred")]
    EmptyPred,
    /// Preds not strictly ascending.
    #[error("preds must be strictly ascending in op id order")]
    PredOrder,
}

impl Op {
    /// Checks the rules of SPEC.md §3.4 for an op whose own counter is `own`.
    pub fn check(&self, own: u64) -> Result<(), OpRule> {
        let earlier = |id: &OpId| match id.counter {
            0 => Err(OpRule::ZeroCounter),
            c if c >= own => Err(OpRule::NotEarlier { named: c, own }),
            _ => Ok(()),
        };
        if let ObjId::Op(id) = &self.obj {
            earlier(id)?;
        }
        if self.obj == ObjId::Root && matches!(self.key, Key::Seq(_)) {
            return Err(OpRule::RootIsMap);
        }
        match &self.key {
            Key::Seq(ElemId::Op(id)) => earlier(id)?,
            Key::Seq(ElemId::Head) if !self.insert => return Err(OpRule::HeadWithoutInsert),
            Key::Map(_) if self.insert => return Err(OpRule::InsertIntoMap),
            _ => {}
        }
        if self.insert {
            if !matches!(self.action, OpAction::MakeObject(_) | OpAction::Put(_)) {
                return Err(OpRule::InsertAction);
            }
            if !self.pred.is_empty() {
                return Err(OpRule::InsertWithPred);
            }
        }
        if matches!(self.action, OpAction::Delete | OpAction::Increment(_)) && self.pred.is_empty()
        {
            return Err(OpRule::EmptyPred);
        }
        self.pred.iter().try_for_each(earlier)?;
        if self.pred.windows(2).any(|w| matches!(w, [a, b] if a >= b)) {
            return Err(OpRule::PredOrder);
        }
        Ok(())
    }
}

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
    /// Open a mark, a span of rich-text formatting such as bold or a link,
    /// as a new element of width 0: it is never visible in the sequence, and
    /// mergedb keeps it so that it travels and is written back (SPEC.md §2.7).
    /// Boxed, as marks are rare and every op holds an action.
    MarkBegin(Box<MarkBegin>),
    /// Close the mark whose begin has counter one less: an element of width 0.
    MarkEnd {
        /// Whether text typed at the mark's end joins it.
        expand: bool,
    },
}

/// What opens a mark.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MarkBegin {
    /// The mark's name, such as `bold`.
    pub name: String,
    /// Its value; null removes the mark over the span.
    pub value: ScalarValue,
    /// Whether text typed at the mark's start joins it.
    pub expand: bool,
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
    #[error("an insert must make an object, put a value or mark")]
    InsertAction,
    /// A mark that is not an insert.
    #[error("a mark must insert an element")]
    MarkNotInsert,
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
        let shape = OpShape {
            obj: match &self.obj {
                ObjId::Root => None,
                ObjId::Op(id) => Some(id.counter),
            },
            key: match &self.key {
                Key::Map(_) => ShapeKey::Map,
                Key::Seq(ElemId::Head) => ShapeKey::Head,
                Key::Seq(ElemId::Op(id)) => ShapeKey::Elem(id.counter),
            },
            insert: self.insert,
            put_or_make: matches!(self.action, OpAction::MakeObject(_) | OpAction::Put(_)),
            mark: matches!(
                self.action,
                OpAction::MarkBegin(_) | OpAction::MarkEnd { .. }
            ),
        };
        let ascending = !self.pred.windows(2).any(|w| matches!(w, [a, b] if a >= b));
        shape.check(own, self.pred.iter().map(|p| p.counter), ascending)
    }
}

/// What the rules of SPEC.md §3.4 look at in an op. A decoded [`Op`] and a
/// snapshot's borrowed op view both reduce to it, so both meet the same rules.
pub(crate) struct OpShape {
    /// The object's counter; `None` for the root.
    pub obj: Option<u64>,
    pub key: ShapeKey,
    pub insert: bool,
    /// Whether it makes an object or puts a value (else it deletes or increments).
    pub put_or_make: bool,
    /// Whether it begins or ends a mark.
    pub mark: bool,
}

/// The kind of an op's key, and an element's counter.
pub(crate) enum ShapeKey {
    Map,
    Head,
    Elem(u64),
}

impl OpShape {
    /// Checks the rules for an op with counter `own` whose preds have these
    /// counters, and are (`ascending`) strictly ascending in op id order.
    pub(crate) fn check(
        &self,
        own: u64,
        pred: impl ExactSizeIterator<Item = u64>,
        ascending: bool,
    ) -> Result<(), OpRule> {
        let earlier = |counter: u64| match counter {
            0 => Err(OpRule::ZeroCounter),
            c if c >= own => Err(OpRule::NotEarlier { named: c, own }),
            _ => Ok(()),
        };
        if let Some(counter) = self.obj {
            earlier(counter)?;
        }
        if self.obj.is_none() && !matches!(self.key, ShapeKey::Map) {
            return Err(OpRule::RootIsMap);
        }
        match self.key {
            ShapeKey::Elem(counter) => earlier(counter)?,
            ShapeKey::Head if !self.insert => return Err(OpRule::HeadWithoutInsert),
            ShapeKey::Map if self.insert => return Err(OpRule::InsertIntoMap),
            _ => {}
        }
        let n_pred = pred.len();
        if self.mark && !self.insert {
            return Err(OpRule::MarkNotInsert);
        }
        if self.insert {
            if !self.put_or_make && !self.mark {
                return Err(OpRule::InsertAction);
            }
            if n_pred > 0 {
                return Err(OpRule::InsertWithPred);
            }
        }
        if !self.put_or_make && !self.mark && n_pred == 0 {
            return Err(OpRule::EmptyPred);
        }
        for counter in pred {
            earlier(counter)?;
        }
        if !ascending {
            return Err(OpRule::PredOrder);
        }
        Ok(())
    }
}

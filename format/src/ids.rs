//! Op ids and the ids derived from them: objects, list elements and keys.

use crate::ActorId;
use std::fmt;

/// The id of one op: a Lamport counter and the actor that made the op.
///
/// Ids order by counter first, then by actor bytes. This is Automerge's total
/// order; every conflict rule in SPEC.md §2 is stated in it. The derived `Ord`
/// gives exactly that order because the fields are declared counter first.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct OpId {
    /// The Lamport counter, 1 or more.
    pub counter: u64,
    /// The actor that made the op.
    pub actor: ActorId,
}

impl OpId {
    /// The op id (counter, actor).
    pub fn new(counter: u64, actor: ActorId) -> Self {
        OpId { counter, actor }
    }
}

impl fmt::Debug for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.counter, self.actor)
    }
}

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// An object: the root map, or the object made by an op.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum ObjId {
    /// The document's root map, which every document has and no op makes.
    Root,
    /// The object made by the op with this id.
    Op(OpId),
}

impl From<OpId> for ObjId {
    fn from(id: OpId) -> Self {
        ObjId::Op(id)
    }
}

/// A position in a list or text: the head, or the element an insert made.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum ElemId {
    /// Before the first element; only inserts may name it.
    Head,
    /// The element made by the insert with this id.
    Op(OpId),
}

impl From<OpId> for ElemId {
    fn from(id: OpId) -> Self {
        ElemId::Op(id)
    }
}

/// Where in its object an op acts: a map key or a list element.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Key {
    /// A key of a map: any UTF-8 string, the empty one included.
    Map(String),
    /// An element of a list or text.
    Seq(ElemId),
}

impl Key {
    /// The map key `key`.
    pub fn map(key: impl Into<String>) -> Self {
        Key::Map(key.into())
    }
}

impl From<ElemId> for Key {
    fn from(elem: ElemId) -> Self {
        Key::Seq(elem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_ids_order_by_counter_then_actor() {
        let a = ActorId::new(&[1]).unwrap();
        let b = ActorId::new(&[2]).unwrap();
        assert!(OpId::new(1, b) < OpId::new(2, a));
        assert!(OpId::new(2, a) < OpId::new(2, b));
        assert_eq!(OpId::new(3, a), OpId::new(3, a));
    }
}

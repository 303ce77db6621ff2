//! Changes: one transaction's ops, with the metadata that places it in history.

pub use crate::change_hash::ChangeHash;
use crate::{ActorId, Op, OpRule};

/// One change: what one actor did in one transaction.
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Change {
    /// The actor that made it.
    pub actor: ActorId,
    /// Its place in the actor's changes: 1, 2, 3, … with no gap.
    pub seq: u64,
    /// The counter of its first op; op `i` has counter `start_op + i`.
    pub start_op: u64,
    /// When it was made, in milliseconds since the Unix epoch (0 if unknown).
    pub time: i64,
    /// The commit message, if any.
    pub message: Option<String>,
    /// The hashes of the changes it was made on top of, strictly ascending.
    pub deps: Vec<ChangeHash>,
    /// The ops, in counter order.
    pub ops: Vec<Op>,
    /// Bytes that a later format version appends, kept as they are.
    pub extra: Vec<u8>,
}

/// Why a change is not valid (SPEC.md §3.4).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidChange {
    /// seq is 0.
    #[error("seq must be 1 or more")]
    ZeroSeq,
    /// start_op is 0.
    #[error("start_op must be 1 or more")]
    ZeroStartOp,
    /// The last op's counter does not fit in 64 bits.
    #[error("start_op {start_op} plus {ops} ops overflows the op counter")]
    CounterOverflow {
        /// The change's start_op.
        start_op: u64,
        /// The number of ops.
        ops: usize,
    },
    /// Deps not strictly ascending.
    #[error("deps must be strictly ascending with no duplicate")]
    DepsOrder,
    /// An op breaks a rule.
    #[error("op {index}: {rule}")]
    Op {
        /// The op's index in the change.
        index: usize,
        /// The rule it breaks.
        rule: OpRule,
    },
    /// A mark, which change format version 1 (SPEC.md §3) has no layout for.
    #[error("op {index}: a mark, which change format version 1 cannot hold")]
    MarkInVersion1 {
        /// The op's index in the change.
        index: usize,
    },
}

impl Change {
    /// The counter of op `index`, or `None` past the 64-bit range.
    pub fn op_counter(&self, index: usize) -> Option<u64> {
        self.start_op.checked_add(u64::try_from(index).ok()?)
    }

    /// The largest op counter that this change uses (`start_op - 1` if it has no op).
    pub fn max_op(&self) -> u64 {
        match self.ops.len() as u64 {
            0 => self.start_op.saturating_sub(1),
            n => self.start_op.saturating_add(n - 1),
        }
    }

    /// The change's hash: that of its Automerge change chunk, as automerge
    /// 0.12 encodes it (SPEC.md §4A). A change that came as bytes another
    /// encoder wrote is named by the hash of those bytes instead, which a
    /// document keeps with them.
    pub fn hash(&self) -> ChangeHash {
        crate::automerge::encode_automerge_change(self).1
    }

    /// Checks every rule of SPEC.md §3.4. Encoding needs a valid change, and the
    /// decoder returns only valid ones.
    pub fn check(&self) -> Result<(), InvalidChange> {
        if self.seq == 0 {
            return Err(InvalidChange::ZeroSeq);
        }
        if self.start_op == 0 {
            return Err(InvalidChange::ZeroStartOp);
        }
        check_counter_range(self.start_op, self.ops.len())?;
        if !strictly_ascending(&self.deps) {
            return Err(InvalidChange::DepsOrder);
        }
        for (index, op) in self.ops.iter().enumerate() {
            let own = self.start_op + index as u64;
            op.check(own)
                .map_err(|rule| InvalidChange::Op { index, rule })?;
        }
        Ok(())
    }
}

pub(crate) fn check_counter_range(start_op: u64, ops: usize) -> Result<(), InvalidChange> {
    let overflow = InvalidChange::CounterOverflow { start_op, ops };
    let n = u64::try_from(ops).map_err(|_| overflow.clone())?;
    if n > 0 && start_op.checked_add(n - 1).is_none() {
        return Err(overflow);
    }
    Ok(())
}

pub(crate) fn strictly_ascending<T: Ord>(items: &[T]) -> bool {
    items.windows(2).all(|w| matches!(w, [a, b] if a < b))
}

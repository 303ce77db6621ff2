//! Changes: one transaction's ops, with the metadata that places it in history.

use crate::{ActorId, Op, OpRule};
use sha2::{Digest, Sha256};
use std::fmt;

/// The SHA-256 of a change's canonical encoding (SPEC.md §3.6).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ChangeHash(pub [u8; 32]);

impl ChangeHash {
    /// The hash of an encoded change.
    pub fn of_encoded(bytes: &[u8]) -> Self {
        match short_sha256(bytes) {
            Some(hash) => ChangeHash(hash),
            None => ChangeHash(Sha256::digest(bytes).into()),
        }
    }

    /// The hash in lower-case hex.
    pub fn to_hex(&self) -> String {
        crate::hex::encode(&self.0)
    }

    /// A hash from 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        crate::hex::decode(text)?.try_into().ok().map(ChangeHash)
    }
}

impl fmt::Debug for ChangeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChangeHash({})", self.to_hex())
    }
}

impl fmt::Display for ChangeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// SHA-256 of a message that fits in two blocks with its padding (at most
/// 119 bytes, as a typed character's change does), straight through the
/// compression function: the general hasher's buffering costs about a sixth
/// of the time on such short messages, and loading a snapshot hashes one per
/// change. `None` for a longer message.
fn short_sha256(msg: &[u8]) -> Option<[u8; 32]> {
    use sha2::digest::generic_array::GenericArray;
    const H0: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let n = msg.len();
    // The message, a 0x80 byte, zeros, and the bit length in the last 8 bytes.
    let blocks = if n + 9 <= 64 { 1 } else { 2 };
    if n + 9 > 128 {
        return None;
    }
    let mut padded = [0u8; 128];
    padded.get_mut(..n)?.copy_from_slice(msg);
    *padded.get_mut(n)? = 0x80;
    let end = 64 * blocks;
    let bits = (n as u64) * 8;
    padded
        .get_mut(end - 8..end)?
        .copy_from_slice(&bits.to_be_bytes());
    let (first, second) = padded.split_at(64);
    let both = [
        *GenericArray::from_slice(first),
        *GenericArray::from_slice(second),
    ];
    let mut state = H0;
    sha2::compress256(&mut state, both.get(..blocks)?);
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    Some(out)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_short_path_is_sha256() {
        let bytes: Vec<u8> = (0..300u32).map(|i| (i * 37 % 251) as u8).collect();
        for len in 0..=bytes.len() {
            let msg = &bytes[..len];
            let want: [u8; 32] = Sha256::digest(msg).into();
            assert_eq!(ChangeHash::of_encoded(msg).0, want, "length {len}");
            assert_eq!(short_sha256(msg).is_some(), len <= 119, "length {len}");
        }
    }
}

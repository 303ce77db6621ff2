//! The changes a document holds: their metadata, their places in the causal
//! graph, and the heads.
//!
//! A change is not kept encoded: its ops live in the op set (with their preds),
//! so `Document::rebuild_change` puts it back together, and it re-encodes to
//! the same bytes and hash (`Document::check` asserts this). A document typed
//! one keystroke per commit has hundreds of thousands of changes, so a change
//! costs one 24-byte record, its 32-byte hash, its deps, and 4 to 6 bytes in
//! the hash index (`hash_index`).

use crate::clock::Clock;
use crate::hash_index::HashIndex;
use crate::opset::OpSet;
use crate::EngineError;
use mergedb_format::ChangeHash;
use std::collections::HashMap;

/// 24 bytes, and its hash in `History::hashes`. A change's ops are
/// consecutive in the op set, so its op count is the distance to the next
/// change's first op, and its start_op is the counter of its first op (only
/// an empty change keeps its start_op, in `Rare`).
#[derive(Clone, Debug)]
pub(crate) struct StoredChange {
    pub time: i64,
    pub actor: u32,
    /// The op set index of its first op.
    pub first_op: u32,
    /// Where its deps start in `dep_arena`; they end where the next change's start.
    dep_at: u32,
    /// Every change below this index is in its history (a lower bound): a
    /// walk of its ancestors stops there (see `ancestors`).
    prefix: u32,
}

/// The rare parts of a change, kept apart from the records.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Rare {
    pub message: Option<String>,
    pub extra: Vec<u8>,
    /// The start_op of a change with no ops.
    pub empty_start_op: Option<u64>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct History {
    changes: Vec<StoredChange>,
    /// Each change's hash, by index: apart from the records, so that a
    /// loader can build the records while another thread computes these.
    hashes: Vec<ChangeHash>,

    dep_arena: Vec<u32>,
    /// Change indices, found by hash.
    by_hash: HashIndex,
    /// For each actor index, its changes' indices by seq - 1.
    by_actor: Vec<Vec<u32>>,
    /// Change indices no other change depends on.
    heads: Vec<u32>,
    rare: HashMap<u32, Rare>,
    /// Where the next change's ops start in the op set.
    ops_end: u32,
    /// The highest op counter of any change, which an empty change can raise
    /// past every op: a new local change starts above it (SPEC.md §2.3).
    max_op: u64,
}

/// Enough to undo the pushes of a failed batch.
#[derive(Clone, Debug)]
pub(crate) struct Mark {
    changes: usize,
    deps: usize,
    heads: Vec<u32>,
    ops_end: u32,
    max_op: u64,
}

/// The counter of the last of `n` ops from `start` (`start - 1` for none),
/// without overflowing when the last is 2^64 - 1.
pub(crate) fn last_op(start: u64, n: u32) -> u64 {
    match n {
        0 => start.saturating_sub(1),
        n => start.saturating_add(u64::from(n) - 1),
    }
}

/// A new change's place: who made it, its ops, and when.
pub(crate) struct NewChange<'a> {
    pub hash: ChangeHash,
    pub actor: u32,
    pub start_op: u64,
    pub first_op: u32,
    pub n_ops: u32,
    pub time: i64,
    pub deps: &'a [u32],
    pub message: Option<&'a str>,
    pub extra: &'a [u8],
}

impl History {
    /// Heap bytes by component, from capacities (for memory work).
    pub fn memory(&self) -> Vec<(&'static str, usize)> {
        vec![
            (
                "history: change records",
                self.changes.capacity() * std::mem::size_of::<StoredChange>(),
            ),
            ("history: hashes", self.hashes.capacity() * 32),
            ("history: deps", self.dep_arena.capacity() * 4),
            ("history: hash index", self.by_hash.heap_bytes()),
            (
                "history: by actor",
                self.by_actor.iter().map(|v| v.capacity() * 4).sum(),
            ),
        ]
    }

    pub fn len(&self) -> usize {
        self.changes.len()
    }

    pub fn get(&self, i: u32) -> &StoredChange {
        &self.changes[i as usize]
    }

    /// The hash of change `i`.
    pub fn hash(&self, i: u32) -> ChangeHash {
        self.hashes[i as usize]
    }

    /// Change `i`'s hash, if there is a change `i`.
    pub fn hash_get(&self, i: u32) -> Option<ChangeHash> {
        self.hashes.get(i as usize).copied()
    }

    pub fn index_of(&self, hash: &ChangeHash) -> Option<u32> {
        self.by_hash.find(hash, &self.hashes)
    }

    pub fn deps(&self, i: u32) -> &[u32] {
        let start = self.changes[i as usize].dep_at as usize;
        let end = self
            .changes
            .get(i as usize + 1)
            .map_or(self.dep_arena.len(), |c| c.dep_at as usize);
        &self.dep_arena[start..end]
    }

    /// Makes room for `n` more changes.
    pub fn reserve(&mut self, n: usize) {
        self.by_hash.reserve(n, &self.hashes);
        self.reserve_unindexed(n);
    }

    /// `reserve`, for changes that `push_unindexed` adds.
    pub fn reserve_unindexed(&mut self, n: usize) {
        self.changes.reserve(n);
        self.hashes.reserve(n);
        // Most changes have one dep.
        self.dep_arena.reserve(n);
    }

    /// The highest op counter of any change.
    pub fn max_op_overall(&self) -> u64 {
        self.max_op
    }

    /// How many ops change `i` has.
    pub fn n_ops(&self, i: u32) -> u32 {
        let end = self
            .changes
            .get(i as usize + 1)
            .map_or(self.ops_end, |c| c.first_op);
        end - self.changes[i as usize].first_op
    }

    /// The start_op of change `i`.
    pub fn start_op(&self, i: u32, ops: &OpSet) -> u64 {
        match self.n_ops(i) {
            0 => self
                .rare
                .get(&i)
                .and_then(|r| r.empty_start_op)
                .unwrap_or(1),
            _ => {
                ops.ops[self.changes[i as usize].first_op as usize]
                    .id()
                    .counter
            }
        }
    }

    /// The highest op counter of change `i` (start_op - 1 if it has no op).
    pub fn max_op(&self, i: u32, ops: &OpSet) -> u64 {
        last_op(self.start_op(i, ops), self.n_ops(i))
    }

    /// The rare parts of change `i`, if it has any, without copying them.
    pub fn rare_ref(&self, i: u32) -> Option<&Rare> {
        match self.rare.is_empty() {
            true => None,
            false => self.rare.get(&i),
        }
    }

    pub fn rare(&self, i: u32) -> Rare {
        self.rare.get(&i).cloned().unwrap_or_default()
    }

    /// The seq of change `i`: its place in its actor's list.
    pub fn seq_of(&self, i: u32) -> u64 {
        let list = &self.by_actor[self.changes[i as usize].actor as usize];
        list.binary_search(&i).map_or(0, |at| at as u64 + 1)
    }

    /// The last seq applied for an actor (0 if none).
    pub fn last_seq(&self, actor: u32) -> u64 {
        self.by_actor
            .get(actor as usize)
            .map_or(0, |v| v.len() as u64)
    }

    /// The change of `actor` with `seq`, if applied.
    pub fn by_seq(&self, actor: u32, seq: u64) -> Option<u32> {
        let list = self.by_actor.get(actor as usize)?;
        list.get(usize::try_from(seq.checked_sub(1)?).ok()?)
            .copied()
    }

    pub fn mark(&self) -> Mark {
        Mark {
            changes: self.changes.len(),
            deps: self.dep_arena.len(),
            heads: self.heads.clone(),
            ops_end: self.ops_end,
            max_op: self.max_op,
        }
    }

    /// Drops every change pushed since `mark`.
    pub fn rewind(&mut self, mark: Mark) {
        self.by_hash.truncate(mark.changes, &self.hashes);
        self.hashes.truncate(mark.changes);
        while self.changes.len() > mark.changes {
            let i = (self.changes.len() - 1) as u32;
            let Some(c) = self.changes.pop() else { break };
            if let Some(list) = self.by_actor.get_mut(c.actor as usize) {
                list.pop();
            }
            self.rare.remove(&i);
        }
        self.dep_arena.truncate(mark.deps);
        self.heads = mark.heads;
        self.ops_end = mark.ops_end;
        self.max_op = mark.max_op;
    }

    /// Adds a change whose deps are all present.
    pub fn push(&mut self, new: NewChange<'_>) {
        let i = self.changes.len() as u32;
        self.push_unindexed(new);
        self.by_hash.insert(i, &self.hashes);
    }

    /// `push` for a loader, which then calls `index_all`: until then,
    /// `index_of` does not find the change.
    pub fn push_unindexed(&mut self, new: NewChange<'_>) {
        self.hashes.push(new.hash);
        self.push_record(new);
    }

    /// Indexes every change by its hash, in one pass (see `hash_index`).
    pub fn index_all(&mut self) {
        self.by_hash = HashIndex::bulk(&self.hashes);
    }

    /// `push`, but for the hash and its index.
    fn push_record(&mut self, new: NewChange<'_>) {
        let i = self.changes.len() as u32;
        let prefix = self.prefix_of(i, new.deps);
        self.changes.push(StoredChange {
            time: new.time,
            actor: new.actor,
            first_op: new.first_op,
            dep_at: self.dep_arena.len() as u32,
            prefix,
        });
        self.ops_end = new.first_op + new.n_ops;
        self.max_op = self.max_op.max(last_op(new.start_op, new.n_ops));
        self.dep_arena.extend_from_slice(new.deps);
        if new.message.is_some() || !new.extra.is_empty() || new.n_ops == 0 {
            let rare = Rare {
                message: new.message.map(str::to_string),
                extra: new.extra.to_vec(),
                empty_start_op: (new.n_ops == 0).then_some(new.start_op),
            };
            self.rare.insert(i, rare);
        }
        let a = new.actor as usize;
        if self.by_actor.len() <= a {
            self.by_actor.resize(a + 1, Vec::new());
        }
        self.by_actor[a].push(i);
        self.heads.retain(|h| !new.deps.contains(h));
        self.heads.push(i);
    }

    /// The heads' hashes, ascending.
    pub fn heads(&self) -> Vec<ChangeHash> {
        let mut heads: Vec<ChangeHash> = self.heads.iter().map(|i| self.hash(*i)).collect();
        heads.sort_unstable();
        heads
    }

    /// Which changes are in the history of `heads` (the heads included).
    pub fn ancestors(&self, heads: &[ChangeHash]) -> Result<Vec<bool>, EngineError> {
        let (mut seen, floor) = self.ancestors_above(heads)?;
        seen[..floor as usize].fill(true);
        Ok(seen)
    }

    /// The changes not in the history of `heads`, in history order.
    pub fn not_ancestors(&self, heads: &[ChangeHash]) -> Result<Vec<u32>, EngineError> {
        let (seen, floor) = self.ancestors_above(heads)?;
        Ok((floor..self.changes.len() as u32)
            .filter(|i| !seen[*i as usize])
            .collect())
    }

    /// The history of `heads` at and above a floor below which every change
    /// is in it. A change's deps come before it, so every path from a head
    /// down to a change stays above that change: a walk that skips what is
    /// below the floor (which only rises) still reaches every ancestor above
    /// it. With peers in sync, the floor is just under the heads, and the
    /// walk costs what came since, not the whole history.
    fn ancestors_above(&self, heads: &[ChangeHash]) -> Result<(Vec<bool>, u32), EngineError> {
        let mut seen = vec![false; self.changes.len()];
        let mut stack = Vec::with_capacity(heads.len());
        for h in heads {
            stack.push(self.index_of(h).ok_or(EngineError::UnknownHash(*h))?);
        }
        let mut floor = 0;
        while let Some(i) = stack.pop() {
            if i < floor || std::mem::replace(&mut seen[i as usize], true) {
                continue;
            }
            floor = floor.max(self.changes[i as usize].prefix);
            stack.extend(
                self.deps(i)
                    .iter()
                    .copied()
                    .filter(|d| *d >= floor && !seen[*d as usize]),
            );
        }
        Ok((seen, floor))
    }

    /// The `prefix` of a new change `i` with `deps`: the most of its deps'
    /// prefixes, raised past each dep that sits right at it, and past `i`
    /// itself when every earlier change is in its history.
    fn prefix_of(&self, i: u32, deps: &[u32]) -> u32 {
        let prefix = |d: &u32| self.changes.get(*d as usize).map_or(0, |c| c.prefix);
        let mut m = deps.iter().map(prefix).max().unwrap_or(0);
        while m < i && deps.contains(&m) {
            m += 1;
        }
        match m == i {
            true => i + 1,
            false => m,
        }
    }

    /// The clock of the history below `heads`.
    pub fn clock(&self, heads: &[ChangeHash], ops: &OpSet) -> Result<Clock, EngineError> {
        let mut clock = Clock::default();
        for (i, seen) in self.ancestors(heads)?.into_iter().enumerate() {
            if seen {
                clock.include(self.changes[i].actor, self.max_op(i as u32, ops));
            }
        }
        Ok(clock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The walk with its floor finds what a plain walk of every ancestor
    /// finds, on random graphs: chains, forks and merges of several actors.
    #[test]
    fn the_floor_keeps_every_ancestor() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n.max(1)
        };
        for round in 0..200 {
            let mut h = History::default();
            let n = 1 + next(60) as u32;
            for i in 0..n {
                let mut deps: Vec<u32> = match i {
                    0 => Vec::new(),
                    // Mostly the newest change, as one writer's are.
                    _ if next(3) > 0 => vec![i - 1],
                    _ => (0..1 + next(3))
                        .map(|_| next(u64::from(i)) as u32)
                        .collect(),
                };
                deps.sort_unstable();
                deps.dedup();
                let mut hash = [0u8; 32];
                hash[..4].copy_from_slice(&i.to_le_bytes());
                hash[4] = round as u8;
                h.push(NewChange {
                    hash: ChangeHash(hash),
                    actor: next(3) as u32,
                    start_op: 1,
                    first_op: 0,
                    n_ops: 0,
                    time: 0,
                    deps: &deps,
                    message: None,
                    extra: &[],
                });
            }
            for _ in 0..5 {
                let heads: Vec<ChangeHash> = (0..1 + next(3))
                    .map(|_| h.hash(next(u64::from(n)) as u32))
                    .collect();
                let mut plain = vec![false; n as usize];
                let mut stack: Vec<u32> = heads.iter().filter_map(|x| h.index_of(x)).collect();
                while let Some(i) = stack.pop() {
                    if !std::mem::replace(&mut plain[i as usize], true) {
                        stack.extend(h.deps(i));
                    }
                }
                assert_eq!(h.ancestors(&heads).unwrap(), plain, "round {round}");
                let not: Vec<u32> = (0..n).filter(|i| !plain[*i as usize]).collect();
                assert_eq!(h.not_ancestors(&heads).unwrap(), not, "round {round}");
            }
        }
    }
}

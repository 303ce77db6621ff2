//! The changes a document holds: their metadata, their places in the causal
//! graph, and the heads.
//!
//! A change is not kept encoded: its ops live in the op set (with their preds),
//! so `Document::rebuild_change` puts it back together, and it re-encodes to
//! the same bytes and hash (`Document::check` asserts this). A document typed
//! one keystroke per commit has hundreds of thousands of changes, so a change
//! costs one 64-byte record, its deps, and 4 bytes in the hash index.

use crate::clock::Clock;
use crate::EngineError;
use hashbrown::HashTable;
use mergedb_format::ChangeHash;
use std::collections::HashMap;

#[derive(Clone, Debug)]
pub(crate) struct StoredChange {
    pub hash: ChangeHash,
    pub start_op: u64,
    pub time: i64,
    pub actor: u32,
    /// The op set index of its first op; its ops are consecutive there.
    pub first_op: u32,
    pub n_ops: u32,
    /// Where its deps start in `dep_arena`; they end where the next change's start.
    dep_at: u32,
}

impl StoredChange {
    pub fn max_op(&self) -> u64 {
        (self.start_op + u64::from(self.n_ops)).saturating_sub(1)
    }
}

/// The rare parts of a change, kept apart from the records.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Rare {
    pub message: Option<String>,
    pub extra: Vec<u8>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct History {
    changes: Vec<StoredChange>,
    dep_arena: Vec<u32>,
    /// Change indices, found by hash. SHA-256 is uniform, so its first eight
    /// bytes serve as the table's hash.
    by_hash: HashTable<u32>,
    /// For each actor index, its changes' indices by seq - 1.
    by_actor: Vec<Vec<u32>>,
    /// Change indices no other change depends on.
    heads: Vec<u32>,
    rare: HashMap<u32, Rare>,
}

/// Enough to undo the pushes of a failed batch.
#[derive(Clone, Debug)]
pub(crate) struct Mark {
    changes: usize,
    deps: usize,
    heads: Vec<u32>,
}

fn table_hash(hash: &ChangeHash) -> u64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash.0[..8]);
    u64::from_le_bytes(first)
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
    pub rare: Rare,
}

impl History {
    /// Heap bytes by component, from capacities (for memory work).
    pub fn memory(&self) -> Vec<(&'static str, usize)> {
        vec![
            (
                "history: change records",
                self.changes.capacity() * std::mem::size_of::<StoredChange>(),
            ),
            ("history: deps", self.dep_arena.capacity() * 4),
            ("history: hash index", self.by_hash.capacity() * 5),
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

    pub fn index_of(&self, hash: &ChangeHash) -> Option<u32> {
        let changes = &self.changes;
        self.by_hash
            .find(table_hash(hash), |i| changes[*i as usize].hash == *hash)
            .copied()
    }

    pub fn deps(&self, i: u32) -> &[u32] {
        let start = self.changes[i as usize].dep_at as usize;
        let end = self
            .changes
            .get(i as usize + 1)
            .map_or(self.dep_arena.len(), |c| c.dep_at as usize);
        &self.dep_arena[start..end]
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
        }
    }

    /// Drops every change pushed since `mark`.
    pub fn rewind(&mut self, mark: Mark) {
        while self.changes.len() > mark.changes {
            let i = (self.changes.len() - 1) as u32;
            let Some(c) = self.changes.pop() else { break };
            if let Ok(entry) = self.by_hash.find_entry(table_hash(&c.hash), |x| *x == i) {
                entry.remove();
            }
            if let Some(list) = self.by_actor.get_mut(c.actor as usize) {
                list.pop();
            }
            self.rare.remove(&i);
        }
        self.dep_arena.truncate(mark.deps);
        self.heads = mark.heads;
    }

    /// Adds a change whose deps are all present.
    pub fn push(&mut self, new: NewChange<'_>) {
        let i = self.changes.len() as u32;
        self.changes.push(StoredChange {
            hash: new.hash,
            start_op: new.start_op,
            time: new.time,
            actor: new.actor,
            first_op: new.first_op,
            n_ops: new.n_ops,
            dep_at: self.dep_arena.len() as u32,
        });
        self.dep_arena.extend_from_slice(new.deps);
        let changes = &self.changes;
        self.by_hash.insert_unique(table_hash(&new.hash), i, |x| {
            table_hash(&changes[*x as usize].hash)
        });
        if new.rare != Rare::default() {
            self.rare.insert(i, new.rare);
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
        let mut heads: Vec<ChangeHash> = self.heads.iter().map(|i| self.get(*i).hash).collect();
        heads.sort_unstable();
        heads
    }

    /// Which changes are in the history of `heads` (the heads included).
    pub fn ancestors(&self, heads: &[ChangeHash]) -> Result<Vec<bool>, EngineError> {
        let mut seen = vec![false; self.changes.len()];
        let mut stack = Vec::with_capacity(heads.len());
        for h in heads {
            stack.push(self.index_of(h).ok_or(EngineError::UnknownHash(*h))?);
        }
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut seen[i as usize], true) {
                continue;
            }
            stack.extend(self.deps(i).iter().copied().filter(|d| !seen[*d as usize]));
        }
        Ok(seen)
    }

    /// The clock of the history below `heads`.
    pub fn clock(&self, heads: &[ChangeHash]) -> Result<Clock, EngineError> {
        let mut clock = Clock::default();
        for (i, seen) in self.ancestors(heads)?.into_iter().enumerate() {
            if seen {
                let c = &self.changes[i];
                clock.include(c.actor, c.max_op());
            }
        }
        Ok(clock)
    }
}

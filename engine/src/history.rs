//! The changes a document holds: their encodings, their places in the causal
//! graph, and the heads. Encodings live in one arena, not a heap object each:
//! a document typed one keystroke per commit has hundreds of thousands.

use crate::clock::Clock;
use crate::EngineError;
use mergedb_format::ChangeHash;
use std::collections::HashMap;

#[derive(Clone, Debug)]
pub(crate) struct StoredChange {
    pub hash: ChangeHash,
    pub actor: u32,
    pub max_op: u64,
    bytes: (usize, u32),
    deps: (u32, u32),
}

#[derive(Clone, Debug, Default)]
pub(crate) struct History {
    changes: Vec<StoredChange>,
    bytes: Vec<u8>,
    dep_arena: Vec<u32>,
    by_hash: HashMap<ChangeHash, u32>,
    /// For each actor index, its changes' indices by seq - 1.
    by_actor: Vec<Vec<u32>>,
    /// Change indices no other change depends on.
    heads: Vec<u32>,
}

/// Enough to undo the pushes of a failed batch.
#[derive(Clone, Debug)]
pub(crate) struct Mark {
    changes: usize,
    bytes: usize,
    deps: usize,
    heads: Vec<u32>,
}

impl History {
    pub fn len(&self) -> usize {
        self.changes.len()
    }

    pub fn get(&self, i: u32) -> &StoredChange {
        &self.changes[i as usize]
    }

    pub fn index_of(&self, hash: &ChangeHash) -> Option<u32> {
        self.by_hash.get(hash).copied()
    }

    pub fn bytes(&self, i: u32) -> &[u8] {
        let (at, len) = self.changes[i as usize].bytes;
        &self.bytes[at..at + len as usize]
    }

    pub fn deps(&self, i: u32) -> &[u32] {
        let (at, len) = self.changes[i as usize].deps;
        &self.dep_arena[at as usize..(at + len) as usize]
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
            bytes: self.bytes.len(),
            deps: self.dep_arena.len(),
            heads: self.heads.clone(),
        }
    }

    /// Drops every change pushed since `mark`.
    pub fn rewind(&mut self, mark: Mark) {
        for c in self.changes.drain(mark.changes..) {
            self.by_hash.remove(&c.hash);
            if let Some(list) = self.by_actor.get_mut(c.actor as usize) {
                list.pop();
            }
        }
        self.bytes.truncate(mark.bytes);
        self.dep_arena.truncate(mark.deps);
        self.heads = mark.heads;
    }

    /// Adds a change whose deps are all present (as indices).
    pub fn push(&mut self, hash: ChangeHash, actor: u32, max_op: u64, deps: &[u32], bytes: &[u8]) {
        let i = self.changes.len() as u32;
        let dep_at = self.dep_arena.len() as u32;
        self.dep_arena.extend_from_slice(deps);
        self.changes.push(StoredChange {
            hash,
            actor,
            max_op,
            bytes: (self.bytes.len(), bytes.len() as u32),
            deps: (dep_at, deps.len() as u32),
        });
        self.bytes.extend_from_slice(bytes);
        self.by_hash.insert(hash, i);
        let a = actor as usize;
        if self.by_actor.len() <= a {
            self.by_actor.resize(a + 1, Vec::new());
        }
        self.by_actor[a].push(i);
        self.heads.retain(|h| !deps.contains(h));
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
                clock.include(c.actor, c.max_op);
            }
        }
        Ok(clock)
    }
}

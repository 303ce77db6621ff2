//! `Document`: one Automerge-compatible document in memory, its history, and
//! the queue of changes waiting for their deps.

use crate::history::{History, NewChange};
use crate::kept_columns::KeptColumns;
use crate::opset::{OpSet, Undo};
use crate::EngineError;
use mergedb_format::automerge::{
    encode_automerge_change, encode_automerge_change_into, ChangeEncoder,
};
use mergedb_format::{ActorId, Change, ChangeHash};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// What `apply_changes` did: the changes it applied, in the order it applied
/// them, and the ones it left waiting for their deps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Newly applied, in application (causal) order.
    pub applied: Vec<ChangeHash>,
    /// Newly queued, waiting for deps.
    pub queued: Vec<ChangeHash>,
}

/// How many changes may wait for deps unless `set_queue_limit` says otherwise.
pub const DEFAULT_QUEUE_LIMIT: usize = 10_000;

/// A change waiting for its deps, with its hash.
#[derive(Clone, Debug)]
struct Queued {
    change: Change,
    hash: ChangeHash,
}

/// One document: its op set, its history, and the changes that wait for deps.
#[derive(Clone, Debug)]
pub struct Document {
    pub(crate) actor: ActorId,
    pub(crate) actor_index: u32,
    pub(crate) ops: OpSet,
    pub(crate) history: History,
    /// The history section's columns, kept as the history grows.
    pub(crate) kept: KeptColumns,
    queue: Vec<Queued>,
    /// The most changes that may wait for deps: a peer that sends changes
    /// whose deps never come cannot grow the queue without bound.
    pub(crate) queue_limit: usize,
    /// Reused buffers: an encoding (to hash a change) and a change's preds.
    pub(crate) scratch: Vec<u8>,
    /// Encodes changes as Automerge change chunks, to hash them.
    pub(crate) encoder: ChangeEncoder,
    /// The chunks, as they came, of changes (applied or queued) whose bytes
    /// are not the canonical encoding (`chunks`): rare, and usually empty.
    pub(crate) verbatim: HashMap<ChangeHash, Arc<[u8]>>,
    scratch_pred: Vec<u32>,
    scratch_deps: Vec<u32>,
}

impl Default for Document {
    fn default() -> Self {
        Self::new()
    }
}

impl Document {
    /// An empty document that writes as a new random actor.
    pub fn new() -> Self {
        Self::with_actor(ActorId::random())
    }

    /// An empty document that writes as `actor`.
    pub fn with_actor(actor: ActorId) -> Self {
        let mut ops = OpSet::default();
        let actor_index = ops.actors.intern(actor);
        Document {
            actor,
            actor_index,
            ops,
            history: History::default(),
            kept: KeptColumns::new(),
            queue: Vec::new(),
            queue_limit: DEFAULT_QUEUE_LIMIT,
            scratch: Vec::new(),
            encoder: ChangeEncoder::default(),
            verbatim: HashMap::new(),
            scratch_pred: Vec::new(),
            scratch_deps: Vec::new(),
        }
    }

    /// Sets how many changes may wait for their deps (10,000 by default); a
    /// batch that would queue more is refused whole with `QueueFull`.
    pub fn set_queue_limit(&mut self, limit: usize) {
        self.queue_limit = limit;
    }

    /// The actor this document writes as.
    pub fn actor(&self) -> ActorId {
        self.actor
    }

    /// Writes as `actor` from now on.
    pub fn set_actor(&mut self, actor: ActorId) {
        self.actor = actor;
        self.actor_index = self.ops.actors.intern(actor);
    }

    /// A copy of this document that writes as a new random actor.
    pub fn fork(&self) -> Document {
        self.fork_with_actor(ActorId::random())
    }

    /// A copy of this document that writes as `actor`.
    pub fn fork_with_actor(&self, actor: ActorId) -> Document {
        let mut doc = self.clone();
        doc.set_actor(actor);
        doc
    }

    /// Asserts the internal invariants: every sequence's chunks and widths agree,
    /// every element's cached winner is its visible winner, and every change
    /// rebuilds to its hash, which the hash index finds. For tests; it
    /// panics on a broken invariant and takes time linear in the document.
    #[doc(hidden)]
    pub fn check(&self) {
        self.ops.check();
        if let Err(hash) = self.verify_changes() {
            panic!("change {hash} does not rebuild to its hash");
        }
        for i in 0..self.history.len() as u32 {
            let hash = self.history.hash(i);
            let found = self.history.index_of(&hash);
            assert_eq!(found, Some(i), "the hash index misplaces change {i}");
        }
        self.check_kept_columns();
    }

    /// Rebuilds every change from the op set and re-encodes it; the hash of the
    /// first one that does not come back the same.
    pub fn verify_changes(&self) -> Result<(), ChangeHash> {
        for i in 0..self.history.len() as u32 {
            let change = self.rebuild_change(i);
            let want = self.history.hash(i);
            // A chunk kept as it came must hash to its name and hold the
            // change the op set rebuilds; any other rebuilds to its hash.
            let ok = match self.verbatim.get(&want) {
                Some(raw) => mergedb_format::automerge::decode_automerge_change(raw)
                    .is_ok_and(|d| d.hash == want && d.change == change),
                None => change.check().is_ok() && encode_automerge_change(&change).1 == want,
            };
            if !ok {
                return Err(want);
            }
        }
        Ok(())
    }

    /// Change `i` of the history, put back together from the op set.
    pub(crate) fn rebuild_change(&self, i: u32) -> Change {
        let c = self.history.get(i);
        let rare = self.history.rare(i);
        // A loaded history keeps its deps in index order, not hash order.
        let mut deps: Vec<ChangeHash> = self
            .history
            .deps(i)
            .iter()
            .map(|d| self.history.hash(*d))
            .collect();
        deps.sort_unstable();
        Change {
            actor: self.ops.actors.get(c.actor),
            seq: self.history.seq_of(i),
            start_op: self.history.start_op(i, &self.ops),
            time: c.time,
            message: rare.message,
            deps,
            ops: (c.first_op..c.first_op + self.history.n_ops(i))
                .map(|k| self.ops.export_op(k))
                .collect(),
            extra: rare.extra,
        }
    }

    /// Approximate heap bytes by component, from capacities. For measuring.
    #[doc(hidden)]
    pub fn memory_report(&self) -> Vec<(&'static str, usize)> {
        let mut out = self.ops.memory();
        out.extend(self.history.memory());
        out.push(("history: kept section columns", self.kept.heap_bytes()));
        out
    }

    /// The hashes of the changes no other change depends on, ascending.
    pub fn heads(&self) -> Vec<ChangeHash> {
        self.history.heads()
    }

    /// How many changes the document holds (not counting queued ones).
    pub fn change_count(&self) -> usize {
        self.history.len()
    }

    /// The change with this hash, if the document has it.
    pub fn change_by_hash(&self, hash: &ChangeHash) -> Option<Change> {
        Some(self.rebuild_change(self.history.index_of(hash)?))
    }

    /// Every change that is not in the history of `heads`, in an order in which
    /// they can be applied.
    pub fn changes_since(&self, heads: &[ChangeHash]) -> Result<Vec<Change>, EngineError> {
        let seen = self.history.ancestors(heads)?;
        Ok((0..self.history.len() as u32)
            .filter(|i| !seen[*i as usize])
            .map(|i| self.rebuild_change(i))
            .collect())
    }

    /// Every change in the history of `heads` (those changes and their
    /// ancestors), in an order in which they can be applied.
    pub fn changes_up_to(&self, heads: &[ChangeHash]) -> Result<Vec<Change>, EngineError> {
        let seen = self.history.ancestors(heads)?;
        Ok((0..self.history.len() as u32)
            .filter(|i| seen[*i as usize])
            .map(|i| self.rebuild_change(i))
            .collect())
    }

    /// Whether the document holds (has applied) the change with this hash.
    pub fn has_change(&self, hash: &ChangeHash) -> bool {
        self.history.index_of(hash).is_some()
    }

    /// The hashes of every change the document holds, in the order it
    /// applied them (a causal order), without encoding any change.
    pub fn change_hashes(&self) -> Vec<ChangeHash> {
        (0..self.history.len() as u32)
            .map(|i| self.history.hash(i))
            .collect()
    }

    /// The changes of `other` that this document lacks, in an order in which
    /// they can be applied: Automerge's `get_changes_added`. Unlike
    /// `changes_since(heads)`, it needs no hash of `other` to be known here,
    /// so it works once the two have diverged. What a peer holding `other`
    /// lacks of this document is `other.get_changes_added(self)`.
    pub fn get_changes_added(&self, other: &Document) -> Vec<Change> {
        (0..other.history.len() as u32)
            .filter(|i| !self.has_change(&other.history.hash(*i)))
            .map(|i| other.rebuild_change(i))
            .collect()
    }

    /// Hashes that the document needs and lacks: those of `heads` it does not
    /// have, and the deps of queued changes that are neither applied nor queued.
    pub fn missing_deps(&self, heads: &[ChangeHash]) -> Vec<ChangeHash> {
        let queued: HashSet<ChangeHash> = self.queue.iter().map(|q| q.hash).collect();
        let mut missing: Vec<ChangeHash> = self
            .queue
            .iter()
            .flat_map(|q| q.change.deps.iter())
            .chain(heads)
            .filter(|h| self.history.index_of(h).is_none() && !queued.contains(h))
            .copied()
            .collect();
        missing.sort_unstable();
        missing.dedup();
        missing
    }

    /// Applies every change of `other` that this document lacks.
    pub fn merge(&mut self, other: &Document) -> Result<Applied, EngineError> {
        // `other`'s hashes were checked when its changes came in: they are
        // not computed again.
        let missing: Vec<(Change, Option<ChangeHash>)> = (0..other.history.len() as u32)
            .filter(|i| !self.has_change(&other.history.hash(*i)))
            .map(|i| (other.rebuild_change(i), Some(other.history.hash(i))))
            .collect();
        // A change kept as it came stays so: its hash is of those bytes.
        let verbatim_before = self.verbatim.clone();
        for hash in missing.iter().filter_map(|(_, h)| h.as_ref()) {
            if let Some(raw) = other.verbatim.get(hash) {
                self.verbatim.entry(*hash).or_insert_with(|| raw.clone());
            }
        }
        let result = self.apply_batch(missing.into_iter());
        if result.is_err() {
            self.verbatim = verbatim_before;
        }
        result
    }

    /// Applies remote changes. A change whose deps are missing waits in a queue
    /// and applies when they arrive; a change already applied is skipped. All or
    /// nothing: on an error no change of the batch is applied or queued.
    pub fn apply_changes(
        &mut self,
        changes: impl IntoIterator<Item = Change>,
    ) -> Result<Applied, EngineError> {
        self.apply_batch(changes.into_iter().map(|c| (c, None)))
    }

    /// `apply_changes`, where a change may come with its hash: the hash of its
    /// canonical encoding, which a decoder that checked the change computed
    /// (a snapshot's history, SPEC.md §4.3), so it is not encoded again.
    pub(crate) fn apply_batch(
        &mut self,
        changes: impl Iterator<Item = (Change, Option<ChangeHash>)>,
    ) -> Result<Applied, EngineError> {
        self.history.reserve(changes.size_hint().0);
        let first_new = self.history.len() as u32;
        let mark = self.history.mark();
        // Queued changes that this batch applies leave the queue; a failed batch
        // puts them back.
        let queue_before = self.queue.clone();
        let mut undo = Vec::new();
        let result = self.apply_all(changes, &mut undo);
        if result.is_err() {
            while let Some(u) = undo.pop() {
                self.ops.undo(u);
            }
            self.history.rewind(mark);
            self.forget_columns_past_end();
            self.queue = queue_before;
            return Err(result.err().unwrap_or(EngineError::EmptyKey));
        }
        let applied = (first_new..self.history.len() as u32)
            .map(|i| self.history.hash(i))
            .collect();
        let queued = self
            .queue
            .iter()
            .map(|q| q.hash)
            .filter(|h| !queue_before.iter().any(|b| b.hash == *h))
            .collect();
        Ok(Applied { applied, queued })
    }

    /// Every actor this document has seen (in changes or in the ops they name).
    pub fn actors(&self) -> Vec<ActorId> {
        self.ops.actors.all().to_vec()
    }

    /// The last seq this document holds for `actor` (0 if none).
    pub fn last_seq(&self, actor: &ActorId) -> u64 {
        self.ops
            .actors
            .lookup(actor)
            .map_or(0, |a| self.history.last_seq(a))
    }

    /// The hash of `actor`'s change number `seq`, if the document holds it.
    pub fn hash_by_seq(&self, actor: &ActorId, seq: u64) -> Option<ChangeHash> {
        let actor = self.ops.actors.lookup(actor)?;
        Some(self.history.hash(self.history.by_seq(actor, seq)?))
    }

    /// The change with this hash that waits in the queue for its deps.
    /// The hashes of the changes that wait for their deps.
    pub fn queued_hashes(&self) -> Vec<ChangeHash> {
        self.queue.iter().map(|q| q.hash).collect()
    }

    /// How many changes wait for their deps.
    pub fn queued_count(&self) -> usize {
        self.queue.len()
    }

    /// A change that waits for its deps.
    pub fn queued_change(&self, hash: &ChangeHash) -> Option<&Change> {
        self.queue
            .iter()
            .find(|q| q.hash == *hash)
            .map(|q| &q.change)
    }

    /// A cheap estimate of the heap the document holds, for cache accounting.
    pub fn heap_estimate(&self) -> usize {
        self.ops.ops.len() * 64
            + self.history.len() * 80
            + self.queue.len() * 256
            + self.kept.heap_bytes()
    }

    /// Hashes and applies (or queues) each change as it comes, so that a large
    /// batch is never copied into a second list.
    fn apply_all(
        &mut self,
        changes: impl Iterator<Item = (Change, Option<ChangeHash>)>,
        undo: &mut Vec<Undo>,
    ) -> Result<(), EngineError> {
        for (change, hash) in changes {
            let hash = match hash {
                Some(h) => h,
                None => {
                    change.check()?;
                    encode_automerge_change_into(&change, &mut self.encoder, &mut self.scratch)
                }
            };
            let q = Queued { hash, change };
            let known = self.history.index_of(&q.hash).is_some()
                || self.queue.iter().any(|w| w.hash == q.hash);
            if known {
                continue;
            }
            if self.is_ready(&q.change)? {
                self.apply_one(&q, undo)?;
                self.drain_queue(undo)?;
            } else if self.queue.len() >= self.queue_limit {
                return Err(EngineError::QueueFull {
                    limit: self.queue_limit,
                });
            } else {
                self.queue.push(q);
            }
        }
        Ok(())
    }

    /// Applies queued changes until none is ready.
    fn drain_queue(&mut self, undo: &mut Vec<Undo>) -> Result<(), EngineError> {
        while !self.queue.is_empty() {
            let mut ready = None;
            for (i, q) in self.queue.iter().enumerate() {
                if self.is_ready(&q.change)? {
                    ready = Some(i);
                    break;
                }
            }
            let Some(i) = ready else { return Ok(()) };
            let q = self.queue.remove(i);
            self.apply_one(&q, undo)?;
        }
        Ok(())
    }

    /// Whether every dep is applied and the seq is the actor's next; an error
    /// if the (actor, seq) is taken by another change.
    fn is_ready(&self, change: &Change) -> Result<bool, EngineError> {
        if let Some(actor) = self.ops.actors.lookup(&change.actor) {
            if let Some(existing) = self.history.by_seq(actor, change.seq) {
                return Err(EngineError::DuplicateSeq {
                    actor: change.actor,
                    seq: change.seq,
                    existing: self.history.hash(existing),
                });
            }
            if self.history.last_seq(actor) + 1 != change.seq {
                return Ok(false);
            }
        } else if change.seq != 1 {
            return Ok(false);
        }
        Ok(change
            .deps
            .iter()
            .all(|d| self.history.index_of(d).is_some()))
    }

    /// Applies one ready change: its ops, then its place in the history.
    fn apply_one(&mut self, q: &Queued, undo: &mut Vec<Undo>) -> Result<(), EngineError> {
        let (change, hash) = (&q.change, q.hash);
        let mut deps = std::mem::take(&mut self.scratch_deps);
        deps.clear();
        deps.extend(change.deps.iter().filter_map(|d| self.history.index_of(d)));
        let max_dep_op = deps
            .iter()
            .map(|d| self.history.max_op(*d, &self.ops))
            .max()
            .unwrap_or(0);
        if change.start_op <= max_dep_op {
            return Err(EngineError::BadStartOp {
                actor: change.actor,
                seq: change.seq,
                start_op: change.start_op,
                max_dep_op,
            });
        }
        let actor = self.ops.actors.intern(change.actor);
        if let Some(prev) = self.history.by_seq(actor, change.seq.wrapping_sub(1)) {
            let prev_max = self.history.max_op(prev, &self.ops);
            if change.start_op <= prev_max {
                return Err(EngineError::BadStartOp {
                    actor: change.actor,
                    seq: change.seq,
                    start_op: change.start_op,
                    max_dep_op: prev_max,
                });
            }
        }
        let first_op = self.ops.ops.len() as u32;
        let mut pred = std::mem::take(&mut self.scratch_pred);
        for index in 0..change.ops.len() {
            let op = match self.ops.resolve(change, actor, index, &mut pred) {
                Ok(op) => op,
                Err(e) => {
                    self.scratch_pred = pred;
                    return Err(e);
                }
            };
            undo.push(self.ops.apply(op, &pred));
        }
        self.scratch_pred = pred;
        self.history.push(NewChange {
            hash,
            actor,
            start_op: change.start_op,
            first_op,
            n_ops: change.ops.len() as u32,
            time: change.time,
            deps: &deps,
            message: change.message.as_deref(),
            extra: &change.extra,
        });
        self.keep_last_change();
        self.scratch_deps = deps;
        Ok(())
    }
}

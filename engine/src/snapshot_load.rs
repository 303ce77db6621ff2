//! Loading a snapshot in one pass (SPEC.md §5.5): the op set is built
//! straight from the history's borrowed views, and the changes' hashes are
//! computed on a second thread meanwhile, since each needs the hashes of
//! its deps and so they form one chain that nothing else waits on.

use crate::history::{HashIndex, NewChange};
use crate::kept_columns::KeptColumns;
use crate::opset::{Bulk, GiveUp};
use crate::{Document, EngineError};
use mergedb_format::snapshot::{
    hash_history, parse_snapshot, ChangeView, HistoryReader, PREALLOC_CHANGES,
};
use mergedb_format::{encode_view_parts, ActorId, ChangeHash};
use std::sync::mpsc::{Receiver, SyncSender};

/// Below this many changes, hashing on a second thread saves less than
/// starting the thread costs.
const PARALLEL_FROM: usize = 4096;

impl Document {
    /// Loads a snapshot: decodes its history section (not its state) into a
    /// document ready to merge and edit, with every change checked as
    /// `apply_changes` checks it. A history that the one-pass build cannot
    /// vouch for is applied change by change (`load_reference`), which gives
    /// the same document or the exact error.
    pub fn load(bytes: &[u8], actor: ActorId) -> Result<Document, EngineError> {
        Document::load_history(&parse_snapshot(bytes)?.history_raw()?, actor)
    }

    /// `load`, from a raw (decompressed) history section. For the fuzzer and
    /// tests, which compare it with `load_history_reference`.
    #[doc(hidden)]
    pub fn load_history(raw: &[u8], actor: ActorId) -> Result<Document, EngineError> {
        match load_bulk(raw, actor) {
            Ok(doc) => Ok(doc),
            Err(GiveUp) => Document::load_history_reference(raw, actor),
        }
    }
}

fn load_bulk(raw: &[u8], actor: ActorId) -> Result<Document, GiveUp> {
    let reader = HistoryReader::new(raw).map_err(|_| GiveUp)?;
    let n = reader.len();
    let (mut doc, hashes) = if n < PARALLEL_FROM {
        // Hashed only if the build accepts it.
        let doc = build(reader, actor, None)?;
        (doc, hash_all(raw)?)
    } else {
        let (doc, hashes) = std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::sync_channel(IN_FLIGHT);
            let hasher = s.spawn(move || hash_blocks(rx, n));
            let doc = build(reader, actor, Some(tx));
            (doc, hasher.join().unwrap_or(Err(GiveUp)))
        });
        (doc?, hashes?)
    };
    match doc.history.set_hashes(hashes) {
        true => Ok(doc),
        false => Err(GiveUp),
    }
}

/// Every hash of a small history, on this thread.
fn hash_all(raw: &[u8]) -> Result<HashIndex, GiveUp> {
    let all = hash_history(raw).map_err(|_| GiveUp)?;
    let mut hashes = HashIndex::with_capacity(all.len());
    all.into_iter().for_each(|h| hashes.push(h));
    Ok(hashes)
}

/// Changes per block handed to the hashing thread, and blocks in flight.
const BLOCK: usize = 2048;
const IN_FLIGHT: usize = 8;

/// Consecutive changes, encoded but for their deps' hashes (see
/// `encode_view_parts`): what the hashing thread needs to finish them.
struct Block {
    bytes: Vec<u8>,
    /// Per change: where its head part ends and where its tail part ends.
    ends: Vec<(u32, u32)>,
    /// Per change, its deps (change indices), in `deps` up to its end.
    deps: Vec<u32>,
    dep_ends: Vec<u32>,
}

impl Block {
    fn new() -> Self {
        Block {
            // A typed character's change takes about 60 bytes here.
            bytes: Vec::with_capacity(BLOCK * 80),
            ends: Vec::with_capacity(BLOCK),
            deps: Vec::with_capacity(BLOCK),
            dep_ends: Vec::with_capacity(BLOCK),
        }
    }

    fn push(&mut self, view: &ChangeView<'_>, table: &[ActorId]) {
        let start = self.bytes.len();
        let head = encode_view_parts(view, table, &mut self.bytes);
        self.ends
            .push(((start + head) as u32, self.bytes.len() as u32));
        self.deps.extend_from_slice(&view.deps);
        self.dep_ends.push(self.deps.len() as u32);
    }
}

/// Finishes and hashes the changes of each block in turn. Each change's
/// deps are earlier changes, so their hashes are known by then.
fn hash_blocks(rx: Receiver<Block>, n: usize) -> Result<HashIndex, GiveUp> {
    let mut hashes = HashIndex::with_capacity(n.min(PREALLOC_CHANGES));
    let mut deps = Vec::new();
    for block in rx {
        let (mut at, mut dep_at) = (0, 0);
        for (&(head, tail), &dep_end) in block.ends.iter().zip(&block.dep_ends) {
            let (head, tail, dep_end) = (head as usize, tail as usize, dep_end as usize);
            deps.clear();
            for d in block.deps.get(dep_at..dep_end).ok_or(GiveUp)? {
                deps.push(*hashes.get(*d).ok_or(GiveUp)?);
            }
            deps.sort_unstable();
            let head_bytes = block.bytes.get(at..head).ok_or(GiveUp)?;
            let tail_bytes = block.bytes.get(head..tail).ok_or(GiveUp)?;
            hashes.push(ChangeHash::of_parts(head_bytes, &deps, tail_bytes));
            (at, dep_at) = (tail, dep_end);
        }
    }
    Ok(hashes)
}

/// The document of a history, with every hash left zero: the checks of
/// `apply_one` and `is_ready`, on views. With `blocks`, each change is also
/// encoded and sent there to be hashed.
fn build(
    mut reader: HistoryReader<'_>,
    actor: ActorId,
    blocks: Option<SyncSender<Block>>,
) -> Result<Document, GiveUp> {
    let mut doc = Document::with_actor(actor);
    // The section's columns are not kept from a load: the first snapshot
    // builds them (they would cost this load about a fifth more).
    doc.kept = KeptColumns::none();
    // The counts come from the section's lengths; a hostile section can
    // declare far more than it holds, so room is made for at most so many.
    let ops = reader.op_count().min(PREALLOC_CHANGES);
    let mut bulk = Bulk::new(reader.actors().len(), ops);
    doc.ops.reserve(ops);
    doc.history
        .reserve_unindexed(reader.len().min(PREALLOC_CHANGES));
    let mut block = Block::new();
    while let Some((view, table)) = reader.next().map_err(|_| GiveUp)? {
        if let Some(tx) = &blocks {
            block.push(view, table);
            if block.ends.len() == BLOCK {
                tx.send(std::mem::replace(&mut block, Block::new()))
                    .map_err(|_| GiveUp)?;
            }
        }
        add_change(&mut doc, &mut bulk, view, table)?;
    }
    if let Some(tx) = blocks {
        tx.send(block).map_err(|_| GiveUp)?;
    }
    bulk.finish(&mut doc.ops);
    Ok(doc)
}

fn add_change(
    doc: &mut Document,
    bulk: &mut Bulk,
    view: &ChangeView<'_>,
    table: &[ActorId],
) -> Result<(), GiveUp> {
    let a = bulk.intern(&mut doc.ops, table, view.actor)?;
    if doc.history.last_seq(a).wrapping_add(1) != view.seq {
        return Err(GiveUp);
    }
    // The reader checked that each dep is an earlier change, and every
    // earlier change is in the history at its own index.
    let ops = &doc.ops;
    let max_dep_op = view
        .deps
        .iter()
        .map(|d| doc.history.max_op(*d, ops))
        .max()
        .unwrap_or(0);
    let prev_op = match doc.history.by_seq(a, view.seq.wrapping_sub(1)) {
        Some(prev) => doc.history.max_op(prev, ops),
        None => 0,
    };
    if view.start_op <= max_dep_op.max(prev_op) {
        return Err(GiveUp);
    }
    let first_op = doc.ops.ops.len() as u32;
    for i in 0..view.ops.len() {
        bulk.op(&mut doc.ops, table, view, i, a)?;
    }
    doc.history.push_unindexed(NewChange {
        hash: ChangeHash([0; 32]),
        actor: a,
        start_op: view.start_op,
        first_op,
        n_ops: view.ops.len() as u32,
        time: view.time,
        deps: &view.deps,
        message: view.message,
        extra: view.extra,
    });
    Ok(())
}

//! Loading a snapshot in one pass (SPEC.md §5.5): the op set is built
//! straight from the history's borrowed views, while a second thread encodes
//! and hashes each change and builds the history's records around the
//! hashes: each hash needs the hashes of the change's deps, so they form one
//! chain that the op set does not wait on.

use crate::doc::snapshot::Kept;
use crate::history::{last_op, History, NewChange};
use crate::kept_columns::KeptColumns;
use crate::opset::{Bulk, GiveUp, OpRec, OpSet};
use crate::prefault::Prefault;
use crate::{Document, EngineError};
use mergedb_format::automerge::{hash_parts, ChangeEncoder};
use mergedb_format::snapshot::{parse_snapshot, ChangeView, HistoryReader, PREALLOC_CHANGES};
use mergedb_format::{ActorId, ChangeHash};
use std::sync::mpsc::{Receiver, Sender, SyncSender};

/// Below this many changes, a second thread saves less than starting it
/// costs: the blocks are finished on the building thread as they fill.
const PARALLEL_FROM: usize = 4096;

impl Document {
    /// Loads a snapshot: decodes its history section (not its state) into a
    /// document ready to merge and edit, with every change checked as
    /// `apply_changes` checks it. A history that the one-pass build cannot
    /// vouch for is applied change by change (`load_reference`), which gives
    /// the same document or the exact error.
    pub fn load(bytes: &[u8], actor: ActorId) -> Result<Document, EngineError> {
        let snapshot = parse_snapshot(bytes)?;
        let kept = Kept::decode(snapshot.kept_chunks()?)?;
        let raw = snapshot.history_raw()?;
        let mut doc = match load_bulk(&raw, actor, &kept.hashes) {
            Ok(doc) => doc,
            Err(GiveUp) => Document::load_history_kept(&raw, actor, &kept.hashes)?,
        };
        kept.attach(&mut doc)?;
        Ok(doc)
    }

    /// `load`, from a raw (decompressed) history section. For the fuzzer and
    /// tests, which compare it with `load_history_reference`.
    #[doc(hidden)]
    pub fn load_history(raw: &[u8], actor: ActorId) -> Result<Document, EngineError> {
        match load_bulk(raw, actor, &[]) {
            Ok(doc) => Ok(doc),
            Err(GiveUp) => Document::load_history_reference(raw, actor),
        }
    }
}

/// Where the one-pass build takes its changes from: a snapshot's history
/// section, or an Automerge document chunk. Each view has passed the
/// checks `ChangeView::check` makes, and its deps are earlier changes.
pub(crate) trait Views<'a> {
    /// The actor table the views' ids index.
    fn actors(&self) -> &[ActorId];
    /// How many changes it declares.
    fn changes(&self) -> usize;
    /// How many ops it declares.
    fn ops(&self) -> usize;
    /// The next change, with its actor table.
    fn next_view(&mut self) -> Result<Option<(&ChangeView<'a>, &[ActorId])>, GiveUp>;
}

impl<'a> Views<'a> for HistoryReader<'a> {
    fn actors(&self) -> &[ActorId] {
        HistoryReader::actors(self)
    }
    fn changes(&self) -> usize {
        self.len()
    }
    fn ops(&self) -> usize {
        self.op_count()
    }
    fn next_view(&mut self) -> Result<Option<(&ChangeView<'a>, &[ActorId])>, GiveUp> {
        self.next().map_err(|_| GiveUp)
    }
}

fn load_bulk(raw: &[u8], actor: ActorId, kept: &[(u32, ChangeHash)]) -> Result<Document, GiveUp> {
    let reader = HistoryReader::new(raw).map_err(|_| GiveUp)?;
    load_views(reader, actor, kept)
}

/// The document of `reader`'s changes, built in one pass.
pub(crate) fn load_views<'a, V: Views<'a> + Send>(
    reader: V,
    actor: ActorId,
    kept: &[(u32, ChangeHash)],
) -> Result<Document, GiveUp> {
    let n = reader.changes();
    let history = HistoryBuilder::new(&reader, kept.to_vec());
    let (mut doc, history) = if n < PARALLEL_FROM {
        let (doc, sink) = build(reader, actor, Sink::Here(Box::new(history)))?;
        match sink {
            Sink::Here(history) => (doc, history.finish()),
            Sink::Thread { .. } => return Err(GiveUp),
        }
    } else {
        let ops = reader.ops().min(PREALLOC_CHANGES);
        let (doc, history) = std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::sync_channel(IN_FLIGHT);
            let (back_tx, back) = std::sync::mpsc::channel();
            let (pages_tx, pages) = std::sync::mpsc::channel();
            let prefault = Prefault::new(ops, OpRec::blank, pages_tx);
            let hasher = s.spawn(move || history.add_all(rx, back_tx, prefault));
            let sink = Sink::Thread {
                tx,
                back,
                pages,
                encoder: Box::default(),
                actors: reader.actors().to_vec(),
            };
            let doc = build(reader, actor, sink).map(|(doc, _)| doc);
            (doc, hasher.join().unwrap_or(Err(GiveUp)))
        });
        (doc?, history?)
    };
    // Both sides saw every change the reader gave, or one gave up.
    if history.len() != n {
        return Err(GiveUp);
    }
    doc.history = history;
    Ok(doc)
}

/// Changes per block handed to the hashing side, and blocks in flight.
const BLOCK: usize = 2048;
const IN_FLIGHT: usize = 8;

/// Consecutive changes: each one's view, copied, and its place in the
/// document. The hashing side encodes each as an Automerge change chunk and
/// hashes it, so that the building side, the busier one, does neither.
/// Blocks go back and forth, so the views' buffers are reused.
struct Block<'a> {
    views: Vec<ChangeView<'a>>,
    places: Vec<Place>,
    /// Set when the building side, finding the hashing side behind, encoded
    /// the block itself: each change's body after its deps, ending at
    /// `ends`. This balances the two sides whatever the machine.
    encoded: bool,
    bytes: Vec<u8>,
    ends: Vec<u32>,
}

/// A change's place in the document.
struct Place {
    actor: u32,
    first_op: u32,
    n_ops: u32,
}

impl<'a> Block<'a> {
    fn new() -> Self {
        Block {
            views: Vec::with_capacity(BLOCK),
            places: Vec::with_capacity(BLOCK),
            encoded: false,
            bytes: Vec::new(),
            ends: Vec::new(),
        }
    }

    /// Encodes every change of the block here.
    fn encode(&mut self, encoder: &mut ChangeEncoder, actors: &[ActorId]) {
        self.bytes.clear();
        self.ends.clear();
        for view in self.views.iter().take(self.places.len()) {
            encoder.encode_after_deps(view, actors, &mut self.bytes);
            self.ends.push(self.bytes.len() as u32);
        }
        self.encoded = true;
    }

    fn push(&mut self, view: &ChangeView<'a>, place: Place) {
        match self.views.get_mut(self.places.len()) {
            Some(slot) => slot.copy_from(view),
            None => self.views.push(view.clone()),
        }
        self.places.push(place);
    }

    fn clear(&mut self) {
        self.places.clear();
        self.encoded = false;
    }

    /// Change `i`'s body after its deps, if the building side encoded it.
    fn encoded_body(&self, i: usize) -> Option<&[u8]> {
        if !self.encoded {
            return None;
        }
        let start = i
            .checked_sub(1)
            .map_or(Some(0), |p| self.ends.get(p).copied())?;
        let end = *self.ends.get(i)?;
        self.bytes.get(start as usize..end as usize)
    }
}

/// The hashing side: hashes each change and records it in the history.
struct HistoryBuilder {
    history: History,
    /// The section's actor table, which the views' ids index.
    actors: Vec<ActorId>,
    encoder: ChangeEncoder,
    /// The current change's deps' hashes, and its chunk body after them.
    deps: Vec<ChangeHash>,
    body: Vec<u8>,
    /// The hashes of changes kept as they came, by index, ascending.
    kept: Vec<(u32, ChangeHash)>,
}

impl HistoryBuilder {
    fn new<'a>(reader: &impl Views<'a>, kept: Vec<(u32, ChangeHash)>) -> Self {
        let mut history = History::default();
        // A hostile section can declare far more changes than it holds.
        history.reserve_unindexed(reader.changes().min(PREALLOC_CHANGES));
        HistoryBuilder {
            history,
            actors: reader.actors().to_vec(),
            encoder: ChangeEncoder::default(),
            deps: Vec::new(),
            body: Vec::new(),
            kept,
        }
    }

    /// Adds the blocks from `rx`, and sends each back, emptied, to be
    /// filled again: fresh blocks would be fresh pages, faulted in anew.
    /// Between blocks, it faults in the pages of the building side's op
    /// records, an eighth at a time (see `prefault`).
    fn add_all<'a>(
        mut self,
        rx: Receiver<Block<'a>>,
        back: Sender<Block<'a>>,
        prefault: Prefault<OpRec>,
    ) -> Result<History, GiveUp> {
        let mut prefault = Some(prefault);
        for mut block in rx {
            if prefault.as_mut().is_some_and(Prefault::step) {
                prefault = None;
            }
            self.add(&block)?;
            block.clear();
            // The building side has finished when it no longer takes them.
            let _ = back.send(block);
        }
        Ok(self.finish())
    }

    /// The history, with its hash index: built here, on the hashing
    /// thread, while the building one lays out its sequences.
    fn finish(mut self) -> History {
        self.history.index_all();
        self.history
    }

    /// Each change's deps are earlier changes, so their hashes are known.
    fn add(&mut self, block: &Block<'_>) -> Result<(), GiveUp> {
        for (i, (place, view)) in block.places.iter().zip(&block.views).enumerate() {
            self.deps.clear();
            for d in &view.deps {
                self.deps.push(self.history.hash_get(*d).ok_or(GiveUp)?);
            }
            self.deps.sort_unstable();
            let index = self.history.len() as u32;
            let hash = match self.kept.binary_search_by_key(&index, |(k, _)| *k) {
                Ok(k) => self.kept.get(k).ok_or(GiveUp)?.1,
                Err(_) => match block.encoded_body(i) {
                    Some(body) => hash_parts(&self.deps, body),
                    None => {
                        self.body.clear();
                        self.encoder
                            .encode_after_deps(view, &self.actors, &mut self.body);
                        hash_parts(&self.deps, &self.body)
                    }
                },
            };
            self.history.push_unindexed(NewChange {
                hash,
                actor: place.actor,
                start_op: view.start_op,
                first_op: place.first_op,
                n_ops: place.n_ops,
                time: view.time,
                deps: &view.deps,
                message: view.message,
                extra: view.extra,
            });
        }
        Ok(())
    }
}

/// Where full blocks go.
enum Sink<'a> {
    /// To the hashing thread, which sends them back to be filled again,
    /// and sends room for the op records, faulted in.
    Thread {
        tx: SyncSender<Block<'a>>,
        back: Receiver<Block<'a>>,
        encoder: Box<ChangeEncoder>,
        actors: Vec<ActorId>,
        pages: Receiver<Vec<OpRec>>,
    },
    /// Finished here (a small history).
    Here(Box<HistoryBuilder>),
}

impl<'a> Sink<'a> {
    /// Moves the op records into the faulted-in room, once it has come.
    fn adopt_pages(&mut self, ops: &mut OpSet) {
        if let Sink::Thread { pages, .. } = self {
            if let Ok(room) = pages.try_recv() {
                ops.adopt_records(room);
            }
        }
    }

    /// Takes a full block, and gives an empty one.
    fn take(&mut self, mut block: Block<'a>) -> Result<Block<'a>, GiveUp> {
        match self {
            Sink::Thread {
                tx,
                back,
                encoder,
                actors,
                ..
            } => {
                let block = match tx.try_send(block) {
                    Ok(()) => None,
                    Err(std::sync::mpsc::TrySendError::Full(mut block)) => {
                        // The hashing side is behind: take some of its work.
                        block.encode(encoder, actors);
                        Some(block)
                    }
                    Err(std::sync::mpsc::TrySendError::Disconnected(_)) => return Err(GiveUp),
                };
                if let Some(block) = block {
                    tx.send(block).map_err(|_| GiveUp)?;
                }
                Ok(back.try_recv().unwrap_or_else(|_| Block::new()))
            }
            Sink::Here(history) => {
                history.add(&block)?;
                block.clear();
                Ok(block)
            }
        }
    }
}

/// What the checks of `apply_one` and `is_ready` need of the changes so
/// far, while the history itself is built on the hashing side.
#[derive(Default)]
struct Seen {
    /// Per actor index: its last seq, and its last change's last op counter.
    last: Vec<(u64, u64)>,
    /// Per change: its last op counter.
    max_op: Vec<u64>,
}

/// The document of a history, without its history: the op set, with the
/// checks of `apply_one` and `is_ready` made on views. Each change also goes
/// to `sink`, encoded, to be hashed and recorded.
fn build<'a>(
    mut reader: impl Views<'a>,
    actor: ActorId,
    mut sink: Sink<'a>,
) -> Result<(Document, Sink<'a>), GiveUp> {
    let mut doc = Document::with_actor(actor);
    // The section's columns are not kept from a load: the first snapshot
    // builds them (they would cost this load about a fifth more).
    doc.kept = KeptColumns::none();
    // The counts come from the section's lengths; a hostile section can
    // declare far more than it holds, so room is made for at most so many.
    let ops = reader.ops().min(PREALLOC_CHANGES);
    let mut bulk = Bulk::new(reader.actors().len(), ops);
    // With a hashing thread, the records' room comes from it faulted in
    // (`Sink::adopt_pages`); until then a little will do.
    let records = match sink {
        Sink::Thread { .. } => ops.min(BLOCK * 16),
        Sink::Here(_) => ops,
    };
    doc.ops.ops.reserve(records);
    doc.ops.reserve_links(ops);
    let mut seen = Seen {
        last: Vec::new(),
        max_op: Vec::with_capacity(reader.changes().min(PREALLOC_CHANGES)),
    };
    let mut block = Block::new();
    while let Some((view, table)) = reader.next_view()? {
        let place = add_change(&mut doc, &mut bulk, &mut seen, view, table)?;
        block.push(view, place);
        if block.places.len() == BLOCK {
            block = sink.take(block)?;
            sink.adopt_pages(&mut doc.ops);
        }
    }
    sink.take(block)?;
    bulk.finish(&mut doc.ops);
    Ok((doc, sink))
}

fn add_change<'a>(
    doc: &mut Document,
    bulk: &mut Bulk,
    seen: &mut Seen,
    view: &ChangeView<'a>,
    table: &[ActorId],
) -> Result<Place, GiveUp> {
    let a = bulk.intern(&mut doc.ops, table, view.actor)?;
    if seen.last.len() <= a as usize {
        seen.last.resize(a as usize + 1, (0, 0));
    }
    let (last_seq, prev_op) = *seen.last.get(a as usize).ok_or(GiveUp)?;
    if last_seq.wrapping_add(1) != view.seq {
        return Err(GiveUp);
    }
    // The reader checked that each dep is an earlier change.
    let mut max_dep_op = 0;
    for d in &view.deps {
        max_dep_op = max_dep_op.max(*seen.max_op.get(*d as usize).ok_or(GiveUp)?);
    }
    // The actor's change before this one is its last (0: none).
    if view.start_op <= max_dep_op.max(prev_op) {
        return Err(GiveUp);
    }
    let first_op = doc.ops.ops.len() as u32;
    for i in 0..view.ops.len() {
        bulk.op(&mut doc.ops, table, view, i, a)?;
    }
    let n_ops = view.ops.len() as u32;
    let max_op = last_op(view.start_op, n_ops);
    seen.max_op.push(max_op);
    if let Some(last) = seen.last.get_mut(a as usize) {
        *last = (view.seq, max_op);
    }
    Ok(Place {
        actor: a,
        first_op,
        n_ops,
    })
}

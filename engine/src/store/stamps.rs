//! Change stamps (SPEC.md §5.9): which documents changed since a moment,
//! so that a reconnect looks at those and not at every document (§6B.8).
//!
//! Each content change gives its document the store's next stamp, in
//! memory, in the batch that writes the change. The table is kept as `T`
//! (its generation and next stamp) and `T` doc (each document's stamp),
//! written by a clean close for the documents this session changed. While
//! a session that changed something is open, `W` is set, in the batch of
//! its first change: an open that finds it, or no `T`, cannot trust the
//! table and rebuilds it under a new random generation, which voids every
//! stamp handed out before (a peer's mark names its generation). So a
//! stamp is never too old: a document is at worst listed once too often.

use super::keys::{self, DocId};
use super::{Backend, Batch, StoreError};
use parking_lot::Mutex;
use std::collections::{HashMap, HashSet};

const TABLE: u8 = b'T';
const OPEN_KEY: &[u8] = b"W";
const VERSION: u8 = 1;

/// A moment in a store's changes: every change made before it has a stamp
/// of at most `value`, under the table's `generation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub generation: u64,
    pub value: u64,
}

impl Stamp {
    /// Its 16 bytes: generation, then value, both little-endian.
    pub fn to_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.generation.to_le_bytes());
        b[8..].copy_from_slice(&self.value.to_le_bytes());
        b
    }

    /// A stamp from `to_bytes`; `None` on any other length.
    pub fn from_bytes(bytes: &[u8]) -> Option<Stamp> {
        let generation = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
        let value = u64::from_le_bytes(bytes.get(8..16)?.try_into().ok()?);
        (bytes.len() == 16).then_some(Stamp { generation, value })
    }
}

#[derive(Debug)]
struct Table {
    generation: u64,
    /// The stamp the next change gets; every stamp so far is below it.
    next: u64,
    by_doc: HashMap<DocId, u64>,
    /// What the close writes: the documents whose stamps moved.
    moved: HashSet<DocId>,
    /// Whether the table was rebuilt, so the close writes all of it.
    rebuilt: bool,
}

/// The kept table's header, as the open found it: `None` where it cannot
/// be trusted (no header, another version, or `W` set).
#[derive(Clone, Copy, Debug)]
struct Header {
    generation: u64,
    /// The last stamp given; every kept one is at most it.
    last: u64,
}

#[derive(Debug, Default)]
struct State {
    header: Option<Header>,
    /// Loaded on the first question, not before: a commit needs none.
    table: Option<Table>,
    /// Documents changed before the table was loaded.
    pending: HashSet<DocId>,
    /// Whether `W` is in a batch of this session.
    open_written: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Stamps {
    state: Mutex<State>,
}

fn doc_key(id: &DocId) -> Vec<u8> {
    let mut k = vec![TABLE];
    k.extend_from_slice(&id.0);
    k
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

fn header_bytes(generation: u64, last: u64) -> Vec<u8> {
    let mut header = vec![VERSION];
    header.extend_from_slice(&generation.to_le_bytes());
    header.extend_from_slice(&last.to_le_bytes());
    header
}

/// The header, if the kept table can be trusted: two point reads.
fn read_header(backend: &dyn Backend) -> Result<Option<Header>, StoreError> {
    if backend.get(OPEN_KEY)?.is_some() {
        return Ok(None);
    }
    let Some(header) = backend.get(&[TABLE])? else {
        return Ok(None);
    };
    let (Some(generation), Some(last)) = (u64_at(&header, 1), u64_at(&header, 9)) else {
        return Ok(None);
    };
    let sound = header.len() == 17 && header.first() == Some(&VERSION) && last < u64::MAX / 2;
    Ok(sound.then_some(Header { generation, last }))
}

/// The kept table of `docs`, whose header is `h`.
fn read_table(backend: &dyn Backend, h: Header, docs: &[DocId]) -> Result<Table, StoreError> {
    let mut kept = HashMap::new();
    for (k, v) in backend.scan_prefix(&[TABLE])? {
        if let (Some(id), Some(stamp)) = (keys::doc_of_key(&k), u64_at(&v, 0)) {
            kept.insert(id, stamp.min(h.last));
        }
    }
    // A document without a stamp (none should be) counts as just changed.
    let mut by_doc = HashMap::with_capacity(docs.len());
    let mut moved = HashSet::new();
    for id in docs {
        let stamp = kept.get(id).copied().unwrap_or_else(|| {
            moved.insert(*id);
            h.last + 1
        });
        by_doc.insert(*id, stamp);
    }
    Ok(Table {
        generation: h.generation,
        next: h.last + 2,
        by_doc,
        moved,
        rebuilt: false,
    })
}

/// A new table: every document at stamp 0, under a new generation.
fn rebuilt(docs: &[DocId]) -> Table {
    let mut g = [0u8; 8];
    g.copy_from_slice(&mergedb_format::ActorId::random().as_bytes()[..8]);
    Table {
        generation: u64::from_le_bytes(g),
        next: 1,
        by_doc: docs.iter().map(|d| (*d, 0)).collect(),
        moved: docs.iter().copied().collect(),
        rebuilt: true,
    }
}

impl Table {
    fn stamp(&mut self, id: DocId) {
        self.by_doc.insert(id, self.next);
        self.next += 1;
        self.moved.insert(id);
    }
}

impl Stamps {
    /// The stamps of a store just opened: two point reads, whatever the
    /// number of documents.
    pub fn open(backend: &dyn Backend) -> Result<Stamps, StoreError> {
        let state = State {
            header: read_header(backend)?,
            ..State::default()
        };
        Ok(Stamps {
            state: Mutex::new(state),
        })
    }

    fn with<T>(
        &self,
        backend: &dyn Backend,
        f: impl FnOnce(&mut Table) -> T,
    ) -> Result<T, StoreError> {
        let mut state = self.state.lock();
        let state = &mut *state;
        if state.table.is_none() {
            let docs: Vec<DocId> = backend
                .scan_prefix(&keys::doc_prefix())?
                .iter()
                .filter_map(|(k, _)| keys::doc_of_key(k))
                .collect();
            let mut table = match state.header {
                Some(h) => read_table(backend, h, &docs)?,
                None => rebuilt(&docs),
            };
            for id in state.pending.drain() {
                table.stamp(id);
            }
            state.table = Some(table);
        }
        match state.table.as_mut() {
            Some(t) => Ok(f(t)),
            None => Err(StoreError::Poisoned("the stamp table was lost".into())),
        }
    }

    /// Gives `id` the next stamp, with `W` in `batch` if this is the
    /// session's first change. Never fails, so a commit never does here.
    pub fn stamp(&self, id: &DocId, batch: &mut Batch) {
        let mut state = self.state.lock();
        match state.table.as_mut() {
            Some(t) => t.stamp(*id),
            None => {
                state.pending.insert(*id);
            }
        }
        if !state.open_written {
            batch.put(OPEN_KEY.to_vec(), Vec::new());
            state.open_written = true;
        }
    }

    /// Forgets a deleted document, in the batch that deletes it.
    pub fn forget(&self, id: &DocId, batch: &mut Batch) {
        let mut state = self.state.lock();
        if let Some(t) = state.table.as_mut() {
            t.by_doc.remove(id);
            t.moved.remove(id);
        }
        state.pending.remove(id);
        batch.delete(doc_key(id));
    }

    /// Now: every change so far has a stamp of at most this.
    pub fn now(&self, backend: &dyn Backend) -> Result<Stamp, StoreError> {
        self.with(backend, |t| Stamp {
            generation: t.generation,
            value: t.next - 1,
        })
    }

    /// The stamp of `id`, if the store has it.
    pub fn of(&self, backend: &dyn Backend, id: &DocId) -> Result<Option<u64>, StoreError> {
        self.with(backend, |t| t.by_doc.get(id).copied())
    }

    /// The documents stamped after `since`, in id order; `None` if `since`
    /// is of another generation or later than now (then nothing is known).
    pub fn changed_after(
        &self,
        backend: &dyn Backend,
        since: Stamp,
    ) -> Result<Option<Vec<DocId>>, StoreError> {
        self.with(backend, |t| {
            if since.generation != t.generation || since.value >= t.next {
                return None;
            }
            let mut docs: Vec<DocId> = t
                .by_doc
                .iter()
                .filter(|(_, s)| **s > since.value)
                .map(|(d, _)| *d)
                .collect();
            docs.sort_unstable();
            Some(docs)
        })
    }

    /// The close's writes: the moved stamps and the header, and `W` gone.
    /// Empty if this session changed and rebuilt nothing, or if the table
    /// was never loaded and cannot be trusted (then `W` stays, and the next
    /// session rebuilds it).
    pub fn close_batch(&self) -> Batch {
        let mut batch = Batch::new();
        let state = self.state.lock();
        let (generation, last) = match (&state.table, state.header) {
            (Some(t), _) if !t.moved.is_empty() || t.rebuilt || state.open_written => {
                for id in &t.moved {
                    if let Some(s) = t.by_doc.get(id) {
                        batch.put(doc_key(id), s.to_le_bytes().to_vec());
                    }
                }
                (t.generation, t.next - 1)
            }
            // Not loaded: the kept stamps stand, and the changed documents
            // take the next ones.
            (None, Some(h)) if state.open_written => {
                let mut last = h.last;
                for id in &state.pending {
                    last += 1;
                    batch.put(doc_key(id), last.to_le_bytes().to_vec());
                }
                (h.generation, last)
            }
            _ => return batch,
        };
        batch.put(vec![TABLE], header_bytes(generation, last));
        batch.delete(OPEN_KEY.to_vec());
        batch
    }
}

impl super::Store {
    /// Now, in the store's change stamps: every change so far has a stamp
    /// of at most this (SPEC.md §5.9). The first question of a session
    /// reads the table, one short record per document.
    pub fn change_stamp(&self) -> Result<Stamp, StoreError> {
        self.inner.stamps.now(self.inner.backend.as_ref())
    }

    /// The documents changed after `since`, in id order: those whose last
    /// change has a later stamp. `None` if `since` is not of this table
    /// (the table was rebuilt after a crash, or it is from another store):
    /// then any document may have changed.
    pub fn changed_after(&self, since: Stamp) -> Result<Option<Vec<DocId>>, StoreError> {
        self.inner
            .stamps
            .changed_after(self.inner.backend.as_ref(), since)
    }

    /// The stamp of `id`'s last change, if the store has it.
    pub fn stamp_of(&self, id: &DocId) -> Result<Option<u64>, StoreError> {
        self.inner.stamps.of(self.inner.backend.as_ref(), id)
    }
}

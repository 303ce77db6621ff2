//! The cache of loaded documents: least recently used out first, bounded in
//! (estimated) bytes. A document that is in use, or whose changes still wait
//! for the log writer, is never evicted: its memory is the only copy of them.

use super::DocId;
use crate::{Document, StateView};
use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::Arc;

/// A loaded document and what the store keeps beside it.
#[derive(Debug)]
pub(crate) struct Loaded {
    /// Shared with the readers that `DocHandle::read` handed it to: a write
    /// while one of them holds it copies it first (`doc_mut`), so a reader
    /// never holds a lock and never blocks a writer.
    pub doc: Arc<Document>,
    /// The position the next log record gets.
    pub next_position: u64,
    /// The last group-commit ticket that holds one of its changes.
    pub pending: Option<u64>,
    /// Log records, and their bytes, since the last snapshot: what the
    /// compaction policy looks at.
    pub log_records: u64,
    pub log_bytes: u64,
}

impl Loaded {
    /// Puts a change's log record, at the next position, into `batch`, and
    /// counts it in the log since the last snapshot.
    pub fn log(&mut self, batch: &mut super::Batch, key: Vec<u8>, change: &[u8], verbatim: bool) {
        let record = mergedb_format::encode_log_record(self.next_position, verbatim, change);
        self.next_position += 1;
        self.log_records += 1;
        self.log_bytes += record.len() as u64;
        batch.put(key, record);
    }

    /// A document new to the store: nothing logged yet.
    pub fn new(doc: Document) -> Self {
        Loaded {
            doc: Arc::new(doc),
            next_position: 0,
            pending: None,
            log_records: 0,
            log_bytes: 0,
        }
    }

    /// The document, to change: copied first if a reader holds it.
    pub fn doc_mut(&mut self) -> &mut Document {
        Arc::make_mut(&mut self.doc)
    }
}

/// What the cache holds for a document: the whole of it, or only the state
/// section of its snapshot (SPEC.md §5.5).
#[derive(Debug, Clone)]
pub(crate) enum Slot {
    Full(Arc<RwLock<Loaded>>),
    State(Arc<CachedState>),
}

/// A document's state section, and whether it is out of date: set when the
/// whole document is loaded, which every write does first. A handle holding
/// it keeps it in the cache (in-use entries are not evicted), so the flag
/// always reaches it.
#[derive(Debug)]
pub(crate) struct CachedState {
    pub view: StateView,
    pub stale: std::sync::atomic::AtomicBool,
}

#[derive(Debug)]
struct Entry {
    slot: Slot,
    last_used: u64,
}

/// Cache counters, as `Store::stats` reports them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups that found the document loaded.
    pub hits: u64,
    /// Lookups that had to load it.
    pub misses: u64,
    /// Documents loaded from the backend.
    pub loads: u64,
    /// Documents dropped from memory to stay under the limit.
    pub evictions: u64,
    /// Documents in memory now.
    pub cached_docs: usize,
    /// Their estimated heap, in bytes.
    pub cached_bytes: usize,
}

#[derive(Debug)]
pub(crate) struct Cache {
    entries: HashMap<DocId, Entry>,
    clock: u64,
    limit: usize,
    /// What the last scan found, plus what was inserted since: the scan that
    /// `evict` makes is linear in the documents cached, so it runs only when
    /// this passes `next_scan`, not on every insert (a store of many small
    /// documents would otherwise pay for a scan of all of them per load).
    approx: usize,
    next_scan: usize,
    pub stats: CacheStats,
}

impl Cache {
    pub fn new(limit: usize) -> Self {
        Cache {
            entries: HashMap::new(),
            clock: 0,
            limit,
            approx: 0,
            next_scan: limit,
            stats: CacheStats::default(),
        }
    }

    /// The document's slot; `full` asks for the whole document, and a state
    /// slot then counts as a miss.
    pub fn get(&mut self, id: &DocId, full: bool) -> Option<Slot> {
        self.clock += 1;
        let clock = self.clock;
        match self.entries.get_mut(id) {
            Some(e) if !full || matches!(e.slot, Slot::Full(_)) => {
                e.last_used = clock;
                self.stats.hits += 1;
                Some(e.slot.clone())
            }
            _ => {
                self.stats.misses += 1;
                None
            }
        }
    }

    /// The whole document, if it is loaded; counts nothing.
    pub fn peek_full(&self, id: &DocId) -> Option<Arc<RwLock<Loaded>>> {
        match self.entries.get(id).map(|e| &e.slot) {
            Some(Slot::Full(doc)) => Some(Arc::clone(doc)),
            _ => None,
        }
    }

    /// Every whole document loaded now.
    pub fn all_full(&self) -> Vec<(DocId, Arc<RwLock<Loaded>>)> {
        let full = |(id, e): (&DocId, &Entry)| match &e.slot {
            Slot::Full(doc) => Some((*id, Arc::clone(doc))),
            Slot::State(_) => None,
        };
        self.entries.iter().filter_map(full).collect()
    }

    pub fn insert(&mut self, id: DocId, slot: Slot) {
        self.clock += 1;
        self.stats.loads += 1;
        // An entry costs something even when its document is empty.
        self.approx += match &slot {
            Slot::Full(doc) => doc.try_read().map_or(0, |l| l.doc.heap_estimate()),
            Slot::State(s) => s.view.heap_estimate(),
        }
        .max(1);
        self.stats.cached_bytes = self.approx;
        let entry = Entry {
            slot,
            last_used: self.clock,
        };
        if let Some(Entry {
            slot: Slot::State(old),
            ..
        }) = self.entries.insert(id, entry)
        {
            old.stale.store(true, std::sync::atomic::Ordering::Release);
        }
        self.stats.cached_docs = self.entries.len();
    }

    pub fn remove(&mut self, id: &DocId) {
        self.entries.remove(id);
    }

    /// Evicts cold documents until the estimate is under the limit; `durable`
    /// says whether a ticket's writes are on disk.
    pub fn evict(&mut self, durable: impl Fn(Option<u64>) -> bool) {
        if self.approx <= self.next_scan {
            return;
        }
        let mut sizes: Vec<(u64, DocId, usize)> = Vec::new();
        let mut total = 0;
        for (id, e) in &self.entries {
            let (bytes, idle) = match &e.slot {
                Slot::Full(doc) => {
                    // A document someone holds, or is writing, is skipped, not waited for.
                    let Some(loaded) = doc.try_read() else {
                        continue;
                    };
                    let idle = Arc::strong_count(doc) == 1 && durable(loaded.pending);
                    (loaded.doc.heap_estimate(), idle)
                }
                Slot::State(s) => (s.view.heap_estimate(), Arc::strong_count(s) == 1),
            };
            total += bytes;
            if idle {
                sizes.push((e.last_used, *id, bytes));
            }
        }
        sizes.sort_unstable();
        for (_, id, bytes) in sizes {
            if total <= self.limit {
                break;
            }
            self.entries.remove(&id);
            total -= bytes;
            self.stats.evictions += 1;
        }
        self.stats.cached_docs = self.entries.len();
        self.stats.cached_bytes = total;
        // Under the limit, the next scan comes once loads pass it; over it
        // (what is left is held or not yet durable), once another eighth of
        // the limit has been loaded, so that scans stay rare.
        self.approx = total;
        self.next_scan = match total <= self.limit {
            true => self.limit,
            false => total + self.limit / 8,
        };
    }
}

//! The cache of loaded documents: least recently used out first, bounded in
//! (estimated) bytes. A document that is in use, or whose changes still wait
//! for the log writer, is never evicted: its memory is the only copy of them.

use super::DocId;
use crate::Document;
use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::Arc;

/// A loaded document and what the store keeps beside it.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub doc: Document,
    /// The position the next log record gets.
    pub next_position: u64,
    /// The last group-commit ticket that holds one of its changes.
    pub pending: Option<u64>,
}

#[derive(Debug)]
struct Entry {
    doc: Arc<RwLock<Loaded>>,
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
    pub stats: CacheStats,
}

impl Cache {
    pub fn new(limit: usize) -> Self {
        Cache {
            entries: HashMap::new(),
            clock: 0,
            limit,
            stats: CacheStats::default(),
        }
    }

    pub fn get(&mut self, id: &DocId) -> Option<Arc<RwLock<Loaded>>> {
        self.clock += 1;
        let clock = self.clock;
        match self.entries.get_mut(id) {
            Some(e) => {
                e.last_used = clock;
                self.stats.hits += 1;
                Some(Arc::clone(&e.doc))
            }
            None => {
                self.stats.misses += 1;
                None
            }
        }
    }

    pub fn insert(&mut self, id: DocId, doc: Arc<RwLock<Loaded>>) {
        self.clock += 1;
        self.stats.loads += 1;
        self.entries.insert(
            id,
            Entry {
                doc,
                last_used: self.clock,
            },
        );
    }

    pub fn remove(&mut self, id: &DocId) {
        self.entries.remove(id);
    }

    /// Evicts cold documents until the estimate is under the limit; `durable`
    /// says whether a ticket's writes are on disk.
    pub fn evict(&mut self, durable: impl Fn(Option<u64>) -> bool) {
        let mut sizes: Vec<(u64, DocId, usize)> = Vec::new();
        let mut total = 0;
        for (id, e) in &self.entries {
            // A document someone holds, or is writing, is skipped, not waited for.
            let Some(loaded) = e.doc.try_read() else {
                continue;
            };
            let bytes = loaded.doc.heap_estimate();
            total += bytes;
            if Arc::strong_count(&e.doc) == 1 && durable(loaded.pending) {
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
    }
}

//! `Store`: many documents in one backend, each loaded on first use.

#![allow(clippy::module_inception)]

use super::actor_record;
use super::cache::{Cache, CachedState, Loaded, Slot};
use super::handle::DocHandle;
use super::keys::{self, DocId};
use super::reentry;
use super::writer::{LogWriter, Ticket};
use super::{
    Backend, Batch, Durability, MemoryBackend, RedbBackend, Stats, StoreError, StoreOptions,
};
use crate::DecodedChunk;
use mergedb_format::automerge::decode_automerge_change;
use mergedb_format::{decode_log_value, ActorId, Change, ChangeHash};
use parking_lot::{Mutex, RwLock};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Debug)]
pub(crate) struct Inner {
    pub backend: Arc<dyn Backend>,
    pub options: StoreOptions,
    pub actor: ActorId,
    pub cache: Mutex<Cache>,
    pub writer: LogWriter,
    pub state_loads: AtomicU64,
    pub history_loads: AtomicU64,
    pub compactions: AtomicU64,
    /// Held while a document is compacted, so two compactions never race.
    pub compacting: Mutex<()>,
    /// Whether this session has recorded the store's actor as in use
    /// (before its first `Grouped` commit); `None` when the actor came from
    /// the options and is the caller's to keep safe (SPEC.md §5.7).
    pub actor_in_use: Option<Mutex<bool>>,
    /// Held while a document is created or deleted, so that the check that
    /// an id is free and the write that takes it are one step.
    pub creating: Mutex<()>,
    /// The sync connections open now, by (document, peer).
    pub sync: Mutex<std::collections::HashMap<(DocId, Vec<u8>), crate::SyncState>>,
    /// Who hears of changed documents (`Store::watch`).
    pub watchers: Mutex<super::watch::Watchers>,
    /// The store's lasting id, for peers to key what they know of it by.
    pub storage_id: Option<[u8; 16]>,
    /// Which documents changed when (SPEC.md §5.9).
    pub stamps: super::stamps::Stamps,
}

impl Drop for Inner {
    /// A clean close: once every queued commit is written, the actor record
    /// says so, and the next session keeps the actor.
    fn drop(&mut self) {
        self.writer.stop();
        let marked = self.actor_in_use.as_ref().is_some_and(|m| *m.lock());
        if marked && self.writer.poisoned().is_none() {
            // Should this fail, the next open retires the actor: safe.
            let _ = actor_record::write(self.backend.as_ref(), &self.actor, false);
        }
        // Should this fail, `W` stays and the next session rebuilds the
        // stamps: safe.
        let stamps = self.stamps.close_batch();
        let writable = self.backend.read_only().is_none();
        if !stamps.is_empty() && writable && self.writer.poisoned().is_none() {
            let _ = self.backend.write(&stamps, true);
        }
    }
}

/// A database of mergeable documents. `Send + Sync`: threads may share it.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) inner: Arc<Inner>,
}

/// A log value's changes with their positions, checked (SPEC.md §5.3): a
/// record's one, or a group's, whose k-th change has its key's seq plus k.
pub(crate) fn read_records(
    id: &DocId,
    key: &[u8],
    value: &[u8],
) -> Result<Vec<(u64, DecodedChunk)>, StoreError> {
    let entries = decode_log_value(value).map_err(|e| corrupt(id, key, e))?;
    let (actor, first) =
        keys::parse_log_key(key).ok_or_else(|| corrupt(id, key, "malformed log key"))?;
    let mut out = Vec::with_capacity(entries.len());
    for (k, entry) in entries.into_iter().enumerate() {
        let decoded = decode_automerge_change(&entry.chunk).map_err(|e| corrupt(id, key, e))?;
        let change = decoded.change;
        change.check().map_err(|e| corrupt(id, key, e))?;
        if (change.actor, change.seq) != (actor, first.saturating_add(k as u64)) {
            return Err(corrupt(
                id,
                key,
                "the change's actor and seq do not match its key",
            ));
        }
        let chunk = DecodedChunk {
            verbatim: entry.verbatim.then(|| std::sync::Arc::from(entry.chunk)),
            hash: decoded.hash,
            change,
        };
        out.push((entry.position, chunk));
    }
    Ok(out)
}

/// Whether the log key `key` is its actor's last: the next key, in key order,
/// is another actor's or none.
pub(crate) fn is_last_of_actor(key: &[u8], next: Option<&[u8]>) -> bool {
    // A log key is its actor's prefix then 8 bytes of seq.
    let actor_part = key.len().saturating_sub(8);
    next.is_none_or(|n| n.len() != key.len() || n.get(..actor_part) != key.get(..actor_part))
}

/// The store's lasting id: read, or made and written if there is none and
/// the store can be written.
fn storage_id(backend: &dyn Backend, read_only: bool) -> Result<Option<[u8; 16]>, StoreError> {
    match backend.get(keys::STORAGE_ID_KEY)? {
        Some(v) => match <[u8; 16]>::try_from(v.as_slice()) {
            Ok(id) => Ok(Some(id)),
            Err(_) => Err(StoreError::Corrupt {
                doc: DocId([0; 16]),
                key: mergedb_format::hex::encode(keys::STORAGE_ID_KEY),
                detail: format!("a storage id of {} bytes, not 16", v.len()),
            }),
        },
        None if read_only => Ok(None),
        None => {
            let id = DocId::random().0;
            let mut b = Batch::new();
            b.put(keys::STORAGE_ID_KEY, id.to_vec());
            backend.write(&b, true)?;
            Ok(Some(id))
        }
    }
}

pub(crate) fn corrupt(doc: &DocId, key: &[u8], detail: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        doc: *doc,
        key: mergedb_format::hex::encode(key),
        detail: detail.to_string(),
    }
}

impl Store {
    /// Opens (or creates) the store in directory `path`, on redb.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Self::open_with(path, StoreOptions::default())
    }

    /// Opens (or creates) the store in directory `path`, on redb, with options.
    pub fn open_with(path: &Path, options: StoreOptions) -> Result<Store, StoreError> {
        let io = |source| StoreError::Io {
            path: path.to_owned(),
            source,
        };
        if path.exists() && !path.is_dir() {
            return Err(StoreError::NotADirectory(path.to_owned()));
        }
        std::fs::create_dir_all(path).map_err(io)?;
        let backend = RedbBackend::open(&path.join("mergedb.redb"))?;
        Self::with_backend(Arc::new(backend), options, path)
    }

    /// Opens the store in directory `path`, on redb, refusing with `NoStore`
    /// if there is none there: for tools that must not create one by mistake.
    pub fn open_existing(path: &Path, options: StoreOptions) -> Result<Store, StoreError> {
        if path.exists() && !path.is_dir() {
            return Err(StoreError::NotADirectory(path.to_owned()));
        }
        if !path.join("mergedb.redb").is_file() {
            return Err(StoreError::NoStore(path.to_owned()));
        }
        Self::open_with(path, options)
    }

    /// Why the store takes no writes, if it was opened read-only.
    pub fn read_only(&self) -> Option<String> {
        self.inner.backend.read_only()
    }

    /// A store that lives in memory only.
    pub fn in_memory(options: StoreOptions) -> Result<Store, StoreError> {
        Self::with_backend(
            Arc::new(MemoryBackend::new()),
            options,
            Path::new(":memory:"),
        )
    }

    /// A store on any backend; `path` names it in errors.
    pub fn with_backend(
        backend: Arc<dyn Backend>,
        options: StoreOptions,
        path: &Path,
    ) -> Result<Store, StoreError> {
        let read_only = backend.read_only().is_some();
        match backend.get(keys::STORE_KEY)? {
            None if read_only => return Err(StoreError::NoStore(path.to_owned())),
            None => {
                let mut b = Batch::new();
                b.put(keys::STORE_KEY, keys::STORE_VALUE);
                backend.write(&b, true)?;
            }
            Some(v) if v == keys::STORE_VALUE => {}
            Some(v) => {
                return Err(StoreError::NotAStore {
                    path: path.to_owned(),
                    found: String::from_utf8_lossy(&v).into_owned(),
                })
            }
        }
        let (actor, actor_in_use) = match options.actor {
            Some(actor) => (actor, None),
            // Nothing can be written, so nothing is handed out as this actor.
            None if read_only => (actor_record::read(backend.as_ref())?, None),
            None => (
                actor_record::open(backend.as_ref())?,
                Some(Mutex::new(false)),
            ),
        };
        let storage_id = storage_id(backend.as_ref(), read_only)?;
        let cache = Mutex::new(Cache::new(options.cache_bytes));
        let stamps = super::stamps::Stamps::open(backend.as_ref())?;
        let writer = LogWriter::start(Arc::clone(&backend));
        Ok(Store {
            inner: Arc::new(Inner {
                backend,
                options,
                actor,
                cache,
                writer,
                state_loads: AtomicU64::new(0),
                history_loads: AtomicU64::new(0),
                compactions: AtomicU64::new(0),
                compacting: Mutex::new(()),
                actor_in_use,
                creating: Mutex::new(()),
                sync: Mutex::new(std::collections::HashMap::new()),
                watchers: Mutex::default(),
                stamps,
                storage_id,
            }),
        })
    }

    /// The actor this store writes as.
    pub fn actor(&self) -> ActorId {
        self.inner.actor
    }

    /// The store's lasting id (SPEC.md §5.2): 16 random bytes made once,
    /// which peers key what they know of this store by. `None` only for a
    /// read-only store that was never opened for writing since it had one.
    pub fn storage_id(&self) -> Option<[u8; 16]> {
        self.inner.storage_id
    }

    /// Writes a batch as the store's durability says; `pending` notes its ticket.
    pub(crate) fn persist(
        &self,
        batch: Batch,
        pending: &mut Option<u64>,
    ) -> Result<Ticket, StoreError> {
        let inner = &self.inner;
        if let Some(why) = inner.writer.poisoned() {
            return Err(StoreError::Poisoned(why));
        }
        match inner.options.durability {
            Durability::Immediate => match inner.backend.write(&batch, true) {
                Ok(()) => Ok(Ticket::durable()),
                Err(e) => {
                    inner.writer.poison(format!(
                        "a durable write failed, and nothing after it is safe: {e}"
                    ));
                    Err(e)
                }
            },
            Durability::Grouped => {
                self.mark_actor_in_use()?;
                let ticket = inner.writer.submit(batch)?;
                *pending = ticket.id().or(*pending);
                Ok(ticket)
            }
        }
    }

    /// Records the actor as in use, durably, once per session: a `Grouped`
    /// commit hands out its change before it is durable (SPEC.md §5.7).
    fn mark_actor_in_use(&self) -> Result<(), StoreError> {
        let Some(marked) = &self.inner.actor_in_use else {
            return Ok(());
        };
        let mut marked = marked.lock();
        if !*marked {
            actor_record::write(self.inner.backend.as_ref(), &self.inner.actor, true)?;
            *marked = true;
        }
        Ok(())
    }

    /// Every document's id, in id order. Reads no document.
    pub fn list_docs(&self) -> Result<Vec<DocId>, StoreError> {
        let records = self.inner.backend.scan_prefix(&keys::doc_prefix())?;
        Ok(records
            .iter()
            .filter_map(|(k, _)| keys::doc_of_key(k))
            .collect())
    }

    /// Deletes a document and all it holds.
    pub fn delete_doc(&self, id: &DocId) -> Result<(), StoreError> {
        reentry::check(id)?;
        let _no_create = self.inner.creating.lock();
        self.require(id)?;
        self.inner.cache.lock().remove(id);
        let mut batch = Batch::new();
        batch.delete(keys::snapshot_key(id));
        self.inner.sync.lock().retain(|(d, _), _| d != id);
        for prefix in [
            keys::log_prefix(id),
            keys::queue_prefix(id),
            keys::sync_prefix(id),
        ] {
            for (k, _) in self.inner.backend.scan_prefix(&prefix)? {
                batch.delete(k);
            }
        }
        batch.delete(keys::doc_key(id));
        self.inner.stamps.forget(id, &mut batch);
        let mut pending = None;
        self.persist(batch, &mut pending)?.wait()
    }

    /// Whether the store has document `id`.
    pub fn contains_doc(&self, id: &DocId) -> Result<bool, StoreError> {
        Ok(self.inner.backend.get(&keys::doc_key(id))?.is_some())
    }

    pub(crate) fn require(&self, id: &DocId) -> Result<(), StoreError> {
        match self.inner.backend.get(&keys::doc_key(id))? {
            Some(_) => Ok(()),
            None => Err(StoreError::NoSuchDoc(*id)),
        }
    }

    /// Puts a document in the cache, then evicts cold ones past the limit
    /// (none whose changes still wait for the log writer).
    pub(crate) fn cache_insert(&self, cache: &mut Cache, id: DocId, slot: Slot) {
        cache.insert(id, slot);
        let writer = &self.inner.writer;
        cache.evict(|t| writer.is_durable_through(t));
    }

    /// The whole loaded document, loading it on first use.
    pub(crate) fn loaded(&self, id: &DocId) -> Result<Arc<RwLock<Loaded>>, StoreError> {
        if let Some(Slot::Full(doc)) = self.inner.cache.lock().get(id, true) {
            return Ok(doc);
        }
        let loaded = Arc::new(RwLock::new(self.load(id)?));
        let mut cache = self.inner.cache.lock();
        // Another thread may have loaded it meanwhile: keep one copy.
        if let Some(doc) = cache.peek_full(id) {
            return Ok(doc);
        }
        self.cache_insert(&mut cache, *id, Slot::Full(Arc::clone(&loaded)));
        Ok(loaded)
    }

    /// A handle for reading a document. A compacted document whose log and
    /// queue are empty opens from its snapshot's state section alone, without
    /// decoding its history; any other loads whole (SPEC.md §5.5).
    pub fn doc(&self, id: &DocId) -> Result<DocHandle, StoreError> {
        let cached = self.inner.cache.lock().get(id, false);
        let slot = match cached {
            Some(slot) => slot,
            None => match self.state_only(id)? {
                Some(view) => {
                    let mut cache = self.inner.cache.lock();
                    match cache.peek_full(id) {
                        Some(full) => Slot::Full(full),
                        None => {
                            let slot = Slot::State(Arc::new(CachedState {
                                view,
                                stale: false.into(),
                            }));
                            self.cache_insert(&mut cache, *id, slot.clone());
                            slot
                        }
                    }
                }
                None => Slot::Full(self.loaded(id)?),
            },
        };
        Ok(DocHandle::new(self.clone(), *id, slot))
    }

    /// A document's changes that are not in the history of `heads`.
    pub fn changes_since(
        &self,
        id: &DocId,
        heads: &[ChangeHash],
    ) -> Result<Vec<Change>, StoreError> {
        reentry::check(id)?;
        Ok(self.loaded(id)?.read().doc.changes_since(heads)?)
    }

    /// Waits until every commit made before it is durable.
    pub fn flush(&self) -> Result<(), StoreError> {
        if let Some(why) = self.inner.writer.poisoned() {
            return Err(StoreError::Poisoned(why));
        }
        self.inner.writer.last_ticket().wait()
    }

    /// Cache and commit counters.
    pub fn stats(&self) -> Stats {
        let count = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            cache: self.inner.cache.lock().stats,
            group_fsyncs: self.inner.writer.fsyncs(),
            state_loads: count(&self.inner.state_loads),
            history_loads: count(&self.inner.history_loads),
            compactions: count(&self.inner.compactions),
        }
    }
}

//! `Db`: the store that apps embed, with its compaction worker.

use mergedb_compaction::{Config, Worker, WorkerStats};
use mergedb_engine::store::{Store, StoreError, StoreOptions};
use std::ops::Deref;
use std::path::Path;

/// How a [`Db`] is opened.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The store's options: durability, cache, actor, recovery.
    pub store: StoreOptions,
    /// Background compaction; `None` leaves compaction to `compact()` calls.
    pub compaction: Option<Config>,
}

impl Options {
    /// The store's defaults, with background compaction on its defaults.
    pub fn with_compaction() -> Self {
        Options {
            store: StoreOptions::default(),
            compaction: Some(Config::default()),
        }
    }
}

/// A mergedb database: a [`Store`] (every method of which it derefs to) and,
/// if asked for, a background worker that compacts documents as the policy
/// in `mergedb-compaction` chooses. Dropping it stops the worker.
#[derive(Debug)]
pub struct Db {
    store: Store,
    worker: Option<Worker>,
}

impl Db {
    /// Opens (or creates) the database in directory `path`, on redb, with
    /// background compaction.
    pub fn open(path: &Path) -> Result<Db, StoreError> {
        Self::open_with(path, Options::with_compaction())
    }

    /// Opens (or creates) the database in directory `path` with options.
    pub fn open_with(path: &Path, options: Options) -> Result<Db, StoreError> {
        let store = Store::open_with(path, options.store)?;
        let worker = options
            .compaction
            .map(|config| Worker::start(store.clone(), config));
        Ok(Db { store, worker })
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// What the compaction worker has done; `None` without one.
    pub fn compaction_stats(&self) -> Option<WorkerStats> {
        self.worker.as_ref().map(Worker::stats)
    }
}

impl Deref for Db {
    type Target = Store;

    fn deref(&self) -> &Store {
        &self.store
    }
}

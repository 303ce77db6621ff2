//! The default durable backend: redb, with byte keys and values in one main
//! table and each document's log in a table of its own (`redb_tables`).
//!
//! A batch is one redb write transaction. With `sync` it commits with
//! `Durability::Immediate` (fsync before returning); without, it commits with
//! `Durability::None`, and a later `sync()` (an empty Immediate commit) makes
//! it durable: redb persists non-durable commits with the next durable one.
//! That is what group commit builds on.

use super::redb_tables::{self, MAIN};
use super::HeaderShield;
use super::{Backend, Batch, Entries, StoreError};
use redb::backends::FileBackend;
use redb::{
    Builder, Database, Durability, ReadableDatabase, StorageBackend, TableDefinition, TableError,
};
use std::fs::{File, OpenOptions};
use std::path::Path;

const NAME: &str = "redb";

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError::backend(NAME, e)
}

fn err_text(e: String) -> StoreError {
    StoreError::backend(NAME, e)
}

/// A redb database file.
#[derive(Debug)]
pub struct RedbBackend {
    db: Database,
}

impl RedbBackend {
    /// Opens the database at `path`, creating it if it does not exist.
    ///
    /// A new file is built under a temporary name and renamed into place once
    /// its first commit is durable, so a crash during creation never leaves a
    /// half-made store behind.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if !path.exists() {
            create_atomically(path)?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(err)?;
        Self::from_storage(FileBackend::new(file).map_err(err)?)
    }

    /// Opens redb over any storage (the fault-injection tests pass their own),
    /// behind the [`HeaderShield`] that the store's files always have.
    pub fn from_storage(storage: impl StorageBackend) -> Result<Self, StoreError> {
        let shield = HeaderShield::open(storage).map_err(err)?;
        let db = Builder::new().create_with_backend(shield).map_err(err)?;
        Self::from_database(db)
    }

    /// Wraps an open database, as it is: without the header shield.
    pub fn from_database(db: Database) -> Result<Self, StoreError> {
        // Create the table so that reads of an empty store find it; an open
        // of an existing store only reads, with no write transaction (and no
        // fsync), which is most of what opening costs.
        let read = db.begin_read().map_err(err)?;
        let exists = match read.open_table(MAIN) {
            Ok(main) => {
                redb_tables::check_layout(&main).map_err(err)?;
                true
            }
            Err(_) => false,
        };
        drop(read);
        if !exists {
            let txn = db.begin_write().map_err(err)?;
            txn.open_table(MAIN).map_err(err)?;
            txn.commit().map_err(err)?;
        }
        Ok(RedbBackend { db })
    }

    fn commit(&self, batch: &Batch, durability: Durability) -> Result<(), StoreError> {
        let mut txn = self.db.begin_write().map_err(err)?;
        txn.set_durability(durability).map_err(err)?;
        redb_tables::apply(&txn, batch.entries(), err_text)?;
        txn.commit().map_err(err)
    }
}

impl Backend for RedbBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(err)?;
        let name = redb_tables::log_table(key);
        let def = match &name {
            Some(n) => TableDefinition::<&[u8], &[u8]>::new(n),
            None => MAIN,
        };
        let table = match txn.open_table(def) {
            Ok(table) => table,
            Err(TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(err(e)),
        };
        Ok(table.get(key).map_err(err)?.map(|v| v.value().to_vec()))
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Entries, StoreError> {
        let txn = self.db.begin_read().map_err(err)?;
        redb_tables::scan(&txn, prefix, None, err_text)
    }

    fn any_with_prefix(&self, prefix: &[u8]) -> Result<bool, StoreError> {
        let txn = self.db.begin_read().map_err(err)?;
        Ok(!redb_tables::scan(&txn, prefix, Some(1), err_text)?.is_empty())
    }

    fn write(&self, batch: &Batch, durable: bool) -> Result<(), StoreError> {
        let durability = if durable {
            Durability::Immediate
        } else {
            Durability::None
        };
        self.commit(batch, durability)
    }

    fn fsync(&self) -> Result<(), StoreError> {
        self.commit(&Batch::new(), Durability::Immediate)
    }
}

/// Creates the store file at `path` through a temporary file and a rename.
fn create_atomically(path: &Path) -> Result<(), StoreError> {
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".creating");
    let tmp = Path::new(&tmp_name);
    // A leftover from a crash during an earlier creation holds nothing acknowledged.
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp)
        .map_err(err)?;
    drop(RedbBackend::from_storage(
        FileBackend::new(file).map_err(err)?,
    )?);
    std::fs::rename(tmp, path).map_err(err)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir).and_then(|d| d.sync_all()).map_err(err)?;
    }
    Ok(())
}

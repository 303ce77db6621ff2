//! The default durable backend: redb, with byte keys and values in one
//! table (`redb_tables`).
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
    Builder, Database, DatabaseError, Durability, ReadOnlyDatabase, ReadTransaction,
    ReadableDatabase, StorageBackend, TableError,
};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const NAME: &str = "redb";

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError::backend(NAME, e)
}

fn err_text(e: String) -> StoreError {
    StoreError::backend(NAME, e)
}

/// How long an open waits for another process to let go of the file.
const LOCK_WAIT: Duration = Duration::from_secs(3);

/// A redb database file, open for writing or, when the file or its
/// directory is not writable, for reading only.
#[derive(Debug)]
pub struct RedbBackend {
    db: Db,
    /// The file, for messages.
    path: Option<PathBuf>,
}

enum Db {
    Writable(Database),
    ReadOnly(ReadOnlyDatabase, String),
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Db::Writable(_) => f.write_str("Writable"),
            Db::ReadOnly(_, why) => write!(f, "ReadOnly({why})"),
        }
    }
}

/// Why an open attempt failed: another process holds the file, or else.
enum OpenError {
    Locked,
    Other(StoreError),
}

impl<E: std::fmt::Display> From<E> for OpenError {
    fn from(e: E) -> Self {
        OpenError::Other(err(e))
    }
}

impl RedbBackend {
    /// Opens the database at `path`, creating it if it does not exist.
    ///
    /// A new file is built under a temporary name and renamed into place once
    /// its first commit is durable, so a crash during creation never leaves a
    /// half-made store behind.
    ///
    /// A file this process may not write is opened read-only: reads work,
    /// and every write fails with `ReadOnly`. A file another process holds
    /// is waited for a few seconds, then refused with `Locked`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if !path.exists() {
            create_atomically(path)?;
        }
        let io = |source| StoreError::Io {
            path: path.to_owned(),
            source,
        };
        let writable = match OpenOptions::new().read(true).write(true).open(path) {
            Ok(_) => true,
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => false,
            Err(e) if e.kind() == std::io::ErrorKind::ReadOnlyFilesystem => false,
            Err(e) => return Err(io(e)),
        };
        let deadline = Instant::now() + LOCK_WAIT;
        loop {
            let file = OpenOptions::new()
                .read(true)
                .write(writable)
                .open(path)
                .map_err(io)?;
            let storage = FileBackend::new(file).map_err(err)?;
            let opened = match writable {
                true => Self::build(storage),
                false => Self::build_read_only(storage, "no permission to write it"),
            };
            match opened {
                Ok(mut backend) => {
                    backend.path = Some(path.to_owned());
                    return Ok(backend);
                }
                Err(OpenError::Locked) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(OpenError::Locked) => {
                    return Err(StoreError::Locked {
                        path: path.to_owned(),
                        waited_ms: LOCK_WAIT.as_millis() as u64,
                    })
                }
                Err(OpenError::Other(e)) => return Err(e),
            }
        }
    }

    /// Opens redb over any storage (the fault-injection tests pass their own),
    /// behind the [`HeaderShield`] that the store's files always have.
    pub fn from_storage(storage: impl StorageBackend) -> Result<Self, StoreError> {
        match Self::build(storage) {
            Ok(backend) => Ok(backend),
            Err(OpenError::Locked) => Err(err("the database is open elsewhere")),
            Err(OpenError::Other(e)) => Err(e),
        }
    }

    fn build(storage: impl StorageBackend) -> Result<Self, OpenError> {
        let shield = HeaderShield::open(storage)?;
        match Builder::new().create_with_backend(shield) {
            Ok(db) => Ok(Self::from_database(db)?),
            Err(DatabaseError::DatabaseAlreadyOpen) => Err(OpenError::Locked),
            Err(e) => Err(e.into()),
        }
    }

    fn build_read_only(storage: impl StorageBackend, why: &str) -> Result<Self, OpenError> {
        let shield = HeaderShield::open(storage)?;
        let db = match Builder::new().open_read_only_with_backend(shield) {
            Ok(db) => db,
            Err(DatabaseError::DatabaseAlreadyOpen) => return Err(OpenError::Locked),
            Err(e) => return Err(e.into()),
        };
        Ok(RedbBackend {
            db: Db::ReadOnly(db, why.to_string()),
            path: None,
        })
    }

    fn begin_read(&self) -> Result<ReadTransaction, StoreError> {
        match &self.db {
            Db::Writable(db) => db.begin_read().map_err(err),
            Db::ReadOnly(db, _) => db.begin_read().map_err(err),
        }
    }

    /// Wraps an open database, as it is: without the header shield.
    pub fn from_database(db: Database) -> Result<Self, StoreError> {
        // Create the table so that reads of an empty store find it; an open
        // of an existing store only reads, with no write transaction (and no
        // fsync), which is most of what opening costs.
        let read = db.begin_read().map_err(err)?;
        let exists = read.open_table(MAIN).is_ok();
        drop(read);
        if !exists {
            let txn = db.begin_write().map_err(err)?;
            txn.open_table(MAIN).map_err(err)?;
            txn.commit().map_err(err)?;
        }
        Ok(RedbBackend {
            db: Db::Writable(db),
            path: None,
        })
    }

    fn commit(&self, batch: &Batch, durability: Durability) -> Result<(), StoreError> {
        let db = match &self.db {
            Db::Writable(db) => db,
            Db::ReadOnly(_, why) => {
                return Err(StoreError::ReadOnly {
                    path: self.path.clone().unwrap_or_default(),
                    why: why.clone(),
                })
            }
        };
        let mut txn = db.begin_write().map_err(err)?;
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
        let txn = self.begin_read()?;
        let table = match txn.open_table(MAIN) {
            Ok(table) => table,
            Err(TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(err(e)),
        };
        Ok(table.get(key).map_err(err)?.map(|v| v.value().to_vec()))
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Entries, StoreError> {
        let txn = self.begin_read()?;
        redb_tables::scan(&txn, prefix, None, err_text)
    }

    fn any_with_prefix(&self, prefix: &[u8]) -> Result<bool, StoreError> {
        let txn = self.begin_read()?;
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

    fn read_only(&self) -> Option<String> {
        match &self.db {
            Db::Writable(_) => None,
            Db::ReadOnly(_, why) => Some(why.clone()),
        }
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

//! The optional sled 0.34 backend (feature `sled`). A batch is one atomic
//! `apply_batch`; durability is `flush`. sled has no range delete, so a
//! prefix deletion names its keys when the batch is built; writes through this
//! backend are serialized so that no other write can add a key in between.

use super::{Backend, Batch, Entries, StoreError, Write};
use std::path::Path;

const NAME: &str = "sled";

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError::backend(NAME, e)
}

/// A sled database directory.
#[derive(Debug)]
pub struct SledBackend {
    db: sled::Db,
    writing: parking_lot::Mutex<()>,
}

impl SledBackend {
    /// Opens the database at `path`, creating it if it does not exist.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        remove_unfinished_snapshots(path)?;
        Ok(SledBackend {
            db: sled::open(path).map_err(err)?,
            writing: parking_lot::Mutex::new(()),
        })
    }
}

/// Removes the `snap.*.generating` files that a killed sled left (see the
/// module's comment). A missing directory is a new store.
fn remove_unfinished_snapshots(path: &Path) -> Result<(), StoreError> {
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(err(e)),
    };
    for entry in entries {
        let entry = entry.map_err(err)?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            std::fs::remove_file(entry.path()).map_err(err)?;
        }
    }
    Ok(())
}

impl Backend for SledBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db.get(key).map_err(err)?.map(|v| v.to_vec()))
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Entries, StoreError> {
        self.db
            .scan_prefix(prefix)
            .map(|entry| entry.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(err))
            .collect()
    }

    fn write(&self, batch: &Batch, durable: bool) -> Result<(), StoreError> {
        let mut b = sled::Batch::default();
        let _serial = self.writing.lock();
        let mut put: Vec<&[u8]> = Vec::new();
        for w in batch.entries() {
            match w {
                Write::Put(k, v) => {
                    put.push(k);
                    b.insert(k.as_slice(), v.as_slice());
                }
                Write::Delete(k) => b.remove(k.as_slice()),
                Write::DeletePrefix(p) => {
                    for entry in self.db.scan_prefix(p).keys() {
                        b.remove(entry.map_err(err)?);
                    }
                    put.iter()
                        .filter(|k| k.starts_with(p))
                        .for_each(|k| b.remove(*k));
                }
            }
        }
        self.db.apply_batch(b).map_err(err)?;
        if durable {
            self.fsync()?;
        }
        Ok(())
    }

    fn fsync(&self) -> Result<(), StoreError> {
        self.db.flush().map(drop).map_err(err)
    }
}

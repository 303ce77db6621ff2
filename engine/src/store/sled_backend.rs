//! The optional sled 0.34 backend (feature `sled`). A batch is one atomic
//! `apply_batch`; durability is `flush`.

use super::{Backend, Batch, Entries, StoreError};
use std::path::Path;

const NAME: &str = "sled";

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError::backend(NAME, e)
}

/// A sled database directory.
#[derive(Debug)]
pub struct SledBackend {
    db: sled::Db,
}

impl SledBackend {
    /// Opens the database at `path`, creating it if it does not exist.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(SledBackend {
            db: sled::open(path).map_err(err)?,
        })
    }
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

    fn write(&self, batch: &Batch, sync: bool) -> Result<(), StoreError> {
        let mut b = sled::Batch::default();
        for (k, v) in batch.entries() {
            match v {
                Some(v) => b.insert(k.as_slice(), v.as_slice()),
                None => b.remove(k.as_slice()),
            }
        }
        self.db.apply_batch(b).map_err(err)?;
        if sync {
            self.sync()?;
        }
        Ok(())
    }

    fn sync(&self) -> Result<(), StoreError> {
        self.db.flush().map(drop).map_err(err)
    }
}

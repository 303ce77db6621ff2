//! An in-memory backend, for tests and as the model the others are checked against.

use super::{Backend, Batch, Entries, StoreError, Write};
use parking_lot::RwLock;
use std::collections::BTreeMap;

/// Keys and values in a `BTreeMap`; nothing survives the process.
#[derive(Debug, Default)]
pub struct MemoryBackend {
    map: RwLock<BTreeMap<Vec<u8>, Vec<u8>>>,
}

impl MemoryBackend {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Backend for MemoryBackend {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.map.read().get(key).cloned())
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Entries, StoreError> {
        let map = self.map.read();
        Ok(map
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn write(&self, batch: &Batch, _durable: bool) -> Result<(), StoreError> {
        let mut map = self.map.write();
        for w in batch.entries() {
            match w {
                Write::Put(k, v) => {
                    map.insert(k.clone(), v.clone());
                }
                Write::Delete(k) => {
                    map.remove(k);
                }
                Write::DeletePrefix(p) => map.retain(|k, _| !k.starts_with(p)),
            }
        }
        Ok(())
    }

    fn fsync(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

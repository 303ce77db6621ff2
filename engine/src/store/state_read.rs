//! Opening a compacted document from its snapshot's state section alone
//! (SPEC.md §5.5): the reads of a `DocHandle` that need no history.

use super::keys::{self, DocId};
use super::store::corrupt;
use super::{Store, StoreError};
use crate::StateView;
use mergedb_format::snapshot::parse_snapshot;
use std::sync::atomic::Ordering;

impl Store {
    /// The state section of a compacted document whose log and queue are
    /// empty; `None` for any other document.
    pub(crate) fn state_only(&self, id: &DocId) -> Result<Option<StateView>, StoreError> {
        self.require(id)?;
        let backend = &self.inner.backend;
        let key = keys::snapshot_key(id);
        let Some(bytes) = backend.get(&key)? else {
            return Ok(None);
        };
        if backend.any_with_prefix(&keys::log_prefix(id))?
            || backend.any_with_prefix(&keys::queue_prefix(id))?
        {
            return Ok(None);
        }
        let state = parse_snapshot(&bytes)
            .and_then(|s| s.state())
            .map_err(|e| corrupt(id, &key, e))?;
        self.inner.state_loads.fetch_add(1, Ordering::Relaxed);
        Ok(Some(StateView::new(state)))
    }

    /// A document's stored snapshot, as it is on disk.
    pub fn snapshot_bytes(&self, id: &DocId) -> Result<Option<Vec<u8>>, StoreError> {
        self.require(id)?;
        self.inner.backend.get(&keys::snapshot_key(id))
    }
}

//! Which documents this thread is inside a transaction on.
//!
//! A transaction holds its document's write lock while the app's closure
//! runs. A call from inside that closure that needs the same document's lock
//! (another transaction, a whole-document read, a compaction, a delete) would
//! wait for itself forever. Each such call asks here first and gets
//! `StoreError::InTransaction` instead: no sequence of calls on one thread
//! can deadlock on a document lock (SPEC.md §5.8).

use super::{DocId, StoreError};
use std::cell::RefCell;

thread_local! {
    static INSIDE: RefCell<Vec<DocId>> = const { RefCell::new(Vec::new()) };
}

/// Marks this thread as inside a transaction on one document until dropped.
#[derive(Debug)]
pub(crate) struct Inside(DocId);

impl Drop for Inside {
    fn drop(&mut self) {
        INSIDE.with(|v| {
            let mut v = v.borrow_mut();
            if let Some(at) = v.iter().rposition(|d| *d == self.0) {
                v.remove(at);
            }
        });
    }
}

/// Refuses if this thread is inside a transaction on `id`.
pub(crate) fn check(id: &DocId) -> Result<(), StoreError> {
    match INSIDE.with(|v| v.borrow().contains(id)) {
        true => Err(StoreError::InTransaction(*id)),
        false => Ok(()),
    }
}

/// Refuses if this thread is inside a transaction on any document. Compaction
/// asks this: it takes the store's compaction lock before a document's, and
/// the background worker may hold the first while it waits for the document
/// this thread's transaction has locked.
pub(crate) fn check_none() -> Result<(), StoreError> {
    match INSIDE.with(|v| v.borrow().first().copied()) {
        Some(id) => Err(StoreError::InTransaction(id)),
        None => Ok(()),
    }
}

/// Enters a transaction on `id`, or refuses if this thread is already in one.
pub(crate) fn enter(id: &DocId) -> Result<Inside, StoreError> {
    check(id)?;
    INSIDE.with(|v| v.borrow_mut().push(*id));
    Ok(Inside(*id))
}

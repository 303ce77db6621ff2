//! Watchers: code that hears of every document that changed, so that a
//! network layer can tell its peers without polling. A watcher hears of a
//! change once the store has accepted it; whoever sends it on to a peer
//! goes through `generate_sync_message`, which makes it durable first.

use super::keys::DocId;
use super::Store;

/// A watcher: called with the id of each document that changed; it stays
/// while it returns `true`.
type Watcher = Box<dyn Fn(&DocId) -> bool + Send + Sync>;

/// The store's watchers.
#[derive(Default)]
pub(crate) struct Watchers(Vec<Watcher>);

impl std::fmt::Debug for Watchers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} watchers", self.0.len())
    }
}

impl Store {
    /// Calls `f` with the id of every document that changes from now on:
    /// by a local commit, by changes or files applied, by a sync message, or
    /// by its creation. `f` is dropped once it returns `false`.
    ///
    /// `f` runs on the thread that made the change, while the store's list
    /// of watchers is locked: it must be quick and must not call the store
    /// (sending the id into a channel is what it is for).
    pub fn watch(&self, f: impl Fn(&DocId) -> bool + Send + Sync + 'static) {
        self.inner.watchers.lock().0.push(Box::new(f));
    }

    /// Tells every watcher that `id` changed.
    pub(crate) fn changed(&self, id: &DocId) {
        self.inner.watchers.lock().0.retain(|w| w(id));
    }
}

//! What the store needs of a storage engine: ordered keys, atomic batches, and
//! durable commit. One conformance suite (engine/tests/backend_conformance.rs)
//! runs against every implementation.

/// Why a backend operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The storage engine reported an error.
    #[error("{backend} backend: {message}")]
    Backend {
        /// Which backend.
        backend: &'static str,
        /// What it said.
        message: String,
    },
    /// A durable write failed earlier; the store takes no more writes.
    #[error("the store is poisoned: {0}")]
    Poisoned(String),
    /// A call, made from inside a transaction on a document, that needs that
    /// same document's lock: it would wait for itself forever.
    #[error("document {0} is in a transaction on this thread: read and write it through the transaction")]
    InTransaction(crate::store::DocId),
    /// A document with this id exists already.
    #[error("document {0} exists already in this store")]
    DocExists(crate::store::DocId),
    /// No document with this id.
    #[error("no document {0} in this store")]
    NoSuchDoc(crate::store::DocId),
    /// A stored record failed its checks.
    #[error("document {doc}: corrupt record {key}: {detail}")]
    Corrupt {
        /// The document whose record it is.
        doc: crate::store::DocId,
        /// The record's key, in hex.
        key: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The directory holds something other than a mergedb store of this version.
    #[error("{path} is not a mergedb store this version can open (found {found:?})")]
    NotAStore {
        /// Where.
        path: std::path::PathBuf,
        /// What its store marker says.
        found: String,
    },
    /// The store is open for reading only.
    #[error("{path} is open read-only ({why}): writes are refused")]
    ReadOnly {
        /// The store's file.
        path: std::path::PathBuf,
        /// Why it could not be opened for writing.
        why: String,
    },
    /// Another process holds the store.
    #[error("another process holds the store at {path} (waited {waited_ms} ms for it)")]
    Locked {
        /// The store's file.
        path: std::path::PathBuf,
        /// How long the open waited.
        waited_ms: u64,
    },
    /// The store's path names something that is not a directory.
    #[error("{0} is not a directory: a store is a directory")]
    NotADirectory(std::path::PathBuf),
    /// No store at this path, where the caller asked not to create one.
    #[error("no store at {0}")]
    NoStore(std::path::PathBuf),
    /// A sync message larger than the store takes.
    #[error("a sync message of {len} bytes is larger than the limit of {limit}")]
    MessageTooLarge {
        /// Its size.
        len: usize,
        /// `StoreOptions::max_message_bytes`.
        limit: usize,
    },
    /// A sync message that does not decode.
    #[error("bad sync message: {0}")]
    BadMessage(mergedb_format::DecodeError),
    /// A store-wide record (not a document's) failed its checks.
    #[error("corrupt store record {key:?}: {detail}")]
    BadStoreRecord {
        /// The record's key.
        key: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// A setting's name that is empty or longer than 255 bytes.
    #[error("a setting's name must be 1 to 255 bytes, not {0}")]
    BadSettingName(usize),
    /// The document refused an edit or a change.
    #[error(transparent)]
    Engine(#[from] crate::EngineError),
    /// A file system error opening the store.
    #[error("{path}: {source}")]
    Io {
        /// Where.
        path: std::path::PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

impl StoreError {
    pub(crate) fn backend(backend: &'static str, err: impl std::fmt::Display) -> Self {
        StoreError::Backend {
            backend,
            message: err.to_string(),
        }
    }
}

/// Key-value pairs, as a scan returns them.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// One write of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Write {
    /// Set the key to the value.
    Put(Vec<u8>, Vec<u8>),
    /// Remove the key.
    Delete(Vec<u8>),
    /// Remove every key that starts with these bytes.
    DeletePrefix(Vec<u8>),
}

/// Puts and deletes to apply together, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    entries: Vec<Write>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`.
    pub fn put(&mut self, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.entries.push(Write::Put(key.into(), value.into()));
    }

    /// Removes `key`.
    pub fn delete(&mut self, key: impl Into<Vec<u8>>) {
        self.entries.push(Write::Delete(key.into()));
    }

    /// Removes every key that starts with `prefix` (and that an earlier write
    /// of this batch put); a later write may put such a key again.
    pub fn delete_prefix(&mut self, prefix: impl Into<Vec<u8>>) {
        self.entries.push(Write::DeletePrefix(prefix.into()));
    }

    /// The writes in the order they were added, which is the order they apply in.
    pub fn entries(&self) -> &[Write] {
        &self.entries
    }

    /// Moves every entry of `other` to the end of this batch.
    pub fn append(&mut self, other: Batch) {
        if self.entries.is_empty() {
            self.entries = other.entries;
        } else {
            self.entries.extend(other.entries);
        }
    }

    /// Whether the batch holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn into_entries(self) -> Vec<Write> {
        self.entries
    }

    pub(crate) fn from_entries(entries: Vec<Write>) -> Self {
        Batch { entries }
    }
}

/// An ordered key-value store with atomic batches and durable commit.
///
/// Contract, which the conformance suite checks for every implementation:
/// - `write` applies a whole batch or, on error or crash, none of it;
/// - a batch written `durable` is on disk when `write` returns, and
///   `fsync()` makes every earlier write durable;
/// - `write` applies a batch's writes in order;
/// - `scan_prefix` returns keys in byte order;
/// - it is `Send + Sync`, and concurrent calls are safe.
pub trait Backend: Send + Sync + std::fmt::Debug + 'static {
    /// A short name for messages: "memory", "redb", "sled".
    fn name(&self) -> &'static str;

    /// The value at `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Every entry whose key starts with `prefix`, in key order.
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Entries, StoreError>;

    /// Whether any key starts with `prefix`.
    fn any_with_prefix(&self, prefix: &[u8]) -> Result<bool, StoreError> {
        Ok(!self.scan_prefix(prefix)?.is_empty())
    }

    /// Applies `batch` atomically; if `durable`, on disk before returning.
    fn write(&self, batch: &Batch, durable: bool) -> Result<(), StoreError>;

    /// Makes every write made before it durable.
    fn fsync(&self) -> Result<(), StoreError>;

    /// Why the backend takes no writes, if it is open for reading only.
    fn read_only(&self) -> Option<String> {
        None
    }
}

/// The first key past every key that starts with `prefix`; `None` when there
/// is none (the prefix is all 0xff bytes, or empty).
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

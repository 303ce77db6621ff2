//! The store: many documents in one backend, each a log of changes keyed by
//! (document, actor, seq) and, once compacted, a snapshot; documents load
//! lazily into a cache, commits are durable as the store's durability says,
//! and a load recovers from torn writes. SPEC.md §5 gives its layout and
//! protocols.

mod actor_record;
mod automerge_files;
mod backend;
mod cache;
mod compact;
mod create;
mod handle;
mod header_shield;
mod keys;
mod load;
mod log_group;
mod memory;
mod options;
mod redb_backend;
mod redb_tables;
mod reentry;
mod settings;
#[cfg(feature = "sled")]
mod sled_backend;
mod stamps;
mod state_read;
mod store;
mod sync;
mod verify;
mod watch;
mod write;
mod writer;

pub use backend::{Backend, Batch, Entries, StoreError, Write};
pub use cache::CacheStats;
pub use compact::{Compaction, LogStats};
pub use handle::DocHandle;
pub use header_shield::HeaderShield;
pub use keys::{DocId, SESSION_MARK};
pub use memory::MemoryBackend;
pub use options::{Commit, Durability, RecoveryMode, Stats, StoreOptions, VerifyReport};
pub use redb_backend::RedbBackend;
#[cfg(feature = "sled")]
pub use sled_backend::SledBackend;
pub use stamps::Stamp;
pub use store::Store;
pub use writer::Ticket;

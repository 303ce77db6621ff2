//! The store: backends, and (to come) the change log keyed by (document,
//! actor, seq), lazy documents and recovery. SPEC.md §5 will describe its
//! layout and protocols.

mod backend;
mod cache;
mod compact;
mod db;
mod handle;
mod header_shield;
mod keys;
mod load;
mod memory;
mod redb_backend;
mod redb_tables;
#[cfg(feature = "sled")]
mod sled_backend;
mod writer;

pub use backend::{Backend, Batch, Entries, StoreError, Write};
pub use cache::CacheStats;
pub use compact::{Compaction, LogStats};
pub use db::{Commit, Durability, RecoveryMode, Stats, Store, StoreOptions, VerifyReport};
pub use handle::DocHandle;
pub use header_shield::HeaderShield;
pub use keys::DocId;
pub use memory::MemoryBackend;
pub use redb_backend::RedbBackend;
#[cfg(feature = "sled")]
pub use sled_backend::SledBackend;
pub use writer::Ticket;

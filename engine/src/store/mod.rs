//! The store: backends, and (to come) the change log keyed by (document,
//! actor, seq), lazy documents and recovery. SPEC.md §5 will describe its
//! layout and protocols.

mod backend;
mod cache;
mod db;
mod header_shield;
mod keys;
mod memory;
mod redb_backend;
#[cfg(feature = "sled")]
mod sled_backend;
mod writer;

pub use backend::{Backend, Batch, Entries, StoreError};
pub use cache::CacheStats;
pub use db::{
    Commit, DocHandle, Durability, RecoveryMode, Stats, Store, StoreOptions, VerifyReport,
};
pub use header_shield::HeaderShield;
pub use keys::DocId;
pub use memory::MemoryBackend;
pub use redb_backend::RedbBackend;
#[cfg(feature = "sled")]
pub use sled_backend::SledBackend;
pub use writer::Ticket;

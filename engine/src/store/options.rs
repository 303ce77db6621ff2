//! How a store is opened, and what its calls report.

use super::{CacheStats, Ticket};
use mergedb_format::{ActorId, ChangeHash};

/// When a commit counts as acknowledged (SPEC.md §5.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// The commit returns after its change is fsynced.
    Immediate,
    /// The commit returns once its change is queued for the log writer, with a
    /// ticket that can be waited on; one fsync makes a whole group durable.
    Grouped,
}

/// What a load does with a log record that fails its checks (SPEC.md §5.5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RecoveryMode {
    /// Refuse: the load fails with `Corrupt`, naming the document and key.
    #[default]
    Strict,
    /// Drop a corrupt record that is the last of its actor (a torn tail),
    /// deleting it durably, and refuse any other.
    TruncateTornTail,
}

/// How a store is opened.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// When commits are durable.
    pub durability: Durability,
    /// The estimated heap the cache of loaded documents may hold.
    pub cache_bytes: usize,
    /// The actor this store writes as; a random one if none.
    pub actor: Option<ActorId>,
    /// What a load does with a corrupt log record.
    pub recovery: RecoveryMode,
    /// The largest sync message `receive_sync_bytes` decodes; a larger one
    /// is refused with `MessageTooLarge` before any of it is read.
    pub max_message_bytes: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            durability: Durability::Immediate,
            cache_bytes: 256 << 20,
            actor: None,
            recovery: RecoveryMode::Strict,
            max_message_bytes: 64 << 20,
        }
    }
}

/// What a commit made, and what the transaction returned.
#[derive(Clone, Debug)]
pub struct Commit<T = ()> {
    /// The change's hash; `None` if the transaction made no op.
    pub hash: Option<ChangeHash>,
    /// When the change is durable.
    pub ticket: Ticket,
    /// What the transaction's closure returned.
    pub value: T,
}

/// What `Store::verify` checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Documents.
    pub docs: u64,
    /// Log records (changes).
    pub changes: u64,
    /// Changes waiting for deps.
    pub queued: u64,
    /// Bytes of log records.
    pub bytes: u64,
    /// Documents with a snapshot.
    pub snapshots: u64,
    /// Bytes of snapshots.
    pub snapshot_bytes: u64,
}

/// Store-wide counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// The cache of loaded documents.
    pub cache: CacheStats,
    /// Group commits made durable, one fsync each.
    pub group_fsyncs: u64,
    /// Documents opened from their snapshot's state section alone.
    pub state_loads: u64,
    /// Snapshot history sections decoded (whole loads of compacted documents).
    pub history_loads: u64,
    /// Snapshots written by compaction.
    pub compactions: u64,
}

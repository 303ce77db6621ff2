//! The engine's errors.

use mergedb_format::{ActorId, ChangeHash, InvalidChange, ObjId, ObjType, OpId};

/// Why a read, a local edit or a remote change was refused. When an edit or a
/// change is refused, the document is left exactly as it was.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The object does not exist in the document (at the heads read).
    #[error("no object {0:?} in this document")]
    NoSuchObject(ObjId),
    /// The operation does not apply to an object of this type.
    #[error("{op} is not valid on a {found:?} object")]
    WrongObjectType {
        /// The operation attempted.
        op: &'static str,
        /// The object's type.
        found: ObjType,
    },
    /// A map key where a list index is needed, or the other way round.
    #[error("a {found:?} object takes a {expected}")]
    WrongKeyKind {
        /// What the object takes: "map key" or "list index".
        expected: &'static str,
        /// The object's type.
        found: ObjType,
    },
    /// An index past the end of a list or text.
    #[error("index {index} is past the end of a sequence of length {len}")]
    IndexOutOfBounds {
        /// The index given.
        index: usize,
        /// The length of the list or text.
        len: usize,
    },
    /// The empty string as a map key in a local edit (Automerge refuses it too).
    #[error("a map key must not be empty")]
    EmptyKey,
    /// An increment where no visible value is a counter.
    #[error("there is no counter to increment at this key")]
    NotACounter,
    /// A remote change that names an object the document does not have.
    #[error("change {actor} seq {seq} names unknown object {obj:?}")]
    UnknownObject {
        /// The change's actor.
        actor: ActorId,
        /// The change's seq.
        seq: u64,
        /// The object named.
        obj: OpId,
    },
    /// A remote change whose op names a pred, element or object the document
    /// does not have, or one that is of the wrong kind.
    #[error("change {actor} seq {seq}: op {index} {reason}")]
    BadReference {
        /// The change's actor.
        actor: ActorId,
        /// The change's seq.
        seq: u64,
        /// The op's index in the change.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A change with the (actor, seq) of a change already applied, but other content.
    #[error("change {actor} seq {seq} conflicts with the change already applied with that seq ({existing})")]
    DuplicateSeq {
        /// The change's actor.
        actor: ActorId,
        /// The seq both changes claim.
        seq: u64,
        /// The hash of the change already applied.
        existing: ChangeHash,
    },
    /// A change whose `start_op` is not above every op it depends on.
    #[error(
        "change {actor} seq {seq} starts at op {start_op}, but its deps reach op {max_dep_op}"
    )]
    BadStartOp {
        /// The change's actor.
        actor: ActorId,
        /// The change's seq.
        seq: u64,
        /// Its start_op.
        start_op: u64,
        /// The highest op counter among its deps.
        max_dep_op: u64,
    },
    /// A change that breaks a rule of SPEC.md §3.4.
    #[error("invalid change: {0}")]
    InvalidChange(#[from] InvalidChange),
    /// No op counter is left: a change has used the top of the 64-bit range.
    #[error("the document's op counters are used up (a change reached 2^64 - 1)")]
    CountersExhausted,
    /// Too many changes wait for deps that have not come.
    #[error("more than {limit} changes would wait for their deps; the batch is refused")]
    QueueFull {
        /// The document's limit.
        limit: usize,
    },
    /// Changes whose deps are in neither the input nor the document.
    #[error("{missing} changes that the input's changes depend on are missing")]
    MissingDeps {
        /// How many hashes are missing.
        missing: usize,
    },
    /// Heads that name a change the document does not have.
    #[error("unknown change hash {0}")]
    UnknownHash(ChangeHash),
    /// A change chunk (from a peer, a sync message or a file) that does not
    /// decode.
    #[error("change {index} of the batch does not decode: {source}")]
    BadChange {
        /// Its place in the message.
        index: usize,
        /// Why.
        source: mergedb_format::DecodeError,
    },
    /// Automerge bytes (a file, a document or a change chunk) that do not decode.
    #[error("bad Automerge data: {0}")]
    BadAutomerge(mergedb_format::DecodeError),
    /// A snapshot that does not decode.
    #[error("bad snapshot: {0}")]
    Snapshot(#[from] mergedb_format::DecodeError),
    /// A document too large for one snapshot.
    #[error("{0}")]
    SnapshotTooLarge(#[from] mergedb_format::snapshot::SnapshotTooLarge),
}

//! automerge-repo's wire protocol (SPEC.md §6B.2): each WebSocket binary
//! frame is one CBOR map with a `type` field. The references are
//! automerge-repo-network-websocket's CDDL and samod's wire protocol.
//!
//! Decoding takes any bytes: it gives a message or a typed error, copies
//! nothing larger than the frame, and allocates nothing a length field
//! declares before the bytes behind it have been read.

mod decode;
mod encode;

use crate::DocumentId;
use std::collections::BTreeMap;

/// The only protocol version there is.
pub const PROTOCOL_VERSION: &str = "1";

/// The largest frame decoded; a larger one is refused before any parsing.
/// A whole document of automerge-paper's size is under 1 MB.
pub const MAX_FRAME: usize = 64 << 20;

/// The longest peer id, storage id, session id or error text taken.
pub const MAX_TEXT: usize = 4096;

/// The most entries a list in a message may have (protocol versions, heads,
/// storage ids).
pub const MAX_LIST: usize = 4096;

/// What a peer says of itself in `join` and `peer`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PeerMetadata {
    /// The id of the peer's storage, when it has one it will come back with.
    pub storage_id: Option<String>,
    /// Whether the peer will not be back with the same storage.
    pub is_ephemeral: bool,
}

/// The heads a storage holds of a document, in `remote-heads-changed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeadsInfo {
    /// Change hashes, as automerge-repo writes them (base64 text).
    pub heads: Vec<String>,
    /// Milliseconds since the epoch, on the peer that saw these heads.
    pub timestamp: u64,
}

/// One message of the protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireMessage {
    /// The connecting peer's first message.
    Join {
        sender_id: String,
        supported_protocol_versions: Vec<String>,
        metadata: Option<PeerMetadata>,
    },
    /// The answer to `join`.
    Peer {
        sender_id: String,
        selected_protocol_version: String,
        target_id: String,
        metadata: Option<PeerMetadata>,
    },
    /// The sender is about to close.
    Leave { sender_id: String },
    /// The sender asks for a document it does not have, with its first sync
    /// message.
    Request {
        sender_id: String,
        target_id: String,
        document_id: DocumentId,
        data: Vec<u8>,
    },
    /// A sync message for a document.
    Sync {
        sender_id: String,
        target_id: String,
        document_id: DocumentId,
        data: Vec<u8>,
    },
    /// The sender does not have the document asked for (or may not share it).
    DocUnavailable {
        sender_id: String,
        target_id: String,
        document_id: DocumentId,
    },
    /// An app's message that is not stored.
    Ephemeral {
        sender_id: String,
        target_id: String,
        count: u64,
        session_id: String,
        document_id: DocumentId,
        data: Vec<u8>,
    },
    /// The sender saw a protocol error and will close.
    Error { message: String },
    /// The storages whose heads the sender wants to hear of.
    RemoteSubscriptionChange {
        sender_id: String,
        target_id: String,
        add: Vec<String>,
        remove: Vec<String>,
    },
    /// Heads that storages the receiver subscribed to now hold.
    RemoteHeadsChanged {
        sender_id: String,
        target_id: String,
        document_id: DocumentId,
        new_heads: BTreeMap<String, HeadsInfo>,
    },
    /// mergedb's own, sent only between mergedb devices (§6B.8): the
    /// documents that changed for the receiver since it last synced them,
    /// in parts of at most `MAX_LIST`; `more` says another part follows.
    Changed {
        sender_id: String,
        target_id: String,
        document_ids: Vec<DocumentId>,
        more: bool,
    },
}

impl WireMessage {
    /// The `type` field's value.
    pub fn type_name(&self) -> &'static str {
        match self {
            WireMessage::Join { .. } => "join",
            WireMessage::Peer { .. } => "peer",
            WireMessage::Leave { .. } => "leave",
            WireMessage::Request { .. } => "request",
            WireMessage::Sync { .. } => "sync",
            WireMessage::DocUnavailable { .. } => "doc-unavailable",
            WireMessage::Ephemeral { .. } => "ephemeral",
            WireMessage::Error { .. } => "error",
            WireMessage::RemoteSubscriptionChange { .. } => "remote-subscription-change",
            WireMessage::RemoteHeadsChanged { .. } => "remote-heads-changed",
            WireMessage::Changed { .. } => "mergedb-changed",
        }
    }

    /// The document the message is about, if it is about one.
    pub fn document_id(&self) -> Option<DocumentId> {
        match self {
            WireMessage::Request { document_id, .. }
            | WireMessage::Sync { document_id, .. }
            | WireMessage::DocUnavailable { document_id, .. }
            | WireMessage::Ephemeral { document_id, .. }
            | WireMessage::RemoteHeadsChanged { document_id, .. } => Some(*document_id),
            _ => None,
        }
    }
}

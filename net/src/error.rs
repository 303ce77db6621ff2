//! The network layer's errors: one enum, as each layer has. A peer is never
//! trusted, so every way its bytes can be wrong has a variant that says what
//! and where.

use thiserror::Error;

/// What went wrong in the network layer.
#[derive(Debug, Error, PartialEq, Eq, Clone)]
#[non_exhaustive]
pub enum NetError {
    /// A frame is not the CBOR this layer reads.
    #[error("bad frame at byte {offset}: {what}")]
    BadFrame { offset: usize, what: String },
    /// A frame is larger than the limit.
    #[error("a frame of {len} bytes is over the limit of {limit}")]
    FrameTooLarge { len: usize, limit: usize },
    /// A well-formed frame whose `type` this layer does not know.
    #[error("unknown message type {0:?}")]
    UnknownType(String),
    /// A message lacks a field its type needs.
    #[error("a {message} message without its {field:?} field")]
    MissingField {
        message: &'static str,
        field: &'static str,
    },
    /// A field occurs twice in one message.
    #[error("the field {0:?} occurs twice")]
    DuplicateField(String),
    /// A field has a value its type forbids.
    #[error("the field {field:?}: {what}")]
    BadField { field: &'static str, what: String },
    /// Text that is not a document id: the bs58check form of 16 bytes.
    #[error("not a document id ({what}): {text:?}")]
    BadDocumentId { text: String, what: &'static str },
    /// The peer broke the protocol: a message out of turn, a sync message
    /// that does not decode, more documents than a connection may hold.
    #[error("the peer broke the protocol: {0}")]
    Protocol(String),
    /// The peer sent an `error` message, and the connection is over.
    #[error("the peer reported an error: {0}")]
    PeerError(String),
    /// The store failed under a sync; the peer is not to blame.
    #[error("the store failed: {0}")]
    Store(String),
    /// The connection itself failed: it could not be made, it broke, or
    /// the peer went silent.
    #[error("{0}")]
    Io(String),
    /// Text that is not a device id.
    #[error("not a device id ({what}): {text:?}")]
    BadDeviceId { text: String, what: &'static str },
    /// The device's key or certificate could not be made or read.
    #[error("the device identity: {0}")]
    Identity(String),
    /// The other end is a device this store was not paired with.
    #[error("device {0} is not paired with this store (`mergedb pair {0}` allows it)")]
    NotPaired(String),
    /// Text that is not an `automerge:` URL.
    #[error("not an automerge URL ({what}): {text:?}")]
    BadUrl { text: String, what: &'static str },
}

impl NetError {
    pub(crate) fn cbor(err: minicbor::decode::Error, fallback: usize) -> NetError {
        NetError::BadFrame {
            offset: err.position().unwrap_or(fallback),
            what: err.to_string(),
        }
    }
}

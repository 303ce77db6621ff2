//! mergedb's network layer. For now, the part without I/O that everything
//! else stands on: automerge-repo's wire protocol (SPEC.md §6B) and its
//! document ids.
#![deny(unsafe_code)]

pub mod doc_id;
pub mod error;
pub mod wire;

pub use doc_id::{AutomergeUrl, DocumentId};
pub use error::NetError;
pub use wire::{PeerMetadata, WireMessage};

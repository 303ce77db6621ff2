//! mergedb's network layer: automerge-repo's wire protocol (SPEC.md §6B),
//! its document ids, and a connection core without I/O that syncs a
//! store's documents with a peer over it.
#![deny(unsafe_code)]

pub mod access;
pub mod conn;
pub mod device_id;
pub mod doc_id;
pub mod error;
pub mod identity;
pub mod mdns;
pub mod tls;
pub mod wire;
pub mod ws;

pub use access::Access;
pub use conn::{Config, Connection, DocReport};
pub use device_id::DeviceId;
pub use doc_id::{AutomergeUrl, DocumentId};
pub use error::NetError;
pub use identity::Identity;
pub use wire::{PeerMetadata, WireMessage};

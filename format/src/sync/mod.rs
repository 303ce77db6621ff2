//! Automerge's sync protocol on the wire: messages, their Bloom filters,
//! and the persistent sync state (SPEC.md §4B). Automerge's `sync.rs` and
//! `sync/bloom.rs` are the reference. The protocol's logic lives in the
//! engine; this module only reads and writes the bytes.

pub mod bloom;
pub mod message;

pub use bloom::Bloom;
pub use message::{decode_sync_state, encode_sync_state, Have, Message, Version, EXT_ANCESTORS};

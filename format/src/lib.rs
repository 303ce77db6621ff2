//! mergedb-format: the ids, values and changes of mergedb, and their byte
//! formats, exactly as SPEC.md describes them.
//!
//! This crate is pure: it does no I/O. Every decoder returns a typed error on
//! any input and never panics; the lints below keep `unwrap` and unchecked
//! indexing out of the code that decodes bytes.
#![deny(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]
#![warn(missing_docs)]

mod actor;
#[cfg(feature = "arbitrary")]
mod arbitrary_change;
pub mod automerge;
mod builder;
mod change;
mod change_decode;
mod change_encode;
mod change_hash;
mod change_layout;
mod error;
pub mod hex;
mod ids;
mod log_record;
mod op;
mod reader;
pub mod snapshot;
pub mod sync;
mod value;

pub use actor::{ActorId, InvalidActorId};
#[cfg(feature = "arbitrary")]
pub use arbitrary_change::ValidChange;
pub use builder::ChangeBuilder;
pub use change::{Change, ChangeHash, InvalidChange};
pub use change_decode::{decode_change, decode_change_with_hash};
pub use change_encode::{
    encode_change, encode_change_into, encode_change_with_hash, encode_head, encode_view_into,
    encode_view_parts, encode_view_tail,
};
pub use change_layout::{CHANGE_MAGIC, CHANGE_VERSION};
pub use error::DecodeError;
pub use ids::{ElemId, Key, ObjId, OpId};
pub use log_record::{
    decode_log_record, decode_log_value, encode_log_group, encode_log_record, LogEntry, LogRecord,
    LOG_GROUP_MAGIC, LOG_RECORD_MAGIC, MAX_GROUP_LEN,
};
pub use op::{MarkBegin, Op, OpAction, OpRule};
pub use value::{ObjType, ScalarValue};

//! mergedb: an embedded database for mergeable JSON documents.
//!
//! This is the crate that apps embed. Today it exposes the format layer: the
//! change types and their canonical, checksummed encoding (see SPEC.md). The
//! document engine, the durable store and compaction come in the crates below it.
#![deny(unsafe_code)]

pub mod trace;

pub use mergedb_compaction as compaction;
pub use mergedb_engine as engine;
pub use mergedb_format as format;

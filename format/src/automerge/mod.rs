//! Automerge's binary format: its chunks, change hashes and column
//! encodings, and its change chunks decoded into mergedb changes. The
//! normative text is Automerge's binary format specification; the
//! `automerge` crate's `storage/` and `columnar/` are the reference. Every
//! decoder gives a value or a typed error that says what and where, with
//! memory bounded by the input.

pub mod change_chunk;
mod change_encode;
pub mod chunk;
mod column_write;
mod columns;
pub mod document;
pub mod document_changes;
pub mod document_decode;
mod document_group;
mod document_ops;
pub mod document_views;

pub use change_chunk::{decode_automerge_change, AutomergeChange};
pub use change_encode::{
    encode_automerge_change, encode_automerge_change_into, hash_parts, ChangeEncoder,
};
pub use chunk::{
    chunk_hash, deflate, inflate, parse_chunk, split_chunks, write_chunk, Chunk, ChunkKind,
    AUTOMERGE_MAGIC, MAX_INFLATED,
};
pub use columns::ColumnSpec;

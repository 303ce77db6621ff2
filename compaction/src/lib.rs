//! mergedb-compaction: when and what to compact.
//!
//! This crate will hold a pure policy, `choose(&state) -> Choice`, that looks at a
//! document's log since its last snapshot and decides whether to write a new
//! snapshot, and the worker that carries a choice out through the engine's store.
//! Both come with the snapshot issue; nothing here claims to work yet.
#![deny(unsafe_code)]

pub use mergedb_engine as engine;

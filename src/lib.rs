//! mergedb: an embedded database for mergeable JSON documents.
//!
//! Apps open a [`Db`]: a store of documents on redb, where every commit is
//! durable when it returns (or when its ticket says so), documents load on
//! first use, and a background worker compacts their logs into snapshots.
//! The layers below are re-exported: `format` (changes and snapshots, and
//! their bytes, as SPEC.md gives them), `engine` (documents and the store) and
//! `compaction` (the policy and its worker).
#![deny(unsafe_code)]

mod db;

pub use db::{Db, Options};
pub use mergedb_compaction as compaction;
pub use mergedb_engine as engine;
pub use mergedb_format as format;

//! mergedb-engine: documents and the store.
//!
//! This crate will hold, in the issues that build them:
//! - `opset`: the op set of one document, in Automerge's merge rules (SPEC.md §2);
//! - `doc` and `transaction`: the `Document` API, local transactions, merge and history;
//! - `store`: storage backends (redb by default, sled behind a feature), the change
//!   log keyed by (document, actor, seq), snapshots on disk, recovery, and the
//!   cache of lazily loaded documents.
//!
//! For now it re-exports the format types it is built on.
#![deny(unsafe_code)]

pub use mergedb_format as format;

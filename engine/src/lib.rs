//! mergedb-engine: documents with Automerge's semantics, and the store.
//!
//! - `doc/`: `Document`, one document in memory: its op set (`opset`), its
//!   history (`history`), transactions for local edits (and `AutoDoc`, one
//!   edit per call), remote changes with a causal queue, merge, and reads now
//!   or at past heads. SPEC.md §2 gives its rules.
//! - `store`: storage backends, the change log keyed by (document, actor,
//!   seq), snapshots on disk, recovery and the cache of lazily loaded
//!   documents. SPEC.md §5 gives its layout and protocols.
#![deny(unsafe_code)]

mod doc;
mod error;
pub mod store;

// The document's modules, under the names the crate has always used.
pub(crate) use doc::{
    actors, auto_doc, chunks, clock, commit_options, document, hash_index, history, json,
    kept_columns, opset, prefault, read, state_view, sync, transaction, value,
};

pub use auto_doc::AutoDoc;
pub use chunks::DecodedChunk;
pub use commit_options::{now_seconds, CommitOptions};
pub use document::{Applied, Document};
pub use error::EngineError;
pub use json::scalar_to_json;
pub use mergedb_format as format;
pub use read::{Item, Prop};
pub use state_view::StateView;
pub use sync::SyncState;
pub use transaction::Transaction;
pub use value::Value;

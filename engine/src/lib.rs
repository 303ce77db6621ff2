//! mergedb-engine: documents with Automerge's semantics, and the store.
//!
//! - `Document`: one document in memory: its op set (`opset`), its history
//!   (`history`), transactions for local edits, remote changes with a causal
//!   queue, merge, and reads now or at past heads. SPEC.md §2 gives its rules.
//! - `store`: storage backends, the change log keyed by (document, actor,
//!   seq), snapshots on disk, recovery and the cache of lazily loaded
//!   documents. SPEC.md §5 gives its layout and protocols.
#![deny(unsafe_code)]

mod actors;
mod auto_doc;
mod auto_doc_reads;
mod clock;
mod commit_options;
mod document;
mod error;
mod hash_index;
mod history;
mod json;
mod kept_columns;

mod opset;
mod prefault;
mod read;
mod snapshot;
mod snapshot_load;
mod state_view;
pub mod store;
mod transaction;
mod value;

pub use auto_doc::AutoDoc;
pub use commit_options::{now_seconds, CommitOptions};
pub use document::{Applied, Document};
pub use error::EngineError;
pub use json::scalar_to_json;
pub use mergedb_format as format;
pub use read::{Item, Prop};
pub use state_view::StateView;
pub use transaction::Transaction;
pub use value::Value;

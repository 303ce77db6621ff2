//! The document side of the engine: one Automerge-compatible document in
//! memory (SPEC.md §2).
//!
//! - `document`: `Document` itself, its remote changes and causal queue, merge.
//! - `opset`: the ops, objects and sequences; `history`: the changes, their
//!   hashes (`hash_index`) and the history section's columns as they grow
//!   (`kept_columns`); `actors` and `clock` name ops and past heads.
//! - `transaction` and `auto_doc`: local edits, in a closure or one call at a
//!   time; `commit_options`: a commit's message and time.
//! - `read`, `json`, `value`: reads now or at past heads.
//! - `snapshot`, `snapshot_load`, `prefault`: saving and loading snapshots;
//!   `state_view`: reads from a snapshot's state section alone.

pub(crate) mod actors;
pub(crate) mod auto_doc;
mod auto_doc_reads;
mod automerge_load;
mod automerge_save;
pub(crate) mod chunks;
pub(crate) mod clock;
pub(crate) mod commit_options;
pub(crate) mod document;
pub(crate) mod hash_index;
pub(crate) mod history;
pub(crate) mod json;
pub(crate) mod kept_columns;
pub(crate) mod opset;
pub(crate) mod prefault;
pub(crate) mod read;
pub(crate) mod snapshot;
pub(crate) mod snapshot_load;
pub(crate) mod state_view;
pub(crate) mod suspended;
pub(crate) mod sync;
pub(crate) mod transaction;
pub(crate) mod value;

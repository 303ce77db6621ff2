//! mergedb-compaction: when and what to compact (SPEC.md §6.1).
//!
//! - [`choose`] is the policy: a pure function of each loaded document's log
//!   since its last snapshot and a [`Config`]. It does no I/O, so its tests
//!   need no store.
//! - [`Worker`] is a background thread that asks the store for those logs,
//!   asks [`choose`], and compacts what it chose.
#![deny(unsafe_code)]

mod policy;
mod worker;

pub use mergedb_engine as engine;
pub use policy::{choose, Choice, Config, DocLog, State};
pub use worker::{Worker, WorkerStats};

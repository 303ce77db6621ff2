//! mergedb: an embedded database for mergeable JSON documents.
//!
//! Apps open a [`Db`]: a store of documents on redb, where every commit is
//! durable when it returns (or when its ticket says so), documents load on
//! first use, and a background worker compacts their logs into snapshots.
//! The layers below are re-exported: `format` (changes and snapshots, and
//! their bytes, as SPEC.md gives them), `engine` (documents and the store) and
//! `compaction` (the policy and its worker).
//!
//! # Quickstart
//!
//! Open a database, create a document, edit it in a transaction, read it
//! back as JSON, and find it again after a reopen:
//!
//! ```
//! use mergedb::engine::store::StoreError;
//! use mergedb::engine::Value;
//! use mergedb::format::{ObjId, ObjType, ScalarValue};
//! use mergedb::Db;
//! use serde_json::json;
//!
//! # fn main() -> Result<(), StoreError> {
//! # let dir = tempfile::tempdir().map_err(|e| StoreError::Io { path: "tmp".into(), source: e })?;
//! # let path = dir.path();
//! let db = Db::open(path)?;
//! // A document with its first change, made in one step: a failed closure
//! // leaves no document behind.
//! let (doc, first) = db.create_doc_with(None, |tx| {
//!     tx.put(&ObjId::Root, "exercise", "squat")?;
//!     let sets = tx.put_object(&ObjId::Root, "reps", ObjType::List)?;
//!     Ok::<_, StoreError>(sets)
//! })?;
//! let sets = first.value;
//! // A transaction returns what its closure returns, beside the commit.
//! let commit = db.transact(&doc, |tx| {
//!     tx.insert(&sets, 0, 5)?;
//!     tx.insert(&sets, 1, 5)?;
//!     Ok::<_, StoreError>(tx.length(&sets)?)
//! })?;
//! assert_eq!(commit.value, 2);
//! assert_eq!(
//!     db.doc(&doc)?.to_json()?,
//!     json!({"exercise": "squat", "reps": [5, 5]})
//! );
//! let actor = db.actor();
//! drop(db);
//!
//! // Reopened, the store has the document, and writes as the same actor.
//! let db = Db::open(path)?;
//! assert_eq!(db.list_docs()?, vec![doc]);
//! let second = db.doc(&doc)?.get(&sets, 1)?.map(|(v, _)| v);
//! assert_eq!(second, Some(Value::Scalar(ScalarValue::Int(5))));
//! assert_eq!(db.actor(), actor);
//! # Ok(())
//! # }
//! ```
#![deny(unsafe_code)]

mod db;

pub use db::{Db, Options};
pub use mergedb_compaction as compaction;
pub use mergedb_engine as engine;
pub use mergedb_format as format;
/// The network layer (feature `net`): automerge-repo's protocol, its
/// sans-IO connection core, and `serve` and `sync` over WebSocket.
#[cfg(feature = "net")]
pub use mergedb_net as net;

//! What a peer may see and do (SPEC.md §6B.5): the documents it may sync,
//! and whether it may create documents in the store. A document outside a
//! peer's access is answered as one the store does not have, so the peer
//! learns nothing of it, not even that it exists.

use mergedb_engine::store::DocId;
use std::collections::BTreeSet;

/// The documents a peer may sync.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Docs {
    /// Every document of the store.
    All,
    /// These only.
    Only(BTreeSet<DocId>),
}

/// What one peer may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    /// The documents it may sync.
    pub docs: Docs,
    /// Whether a `sync` for a document the store lacks (and `docs` allows)
    /// creates it, as automerge-repo's server does; else it gets
    /// `doc-unavailable`.
    pub create: bool,
}

impl Access {
    /// Every document, and new ones made on request.
    pub fn all() -> Access {
        Access {
            docs: Docs::All,
            create: true,
        }
    }

    /// These documents only, and no new ones.
    pub fn only(docs: impl IntoIterator<Item = DocId>) -> Access {
        Access {
            docs: Docs::Only(docs.into_iter().collect()),
            create: false,
        }
    }

    /// A hash of what it allows, so that a kept digest mark (SPEC.md
    /// §6B.8) is used only under the access it was made under.
    pub fn fingerprint(&self) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        match &self.docs {
            Docs::All => h.update([0u8]),
            Docs::Only(set) => {
                h.update([1u8]);
                set.iter().for_each(|d| h.update(d.0));
            }
        }
        h.finalize().into()
    }

    /// Whether the peer may sync `id`.
    pub fn allows(&self, id: &DocId) -> bool {
        match &self.docs {
            Docs::All => true,
            Docs::Only(set) => set.contains(id),
        }
    }
}

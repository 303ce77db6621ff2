//! A transaction set aside between calls, for `AutoDoc`: its ops stay
//! applied to the op set, and its change is made when it commits.

use super::opset::Undo;
use crate::{Document, Transaction};
use mergedb_format::{ChangeHash, Op};

/// A transaction's state apart from its document, so that it can stay open
/// across calls (`AutoDoc`): its ops are applied to the op set, and undone if
/// it is resumed and then dropped.
#[derive(Debug)]
pub(crate) struct Suspended {
    seq: u64,
    start_op: Option<u64>,
    deps: Vec<ChangeHash>,
    first_op: u32,
    ops: Vec<Op>,
    undo: Vec<Undo>,
}

impl Suspended {
    /// How many ops it holds.
    pub(crate) fn len(&self) -> usize {
        self.ops.len()
    }
}

impl Document {
    /// Takes up a suspended transaction of this document again. It must be
    /// this document's, and no other change may have come in between.
    pub(crate) fn resume(&mut self, s: Suspended) -> Transaction<'_> {
        Transaction {
            doc: self,
            seq: s.seq,
            start_op: s.start_op,
            deps: s.deps,
            first_op: s.first_op,
            ops: s.ops,
            undo: s.undo,
        }
    }
}

impl Transaction<'_> {
    /// Sets the transaction aside with its ops applied; `Document::resume`
    /// takes it up again.
    pub(crate) fn suspend(mut self) -> Suspended {
        Suspended {
            seq: self.seq,
            start_op: self.start_op,
            deps: std::mem::take(&mut self.deps),
            first_op: self.first_op,
            ops: std::mem::take(&mut self.ops),
            // Taken, so that dropping `self` undoes nothing.
            undo: std::mem::take(&mut self.undo),
        }
    }
}

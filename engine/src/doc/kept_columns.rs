//! The history section's columns, kept beside the document as it grows
//! (SPEC.md §4.5). A history only grows at its end (a failed batch rewinds
//! only what it added), and the section encodes changes in history order, so
//! the columns of the changes so far stay valid: a snapshot then costs the
//! compression of the section, not the encoding of every change again.

use crate::Document;
use mergedb_format::snapshot::{ChangeRef, HistoryWriter};
use parking_lot::Mutex;

/// The writer, and each actor's last seq in it. `None` when the columns do
/// not follow the history from its first change: after a bulk load, or a
/// rewind below what they hold; the next snapshot rebuilds them.
#[derive(Debug, Default)]
pub(crate) struct KeptColumns(Mutex<Option<Kept>>);

#[derive(Debug, Clone)]
pub(crate) struct Kept {
    writer: HistoryWriter,
    seqs: Vec<u64>,
}

impl Clone for KeptColumns {
    fn clone(&self) -> Self {
        KeptColumns(Mutex::new(self.0.lock().clone()))
    }
}

impl KeptColumns {
    /// Columns for an empty history.
    pub fn new() -> Self {
        KeptColumns(Mutex::new(Some(Kept {
            writer: HistoryWriter::new(Vec::new()),
            seqs: Vec::new(),
        })))
    }

    /// Columns that do not follow the history.
    pub fn none() -> Self {
        KeptColumns(Mutex::new(None))
    }

    /// Heap bytes held, for the memory report.
    pub fn heap_bytes(&self) -> usize {
        self.0.lock().as_ref().map_or(0, |k| k.writer.heap_bytes())
    }
}

impl Document {
    /// Writes the history's newest change to the kept columns, if they hold
    /// every change before it. Called right after each `history.push`.
    pub(crate) fn keep_last_change(&mut self) {
        let n = self.history.len() as u64;
        let mut kept = self.kept.0.get_mut().take();
        if let Some(k) = &mut kept {
            match k.writer.changes() + 1 == n {
                true => self.write_changes(k),
                false => kept = None,
            }
        }
        *self.kept.0.get_mut() = kept;
    }

    /// Forgets the kept columns if they hold changes past the history's end,
    /// as after a rewind.
    pub(crate) fn forget_columns_past_end(&mut self) {
        let n = self.history.len() as u64;
        let kept = self.kept.0.get_mut();
        if kept.as_ref().is_some_and(|k| k.writer.changes() > n) {
            *kept = None;
        }
    }

    /// The raw history section: from the kept columns, brought up to date
    /// first, or built whole (and then kept) if there are none.
    pub(crate) fn history_raw(&self) -> Vec<u8> {
        let mut kept = self.kept.0.lock();
        let k = kept.get_or_insert_with(|| self.empty_columns());
        // Also adds the actors that arrived since the last change (the table
        // lists every actor the document knows).
        self.write_changes(k);
        k.writer.raw()
    }

    fn empty_columns(&self) -> Kept {
        let mut writer = HistoryWriter::new(Vec::new());
        writer.reserve(self.history.len(), self.ops.ops.len());
        Kept {
            writer,
            seqs: Vec::new(),
        }
    }

    /// Panics unless the kept columns, if any, hold every change and encode
    /// them as columns built anew do. For `check`.
    pub(crate) fn check_kept_columns(&self) {
        let mut kept = self.kept.0.lock();
        let Some(k) = kept.as_mut() else { return };
        assert_eq!(k.writer.changes(), self.history.len() as u64);
        k.writer.extend_actors(self.ops.actors.all());
        let mut fresh = self.empty_columns();
        self.write_changes(&mut fresh);

        assert!(
            k.writer.raw() == fresh.writer.raw(),
            "the kept history columns differ from columns built anew"
        );
    }

    /// Writes the changes the kept columns do not have yet.
    fn write_changes(&self, k: &mut Kept) {
        let actors = self.ops.actors.all();
        k.writer.extend_actors(actors);
        k.seqs.resize(actors.len(), 0);
        let mut preds = Vec::new();
        for i in k.writer.changes() as u32..self.history.len() as u32 {
            let c = self.history.get(i);
            // An actor's changes are in index order, so its nth change has
            // seq n: counting is cheaper than `seq_of`'s search.
            let seq = match k.seqs.get_mut(c.actor as usize) {
                Some(s) => {
                    *s += 1;
                    *s
                }
                None => self.history.seq_of(i),
            };
            let rare = self.history.rare_ref(i);
            let n = self.history.n_ops(i);
            k.writer.change(ChangeRef {
                actor: c.actor,
                seq,
                start_op: self.history.start_op(i, &self.ops),
                time: c.time,
                message: rare.and_then(|r| r.message.as_deref()),
                extra: rare.map_or(&[], |r| r.extra.as_slice()),
                deps: self.history.deps(i),
                ops: n as usize,
            });
            for op in c.first_op..c.first_op + n {
                self.ops.write_op(&mut k.writer, op, &mut preds);
            }
        }
    }
}

impl Document {
    /// Drops the kept history columns, so that the next snapshot builds them
    /// anew. For tests that compare the two.
    #[doc(hidden)]
    pub fn forget_kept_columns(&mut self) {
        *self.kept.0.get_mut() = None;
    }
}

//! A document chunk's changes as borrowed views (SPEC.md §4A.5), for the
//! loader that builds a document from views with no allocation per op,
//! as it builds one from a snapshot's history.
//!
//! The changes are those `document_changes` rebuilds: each op goes to the
//! change of its actor whose op range holds its counter; a successor that
//! names no op is a delete at the key of the op it deletes; an op's preds
//! are the ops that list it as a successor. Where the rows break a rule
//! this source cannot vouch for (ids twice, counters out of a change's
//! range, actors out of order), it gives up: `document_changes` then gives
//! the exact error. What it hands out, the views' own checks have passed.

use super::document_decode::{DocChange, DocumentChunk};
use super::document_group::{group, Entry};
use crate::snapshot::{ActionView, ChangeView, IdRef, KeyRef};
use crate::ActorId;

pub use super::document_group::Unvouched;

type Result<T> = std::result::Result<T, Unvouched>;

/// The changes of a document chunk, in row order, one view at a time.
#[derive(Debug)]
pub struct DocumentViews<'a> {
    doc: &'a DocumentChunk<'a>,
    entries: Vec<Entry>,
    /// Every entry's preds, in entry order.
    preds: Vec<IdRef>,
    /// Per actor: where its next entry is.
    cursor: Vec<usize>,
    next_change: usize,
    /// How many entries have gone to a change.
    taken: usize,
    view: ChangeView<'a>,
}

impl<'a> DocumentViews<'a> {
    /// Groups the ops by id and matches each successor with its op, or
    /// takes the grouping `DocumentColumns::rows` made beside the bodies.
    pub fn new(doc: &'a mut DocumentChunk<'a>) -> Result<Self> {
        let grouped = doc.grouped.take();
        let doc: &'a DocumentChunk<'a> = doc;
        // Pred order by index is Automerge's order only on a sorted table.
        if doc.actors.windows(2).any(|w| w.first() >= w.last()) {
            return Err(Unvouched);
        }
        let (entries, preds) = match grouped {
            Some(grouped) => grouped?,
            None => group(&doc.id_columns())?,
        };
        let mut cursor = vec![usize::MAX; doc.actors.len()];
        for (i, e) in entries.iter().enumerate().rev() {
            *cursor.get_mut(e.id.actor as usize).ok_or(Unvouched)? = i;
        }
        Ok(DocumentViews {
            doc,
            entries,
            preds,
            cursor,
            next_change: 0,
            taken: 0,
            view: ChangeView::default(),
        })
    }

    /// The actor table the views' ids index.
    pub fn actors(&self) -> &'a [ActorId] {
        self.doc.actors
    }

    /// How many changes there are.
    pub fn len(&self) -> usize {
        self.doc.changes.len()
    }

    /// Whether there is no change.
    pub fn is_empty(&self) -> bool {
        self.doc.changes.is_empty()
    }

    /// How many ops there are, deletes included.
    pub fn op_count(&self) -> usize {
        self.entries.len()
    }

    /// The next change, with the actor table; `None` after the last, once
    /// every op has gone to a change.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<(&ChangeView<'a>, &'a [ActorId])>> {
        let Some(change) = self.doc.changes.get(self.next_change) else {
            // An op in no change.
            return match self.taken == self.entries.len() {
                true => Ok(None),
                false => Err(Unvouched),
            };
        };
        self.next_change += 1;
        self.fill(change)?;
        self.view.check(self.doc.actors).map_err(|_| Unvouched)?;
        Ok(Some((&self.view, self.doc.actors)))
    }

    fn fill(&mut self, change: &DocChange<'a>) -> Result<()> {
        let doc = self.doc;
        let view = &mut self.view;
        view.clear();
        view.actor = change.actor;
        view.seq = change.seq;
        view.time = change.time;
        view.message = change.message;
        view.extra = change.extra;
        view.deps.extend_from_slice(doc.deps_of(change));
        view.deps.sort_unstable();
        view.deps.dedup();
        view.start_op = change.max_op.checked_add(1).ok_or(Unvouched)?;
        let cursor = self
            .cursor
            .get_mut(change.actor as usize)
            .ok_or(Unvouched)?;
        while let Some(e) = self.entries.get(*cursor) {
            if e.id.actor != change.actor || e.id.counter > change.max_op {
                break;
            }
            if view.ops.is_empty() {
                view.start_op = e.id.counter;
            } else if e.id.counter != view.start_op + view.ops.len() as u64 {
                return Err(Unvouched);
            }
            *cursor += 1;
            self.taken += 1;
            let src = doc.ops.get(e.row as usize).ok_or(Unvouched)?;
            let pred_at = view.pred_count();
            let at = e.pred_at as usize;
            for p in self
                .preds
                .get(at..at + e.pred_len as usize)
                .ok_or(Unvouched)?
            {
                view.push_pred(*p);
            }
            let (key, insert, action) = match e.delete {
                true => match src.insert {
                    true => {
                        let elem = doc.id(e.row as usize).ok_or(Unvouched)?;
                        (KeyRef::Elem(elem), false, ActionView::Delete)
                    }
                    false => (src.key, false, ActionView::Delete),
                },
                false => (src.key, src.insert, src.action),
            };
            *view.push_op(src.obj, key, insert, pred_at) = action;
        }
        if !view.ops.is_empty() && view.start_op + view.ops.len() as u64 - 1 != change.max_op {
            return Err(Unvouched);
        }
        Ok(())
    }
}

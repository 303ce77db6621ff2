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
use crate::snapshot::{ActionView, ChangeView, IdRef, KeyRef};
use crate::ActorId;

/// The rows cannot be turned into views here; `document_changes` will
/// say why, or build the changes another way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unvouched;

type Result<T> = std::result::Result<T, Unvouched>;

/// An op of the document, deletes included, in id order.
#[derive(Clone, Copy, Debug)]
struct Entry {
    id: IdRef,
    /// The op's row, or for a delete the row of the op it deletes with the
    /// lowest row (its object and key are that op's).
    row: u32,
    delete: bool,
    /// Its preds: `preds[pred_at..pred_at + pred_len]`.
    pred_at: u32,
    pred_len: u32,
}

/// The changes of a document chunk, in row order, one view at a time.
#[derive(Debug)]
pub struct DocumentViews<'a> {
    doc: &'a DocumentChunk<'a>,
    entries: Vec<Entry>,
    /// Every successor, as (op it names, op that names it), sorted by the
    /// first then the second; the second halves are the preds.
    preds: Vec<IdRef>,
    /// Per actor: where its next entry is.
    cursor: Vec<usize>,
    next_change: usize,
    /// How many entries have gone to a change.
    taken: usize,
    view: ChangeView<'a>,
}

/// (actor, counter): the order the entries are in.
fn by_actor(id: &IdRef) -> (u32, u64) {
    (id.actor, id.counter)
}

/// (actor, counter) and (counter, actor), the latter op id order (which is
/// Automerge's pred order when the actor table is sorted), packed into one
/// word each, which sorts faster: this pass takes counters below 2^40 and
/// actors below 2^24.
const COUNTER_BITS: u32 = 40;
const ACTOR_BITS: u32 = 24;

fn fits(id: &IdRef) -> bool {
    id.counter >> COUNTER_BITS == 0 && id.actor >> ACTOR_BITS == 0
}

fn actor_key(id: &IdRef) -> u64 {
    (u64::from(id.actor) << COUNTER_BITS) | id.counter
}

fn counter_key(id: &IdRef) -> u64 {
    (id.counter << ACTOR_BITS) | u64::from(id.actor)
}

/// Below this many ops, a second thread costs more than it saves.
const PARALLEL_FROM: usize = 1 << 14;

impl<'a> DocumentViews<'a> {
    /// Sorts the ops by id and matches each successor with its op.
    pub fn new(doc: &'a DocumentChunk<'a>) -> Result<Self> {
        // Pred order by index is Automerge's order only on a sorted table.
        if doc.actors.windows(2).any(|w| w.first() >= w.last()) {
            return Err(Unvouched);
        }
        let mut entries: Vec<Entry> = Vec::with_capacity(doc.ops.len() + doc.succ.len());
        let mut pairs: Vec<(IdRef, IdRef, u32)> = Vec::with_capacity(doc.succ.len());
        for (row, op) in doc.ops.iter().enumerate() {
            entries.push(Entry {
                id: op.id,
                row: row as u32,
                delete: false,
                pred_at: 0,
                pred_len: 0,
            });
            for s in doc.succ_of(op) {
                pairs.push((*s, op.id, row as u32));
            }
        }
        if !entries.iter().all(|e| fits(&e.id)) || !pairs.iter().all(|(s, _, _)| fits(s)) {
            return Err(Unvouched);
        }
        let sort_entries =
            |entries: &mut Vec<Entry>| entries.sort_unstable_by_key(|e| actor_key(&e.id));
        let sort_pairs = |pairs: &mut Vec<(IdRef, IdRef, u32)>| {
            pairs.sort_unstable_by_key(|(s, p, _)| (actor_key(s), counter_key(p)))
        };
        match entries.len() < PARALLEL_FROM {
            true => {
                sort_entries(&mut entries);
                sort_pairs(&mut pairs);
            }
            false => std::thread::scope(|s| {
                s.spawn(|| sort_pairs(&mut pairs));
                sort_entries(&mut entries);
            }),
        }
        if entries.windows(2).any(|w| match w {
            [a, b] => a.id == b.id,
            _ => false,
        }) {
            return Err(Unvouched);
        }
        let preds = attach_preds(&mut entries, &pairs)?;
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
                    true => (KeyRef::Elem(src.id), false, ActionView::Delete),
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

/// Gives each entry its preds, and adds an entry for each delete: a
/// successor that names no op. `entries` and `pairs` are sorted by
/// (actor, counter); the entries stay so.
fn attach_preds(entries: &mut Vec<Entry>, pairs: &[(IdRef, IdRef, u32)]) -> Result<Vec<IdRef>> {
    let preds: Vec<IdRef> = pairs.iter().map(|(_, p, _)| *p).collect();
    let mut deletes: Vec<Entry> = Vec::new();
    let mut e = 0;
    let mut j = 0;
    while let Some((target, _, _)) = pairs.get(j) {
        let mut end = j + 1;
        let mut first_row = pairs.get(j).map_or(u32::MAX, |p| p.2);
        while let Some((t, _, row)) = pairs.get(end) {
            if t != target {
                break;
            }
            first_row = first_row.min(*row);
            end += 1;
        }
        while entries
            .get(e)
            .is_some_and(|x| by_actor(&x.id) < by_actor(target))
        {
            e += 1;
        }
        let (pred_at, pred_len) = (j as u32, (end - j) as u32);
        match entries.get_mut(e) {
            Some(x) if x.id == *target => {
                if pairs
                    .get(j..end)
                    .is_some_and(|g| g.iter().any(|(_, p, _)| p == target))
                {
                    // An op that is its own successor.
                    return Err(Unvouched);
                }
                x.pred_at = pred_at;
                x.pred_len = pred_len;
            }
            _ => deletes.push(Entry {
                id: *target,
                row: first_row,
                delete: true,
                pred_at,
                pred_len,
            }),
        }
        j = end;
    }
    if !deletes.is_empty() {
        *entries = merge(std::mem::take(entries), deletes);
    }
    Ok(preds)
}

/// Two runs sorted by (actor, counter), with no id in both, as one.
fn merge(a: Vec<Entry>, b: Vec<Entry>) -> Vec<Entry> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let mut b = b.into_iter().peekable();
    for x in a {
        while let Some(y) = b.next_if(|y| by_actor(&y.id) < by_actor(&x.id)) {
            out.push(y);
        }
        out.push(x);
    }
    out.extend(b);
    out
}

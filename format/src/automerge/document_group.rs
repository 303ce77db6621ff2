//! Grouping a document chunk's ops by id, for `DocumentViews`: every op,
//! and every delete (a successor that names no op), in (actor, counter)
//! order, each with its preds (the ops that list it as a successor, in op
//! id order).
//!
//! Two ways give the same result. Where each actor's counters are dense
//! (they are in every document a real history makes: an actor's ops count
//! up from 1, with gaps only where its changes follow others'), each id has
//! a slot at `base[actor] + counter`, and the ops and successors are
//! scattered into their slots: linear time. Otherwise the ids are sorted.

use crate::snapshot::IdRef;

/// The rows cannot be grouped here; `document_changes` will say why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unvouched;

type Result<T> = std::result::Result<T, Unvouched>;

/// An op of the document, deletes included, in id order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    pub id: IdRef,
    /// The op's row, or for a delete the lowest row of the ops it deletes
    /// (its object and key are that op's).
    pub row: u32,
    pub delete: bool,
    /// Its preds: `preds[pred_at..pred_at + pred_len]`.
    pub pred_at: u32,
    pub pred_len: u32,
}

/// The entries, in (actor, counter) order, and every pred they point into.
pub(super) type Grouped = (Vec<Entry>, Vec<IdRef>);

/// The id side of a chunk's ops, which is all the grouping reads: so it
/// can run as soon as the ids are decoded, beside the bodies.
#[derive(Clone, Copy, Debug)]
pub(super) struct IdColumns<'d> {
    pub n_actors: usize,
    pub ids: &'d [IdRef],
    /// Where each row's successors start in `succ`, one more than rows.
    pub succ_start: &'d [u32],
    pub succ: &'d [IdRef],
}

impl<'d> IdColumns<'d> {
    /// The successors of the op at `row`.
    pub fn succ_of(&self, row: usize) -> &'d [IdRef] {
        let (Some(from), Some(to)) = (self.succ_start.get(row), self.succ_start.get(row + 1))
        else {
            return &[];
        };
        self.succ
            .get(*from as usize..*to as usize)
            .unwrap_or_default()
    }
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

/// Groups the ops, by slots where the counters are dense, else by sorting.
pub(super) fn group(doc: &IdColumns<'_>) -> Result<Grouped> {
    match group_dense(doc) {
        Some(grouped) => grouped,
        None => group_sorted(doc),
    }
}

/// Slots per id this path accepts, beyond one per op and successor: more
/// would mean counters too sparse for slots to pay (or a hostile chunk).
const SLACK: usize = 4;

/// A slot's row: `EMPTY`, an op's row, or `DELETE | row` for a delete
/// first named by the op at `row`.
const EMPTY: u32 = u32::MAX;
const DELETE: u32 = 1 << 31;

/// The grouping by slots; `None` where the counters are too sparse.
pub(super) fn group_dense(doc: &IdColumns<'_>) -> Option<Result<Grouped>> {
    let n = doc.n_actors;
    if doc.ids.len() >= DELETE as usize {
        return None;
    }
    // One pass over the ids: each actor's top counter, and whether all fit.
    let mut top = vec![0u64; n];
    let mut all_fit = true;
    for id in doc.ids.iter().chain(doc.succ) {
        let t = top.get_mut(id.actor as usize)?;
        *t = (*t).max(id.counter);
        all_fit &= fits(id);
    }
    if !all_fit {
        return Some(Err(Unvouched));
    }
    let room = (doc.ids.len() + doc.succ.len()).saturating_mul(SLACK) + 64;
    // base[a]: actor a's slot for counter 0; base[n]: the slot count.
    let mut base = Vec::with_capacity(n + 1);
    let mut total = 0usize;
    for t in &top {
        base.push(total);
        total = total.checked_add(usize::try_from(*t).ok()?.checked_add(1)?)?;
        if total > room {
            return None;
        }
    }
    base.push(total);
    Some(scatter(doc, &base))
}

fn slot(base: &[usize], id: &IdRef) -> Result<usize> {
    let b = base.get(id.actor as usize).ok_or(Unvouched)?;
    Ok(b + id.counter as usize)
}

/// Each op's row and id, with its successors.
fn with_succ<'s>(doc: &'s IdColumns<'_>) -> impl Iterator<Item = (usize, IdRef, &'s [IdRef])> + 's {
    doc.ids
        .iter()
        .enumerate()
        .map(|(row, id)| (row, *id, doc.succ_of(row)))
}

/// Fills each id's slot, then reads the slots in order.
fn scatter(doc: &IdColumns<'_>, base: &[usize]) -> Result<Grouped> {
    let succ = doc.succ;
    let total = base.last().copied().unwrap_or(0);
    let mut rows = vec![EMPTY; total];
    for (row, id) in doc.ids.iter().enumerate() {
        let s = rows.get_mut(slot(base, id)?).ok_or(Unvouched)?;
        if *s != EMPTY {
            // An id twice.
            return Err(Unvouched);
        }
        *s = row as u32;
    }
    // Successors per slot, then where each slot's preds start.
    let mut start = vec![0u32; total + 1];
    for (row, id, succ) in with_succ(doc) {
        for s in succ {
            if *s == id {
                // An op that is its own successor.
                return Err(Unvouched);
            }
            let at = slot(base, s)?;
            let r = rows.get_mut(at).ok_or(Unvouched)?;
            if *r == EMPTY {
                // Rows come in order: the first is the lowest.
                *r = DELETE | row as u32;
            }
            *start.get_mut(at + 1).ok_or(Unvouched)? += 1;
        }
    }
    for i in 0..total {
        let before = *start.get(i).ok_or(Unvouched)?;
        *start.get_mut(i + 1).ok_or(Unvouched)? += before;
    }
    let mut preds = vec![
        IdRef {
            counter: 0,
            actor: 0
        };
        succ.len()
    ];
    let mut fill = start.clone();
    for (_, id, succ) in with_succ(doc) {
        for s in succ {
            let f = fill.get_mut(slot(base, s)?).ok_or(Unvouched)?;
            *preds.get_mut(*f as usize).ok_or(Unvouched)? = id;
            *f += 1;
        }
    }
    let mut entries = Vec::with_capacity(doc.ids.len() + succ.len().min(doc.ids.len()));
    for (actor, pair) in base.windows(2).enumerate() {
        let [from, to] = pair else { continue };
        for (counter, at) in (*from..*to).enumerate() {
            let row = *rows.get(at).ok_or(Unvouched)?;
            if row == EMPTY {
                continue;
            }
            let (pred_at, end) = (
                *start.get(at).ok_or(Unvouched)?,
                *fill.get(at).ok_or(Unvouched)?,
            );
            let group = preds
                .get_mut(pred_at as usize..end as usize)
                .ok_or(Unvouched)?;
            if group.len() > 1 {
                group.sort_unstable_by_key(counter_key);
            }
            entries.push(Entry {
                id: IdRef {
                    actor: actor as u32,
                    counter: counter as u64,
                },
                row: row & !DELETE,
                delete: row & DELETE != 0,
                // No preds: 0, as the sorting gives it.
                pred_at: if end > pred_at { pred_at } else { 0 },
                pred_len: end - pred_at,
            });
        }
    }
    Ok((entries, preds))
}

/// Below this many ops, a second thread costs more than it saves.
const PARALLEL_FROM: usize = 1 << 14;

/// The grouping by sorting the ops, and the (successor, op) pairs.
pub(super) fn group_sorted(doc: &IdColumns<'_>) -> Result<Grouped> {
    if !doc.ids.iter().chain(doc.succ).all(fits) {
        return Err(Unvouched);
    }
    let mut entries: Vec<Entry> = Vec::with_capacity(doc.ids.len() + doc.succ.len());
    let mut pairs: Vec<(IdRef, IdRef, u32)> = Vec::with_capacity(doc.succ.len());
    for (row, id, succ) in with_succ(doc) {
        entries.push(Entry {
            id,
            row: row as u32,
            delete: false,
            pred_at: 0,
            pred_len: 0,
        });
        for s in succ {
            pairs.push((*s, id, row as u32));
        }
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
    Ok((entries, preds))
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
            .is_some_and(|x| actor_key(&x.id) < actor_key(target))
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
        while let Some(y) = b.next_if(|y| actor_key(&y.id) < actor_key(&x.id)) {
            out.push(y);
        }
        out.push(x);
    }
    out.extend(b);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::automerge::document_decode::{DocOp, DocumentChunk};
    use crate::snapshot::{ActionView, KeyRef};
    use crate::ActorId;

    /// Ops with random ids (dense or sparse counters, some twice) and
    /// random successors (ops, deletes, itself): both ways agree exactly.
    #[test]
    fn slots_and_sorting_group_alike() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n.max(1)
        };
        let actors: Vec<ActorId> = (1..=3u8)
            .filter_map(|a| ActorId::new(&[a; 4]).ok())
            .collect();
        assert_eq!(actors.len(), 3);
        let (mut dense, mut refused) = (0, 0);
        for round in 0..3000 {
            let n_ops = next(40) as usize;
            let spread = [2, 3, 50, 1 << 20][round % 4];
            let n_actors = 1 + next(3);
            let id = |next: &mut dyn FnMut(u64) -> u64| IdRef {
                actor: next(n_actors) as u32,
                counter: next(spread * 2 + 2),
            };
            let mut ops = Vec::new();
            let mut ids = Vec::new();
            let mut succ = Vec::new();
            let mut succ_start = vec![0];
            for _ in 0..n_ops {
                let op_id = id(&mut next);
                for _ in 0..next(4) {
                    succ.push(match next(8) {
                        0 => op_id,
                        _ => id(&mut next),
                    });
                }
                ids.push(op_id);
                succ_start.push(succ.len() as u32);
                ops.push(DocOp {
                    obj: None,
                    key: KeyRef::Map("k"),
                    insert: false,
                    action: ActionView::Make(crate::ObjType::Map),
                });
            }
            let doc = DocumentChunk {
                actors: &actors,
                heads: &[],
                changes: Vec::new(),
                deps: Vec::new(),
                ops,
                ids,
                succ_start,
                succ,
                grouped: None,
            };
            let doc = doc.id_columns();
            let sorted = group_sorted(&doc);
            if let Some(slots) = group_dense(&doc) {
                dense += 1;
                assert_eq!(slots, sorted, "round {round}");
            }
            refused += usize::from(sorted.is_err());
        }
        assert!(
            dense > 1500 && refused > 300,
            "{dense} by slots, {refused} refused"
        );
    }
}

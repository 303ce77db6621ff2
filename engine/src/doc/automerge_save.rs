//! Saving a document in Automerge's format (SPEC.md §4A.5): one document
//! chunk that automerge 0.12 loads to the same heads, JSON and conflicts.
//!
//! The ops go out in the order automerge keeps them (see
//! `format::automerge::document`): objects by id, map ops by key then id, a
//! list's by element in list order. Deletes are not written; they are the
//! successors that name no op. A document holding a change whose chunk is
//! kept as it came (not canonical) cannot put it in a document chunk, which
//! rebuilds every change canonically: it is saved as all its change chunks,
//! which `Automerge::load` takes as well.

use crate::actors::Id;
use crate::opset::{KeyRef, ObjData, OpSet, NONE};
use crate::value::Action;
use crate::Document;
use mergedb_format::automerge::document::{
    document_chunk, ChangeColumns, Columns, DocChangeRef, OpColumns,
};
use mergedb_format::snapshot::{IdRef, KeyRef as SnapKey};
use mergedb_format::ActorId;

/// Actor indices of the chunk: the document's actors that made a change,
/// in byte order.
struct Table {
    /// By engine actor index: its index in the chunk's table.
    index: Vec<u32>,
    actors: Vec<ActorId>,
}

impl Table {
    fn of(doc: &Document) -> Table {
        let all = doc.ops.actors.all();
        let mut used = vec![false; all.len()];
        for i in 0..doc.history.len() as u32 {
            used[doc.history.get(i).actor as usize] = true;
        }
        let mut by_rank: Vec<u32> = (0..all.len() as u32)
            .filter(|a| used[*a as usize])
            .collect();
        by_rank.sort_by_key(|a| doc.ops.actors.rank(*a));
        let mut index = vec![u32::MAX; all.len()];
        for (i, a) in by_rank.iter().enumerate() {
            index[*a as usize] = i as u32;
        }
        let actors = by_rank.iter().map(|a| all[*a as usize]).collect();
        Table { index, actors }
    }

    fn id(&self, id: Id) -> IdRef {
        IdRef {
            counter: id.counter,
            actor: self.index[id.actor as usize],
        }
    }
}

impl Document {
    /// The whole document in Automerge's format: a document chunk, or, if a
    /// change is kept as it came, every change chunk in causal order.
    pub fn save_automerge(&self) -> Vec<u8> {
        let kept = (0..self.history.len() as u32)
            .any(|i| self.verbatim.contains_key(&self.history.hash(i)));
        if kept {
            return self.chunks_since(&[]).unwrap_or_default().concat();
        }
        let table = Table::of(self);
        // The change columns, and the two halves of the op columns, are
        // independent: a large document writes them on two threads, from
        // one list of the ops in document order. Then the op columns are
        // compressed on both.
        let (changes, ops) = match self.history.len() < PARALLEL_FROM {
            true => {
                let order = doc_order(&self.ops, &table);
                let mut w = OpColumns::default();
                place_half(&self.ops, &table, &order, &mut w);
                action_half(&self.ops, &order, &mut w);
                (self.change_columns(&table), w.finish().compress())
            }
            false => std::thread::scope(|s| {
                let changes = s.spawn(|| self.change_columns(&table));
                let order = doc_order(&self.ops, &table);
                let ops = std::thread::scope(|s| {
                    let actions = s.spawn(|| {
                        let mut w = OpColumns::default();
                        action_half(&self.ops, &order, &mut w);
                        w.finish().compress()
                    });
                    let mut w = OpColumns::default();
                    place_half(&self.ops, &table, &order, &mut w);
                    w.finish().compress().join(join(actions))
                });
                (join(changes), ops)
            }),
        };
        let mut heads: Vec<(mergedb_format::ChangeHash, u32)> = self
            .history
            .heads()
            .into_iter()
            .filter_map(|h| Some((h, self.history.index_of(&h)?)))
            .collect();
        heads.sort_unstable();
        document_chunk(&table.actors, &heads, &changes, &ops)
    }

    /// One row per change, in history order.
    fn change_columns(&self, table: &Table) -> Columns {
        let mut w = ChangeColumns::default();
        // An actor's changes are in seq order in the history: counting
        // them gives each one's seq without a search.
        let mut seqs = vec![0u64; table.index.len()];
        for i in 0..self.history.len() as u32 {
            let c = self.history.get(i);
            let rare = self.history.rare_ref(i);
            let seq = seqs.get_mut(c.actor as usize).map_or(0, |s| {
                *s += 1;
                *s
            });
            w.change(DocChangeRef {
                actor: table.index[c.actor as usize],
                seq,
                max_op: self.history.max_op(i, &self.ops),
                time: c.time,
                message: rare.and_then(|r| r.message.as_deref()),
                deps: self.history.deps(i),
                extra: rare.map_or(&[][..], |r| &r.extra[..]),
            });
        }
        w.finish()
    }
}

/// A thread's result, or its panic, passed on.
fn join<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
    h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
}

/// Below this many changes, a second thread costs more than it saves.
const PARALLEL_FROM: usize = 4096;

/// Every op but the deletes, in document order, each with its object's id.
fn doc_order(ops: &OpSet, table: &Table) -> Vec<(u32, Option<IdRef>)> {
    let mut objects: Vec<u32> = (0..ops.objects.len() as u32).collect();
    let made_by = |o: u32| ops.objects[o as usize].made_by;
    objects.sort_by(|a, b| match (made_by(*a), made_by(*b)) {
        (NONE, NONE) => std::cmp::Ordering::Equal,
        (NONE, _) => std::cmp::Ordering::Less,
        (_, NONE) => std::cmp::Ordering::Greater,
        (x, y) => ops
            .actors
            .cmp(ops.ops[x as usize].id(), ops.ops[y as usize].id()),
    });
    // Increments are rare: without any, no op's successors need a look
    // (one pass in storage order, where a look per op would miss the cache).
    let incs = ops.ops.iter().any(|r| matches!(r.action, Action::Inc(_)));
    let mut order = Vec::with_capacity(ops.ops.len());
    let mut at = Vec::new();
    for o in objects {
        let obj = match made_by(o) {
            NONE => None,
            m => Some(table.id(ops.ops[m as usize].id())),
        };
        match &ops.objects[o as usize].data {
            ObjData::Map(keys) => {
                for list in keys.values() {
                    at.clear();
                    at.extend_from_slice(list);
                    group(ops, incs, &mut at, obj, &mut order);
                }
            }
            ObjData::Seq(seq, _) => {
                for elem in seq.iter() {
                    at.clear();
                    at.extend(ops.ops_at_elem(o, elem.op));
                    group(ops, incs, &mut at, obj, &mut order);
                }
            }
        }
    }
    order
}

/// The ops at one key or element (`at`: its puts, makes and insert), with
/// the increments of them, by id, added to `order`.
fn group(
    ops: &OpSet,
    incs: bool,
    at: &mut Vec<u32>,
    obj: Option<IdRef>,
    order: &mut Vec<(u32, Option<IdRef>)>,
) {
    if incs {
        let n = at.len();
        for i in 0..n {
            let k = at[i];
            at.extend(
                ops.succ(k)
                    .filter(|s| matches!(ops.ops[*s as usize].action, Action::Inc(_))),
            );
        }
    }
    if at.len() > 1 {
        at.sort_unstable_by(|a, b| {
            ops.actors
                .cmp(ops.ops[*a as usize].id(), ops.ops[*b as usize].id())
        });
        at.dedup();
    }
    // Deletes are never at a key's list or an element's.
    order.extend(
        at.iter()
            .filter(|k| !matches!(ops.ops[**k as usize].action, Action::Delete))
            .map(|k| (*k, obj)),
    );
}

/// The id, object, key, insert and successor columns of every op in
/// `order`.
fn place_half(ops: &OpSet, table: &Table, order: &[(u32, Option<IdRef>)], w: &mut OpColumns) {
    let mut succ = Vec::new();
    for (k, obj) in order {
        let rec = &ops.ops[*k as usize];
        let key = match rec.key() {
            KeyRef::Map(p) => SnapKey::Map(ops.prop(p)),
            KeyRef::Seq(NONE) => SnapKey::Head,
            KeyRef::Seq(e) => SnapKey::Elem(table.id(ops.ops[e as usize].id())),
        };
        // The chunk's actor indices are in byte order, so (counter, index)
        // is automerge's op id order: no allocation per op.
        succ.clear();
        succ.extend(ops.succ(*k).map(|s| table.id(ops.ops[s as usize].id())));
        succ.sort_unstable_by_key(|r: &IdRef| (r.counter, r.actor));
        w.op_place(table.id(rec.id()), *obj, key, rec.insert, &succ);
    }
}

/// The action and value columns of every op in `order`.
fn action_half(ops: &OpSet, order: &[(u32, Option<IdRef>)], w: &mut OpColumns) {
    for (k, _) in order {
        let mut buf = [0u8; 4];
        w.op_action(ops.ops[*k as usize].action.view(&mut buf));
    }
}

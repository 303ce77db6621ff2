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
use mergedb_format::automerge::document::{DocChangeRef, DocOpRef, DocumentWriter};
use mergedb_format::snapshot::{ActionView, IdRef, KeyRef as SnapKey};
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
        let mut w = DocumentWriter::default();
        for i in 0..self.history.len() as u32 {
            let c = self.history.get(i);
            let rare = self.history.rare_ref(i);
            w.change(DocChangeRef {
                actor: table.index[c.actor as usize],
                seq: self.history.seq_of(i),
                max_op: self.history.max_op(i, &self.ops),
                time: c.time,
                message: rare.and_then(|r| r.message.as_deref()),
                deps: self.history.deps(i),
                extra: rare.map_or(&[][..], |r| &r.extra[..]),
            });
        }
        write_ops(&self.ops, &table, &mut w);
        let mut heads: Vec<(mergedb_format::ChangeHash, u32)> = self
            .history
            .heads()
            .into_iter()
            .filter_map(|h| Some((h, self.history.index_of(&h)?)))
            .collect();
        heads.sort_unstable();
        w.finish(&table.actors, &heads)
    }
}

/// Every op but the deletes, in document order.
fn write_ops(ops: &OpSet, table: &Table, w: &mut DocumentWriter) {
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
    let mut at = Vec::new();
    let mut succ = Vec::new();
    for o in objects {
        match &ops.objects[o as usize].data {
            ObjData::Map(keys) => {
                for list in keys.values() {
                    at.clear();
                    at.extend_from_slice(list);
                    write_group(ops, table, w, &mut at, &mut succ);
                }
            }
            ObjData::Seq(seq, _) => {
                for elem in seq.iter() {
                    at.clear();
                    at.extend(ops.ops_at_elem(o, elem.op));
                    write_group(ops, table, w, &mut at, &mut succ);
                }
            }
        }
    }
}

/// The ops at one key or element (`at`: its puts, makes and insert), with
/// the increments of them, by id.
fn write_group(
    ops: &OpSet,
    table: &Table,
    w: &mut DocumentWriter,
    at: &mut Vec<u32>,
    succ: &mut Vec<IdRef>,
) {
    let n = at.len();
    for i in 0..n {
        let k = at[i];
        at.extend(
            ops.succ(k)
                .filter(|s| matches!(ops.ops[*s as usize].action, Action::Inc(_))),
        );
    }
    at.sort_unstable_by(|a, b| {
        ops.actors
            .cmp(ops.ops[*a as usize].id(), ops.ops[*b as usize].id())
    });
    at.dedup();
    for &k in at.iter() {
        let rec = &ops.ops[k as usize];
        // The chunk's actor indices are in byte order, so (counter, index)
        // is automerge's op id order: no allocation per op.
        succ.clear();
        succ.extend(ops.succ(k).map(|s| table.id(ops.ops[s as usize].id())));
        succ.sort_unstable_by_key(|r| (r.counter, r.actor));
        let obj = match ops.objects[rec.obj as usize].made_by {
            NONE => None,
            m => Some(table.id(ops.ops[m as usize].id())),
        };
        let key = match rec.key() {
            KeyRef::Map(p) => SnapKey::Map(ops.prop(p)),
            KeyRef::Seq(NONE) => SnapKey::Head,
            KeyRef::Seq(e) => SnapKey::Elem(table.id(ops.ops[e as usize].id())),
        };
        let mut buf = [0u8; 4];
        let action = match &rec.action {
            Action::Make(ty) => ActionView::Make(*ty),
            Action::Put(v) => ActionView::Put(v.as_ref(&mut buf)),
            Action::Inc(by) => ActionView::Increment(*by),
            // Deletes are never at a key's list or an element's.
            Action::Delete => continue,
        };
        w.op(DocOpRef {
            id: table.id(rec.id()),
            obj,
            key,
            insert: rec.insert,
            action,
            succ,
        });
    }
}

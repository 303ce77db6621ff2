//! Looking at the op set from outside: rebuilding the ops of a change, heap
//! accounting, and the invariant checks that tests run.

use super::{KeyRef, ObjData, OpRec, OpSet, Run, NONE};
use crate::opset::seq::Elem;
use mergedb_format::snapshot::{HistoryWriter, IdRef, KeyRef as SnapKey, OpRef};

impl OpSet {
    /// Op `k`'s preds.
    pub fn preds_of(&self, k: u32) -> &[u32] {
        let start = self.pred_at[k as usize] as usize;
        let end = self
            .pred_at
            .get(k as usize + 1)
            .map_or(self.preds.len(), |e| *e as usize);
        &self.preds[start..end]
    }

    /// Op `k` as a change holds it.
    pub fn export_op(&self, k: u32) -> mergedb_format::Op {
        use mergedb_format::{ElemId, Key, ObjId};
        let rec = &self.ops[k as usize];
        let export = |i: u32| self.actors.export(self.ops[i as usize].id());
        let obj = match self.objects[rec.obj as usize].made_by {
            NONE => ObjId::Root,
            made_by => ObjId::Op(export(made_by)),
        };
        let key = match rec.key() {
            KeyRef::Map(p) => Key::Map(self.prop(p).to_string()),
            KeyRef::Seq(NONE) => Key::Seq(ElemId::Head),
            KeyRef::Seq(e) => Key::Seq(ElemId::Op(export(e))),
        };
        let action = rec.action.to_op_action();
        let mut pred: Vec<_> = self.preds_of(k).iter().map(|p| export(*p)).collect();
        pred.sort_unstable();
        mergedb_format::Op {
            obj,
            key,
            insert: rec.insert,
            action,
            pred,
        }
    }

    /// Writes op `k` into a snapshot's history, as `export_op` would give it
    /// but with no allocation: a typed character is written from its inline
    /// `char`. `preds` is scratch space.
    pub fn write_op(&self, w: &mut HistoryWriter, k: u32, preds: &mut Vec<IdRef>) {
        let rec = &self.ops[k as usize];
        let id_ref = |i: u32| {
            let id = self.ops[i as usize].id();
            IdRef {
                counter: id.counter,
                actor: id.actor,
            }
        };
        let obj = match self.objects[rec.obj as usize].made_by {
            NONE => None,
            made_by => Some(id_ref(made_by)),
        };
        let key = match rec.key() {
            KeyRef::Map(p) => SnapKey::Map(self.prop(p)),
            KeyRef::Seq(NONE) => SnapKey::Head,
            KeyRef::Seq(e) => SnapKey::Elem(id_ref(e)),
        };
        preds.clear();
        preds.extend(self.preds_of(k).iter().map(|p| id_ref(*p)));
        // A change lists its preds in op id order, which ranks actors by bytes.
        if preds.len() > 1 {
            preds.sort_unstable_by(|a, b| {
                let id = |r: &IdRef| crate::actors::Id {
                    counter: r.counter,
                    actor: r.actor,
                };
                self.actors.cmp(id(a), id(b))
            });
        }
        let mut buf = [0u8; 4];
        let action = rec.action.view(&mut buf);
        w.op(OpRef {
            obj,
            key,
            insert: rec.insert,
            action,
            pred: preds,
        });
    }

    /// Heap bytes by component, from capacities (for memory work).
    pub fn memory(&self) -> Vec<(&'static str, usize)> {
        let elems: usize = self
            .objects
            .iter()
            .map(|o| match &o.data {
                ObjData::Seq(seq, _) => seq.iter().count() * std::mem::size_of::<Elem>(),
                ObjData::Map(_) => 0,
            })
            .sum();
        vec![
            (
                "ops: records",
                self.ops.capacity() * std::mem::size_of::<OpRec>(),
            ),
            (
                "ops: runs",
                self.runs
                    .iter()
                    .map(|r| r.capacity() * std::mem::size_of::<Run>())
                    .sum(),
            ),
            ("ops: sequence elements", elems),
            ("ops: extra successors", self.more_succ.capacity() * 40),
            (
                "ops: preds",
                (self.pred_at.capacity() + self.preds.capacity()) * 4,
            ),
        ]
    }

    /// See `Document::check`.
    pub fn check(&self) {
        for (o, object) in self.objects.iter().enumerate() {
            let ObjData::Seq(seq, _) = &object.data else {
                continue;
            };
            seq.check();
            for e in seq.iter() {
                let winner = self.elem_winner(o as u32, e.op, None);
                assert_eq!(
                    winner.unwrap_or(NONE),
                    e.winner,
                    "cached winner of element {}",
                    e.op
                );
                let width = winner.map_or(0, |w| self.width_of(o as u32, w));
                assert_eq!(width, e.width);
                assert_eq!(
                    self.cursor_of(o as u32, e.op)
                        .and_then(|c| seq.get(c))
                        .map(|x| x.op),
                    Some(e.op)
                );
            }
        }
    }
}

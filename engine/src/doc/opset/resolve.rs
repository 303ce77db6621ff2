//! Turning a change's ops into resolved ops, checking every reference against
//! the document (the rules SPEC.md §3.4 leaves to application).

use super::{KeyRef, NewOp, ObjData, OpSet, NONE, ROOT};
use crate::actors::Id;
use crate::value::Action;
use crate::EngineError;
use mergedb_format::snapshot::ActionView;
use mergedb_format::{Change, ElemId, Key, ObjId, OpId};

impl OpSet {
    fn local_id(&self, id: &OpId) -> Option<Id> {
        let actor = self.actors.lookup(&id.actor)?;
        Some(Id {
            counter: id.counter,
            actor,
        })
    }

    /// Resolves op `index` of `change`, whose actor has index `actor`; its
    /// preds go into `pred`, which is cleared first.
    pub fn resolve(
        &mut self,
        change: &Change,
        actor: u32,
        index: usize,
        pred: &mut Vec<u32>,
    ) -> Result<NewOp, EngineError> {
        let op = &change.ops[index];
        let bad = |reason: String| EngineError::BadReference {
            actor: change.actor,
            seq: change.seq,
            index,
            reason,
        };
        let obj = match &op.obj {
            ObjId::Root => ROOT,
            ObjId::Op(id) => self
                .local_id(id)
                .and_then(|id| self.object_by_id(id))
                .ok_or(EngineError::UnknownObject {
                    actor: change.actor,
                    seq: change.seq,
                    obj: *id,
                })?,
        };
        let is_seq = matches!(self.objects[obj as usize].data, ObjData::Seq(..));
        let key =
            match (&op.key, is_seq) {
                (Key::Map(k), false) => KeyRef::Map(self.intern_prop(k)),
                (Key::Seq(ElemId::Head), true) => KeyRef::Seq(NONE),
                (Key::Seq(ElemId::Op(id)), true) => {
                    let elem = self.local_id(id).and_then(|id| self.find(id));
                    let elem = elem.filter(|e| {
                        let rec = &self.ops[*e as usize];
                        rec.insert && rec.obj == obj
                    });
                    KeyRef::Seq(elem.ok_or_else(|| {
                        bad(format!("names element {id}, which is not in its list"))
                    })?)
                }
                (Key::Map(_), true) => return Err(bad("names a map key in a list or text".into())),
                (Key::Seq(_), false) => return Err(bad("names a list element in a map".into())),
            };
        pred.clear();
        for p in &op.pred {
            let found = self.local_id(p).and_then(|id| self.find(id));
            let found =
                found.filter(|f| self.ops[*f as usize].obj == obj && self.key_at(*f) == key);
            pred.push(
                found.ok_or_else(|| bad(format!("has pred {p}, which is not an op at its key")))?,
            );
        }
        let action = Action::from_view(ActionView::of(&op.action));
        Ok(NewOp {
            id: Id {
                counter: change.start_op + index as u64,
                actor,
            },
            obj,
            key,
            insert: op.insert,
            action,
        })
    }

    /// The key that op `k` acts at: for an insert, its own element.
    pub fn key_at(&self, k: u32) -> KeyRef {
        let rec = &self.ops[k as usize];
        match rec.key() {
            KeyRef::Seq(_) if rec.insert => KeyRef::Seq(k),
            key => key,
        }
    }
}

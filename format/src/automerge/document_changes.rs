//! A document chunk's rows turned back into its changes (SPEC.md §4A.5),
//! as automerge's change collector does: each op goes to the change of
//! its actor whose op range holds its counter; a successor that names no
//! op is a delete, at the key of the op it deletes; an op's preds are the
//! ops that list it as a successor. The changes are hashed in row order,
//! and the heads they give must be the heads the chunk declares.

use super::document_decode::DocumentChunk;
use crate::snapshot::{IdRef, KeyRef};
use crate::{ActorId, Change, ChangeHash, DecodeError, ElemId, Key, ObjId, Op, OpAction, OpId};
use std::collections::HashMap;

type Result<T> = std::result::Result<T, DecodeError>;

fn bad(detail: String) -> DecodeError {
    DecodeError::BadDocument { detail }
}

struct Ids<'a> {
    actors: &'a [ActorId],
}

impl Ids<'_> {
    fn op_id(&self, id: IdRef) -> OpId {
        OpId {
            counter: id.counter,
            actor: self
                .actors
                .get(id.actor as usize)
                .copied()
                .unwrap_or(ActorId::PLACEHOLDER),
        }
    }

    fn obj(&self, obj: Option<IdRef>) -> ObjId {
        obj.map_or(ObjId::Root, |o| ObjId::Op(self.op_id(o)))
    }

    fn key(&self, key: &KeyRef<'_>) -> Key {
        match key {
            KeyRef::Map(k) => Key::Map(k.to_string()),
            KeyRef::Head => Key::Seq(ElemId::Head),
            KeyRef::Elem(e) => Key::Seq(ElemId::Op(self.op_id(*e))),
        }
    }
}

/// Every op of the document, deletes included, with its id.
fn all_ops(doc: &DocumentChunk<'_>) -> Result<Vec<(IdRef, Op)>> {
    let ids = Ids { actors: doc.actors };
    let mut row_of: HashMap<(u32, u64), usize> = HashMap::with_capacity(doc.ops.len());
    for (row, id) in doc.ids.iter().enumerate() {
        if row_of.insert((id.actor, id.counter), row).is_some() {
            return Err(bad(format!("op {row}: its id is another op's too")));
        }
    }
    let mut ops: Vec<(IdRef, Op)> = doc
        .ops
        .iter()
        .zip(&doc.ids)
        .map(|(op, id)| {
            let action = op.action.to_owned();
            let o = Op {
                obj: ids.obj(op.obj),
                key: ids.key(&op.key),
                insert: op.insert,
                action,
                pred: Vec::new(),
            };
            (*id, o)
        })
        .collect();
    let mut deletes: HashMap<(u32, u64), usize> = HashMap::new();
    for (row, (op, id)) in doc.ops.iter().zip(&doc.ids).enumerate() {
        let me = ids.op_id(*id);
        for s in doc.succ_of(row) {
            let target = match row_of.get(&(s.actor, s.counter)) {
                Some(t) => *t,
                None => match deletes.get(&(s.actor, s.counter)) {
                    Some(t) => *t,
                    None => {
                        let key = match (op.insert, &op.key) {
                            (true, _) => Key::Seq(ElemId::Op(me)),
                            (false, k) => ids.key(k),
                        };
                        let del = Op {
                            obj: ids.obj(op.obj),
                            key,
                            insert: false,
                            action: OpAction::Delete,
                            pred: Vec::new(),
                        };
                        ops.push((*s, del));
                        deletes.insert((s.actor, s.counter), ops.len() - 1);
                        ops.len() - 1
                    }
                },
            };
            if target == row {
                return Err(bad(format!("op {row} is its own successor")));
            }
            if let Some((_, t)) = ops.get_mut(target) {
                t.pred.push(me);
            }
        }
    }
    for (_, op) in ops.iter_mut() {
        op.pred.sort_unstable();
    }
    Ok(ops)
}

/// The changes of a document chunk, in its row order, each with its hash.
pub fn document_changes(doc: &DocumentChunk<'_>) -> Result<Vec<(Change, ChangeHash)>> {
    let mut ops = all_ops(doc)?;
    ops.sort_unstable_by_key(|(id, _)| (id.actor, id.counter));
    // Per actor: its changes' rows, by seq.
    let mut by_actor: Vec<Vec<usize>> = vec![Vec::new(); doc.actors.len()];
    for (row, c) in doc.changes.iter().enumerate() {
        let list = by_actor
            .get_mut(c.actor as usize)
            .ok_or_else(|| bad(format!("change {row}: no such actor")))?;
        list.push(row);
    }
    let mut grouped: Vec<(u64, Vec<Op>)> = vec![(0, Vec::new()); doc.changes.len()];
    let mut next = ops.into_iter().peekable();
    for (a, rows) in by_actor.iter_mut().enumerate() {
        rows.sort_unstable_by_key(|r| doc.changes.get(*r).map_or(0, |c| c.seq));
        let mut prev_max = 0;
        for (i, row) in rows.iter().enumerate() {
            let c = doc
                .changes
                .get(*row)
                .ok_or_else(|| bad("a change row".into()))?;
            if c.seq != i as u64 + 1 || (i > 0 && c.max_op < prev_max) {
                return Err(bad(format!(
                    "change {row}: seq {} out of its actor's order",
                    c.seq
                )));
            }
            let slot = grouped
                .get_mut(*row)
                .ok_or_else(|| bad("a change row".into()))?;
            slot.0 = c.max_op + 1;
            while let Some((id, _)) = next.peek() {
                if id.actor as usize != a || id.counter > c.max_op {
                    break;
                }
                if let Some((id, op)) = next.next() {
                    if slot.1.is_empty() {
                        slot.0 = id.counter;
                    }
                    let want = slot.0 + slot.1.len() as u64;
                    if id.counter != want {
                        return Err(bad(format!(
                            "change {row}: op counters are not consecutive"
                        )));
                    }
                    slot.1.push(op);
                }
            }
            if !slot.1.is_empty() && slot.0 + slot.1.len() as u64 - 1 != c.max_op {
                return Err(bad(format!("change {row}: its ops end before its max op")));
            }
            prev_max = c.max_op;
        }
    }
    if let Some((id, _)) = next.next() {
        return Err(bad(format!(
            "op ({}, {}) is in no change",
            id.counter, id.actor
        )));
    }
    hash_in_order(doc, grouped)
}

fn hash_in_order(
    doc: &DocumentChunk<'_>,
    grouped: Vec<(u64, Vec<Op>)>,
) -> Result<Vec<(Change, ChangeHash)>> {
    let mut out: Vec<(Change, ChangeHash)> = Vec::with_capacity(grouped.len());
    let mut is_dep = vec![false; grouped.len()];
    for (row, (c, (start_op, ops))) in doc.changes.iter().zip(grouped).enumerate() {
        let mut deps = Vec::with_capacity(c.deps_len as usize);
        for d in doc.deps_of(c) {
            let (_, h) = out
                .get(*d as usize)
                .ok_or_else(|| bad(format!("change {row}: a dep")))?;
            deps.push(*h);
            if let Some(flag) = is_dep.get_mut(*d as usize) {
                *flag = true;
            }
        }
        deps.sort_unstable();
        deps.dedup();
        let change = Change {
            actor: doc
                .actors
                .get(c.actor as usize)
                .copied()
                .unwrap_or(ActorId::PLACEHOLDER),
            seq: c.seq,
            start_op,
            time: c.time,
            message: c.message.map(str::to_string),
            deps,
            ops,
            extra: c.extra.to_vec(),
        };
        change
            .check()
            .map_err(|e| bad(format!("change {row}: {e}")))?;
        let hash = change.hash();
        out.push((change, hash));
    }
    let mut heads: Vec<ChangeHash> = out
        .iter()
        .zip(&is_dep)
        .filter(|(_, d)| !**d)
        .map(|((_, h), _)| *h)
        .collect();
    heads.sort_unstable();
    let mut declared = doc.heads.to_vec();
    declared.sort_unstable();
    if heads != declared {
        return Err(bad(format!(
            "its changes give {} heads that are not the {} it declares",
            heads.len(),
            declared.len()
        )));
    }
    Ok(out)
}

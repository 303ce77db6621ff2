//! Building an op set in one pass from a snapshot's history (SPEC.md §5.5).
//!
//! Applying a history change by change places each new list element by a
//! search through its sequence (`insert_elem`). Loading a whole history
//! needs none of that: RGA order is the pre-order walk of the tree in which
//! each element hangs under the element it was inserted after, siblings in
//! descending op id order. That holds when every element's id is above its
//! parent's, which §3.4 gives every valid change (an op names only lower
//! counters); the build checks it anyway, and gives up where it does not
//! hold, and the caller applies the history change by change instead. So it
//! does on a reference that does not resolve, and on every other case it does
//! not handle: it never has to produce an error of its own, only to be sure
//! of what it accepts.

use super::seq::{Elem, Seq, BUILD_CHUNK};
use super::{KeyRef, NewOp, ObjData, OpSet, NONE, ROOT};
use crate::actors::Id;
use crate::value::Action;
use mergedb_format::snapshot::{ChangeView, IdRef, KeyRef as SnapKey};
use mergedb_format::ActorId;
use std::cmp::Ordering;

/// The one-pass build cannot vouch for this history; apply it change by change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GiveUp;

/// The state of a build between ops: the tree of list elements, and caches.
#[derive(Debug, Default)]
pub(crate) struct Bulk {
    /// For each actor index of the section's table, its index in the op set
    /// (`NONE` until a change or a lookup has named it).
    actor_map: Vec<u32>,
    /// By op index: an insert's first child and its next sibling in the tree.
    first_child: Vec<u32>,
    next_sibling: Vec<u32>,
    /// By object index: the first element under a sequence's head.
    head_child: Vec<u32>,
    pred: Vec<u32>,
    /// The object of the previous op: a run of typing names one object.
    last_obj: Option<(Id, u32)>,
}

impl Bulk {
    /// A build of a history whose table has `section_actors` actors, and
    /// which holds about `ops` ops.
    pub fn new(section_actors: usize, ops: usize) -> Self {
        Bulk {
            actor_map: vec![NONE; section_actors],
            first_child: Vec::with_capacity(ops),
            next_sibling: Vec::with_capacity(ops),
            ..Bulk::default()
        }
    }

    /// The op set's index of a change's own actor, added if it is new (as
    /// applying the change would).
    pub fn intern(&mut self, ops: &mut OpSet, table: &[ActorId], a: u32) -> Result<u32, GiveUp> {
        let slot = self.actor_map.get_mut(a as usize).ok_or(GiveUp)?;
        if *slot == NONE {
            *slot = ops.actors.intern(*table.get(a as usize).ok_or(GiveUp)?);
        }
        Ok(*slot)
    }

    /// An op id named by an op: its actor must already be in the op set.
    fn local(&mut self, ops: &OpSet, table: &[ActorId], r: IdRef) -> Result<Id, GiveUp> {
        let slot = self.actor_map.get_mut(r.actor as usize).ok_or(GiveUp)?;
        if *slot == NONE {
            *slot = ops
                .actors
                .lookup(table.get(r.actor as usize).ok_or(GiveUp)?)
                .ok_or(GiveUp)?;
        }
        Ok(Id {
            counter: r.counter,
            actor: *slot,
        })
    }

    fn object(&mut self, ops: &OpSet, table: &[ActorId], r: Option<IdRef>) -> Result<u32, GiveUp> {
        let Some(r) = r else { return Ok(ROOT) };
        let id = self.local(ops, table, r)?;
        if let Some((last, obj)) = self.last_obj {
            if last == id {
                return Ok(obj);
            }
        }
        let obj = ops.object_by_id(id).ok_or(GiveUp)?;
        self.last_obj = Some((id, obj));
        Ok(obj)
    }

    /// Adds op `index` of `change`, made by op set actor `actor`, checking
    /// every reference as `OpSet::resolve` does.
    pub fn op(
        &mut self,
        ops: &mut OpSet,
        table: &[ActorId],
        change: &ChangeView<'_>,
        index: usize,
        actor: u32,
    ) -> Result<(), GiveUp> {
        let op = change.ops.get(index).ok_or(GiveUp)?;
        let obj = self.object(ops, table, op.obj)?;
        let is_seq = matches!(ops.objects[obj as usize].data, ObjData::Seq(..));
        let key = match (op.key, is_seq) {
            (SnapKey::Map(k), false) => KeyRef::Map(ops.intern_prop(k)),
            (SnapKey::Head, true) => KeyRef::Seq(NONE),
            (SnapKey::Elem(r), true) => {
                let id = self.local(ops, table, r)?;
                let elem = ops.find(id).filter(|e| {
                    let rec = &ops.ops[*e as usize];
                    rec.insert && rec.obj == obj
                });
                KeyRef::Seq(elem.ok_or(GiveUp)?)
            }
            _ => return Err(GiveUp),
        };
        self.pred.clear();
        for p in change.preds(op) {
            let id = self.local(ops, table, *p)?;
            let found = ops
                .find(id)
                .filter(|f| ops.ops[*f as usize].obj == obj && ops.key_at(*f) == key);
            self.pred.push(found.ok_or(GiveUp)?);
        }
        let new = NewOp {
            id: Id {
                counter: change.start_op.wrapping_add(index as u64),
                actor,
            },
            obj,
            key,
            insert: op.insert,
            action: Action::from_view(op.action),
        };
        let k = ops.push_op(&new, &self.pred);
        self.first_child.resize(k as usize + 1, NONE);
        self.next_sibling.resize(k as usize + 1, NONE);
        let visible_kind = matches!(new.action, Action::Put(_) | Action::Make(_));
        match key {
            KeyRef::Map(p) if visible_kind => ops.add_to_key(obj, p, k),
            KeyRef::Map(_) => {}
            KeyRef::Seq(after) if new.insert => self.hang(ops, obj, after, k)?,
            KeyRef::Seq(elem) => ops.add_at_elem(&new, elem, k),
        }
        Ok(())
    }

    /// Hangs insert `k` under `after` (`NONE`: the head of `obj`), among its
    /// siblings in descending id order.
    fn hang(&mut self, ops: &OpSet, obj: u32, after: u32, k: u32) -> Result<(), GiveUp> {
        let id = ops.ops[k as usize].id();
        if after != NONE && ops.actors.cmp(ops.ops[after as usize].id(), id) != Ordering::Less {
            return Err(GiveUp);
        }
        if self.head_child.len() < ops.objects.len() {
            self.head_child.resize(ops.objects.len(), NONE);
        }
        let mut prev = NONE;
        let mut next = match after {
            NONE => self.head_child[obj as usize],
            a => self.first_child[a as usize],
        };
        while next != NONE && ops.actors.cmp(ops.ops[next as usize].id(), id) == Ordering::Greater {
            prev = next;
            next = self.next_sibling[next as usize];
        }
        self.next_sibling[k as usize] = next;
        match (prev, after) {
            (NONE, NONE) => self.head_child[obj as usize] = k,
            (NONE, a) => self.first_child[a as usize] = k,
            (p, _) => self.next_sibling[p as usize] = k,
        }
        Ok(())
    }

    /// Lays out every sequence from its tree, with each element's winner.
    pub fn finish(mut self, ops: &mut OpSet) {
        self.head_child.resize(ops.objects.len(), NONE);
        let mut order = Vec::new();
        let mut stack = Vec::new();
        for obj in 0..ops.objects.len() as u32 {
            if !matches!(ops.objects[obj as usize].data, ObjData::Seq(..)) {
                continue;
            }
            order.clear();
            let mut at = self.head_child[obj as usize];
            loop {
                while at != NONE {
                    order.push(at);
                    stack.push(self.next_sibling[at as usize]);
                    at = self.first_child[at as usize];
                }
                match stack.pop() {
                    Some(next) => at = next,
                    None => break,
                }
            }
            // With no put at any element, each element's only candidate is its
            // insert: a hash lookup per element saved.
            let only_inserts = match &ops.objects[obj as usize].data {
                ObjData::Seq(_, at) => at.is_empty(),
                ObjData::Map(_) => false,
            };
            let elems: Vec<Elem> = order
                .iter()
                .map(|e| {
                    let winner = match only_inserts {
                        true => ops.visible(*e, None).then_some(*e),
                        false => ops.elem_winner(obj, *e, None),
                    };
                    Elem {
                        op: *e,
                        winner: winner.unwrap_or(NONE),
                        width: winner.map_or(0, |w| ops.width_of(obj, w)),
                    }
                })
                .collect();
            for (i, e) in order.iter().enumerate() {
                ops.ops[*e as usize].chunk = (i / BUILD_CHUNK) as u32;
            }
            if let ObjData::Seq(seq, _) = &mut ops.objects[obj as usize].data {
                *seq = Seq::build(&elems);
            }
        }
    }
}

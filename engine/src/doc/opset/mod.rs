//! The op set: every op of a document, the objects they make, and the indexes
//! that reads and merges need. SPEC.md §2 gives the rules implemented here.

mod bulk;
pub(crate) mod fenwick;
mod inspect;
mod marks;
mod read;
mod resolve;
pub(crate) mod seq;

use crate::actors::{Actors, Id};
use crate::value::{Action, Val};
pub(crate) use bulk::{Bulk, GiveUp};
use mergedb_format::ObjType;
use seq::{Cursor, Elem, Seq};
use std::collections::{BTreeMap, HashMap};

/// "None" for op, object and chunk indices; as a list key, the head.
pub(crate) const NONE: u32 = u32::MAX;
/// The root object's index.
pub(crate) const ROOT: u32 = 0;

/// Where an op acts: an interned map key, or the insert op of a list element
/// (`NONE` for the head).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyRef {
    Map(u32),
    Seq(u32),
}

/// One op: 48 bytes, laid out flat (no padded `Id`, the key as a number and a
/// flag), because a document holds one per keystroke.
#[derive(Clone, Debug)]
pub(crate) struct OpRec {
    counter: u64,
    actor: u32,
    pub obj: u32,
    /// A prop index (map key) or an insert op index (`NONE`: the head).
    key: u32,
    /// The first successor (an op whose pred names this one), or `NONE`; the
    /// rest are in `OpSet::more_succ`, since most ops have at most one.
    succ: u32,
    /// For an insert: the chunk of its object's sequence that holds its element.
    pub chunk: u32,
    seq_key: bool,
    pub insert: bool,
    pub action: Action,
}

impl OpRec {
    /// A record that owns no heap memory, to write into spare room.
    pub fn blank() -> OpRec {
        OpRec {
            counter: 0,
            actor: 0,
            obj: 0,
            key: 0,
            succ: NONE,
            chunk: NONE,
            seq_key: false,
            insert: false,
            action: Action::Delete,
        }
    }

    pub fn id(&self) -> Id {
        Id {
            counter: self.counter,
            actor: self.actor,
        }
    }

    pub fn key(&self) -> KeyRef {
        match self.seq_key {
            true => KeyRef::Seq(self.key),
            false => KeyRef::Map(self.key),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) enum ObjData {
    /// For each key, the puts and makes at it, ascending by op id. Deletes and
    /// increments are reached through their preds' successor lists.
    Map(BTreeMap<Box<str>, Vec<u32>>),
    /// The elements, and for each element the puts and makes at it other than
    /// its insert.
    Seq(Seq, HashMap<u32, Vec<u32>>),
}

#[derive(Clone, Debug)]
pub(crate) struct Object {
    pub ty: ObjType,
    /// The op that made it; `NONE` for the root.
    pub made_by: u32,
    pub data: ObjData,
}

/// A run of ops with consecutive counters by one actor at consecutive indices:
/// one per change, which makes finding an op by id a binary search.
#[derive(Clone, Copy, Debug)]
struct Run {
    start: u64,
    first: u32,
    len: u32,
}

/// An op ready to apply: every reference resolved to an index. Its preds are
/// passed beside it, as a slice, so that a batch can reuse one buffer.
#[derive(Clone, Debug)]
pub(crate) struct NewOp {
    pub id: Id,
    pub obj: u32,
    pub key: KeyRef,
    pub insert: bool,
    pub action: Action,
}

/// What it takes to undo one applied op (its preds are in the pred table).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Undo {
    prev_max_op: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct OpSet {
    pub actors: Actors,
    pub ops: Vec<OpRec>,
    /// Op `k`'s preds are `preds[pred_at[k]..pred_at[k + 1]]` (or to the end):
    /// kept to rebuild changes, packed because most ops have none or one.
    pred_at: Vec<u32>,
    preds: Vec<u32>,
    more_succ: HashMap<u32, Vec<u32>>,
    pub objects: Vec<Object>,
    obj_by_id: HashMap<Id, u32>,
    props: Vec<Box<str>>,
    prop_index: HashMap<Box<str>, u32>,
    runs: Vec<Vec<Run>>,
    pub max_op: u64,
    /// How many mark ops it holds: a local insert looks at the marks around
    /// its place only if there are any (SPEC.md §2.10).
    pub marks: usize,
}

impl Default for OpSet {
    fn default() -> Self {
        OpSet {
            actors: Actors::default(),
            ops: Vec::new(),
            pred_at: Vec::new(),
            preds: Vec::new(),
            more_succ: HashMap::new(),
            objects: vec![Object {
                ty: ObjType::Map,
                made_by: NONE,
                data: ObjData::Map(BTreeMap::new()),
            }],
            obj_by_id: HashMap::new(),
            props: Vec::new(),
            prop_index: HashMap::new(),
            runs: Vec::new(),
            max_op: 0,
            marks: 0,
        }
    }
}

impl OpSet {
    /// Makes room for the preds of `n` more ops, about one each (the room
    /// for their records is made apart: see `adopt_records`).
    pub fn reserve_links(&mut self, n: usize) {
        self.pred_at.reserve(n);
        self.preds.reserve(n);
    }

    /// Moves the op records into `room` (empty, made with room for them
    /// all), which then holds them.
    pub fn adopt_records(&mut self, mut room: Vec<OpRec>) {
        room.append(&mut self.ops);
        self.ops = room;
    }

    pub fn prop(&self, p: u32) -> &str {
        &self.props[p as usize]
    }

    pub fn intern_prop(&mut self, key: &str) -> u32 {
        if let Some(p) = self.prop_index.get(key) {
            return *p;
        }
        let p = self.props.len() as u32;
        self.props.push(key.into());
        self.prop_index.insert(key.into(), p);
        p
    }

    /// The index of the op with this id.
    pub fn find(&self, id: Id) -> Option<u32> {
        let runs = self.runs.get(id.actor as usize)?;
        let i = runs
            .partition_point(|r| r.start <= id.counter)
            .checked_sub(1)?;
        let run = runs[i];
        (id.counter - run.start < u64::from(run.len))
            .then(|| run.first + (id.counter - run.start) as u32)
    }

    /// The object made by the op with this id.
    pub fn object_by_id(&self, id: Id) -> Option<u32> {
        self.obj_by_id.get(&id).copied()
    }

    pub fn succ(&self, op: u32) -> impl Iterator<Item = u32> + '_ {
        let first = self.ops[op as usize].succ;
        // Most ops have at most one successor: no lookup (and no hashing)
        // when none has more.
        let more = match first == NONE || self.more_succ.is_empty() {
            true => None,
            false => self.more_succ.get(&op),
        };
        (first != NONE)
            .then_some(first)
            .into_iter()
            .chain(more.into_iter().flatten().copied())
    }

    fn add_succ(&mut self, op: u32, succ: u32) {
        let rec = &mut self.ops[op as usize];
        if rec.succ == NONE {
            rec.succ = succ;
        } else {
            self.more_succ.entry(op).or_default().push(succ);
        }
    }

    /// Removes the most recently added successor of `op`.
    fn pop_succ(&mut self, op: u32) {
        if let Some(more) = self.more_succ.get_mut(&op) {
            more.pop();
            if more.is_empty() {
                self.more_succ.remove(&op);
            }
        } else {
            self.ops[op as usize].succ = NONE;
        }
    }

    /// Applies a resolved op and returns how to undo it. The caller has checked
    /// every reference (`resolve`) or built the op from the document itself.
    pub fn apply(&mut self, op: NewOp, pred: &[u32]) -> Undo {
        let undo = Undo {
            prev_max_op: self.max_op,
        };
        let k = self.push_op(&op, pred);
        let visible_kind = matches!(op.action, Action::Put(_) | Action::Make(_));
        match op.key {
            KeyRef::Map(p) if visible_kind => self.add_to_key(op.obj, p, k),
            KeyRef::Map(_) => {}
            KeyRef::Seq(after) if op.insert => self.insert_elem(op.obj, after, k),
            KeyRef::Seq(elem) => {
                self.add_at_elem(&op, elem, k);
                self.refresh_elem(op.obj, elem);
            }
        }
        undo
    }

    /// Records a put or make at an existing list element.
    fn add_at_elem(&mut self, op: &NewOp, elem: u32, k: u32) {
        if matches!(op.action, Action::Put(_) | Action::Make(_)) {
            if let ObjData::Seq(_, at) = &mut self.objects[op.obj as usize].data {
                at.entry(elem).or_default().push(k);
            }
        }
    }

    /// Adds op `op` with its preds (and successor links to it), and the
    /// object it makes; returns its index. Its key is the caller's to place.
    fn push_op(&mut self, op: &NewOp, pred: &[u32]) -> u32 {
        let k = self.ops.len() as u32;
        self.push_rec(k, op);
        self.pred_at.push(self.preds.len() as u32);
        self.preds.extend_from_slice(pred);
        for p in pred {
            self.add_succ(*p, k);
        }
        if let Action::Mark(_) = op.action {
            self.marks += 1;
        }
        if let Action::Make(ty) = op.action {
            let data = match ty {
                ObjType::Map | ObjType::Table => ObjData::Map(BTreeMap::new()),
                ObjType::List | ObjType::Text => ObjData::Seq(Seq::default(), HashMap::new()),
            };
            self.obj_by_id.insert(op.id, self.objects.len() as u32);
            self.objects.push(Object {
                ty,
                made_by: k,
                data,
            });
        }
        k
    }

    fn push_rec(&mut self, k: u32, op: &NewOp) {
        let (seq_key, key) = match op.key {
            KeyRef::Map(p) => (false, p),
            KeyRef::Seq(e) => (true, e),
        };
        self.ops.push(OpRec {
            counter: op.id.counter,
            actor: op.id.actor,
            obj: op.obj,
            key,
            succ: NONE,
            chunk: NONE,
            seq_key,
            insert: op.insert,
            action: op.action.clone(),
        });
        self.max_op = self.max_op.max(op.id.counter);
        let a = op.id.actor as usize;
        if self.runs.len() <= a {
            self.runs.resize(a + 1, Vec::new());
        }
        let runs = &mut self.runs[a];
        match runs.last_mut() {
            Some(r) if r.start + u64::from(r.len) == op.id.counter && r.first + r.len == k => {
                r.len += 1
            }
            _ => runs.push(Run {
                start: op.id.counter,
                first: k,
                len: 1,
            }),
        }
    }

    fn add_to_key(&mut self, obj: u32, prop: u32, k: u32) {
        let key = self.props[prop as usize].clone();
        let ObjData::Map(keys) = &mut self.objects[obj as usize].data else {
            return;
        };
        let list = keys.entry(key).or_default();
        let id = self.ops[k as usize].id();
        let actors = &self.actors;
        let ops = &self.ops;
        let at = list.partition_point(|o| actors.cmp(ops[*o as usize].id(), id).is_lt());
        list.insert(at, k);
    }

    /// Places a new element by RGA (SPEC.md §2.7): just after `after`, past
    /// every element with a higher id.
    fn insert_elem(&mut self, obj: u32, after: u32, k: u32) {
        let start = match after {
            NONE => Some(Cursor { pos: 0, off: 0 }),
            _ => self.cursor_of(obj, after).map(|c| Cursor {
                pos: c.pos,
                off: c.off + 1,
            }),
        };
        let (id, width) = (self.ops[k as usize].id(), self.width_of(obj, k));
        let (actors, ops, objects) = (&self.actors, &self.ops, &mut self.objects);
        let ObjData::Seq(seq, _) = &mut objects[obj as usize].data else {
            return;
        };
        let mut at = start.unwrap_or(Cursor { pos: 0, off: 0 });
        while let Some(c) = seq.seek(at) {
            let there = seq.get(c).map(|e| ops[e.op as usize].id());
            match there {
                Some(other) if actors.cmp(other, id).is_gt() => {
                    at = Cursor {
                        pos: c.pos,
                        off: c.off + 1,
                    }
                }
                _ => {
                    at = c;
                    break;
                }
            }
        }
        // A new element's insert is its winner, unless it is a mark, which
        // is never visible.
        let elem = match ops[k as usize].action {
            Action::Mark(_) => Elem {
                op: k,
                winner: NONE,
                width: 0,
            },
            _ => Elem {
                op: k,
                winner: k,
                width,
            },
        };
        let (chunk, moved) = seq.insert(at, elem);
        if let Some((new_chunk, moved)) = moved {
            for m in moved {
                self.ops[m as usize].chunk = new_chunk;
            }
        }
        self.ops[k as usize].chunk = chunk;
    }

    /// The width of op `k` as the winner of an element of `obj`.
    fn width_of(&self, obj: u32, k: u32) -> u32 {
        match (&self.objects[obj as usize].ty, &self.ops[k as usize].action) {
            (ObjType::Text, Action::Put(v)) => v.text_width(),
            _ => 1,
        }
    }

    pub(crate) fn cursor_of(&self, obj: u32, elem: u32) -> Option<Cursor> {
        let ObjData::Seq(seq, _) = &self.objects[obj as usize].data else {
            return None;
        };
        seq.locate(self.ops[elem as usize].chunk, elem)
    }

    /// Recomputes an element's winner and width after an op at it changed.
    fn refresh_elem(&mut self, obj: u32, elem: u32) {
        let Some(c) = self.cursor_of(obj, elem) else {
            return;
        };
        let winner = self.elem_winner(obj, elem, None);
        let width = winner.map_or(0, |w| self.width_of(obj, w));
        if let ObjData::Seq(seq, _) = &mut self.objects[obj as usize].data {
            seq.set(c, winner.unwrap_or(NONE), width);
        }
    }

    /// Undoes the last op applied, which `undo` describes.
    pub fn undo(&mut self, undo: Undo) {
        let k = (self.ops.len() - 1) as u32;
        let op = self.ops[k as usize].clone();
        if matches!(op.action, Action::Mark(_)) {
            self.marks -= 1;
        }
        if matches!(op.action, Action::Make(_)) {
            self.objects.pop();
            self.obj_by_id.remove(&op.id());
        }
        match op.key() {
            KeyRef::Map(p) => {
                let key = self.props[p as usize].clone();
                if let ObjData::Map(keys) = &mut self.objects[op.obj as usize].data {
                    if let Some(list) = keys.get_mut(&key) {
                        list.retain(|o| *o != k);
                        if list.is_empty() {
                            keys.remove(&key);
                        }
                    }
                }
            }
            KeyRef::Seq(_) if op.insert => {
                if let Some(c) = self.cursor_of(op.obj, k) {
                    if let ObjData::Seq(seq, _) = &mut self.objects[op.obj as usize].data {
                        seq.remove(c);
                    }
                }
            }
            KeyRef::Seq(elem) => {
                if let ObjData::Seq(_, at) = &mut self.objects[op.obj as usize].data {
                    if let Some(list) = at.get_mut(&elem) {
                        list.retain(|o| *o != k);
                        if list.is_empty() {
                            at.remove(&elem);
                        }
                    }
                }
            }
        }
        let pred_at = self.pred_at.pop().map_or(0, |at| at as usize);
        for p in self.preds.split_off(pred_at).into_iter().rev() {
            self.pop_succ(p);
        }
        if let (KeyRef::Seq(elem), false) = (op.key(), op.insert) {
            self.refresh_elem(op.obj, elem);
        }
        self.ops.pop();
        let runs = &mut self.runs[op.id().actor as usize];
        if let Some(r) = runs.last_mut() {
            r.len -= 1;
            if r.len == 0 {
                runs.pop();
            }
        }
        self.max_op = undo.prev_max_op;
    }

    /// The ops at a list element that can be visible: its insert and later puts.
    pub(crate) fn ops_at_elem(&self, obj: u32, elem: u32) -> impl Iterator<Item = u32> + '_ {
        let more = match &self.objects[obj as usize].data {
            // No lookup (and no hashing) in a list no op was put into.
            ObjData::Seq(_, at) if !at.is_empty() => at.get(&elem),
            _ => None,
        };
        std::iter::once(elem).chain(more.into_iter().flatten().copied())
    }

    pub(crate) fn val(&self, op: u32) -> Option<&Val> {
        match &self.ops[op as usize].action {
            Action::Put(v) => Some(v),
            _ => None,
        }
    }
}

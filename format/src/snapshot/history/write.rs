//! Writing the history section's columns (SPEC.md §4.3).

use super::view::{ActionView, ValueRef};
use super::*;
use crate::change_encode::op_header;
use crate::change_layout::*;
use crate::snapshot::columns::{write_actors, ColumnWriter};
use crate::{ActorId, Change, ElemId, Key, ObjId, OpId};

/// An op id as the writer takes it: a counter and an index into the actor
/// table given to [`HistoryWriter::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdRef {
    /// The op counter.
    pub counter: u64,
    /// The actor's index in the writer's table.
    pub actor: u32,
}

/// An op's key, borrowed.
#[derive(Clone, Copy, Debug)]
pub enum KeyRef<'a> {
    /// A map key.
    Map(&'a str),
    /// The head of a list.
    Head,
    /// A list element.
    Elem(IdRef),
}

/// One op, borrowed: what [`HistoryWriter::op`] takes.
#[derive(Clone, Copy, Debug)]
pub struct OpRef<'a> {
    /// The object: `None` for the root.
    pub obj: Option<IdRef>,
    /// The key.
    pub key: KeyRef<'a>,
    /// Whether it inserts.
    pub insert: bool,
    /// What it does.
    pub action: ActionView<'a>,
    /// Its preds, ascending in op id order (as the change holds them).
    pub pred: &'a [IdRef],
}

/// A change's metadata, borrowed: what [`HistoryWriter::change`] takes.
#[derive(Clone, Copy, Debug)]
pub struct ChangeRef<'a> {
    /// The actor's index in the writer's table.
    pub actor: u32,
    /// Its seq.
    pub seq: u64,
    /// Its start_op.
    pub start_op: u64,
    /// Its time.
    pub time: i64,
    /// Its message.
    pub message: Option<&'a str>,
    /// Its extra bytes.
    pub extra: &'a [u8],
    /// The indices (in push order) of the changes its deps name, each below
    /// this change's own index, in any order.
    pub deps: &'a [u32],
    /// How many ops follow, through [`HistoryWriter::op`].
    pub ops: usize,
}

/// Writes the history section: each change's metadata, then its ops. The
/// columns only grow, so a writer can be kept beside a growing history and
/// give the section at any point ([`HistoryWriter::raw`]).
#[derive(Debug, Clone)]
pub struct HistoryWriter {
    cols: ColumnWriter<COLUMNS>,
    actors: Vec<ActorId>,
    /// Per actor index, the last seq written.
    last_seq: Vec<u64>,
    changes: u64,
    next_start: u64,
    last_time: i64,
    /// The counter of the op being written, and the last elem counter.
    own: u64,
    last_elem: u64,
    /// The actor of the change being written.
    actor_now: u32,
}

impl HistoryWriter {
    /// An empty history whose op ids name actors by index into `actors`.
    pub fn new(actors: Vec<ActorId>) -> Self {
        HistoryWriter {
            cols: ColumnWriter::new(),
            last_seq: vec![0; actors.len()],
            actors,
            changes: 0,
            next_start: 1,
            last_time: 0,
            own: 0,
            last_elem: 0,
            actor_now: 0,
        }
    }

    /// Reserves room for about `changes` changes and `ops` ops, so that the
    /// columns of a large history are not copied as they grow.
    pub fn reserve(&mut self, changes: usize, ops: usize) {
        self.cols.col(CHANGE_DEPS).reserve(2 * changes);
        self.cols.col(CHANGE_OPS).reserve(changes);
        self.cols.col(OP_HEADER).reserve(ops);
        self.cols.col(OP_BYTES).reserve(ops);
        self.cols.col(OP_ELEM).reserve(ops / 2);
    }

    /// Adds the actors of `all` past those the writer has: a history's actor
    /// table only grows, and op ids index it.
    pub fn extend_actors(&mut self, all: &[ActorId]) {
        if let Some(new) = all.get(self.actors.len()..) {
            self.actors.extend_from_slice(new);
        }
    }

    /// How many changes were written.
    pub fn changes(&self) -> u64 {
        self.changes
    }

    /// Heap bytes the columns hold.
    pub fn heap_bytes(&self) -> usize {
        self.cols.capacity()
    }

    /// Starts a change; its `ops` ops follow. Its actor (and those its ops
    /// name) must be in the writer's table.
    pub fn change(&mut self, ch: ChangeRef<'_>) {
        if self.last_seq.len() < self.actors.len() {
            self.last_seq.resize(self.actors.len(), 0);
        }
        let c = &mut self.cols;
        c.rle_u(CHANGE_ACTOR, u64::from(ch.actor));
        let last = self.last_seq.get_mut(ch.actor as usize);
        let expected_seq = last.as_deref().map_or(1, |s| s.wrapping_add(1));
        c.rle_s(CHANGE_SEQ, ch.seq.wrapping_sub(expected_seq) as i64);
        if let Some(last) = last {
            *last = ch.seq;
        }
        c.rle_s(
            CHANGE_START,
            ch.start_op.wrapping_sub(self.next_start) as i64,
        );
        c.rle_s(CHANGE_TIME, ch.time.wrapping_sub(self.last_time));
        match ch.message {
            None => c.rle_u(CHANGE_MESSAGE, 0),
            Some(m) => {
                c.rle_u(CHANGE_MESSAGE, m.len() as u64 + 1);
                c.col(CHANGE_MESSAGE_BYTES).extend_from_slice(m.as_bytes());
            }
        }
        c.rle_u(CHANGE_EXTRA, ch.extra.len() as u64);
        c.col(CHANGE_EXTRA_BYTES).extend_from_slice(ch.extra);
        c.uleb(CHANGE_DEPS, ch.deps.len() as u64);
        for d in ch.deps {
            c.uleb(CHANGE_DEPS, self.changes.saturating_sub(u64::from(*d) + 1));
        }
        c.uleb(CHANGE_OPS, ch.ops as u64);
        self.changes += 1;
        self.own = ch.start_op;
        self.actor_now = ch.actor;
        self.next_start = ch.start_op.wrapping_add(ch.ops as u64);
        self.last_time = ch.time;
    }

    /// Appends the next op of the current change.
    pub fn op(&mut self, op: OpRef<'_>) {
        let own = self.own;
        self.own = own.wrapping_add(1);
        let mut header = op_header(op.action, op.insert, op.obj.is_some(), op.key);
        if let Some(id) = op.obj {
            self.cols.rle_u(OP_OBJ, id.counter);
            self.cols.rle_u(OP_OBJ_ACTOR, u64::from(id.actor));
        }
        let mut elem = None;
        match op.key {
            KeyRef::Map(k) => self.cols.bytes(OP_KEY, k.as_bytes()),
            KeyRef::Head => {}
            KeyRef::Elem(id) => {
                if id.actor == self.actor_now && id.counter.wrapping_add(1) == own {
                    header |= FLAG_ELEM_PREV;
                } else {
                    // The delta from the last element named: small when
                    // editing near where the last edit was.
                    let delta = id.counter.wrapping_sub(self.last_elem) as i64;
                    self.cols.rle_s(OP_ELEM, delta);
                    self.cols.rle_u(OP_ELEM_ACTOR, u64::from(id.actor));
                }
                self.last_elem = id.counter;
                elem = Some(id);
            }
        }
        let pred_is_elem = !op.insert && elem.is_some() && op.pred == elem.as_slice();
        if pred_is_elem {
            header |= FLAG_PRED_IS_ELEM;
        }
        self.cols.byte(OP_HEADER, header);
        self.action(op.action);
        if !op.insert && !pred_is_elem {
            self.cols.uleb(OP_PRED, op.pred.len() as u64);
            for p in op.pred {
                self.cols
                    .uleb(OP_PRED, own.wrapping_sub(p.counter).wrapping_sub(1));
                self.cols.uleb(OP_PRED, u64::from(p.actor));
            }
        }
    }

    fn action(&mut self, action: ActionView<'_>) {
        let c = &mut self.cols;
        match action {
            ActionView::Make(t) => c.rle_u(OP_TAG, obj_type_byte(t).into()),
            ActionView::Put(v) => write_value(c, v),
            ActionView::Delete => {}
            ActionView::Increment(by) => c.sleb(OP_NUM, by),
            ActionView::MarkBegin {
                name,
                value,
                expand,
            } => {
                c.rle_u(OP_TAG, TAG_MARK.into());
                c.rle_u(OP_MARK, MARK_BEGIN | u64::from(expand));
                c.bytes(OP_MARK_NAME, name.as_bytes());
                write_value(c, value);
            }
            ActionView::MarkEnd { expand } => {
                c.rle_u(OP_TAG, TAG_MARK.into());
                c.rle_u(OP_MARK, u64::from(expand));
            }
        }
    }

    /// Appends a whole change. Its actors, and those of the op ids it names,
    /// must be in the writer's table (an id naming another is written as actor
    /// 0, and the snapshot then holds a different change). For tests and tools;
    /// the engine writes through [`HistoryWriter::change`] and [`HistoryWriter::op`].
    pub fn push(&mut self, change: &Change, deps: &[u32]) {
        let index = |a: &ActorId| self.actors.iter().position(|x| x == a).unwrap_or(0) as u32;
        let id = |o: &OpId| IdRef {
            counter: o.counter,
            actor: index(&o.actor),
        };
        let ops: Vec<(Option<IdRef>, KeyRef<'_>, Vec<IdRef>)> = change
            .ops
            .iter()
            .map(|op| {
                let obj = match &op.obj {
                    ObjId::Root => None,
                    ObjId::Op(o) => Some(id(o)),
                };
                let key = match &op.key {
                    Key::Map(k) => KeyRef::Map(k),
                    Key::Seq(ElemId::Head) => KeyRef::Head,
                    Key::Seq(ElemId::Op(o)) => KeyRef::Elem(id(o)),
                };
                (obj, key, op.pred.iter().map(id).collect())
            })
            .collect();
        let actor = index(&change.actor);
        self.change(ChangeRef {
            actor,
            seq: change.seq,
            start_op: change.start_op,
            time: change.time,
            message: change.message.as_deref(),
            extra: &change.extra,
            deps,
            ops: change.ops.len(),
        });
        for (op, (obj, key, pred)) in change.ops.iter().zip(&ops) {
            self.op(OpRef {
                obj: *obj,
                key: *key,
                insert: op.insert,
                action: ActionView::of(&op.action),
                pred,
            });
        }
    }

    /// The raw (uncompressed) section of the changes written so far.
    pub fn raw(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.cols.len() + 64 + 17 * self.actors.len());
        write_actors(&mut out, &self.actors);
        crate::reader::write_uleb(&mut out, self.changes);
        self.cols.write(&mut out);
        out
    }
}

fn write_value_parts(c: &mut ColumnWriter<COLUMNS>, tag: u8, bytes: Option<&[u8]>) {
    c.rle_u(OP_TAG, tag.into());
    if let Some(b) = bytes {
        c.rle_u(OP_LEN, b.len() as u64);
        c.col(OP_BYTES).extend_from_slice(b);
    }
}

fn write_value(c: &mut ColumnWriter<COLUMNS>, v: ValueRef<'_>) {
    let (tag, bytes): (u8, Option<&[u8]>) = match v {
        ValueRef::Null => (TAG_NULL, None),
        ValueRef::Bool(false) => (TAG_FALSE, None),
        ValueRef::Bool(true) => (TAG_TRUE, None),
        ValueRef::Int(i) | ValueRef::Counter(i) | ValueRef::Timestamp(i) => {
            c.sleb(OP_NUM, i);
            (
                match v {
                    ValueRef::Int(_) => TAG_INT,
                    ValueRef::Counter(_) => TAG_COUNTER,
                    _ => TAG_TIMESTAMP,
                },
                None,
            )
        }
        ValueRef::Uint(u) => {
            c.uleb(OP_NUM, u);
            (TAG_UINT, None)
        }
        ValueRef::F64(f) => {
            c.col(OP_NUM).extend_from_slice(&f.to_le_bytes());
            (TAG_F64, None)
        }
        ValueRef::Str(s) => (TAG_STR, Some(s.as_bytes())),
        ValueRef::Bytes(b) => (TAG_BYTES, Some(b)),
    };
    write_value_parts(c, tag, bytes);
}

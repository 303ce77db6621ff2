//! mergedb changes encoded as Automerge change chunks, byte for byte as
//! automerge 0.12 encodes them, so that the same change has the same hash.
//! The encoder choices that decide the bytes (SPEC.md §4A):
//!
//! - the actor table is the change's actor, then every other actor its ops
//!   name (objects, elements, preds), ascending by bytes;
//! - columns are written in ascending spec order, and an empty column is
//!   left out of the metadata;
//! - run-length columns use automerge's state machine: a repeated value is a
//!   run, a value that differs from its neighbours joins a literal run, nulls
//!   form null runs, and nulls before any value at the end of a column are not
//!   written;
//! - a boolean column starts with a run of false (which may be 0 long);
//! - an increment's amount is an sLEB `int` value; a make or delete op has a
//!   null value.

use super::chunk::{write_chunk, ChunkKind};
use crate::reader::{write_sleb, write_uleb};
use crate::{ActorId, Change, ChangeHash, ElemId, Key, ObjId, ObjType, OpAction, ScalarValue};

/// A run-length column being written: automerge's `RleEncoder` states.
enum Rle<T> {
    Empty,
    InitialNulls(u64),
    Nulls(u64),
    Lone(T),
    Run(T, u64),
    Literal(T, Vec<T>),
}

struct RleColumn<T> {
    out: Vec<u8>,
    state: Rle<T>,
    write: fn(&T, &mut Vec<u8>),
}

impl<T: Clone + PartialEq> RleColumn<T> {
    fn new(write: fn(&T, &mut Vec<u8>)) -> Self {
        RleColumn {
            out: Vec::new(),
            state: Rle::Empty,
            write,
        }
    }

    fn flush_run(&mut self, v: &T, n: u64) {
        write_sleb(&mut self.out, n as i64);
        (self.write)(v, &mut self.out);
    }

    fn flush_nulls(&mut self, n: u64) {
        write_sleb(&mut self.out, 0);
        write_uleb(&mut self.out, n);
    }

    fn flush_literal(&mut self, run: Vec<T>) {
        write_sleb(&mut self.out, -(run.len() as i64));
        for v in &run {
            (self.write)(v, &mut self.out);
        }
    }

    fn null(&mut self) {
        self.state = match std::mem::replace(&mut self.state, Rle::Empty) {
            Rle::Empty => Rle::InitialNulls(1),
            Rle::InitialNulls(n) => Rle::InitialNulls(n + 1),
            Rle::Nulls(n) => Rle::Nulls(n + 1),
            Rle::Lone(v) => {
                self.flush_literal(vec![v]);
                Rle::Nulls(1)
            }
            Rle::Run(v, n) => {
                self.flush_run(&v, n);
                Rle::Nulls(1)
            }
            Rle::Literal(last, mut run) => {
                run.push(last);
                self.flush_literal(run);
                Rle::Nulls(1)
            }
        }
    }

    fn value(&mut self, value: T) {
        self.state = match std::mem::replace(&mut self.state, Rle::Empty) {
            Rle::Empty => Rle::Lone(value),
            Rle::Lone(other) if other == value => Rle::Run(value, 2),
            Rle::Lone(other) => Rle::Literal(value, vec![other]),
            Rle::Run(other, n) if other == value => Rle::Run(other, n + 1),
            Rle::Run(other, n) => {
                self.flush_run(&other, n);
                Rle::Lone(value)
            }
            Rle::Literal(last, run) if last == value => {
                self.flush_literal(run);
                Rle::Run(value, 2)
            }
            Rle::Literal(last, mut run) => {
                run.push(last);
                Rle::Literal(value, run)
            }
            Rle::Nulls(n) | Rle::InitialNulls(n) => {
                self.flush_nulls(n);
                Rle::Lone(value)
            }
        }
    }

    fn finish(mut self) -> Vec<u8> {
        match std::mem::replace(&mut self.state, Rle::Empty) {
            Rle::Empty | Rle::InitialNulls(_) => {}
            Rle::Nulls(n) => self.flush_nulls(n),
            Rle::Lone(v) => self.flush_literal(vec![v]),
            Rle::Run(v, n) => self.flush_run(&v, n),
            Rle::Literal(last, mut run) => {
                run.push(last);
                self.flush_literal(run);
            }
        }
        self.out
    }
}

fn uleb(v: &u64, out: &mut Vec<u8>) {
    write_uleb(out, *v);
}

fn sleb(v: &i64, out: &mut Vec<u8>) {
    write_sleb(out, *v);
}

fn string(v: &String, out: &mut Vec<u8>) {
    write_uleb(out, v.len() as u64);
    out.extend_from_slice(v.as_bytes());
}

/// A delta column: the differences, run-length coded.
struct Delta {
    rle: RleColumn<i64>,
    last: i64,
}

impl Delta {
    fn new() -> Self {
        Delta {
            rle: RleColumn::new(sleb),
            last: 0,
        }
    }
    fn push(&mut self, v: Option<i64>) {
        match v {
            Some(v) => {
                self.rle.value(v.saturating_sub(self.last));
                self.last = v;
            }
            None => self.rle.null(),
        }
    }
}

/// A boolean column: alternating run lengths, from false.
struct Bools {
    out: Vec<u8>,
    last: bool,
    count: u64,
}

impl Bools {
    fn push(&mut self, v: bool) {
        if v == self.last {
            self.count += 1;
        } else {
            write_uleb(&mut self.out, self.count);
            self.last = v;
            self.count = 1;
        }
    }
    fn finish(mut self) -> Vec<u8> {
        if self.count > 0 {
            write_uleb(&mut self.out, self.count);
        }
        self.out
    }
}

/// The change's actor, then the others its ops name, ascending.
fn actor_table(change: &Change) -> Vec<ActorId> {
    let mut others: Vec<ActorId> = Vec::new();
    for op in &change.ops {
        if let ObjId::Op(id) = &op.obj {
            others.push(id.actor);
        }
        if let Key::Seq(ElemId::Op(id)) = &op.key {
            others.push(id.actor);
        }
        others.extend(op.pred.iter().map(|p| p.actor));
    }
    others.retain(|a| *a != change.actor);
    others.sort_unstable();
    others.dedup();
    std::iter::once(change.actor).chain(others).collect()
}

/// A value's metadata `(len << 4) | type` and its bytes.
fn value(v: &ScalarValue, raw: &mut Vec<u8>) -> u64 {
    let start = raw.len();
    let tag = match v {
        ScalarValue::Null => 0,
        ScalarValue::Bool(false) => 1,
        ScalarValue::Bool(true) => 2,
        ScalarValue::Uint(u) => {
            write_uleb(raw, *u);
            3
        }
        ScalarValue::Int(i) => {
            write_sleb(raw, *i);
            4
        }
        ScalarValue::F64(f) => {
            raw.extend_from_slice(&f.to_le_bytes());
            5
        }
        ScalarValue::Str(s) => {
            raw.extend_from_slice(s.as_bytes());
            6
        }
        ScalarValue::Bytes(b) => {
            raw.extend_from_slice(b);
            7
        }
        ScalarValue::Counter(c) => {
            write_sleb(raw, *c);
            8
        }
        ScalarValue::Timestamp(t) => {
            write_sleb(raw, *t);
            9
        }
    };
    (((raw.len() - start) as u64) << 4) | tag
}

/// The op columns, in spec order, each with its spec.
fn columns(change: &Change, actors: &[ActorId]) -> Vec<(u32, Vec<u8>)> {
    let index = |a: &ActorId| actors.iter().position(|x| x == a).unwrap_or(0) as u64;
    let (mut obj_a, mut obj_c) = (RleColumn::new(uleb), RleColumn::new(uleb));
    let (mut key_a, mut key_c, mut key_s) =
        (RleColumn::new(uleb), Delta::new(), RleColumn::new(string));
    let mut insert = Bools {
        out: Vec::new(),
        last: false,
        count: 0,
    };
    let mut action = RleColumn::new(uleb);
    let (mut meta, mut raw) = (RleColumn::new(uleb), Vec::new());
    let (mut group, mut pred_a, mut pred_c) =
        (RleColumn::new(uleb), RleColumn::new(uleb), Delta::new());
    for op in &change.ops {
        match &op.obj {
            ObjId::Root => (obj_a.null(), obj_c.null()),
            ObjId::Op(id) => (obj_a.value(index(&id.actor)), obj_c.value(id.counter)),
        };
        match &op.key {
            Key::Map(k) => {
                key_s.value(k.clone());
                key_a.null();
                key_c.push(None);
            }
            Key::Seq(ElemId::Head) => {
                key_s.null();
                key_a.null();
                key_c.push(Some(0));
            }
            Key::Seq(ElemId::Op(id)) => {
                key_s.null();
                key_a.value(index(&id.actor));
                key_c.push(Some(id.counter as i64));
            }
        }
        insert.push(op.insert);
        let (code, val) = match &op.action {
            OpAction::MakeObject(ObjType::Map) => (0, ScalarValue::Null),
            OpAction::Put(v) => (1, v.clone()),
            OpAction::MakeObject(ObjType::List) => (2, ScalarValue::Null),
            OpAction::Delete => (3, ScalarValue::Null),
            OpAction::MakeObject(ObjType::Text) => (4, ScalarValue::Null),
            OpAction::Increment(by) => (5, ScalarValue::Int(*by)),
        };
        action.value(code);
        meta.value(value(&val, &mut raw));
        group.value(op.pred.len() as u64);
        for p in &op.pred {
            pred_a.value(index(&p.actor));
            pred_c.push(Some(p.counter as i64));
        }
    }
    let cols = [
        (0x01, obj_a.finish()),
        (0x02, obj_c.finish()),
        (0x11, key_a.finish()),
        (0x13, key_c.rle.finish()),
        (0x15, key_s.finish()),
        (0x34, insert.finish()),
        (0x42, action.finish()),
        (0x56, meta.finish()),
        (0x57, raw),
        (0x70, group.finish()),
        (0x71, pred_a.finish()),
        (0x73, pred_c.rle.finish()),
    ];
    cols.into_iter().filter(|(_, d)| !d.is_empty()).collect()
}

fn write_actor(out: &mut Vec<u8>, a: &ActorId) {
    write_uleb(out, a.as_bytes().len() as u64);
    out.extend_from_slice(a.as_bytes());
}

/// The change as an Automerge change chunk, and its hash.
pub fn encode_automerge_change(change: &Change) -> (Vec<u8>, ChangeHash) {
    let actors = actor_table(change);
    let cols = columns(change, &actors);
    let mut body = Vec::new();
    write_uleb(&mut body, change.deps.len() as u64);
    for d in &change.deps {
        body.extend_from_slice(&d.0);
    }
    write_actor(&mut body, &change.actor);
    write_uleb(&mut body, change.seq);
    write_uleb(&mut body, change.start_op);
    write_sleb(&mut body, change.time);
    let message = change.message.as_deref().unwrap_or("");
    write_uleb(&mut body, message.len() as u64);
    body.extend_from_slice(message.as_bytes());
    write_uleb(&mut body, actors.len().saturating_sub(1) as u64);
    for a in actors.iter().skip(1) {
        write_actor(&mut body, a);
    }
    write_uleb(&mut body, cols.len() as u64);
    for (spec, data) in &cols {
        write_uleb(&mut body, u64::from(*spec));
        write_uleb(&mut body, data.len() as u64);
    }
    for (_, data) in &cols {
        body.extend_from_slice(data);
    }
    body.extend_from_slice(&change.extra);
    let mut out = Vec::new();
    let hash = write_chunk(ChunkKind::Change, &body, &mut out);
    (out, hash)
}

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
//!   null value;
//! - a mark (action 7) has its name in the mark name column (a mark end has
//!   none) and its flag in the expand column, which is left out when no op
//!   expands.
//!
//! The encoder works on a borrowed [`ChangeView`] and keeps its buffers, so
//! that a loader hashing a whole history, or a transaction hashing each
//! commit, allocates nothing per change.

use super::chunk::{ChunkKind, AUTOMERGE_MAGIC};
use super::column_write::{Bools, Delta, Rle};
use crate::reader::{uleb_array, write_sleb, write_uleb};
use crate::snapshot::{ActionView, ChangeView, IdRef, KeyRef, ValueRef};
use crate::{ActorId, Change, ChangeHash, ObjType};

/// The op columns, reused from change to change.
#[derive(Clone, Default)]
struct Columns {
    obj_a: Rle,
    obj_c: Rle,
    key_a: Rle,
    key_c: Delta,
    key_s: Rle,
    insert: Bools,
    action: Rle,
    meta: Rle,
    raw: Vec<u8>,
    group: Rle,
    pred_a: Rle,
    pred_c: Delta,
    expand: Bools,
    mark: Rle,
    scratch: Vec<u8>,
}

impl Columns {
    fn clear(&mut self) {
        for rle in [
            &mut self.obj_a,
            &mut self.obj_c,
            &mut self.key_a,
            &mut self.key_s,
            &mut self.action,
            &mut self.meta,
            &mut self.group,
            &mut self.pred_a,
            &mut self.mark,
        ] {
            rle.clear();
        }
        self.key_c.rle.clear();
        self.key_c.last = 0;
        self.pred_c.rle.clear();
        self.pred_c.last = 0;
        self.insert = Bools {
            out: std::mem::take(&mut self.insert.out),
            last: false,
            count: 0,
        };
        self.insert.out.clear();
        self.expand = Bools {
            out: std::mem::take(&mut self.expand.out),
            last: false,
            count: 0,
        };
        self.expand.out.clear();
        self.raw.clear();
    }

    /// The columns in spec order, each with its spec.
    fn finished(&mut self) -> [(u32, &[u8]); 14] {
        for rle in [
            &mut self.obj_a,
            &mut self.obj_c,
            &mut self.key_a,
            &mut self.key_c.rle,
            &mut self.key_s,
            &mut self.action,
            &mut self.meta,
            &mut self.group,
            &mut self.pred_a,
            &mut self.pred_c.rle,
            &mut self.mark,
        ] {
            rle.finish();
        }
        self.insert.finish();
        // Automerge writes the expand column only if some op expands: with
        // no run flipped to true yet, nothing is written.
        if !self.expand.out.is_empty() || self.expand.last {
            self.expand.finish();
        }
        [
            (0x01, &self.obj_a.out),
            (0x02, &self.obj_c.out),
            (0x11, &self.key_a.out),
            (0x13, &self.key_c.rle.out),
            (0x15, &self.key_s.out),
            (0x34, &self.insert.out),
            (0x42, &self.action.out),
            (0x56, &self.meta.out),
            (0x57, &self.raw),
            (0x70, &self.group.out),
            (0x71, &self.pred_a.out),
            (0x73, &self.pred_c.rle.out),
            (0x94, &self.expand.out),
            (0xa5, &self.mark.out),
        ]
    }
}

/// Encodes changes as Automerge change chunks, keeping its buffers.
#[derive(Clone, Default)]
pub struct ChangeEncoder {
    cols: Columns,
    body: Vec<u8>,
    others: Vec<ActorId>,
}

/// The actors a view's ops name, as the change's table indexes them.
struct Table<'t> {
    ids: &'t [ActorId],
    me_index: u32,
    me: ActorId,
    others: &'t [ActorId],
}

impl std::fmt::Debug for ChangeEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeEncoder").finish_non_exhaustive()
    }
}

impl Table<'_> {
    fn index(&self, id: &IdRef) -> u64 {
        if id.actor == self.me_index {
            return 0;
        }
        let actor = self
            .ids
            .get(id.actor as usize)
            .unwrap_or(&ActorId::PLACEHOLDER);
        if *actor == self.me {
            return 0;
        }
        // Every actor an op names was collected before the ops are written.
        self.others.binary_search(actor).map_or(0, |p| p as u64 + 1)
    }
}

impl ChangeEncoder {
    /// Encodes a checked change view as a change chunk, replacing what `out`
    /// held, and returns its hash. The view's op ids index `actors`; `deps`
    /// are its deps' hashes, ascending.
    pub fn encode(
        &mut self,
        view: &ChangeView<'_>,
        actors: &[ActorId],
        deps: &[ChangeHash],
        out: &mut Vec<u8>,
    ) -> ChangeHash {
        let mut body = std::mem::take(&mut self.body);
        body.clear();
        write_uleb(&mut body, deps.len() as u64);
        deps.iter().for_each(|d| body.extend_from_slice(&d.0));
        self.encode_after_deps(view, actors, &mut body);
        let hash = frame(&body, out);
        self.body = body;
        hash
    }

    /// Appends the part of a checked change view's body that follows its
    /// deps: its actor, seq, start_op, time, message, other actors, columns
    /// and extra bytes. [`hash_parts`] hashes it with the deps.
    pub fn encode_after_deps(
        &mut self,
        view: &ChangeView<'_>,
        actors: &[ActorId],
        body: &mut Vec<u8>,
    ) {
        let me = *actors
            .get(view.actor as usize)
            .unwrap_or(&ActorId::PLACEHOLDER);
        self.collect_others(view, actors, &me);
        let table = Table {
            ids: actors,
            me_index: view.actor,
            me,
            others: &self.others,
        };
        if let [op] = view.ops.as_slice() {
            if view.preds(op).len() <= 1 && fits_stack(view, op, table.others.len()) {
                one_op(view, op, &table, &mut self.cols.raw, body);
                return;
            }
        }
        write_actor(body, &me);
        write_uleb(body, view.seq);
        write_uleb(body, view.start_op);
        write_sleb(body, view.time);
        let message = view.message.unwrap_or("");
        write_uleb(body, message.len() as u64);
        body.extend_from_slice(message.as_bytes());
        write_uleb(body, self.others.len() as u64);
        self.others.iter().for_each(|a| write_actor(body, a));
        self.cols.clear();
        write_ops(&mut self.cols, view, &table);
        let cols = self.cols.finished();
        let present = cols.iter().filter(|(_, d)| !d.is_empty());
        write_uleb(body, present.clone().count() as u64);
        for (spec, data) in present.clone() {
            write_uleb(body, u64::from(*spec));
            write_uleb(body, data.len() as u64);
        }
        present.for_each(|(_, data)| body.extend_from_slice(data));
        body.extend_from_slice(view.extra);
    }

    fn collect_others(&mut self, view: &ChangeView<'_>, actors: &[ActorId], me: &ActorId) {
        self.others.clear();
        let others = &mut self.others;
        let mut note = |id: &IdRef| {
            if id.actor != view.actor {
                let a = actors
                    .get(id.actor as usize)
                    .unwrap_or(&ActorId::PLACEHOLDER);
                if a != me {
                    others.push(*a);
                }
            }
        };
        for op in &view.ops {
            if let Some(id) = &op.obj {
                note(id);
            }
            if let KeyRef::Elem(id) = &op.key {
                note(id);
            }
            view.preds(op).iter().for_each(&mut note);
        }
        if self.others.len() > 1 {
            self.others.sort_unstable();
            self.others.dedup();
        }
    }
}

/// A small buffer on the stack: a typed character's change is about a
/// hundred bytes, and writing them here and copying them once costs less
/// than a capacity check per byte.
struct Stack {
    b: [u8; STACK],
    n: usize,
}

const STACK: usize = 256;

impl Stack {
    fn new() -> Self {
        Stack {
            b: [0; STACK],
            n: 0,
        }
    }
    fn put(&mut self, v: u8) {
        if let Some(slot) = self.b.get_mut(self.n) {
            *slot = v;
        }
        self.n += 1;
    }
    fn bytes(&mut self, v: &[u8]) {
        if let Some(slot) = self.b.get_mut(self.n..self.n + v.len()) {
            slot.copy_from_slice(v);
        }
        self.n += v.len();
    }
    fn uleb(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.put(byte);
                return;
            }
            self.put(byte | 0x80);
        }
    }
    fn sleb(&mut self, mut v: i64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0) {
                self.put(byte);
                return;
            }
            self.put(byte | 0x80);
        }
    }
    fn as_slice(&self) -> &[u8] {
        self.b.get(..self.n).unwrap_or_default()
    }
}

/// What the stack buffers can take for one op: short strings only.
fn fits_stack(view: &ChangeView<'_>, op: &crate::snapshot::OpView<'_>, others: usize) -> bool {
    let key = match op.key {
        KeyRef::Map(k) => k.len(),
        _ => 0,
    };
    let val = match op.action {
        ActionView::Put(ValueRef::Str(s)) => s.len(),
        ActionView::Put(ValueRef::Bytes(b)) => b.len(),
        _ => 0,
    };
    let message = view.message.map_or(0, str::len);
    let mark = matches!(
        op.action,
        ActionView::MarkBegin { .. } | ActionView::MarkEnd { .. }
    );
    !mark && key + val + message + 34 * others < 100
}

/// A literal run of one value opens each column of a one-op change.
const LONE: u8 = 0x7f;

/// The columns of a one-op change as they are written: their bytes, and
/// each non-empty column's spec and length.
struct OneOpColumns {
    data: Stack,
    cols: [(u8, u8); 12],
    n: usize,
}

impl OneOpColumns {
    /// Records the column that starts at `at`, if it holds anything.
    fn close(&mut self, spec: u8, at: usize) {
        if self.data.n > at {
            if let Some(slot) = self.cols.get_mut(self.n) {
                *slot = (spec, (self.data.n - at) as u8);
                self.n += 1;
            }
        }
    }
    fn uint(&mut self, spec: u8, v: u64) {
        let at = self.data.n;
        self.data.put(LONE);
        self.data.uleb(v);
        self.close(spec, at);
    }
    fn int(&mut self, spec: u8, v: i64) {
        let at = self.data.n;
        self.data.put(LONE);
        self.data.sleb(v);
        self.close(spec, at);
    }
}

/// The body after the deps of a change of one op with at most one pred,
/// written straight out: each column is then one literal run of one value
/// (`7f`, the value), or nothing for a null, which is what the run-length
/// writer gives for one row. A typed character's change is such a change.
fn one_op(
    view: &ChangeView<'_>,
    op: &crate::snapshot::OpView<'_>,
    table: &Table<'_>,
    raw: &mut Vec<u8>,
    body: &mut Vec<u8>,
) {
    let mut head = Stack::new();
    head.uleb(table.me.as_bytes().len() as u64);
    head.bytes(table.me.as_bytes());
    head.uleb(view.seq);
    head.uleb(view.start_op);
    head.sleb(view.time);
    let message = view.message.unwrap_or("");
    head.uleb(message.len() as u64);
    head.bytes(message.as_bytes());
    head.uleb(table.others.len() as u64);
    for a in table.others {
        head.uleb(a.as_bytes().len() as u64);
        head.bytes(a.as_bytes());
    }
    let mut c = OneOpColumns {
        data: Stack::new(),
        cols: [(0, 0); 12],
        n: 0,
    };
    if let Some(o) = &op.obj {
        c.uint(0x01, table.index(o));
        c.uint(0x02, o.counter);
    }
    match &op.key {
        KeyRef::Elem(e) => {
            c.uint(0x11, table.index(e));
            c.int(0x13, e.counter as i64);
        }
        KeyRef::Head => c.int(0x13, 0),
        KeyRef::Map(k) => {
            let at = c.data.n;
            c.data.put(LONE);
            c.data.uleb(k.len() as u64);
            c.data.bytes(k.as_bytes());
            c.close(0x15, at);
        }
    }
    let at = c.data.n;
    match op.insert {
        true => c.data.bytes(&[0, 1]),
        false => c.data.put(1),
    }
    c.close(0x34, at);
    let (code, val) = action_value(op.action);
    c.uint(0x42, code);
    raw.clear();
    let meta = value(val, raw);
    c.uint(0x56, meta);
    let at = c.data.n;
    c.data.bytes(raw);
    c.close(0x57, at);
    let preds = view.preds(op);
    c.uint(0x70, preds.len() as u64);
    if let Some(p) = preds.first() {
        c.uint(0x71, table.index(p));
        c.int(0x73, p.counter as i64);
    }
    let (cols, n, data) = (c.cols, c.n, c.data);
    head.uleb(n as u64);
    for (spec, len) in cols.iter().take(n) {
        head.uleb(u64::from(*spec));
        head.uleb(u64::from(*len));
    }
    body.extend_from_slice(head.as_slice());
    body.extend_from_slice(data.as_slice());
    body.extend_from_slice(view.extra);
}

/// An op's action code and the value its columns hold.
pub(super) fn action_value(action: ActionView<'_>) -> (u64, ValueRef<'_>) {
    match action {
        ActionView::Make(ObjType::Map) => (0, ValueRef::Null),
        ActionView::Put(v) => (1, v),
        ActionView::Make(ObjType::List) => (2, ValueRef::Null),
        ActionView::Delete => (3, ValueRef::Null),
        ActionView::Make(ObjType::Text) => (4, ValueRef::Null),
        ActionView::Increment(by) => (5, ValueRef::Int(by)),
        ActionView::Make(ObjType::Table) => (6, ValueRef::Null),
        ActionView::MarkBegin { value, .. } => (7, value),
        ActionView::MarkEnd { .. } => (7, ValueRef::Null),
    }
}

fn write_ops(c: &mut Columns, view: &ChangeView<'_>, table: &Table<'_>) {
    for op in &view.ops {
        match &op.obj {
            None => {
                c.obj_a.null();
                c.obj_c.null();
            }
            Some(id) => {
                c.obj_a.uint(table.index(id));
                c.obj_c.uint(id.counter);
            }
        }
        match &op.key {
            KeyRef::Map(k) => {
                c.scratch.clear();
                write_uleb(&mut c.scratch, k.len() as u64);
                c.scratch.extend_from_slice(k.as_bytes());
                c.key_s.value(&c.scratch);
                c.key_a.null();
                c.key_c.push(None);
            }
            KeyRef::Head => {
                c.key_s.null();
                c.key_a.null();
                c.key_c.push(Some(0));
            }
            KeyRef::Elem(id) => {
                c.key_s.null();
                c.key_a.uint(table.index(id));
                c.key_c.push(Some(id.counter as i64));
            }
        }
        c.insert.push(op.insert);
        let (code, val) = action_value(op.action);
        c.action.uint(code);
        let meta = value(val, &mut c.raw);
        c.meta.uint(meta);
        let preds = view.preds(op);
        c.group.uint(preds.len() as u64);
        for p in preds {
            c.pred_a.uint(table.index(p));
            c.pred_c.push(Some(p.counter as i64));
        }
        mark_row(op.action, &mut c.mark, &mut c.expand, &mut c.scratch);
    }
}

/// The mark name and expand columns' row for an op: a begin's name (a mark
/// end and every other op: null) and its flag (others: false).
pub(crate) fn mark_row(
    action: ActionView<'_>,
    mark: &mut Rle,
    expand: &mut Bools,
    scratch: &mut Vec<u8>,
) {
    let flag = match action {
        ActionView::MarkBegin { name, expand, .. } => {
            scratch.clear();
            write_uleb(scratch, name.len() as u64);
            scratch.extend_from_slice(name.as_bytes());
            mark.value(scratch);
            expand
        }
        ActionView::MarkEnd { expand } => {
            mark.null();
            expand
        }
        _ => {
            mark.null();
            false
        }
    };
    expand.push(flag);
}

/// A value's metadata `(len << 4) | type`, its bytes appended to `raw`.
pub(crate) fn value(v: ValueRef<'_>, raw: &mut Vec<u8>) -> u64 {
    let start = raw.len();
    let tag = match v {
        ValueRef::Null => 0,
        ValueRef::Bool(false) => 1,
        ValueRef::Bool(true) => 2,
        ValueRef::Uint(u) => {
            write_uleb(raw, u);
            3
        }
        ValueRef::Int(i) => {
            write_sleb(raw, i);
            4
        }
        ValueRef::F64(f) => {
            raw.extend_from_slice(&f.to_le_bytes());
            5
        }
        ValueRef::Str(s) => {
            raw.extend_from_slice(s.as_bytes());
            6
        }
        ValueRef::Bytes(b) => {
            raw.extend_from_slice(b);
            7
        }
        ValueRef::Counter(c) => {
            write_sleb(raw, c);
            8
        }
        ValueRef::Timestamp(t) => {
            write_sleb(raw, t);
            9
        }
    };
    (((raw.len() - start) as u64) << 4) | tag
}

fn write_actor(out: &mut Vec<u8>, a: &ActorId) {
    write_uleb(out, a.as_bytes().len() as u64);
    out.extend_from_slice(a.as_bytes());
}

/// Frames a change chunk's body into `out`, replacing what it held, and
/// returns its hash.
fn frame(body: &[u8], out: &mut Vec<u8>) -> ChangeHash {
    let (len, n) = uleb_array(body.len() as u64);
    let len = len.get(..n).unwrap_or_default();
    let kind = [ChunkKind::Change.byte()];
    let pieces = [&kind[..], len, body].into_iter();
    let hash = ChangeHash(crate::change_hash::sha256(pieces));
    out.clear();
    out.reserve(9 + n + body.len());
    out.extend_from_slice(&AUTOMERGE_MAGIC);
    out.extend_from_slice(hash.0.get(..4).unwrap_or_default());
    out.push(ChunkKind::Change.byte());
    out.extend_from_slice(len);
    out.extend_from_slice(body);
    hash
}

/// The hash of the change chunk whose body is the deps (ascending), then
/// `after_deps` as [`ChangeEncoder::encode_after_deps`] wrote it: the same
/// as encoding it whole, without building the chunk.
pub fn hash_parts(deps: &[ChangeHash], after_deps: &[u8]) -> ChangeHash {
    let (n, n_len) = uleb_array(deps.len() as u64);
    let n = n.get(..n_len).unwrap_or_default();
    let body_len = n.len() + 32 * deps.len() + after_deps.len();
    let (len, len_len) = uleb_array(body_len as u64);
    let kind = [ChunkKind::Change.byte()];
    let pieces = std::iter::once(&kind[..])
        .chain(std::iter::once(len.get(..len_len).unwrap_or_default()))
        .chain(std::iter::once(n))
        .chain(deps.iter().map(|d| &d.0[..]))
        .chain(std::iter::once(after_deps));
    ChangeHash(crate::change_hash::sha256(pieces))
}

/// The change as an Automerge change chunk, and its hash. The change must
/// be valid ([`Change::check`]); an invalid one gets some encoding.
pub fn encode_automerge_change(change: &Change) -> (Vec<u8>, ChangeHash) {
    let mut out = Vec::new();
    let hash = encode_automerge_change_into(change, &mut ChangeEncoder::default(), &mut out);
    (out, hash)
}

/// [`encode_automerge_change`] into `out`, with an encoder that is reused.
pub fn encode_automerge_change_into(
    change: &Change,
    encoder: &mut ChangeEncoder,
    out: &mut Vec<u8>,
) -> ChangeHash {
    let mut actors = Vec::new();
    let view = ChangeView::of_change(change, &mut actors);
    encoder.encode(&view, &actors, &change.deps, out)
}

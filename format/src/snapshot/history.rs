//! The history section: every change of a document, in the order the document
//! applied them (a causal order), as columns (SPEC.md §4.3).
//!
//! Most of a change is predictable from the one before it: its seq is its
//! actor's last plus one, its start_op follows the previous change's ops, its
//! one dep is the change just before. Each column stores the difference from
//! that prediction, so a typing session is long runs of zeros and the text
//! itself, which zstd then shrinks to a few bits per keystroke.

use super::columns::{actor_at, read_actors, write_actors, ColumnReader, ColumnWriter};
use crate::change_layout::*;
use crate::reader::Reader;
use crate::{
    encode_change_into, ActorId, Change, ChangeHash, DecodeError, ElemId, Key, ObjId, ObjType, Op,
    OpAction, OpId, ScalarValue,
};

type Result<T> = std::result::Result<T, DecodeError>;

const CHANGE_ACTOR: usize = 0;
const CHANGE_SEQ: usize = 1;
const CHANGE_START: usize = 2;
const CHANGE_TIME: usize = 3;
const CHANGE_MESSAGE: usize = 4;
const CHANGE_MESSAGE_BYTES: usize = 5;
const CHANGE_EXTRA: usize = 6;
const CHANGE_EXTRA_BYTES: usize = 7;
const CHANGE_DEPS: usize = 8;
const CHANGE_OPS: usize = 9;
const OP_HEADER: usize = 10;
const OP_OBJ: usize = 11;
const OP_OBJ_ACTOR: usize = 12;
const OP_KEY: usize = 13;
const OP_ELEM: usize = 14;
const OP_ELEM_ACTOR: usize = 15;
const OP_TAG: usize = 16;
const OP_LEN: usize = 17;
const OP_BYTES: usize = 18;
const OP_NUM: usize = 19;
const OP_PRED: usize = 20;
const COLUMNS: usize = 21;
const NAMES: [&str; COLUMNS] = [
    "change actor",
    "change seq",
    "change start_op",
    "change time",
    "change message",
    "change message bytes",
    "change extra",
    "change extra bytes",
    "change deps",
    "change ops",
    "op header",
    "op obj",
    "op obj actor",
    "op key",
    "op elem",
    "op elem actor",
    "op value tag",
    "op value length",
    "op value bytes",
    "op value number",
    "op pred",
];
/// In the snapshot's op header (a change's op header plus this bit): the
/// op's pred is exactly its key's element, as for nearly every list delete.
const FLAG_PRED_IS_ELEM: u8 = 1 << 6;
/// The op's element key is the op just before it: the same actor, one counter
/// lower. Typing inserts after the character just typed, and a backspace
/// deletes it, so most element keys are this, and need no column entry.
const FLAG_ELEM_PREV: u8 = 1 << 7;

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

/// What an op does, borrowed.
#[derive(Clone, Copy, Debug)]
pub enum ActionRef<'a> {
    /// Makes an object.
    Make(ObjType),
    /// Puts a string (the common case: one typed character).
    PutStr(&'a str),
    /// Puts any other scalar.
    Put(&'a ScalarValue),
    /// Deletes.
    Delete,
    /// Increments a counter.
    Increment(i64),
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
    pub action: ActionRef<'a>,
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

/// Writes the history section: each change's metadata, then its ops.
#[derive(Debug)]
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

    /// Starts a change; its `ops` ops follow.
    pub fn change(&mut self, ch: ChangeRef<'_>) {
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
        let mut header = match op.action {
            ActionRef::Make(_) => ACTION_MAKE,
            ActionRef::Put(_) | ActionRef::PutStr(_) => ACTION_PUT,
            ActionRef::Delete => ACTION_DELETE,
            ActionRef::Increment(_) => ACTION_INCREMENT,
        };
        if op.insert {
            header |= FLAG_INSERT;
        }
        if let Some(id) = op.obj {
            header |= FLAG_OBJ_ID;
            self.cols.rle_u(OP_OBJ, id.counter);
            self.cols.rle_u(OP_OBJ_ACTOR, u64::from(id.actor));
        }
        let mut elem = None;
        match op.key {
            KeyRef::Map(k) => self.cols.bytes(OP_KEY, k.as_bytes()),
            KeyRef::Head => header |= FLAG_SEQ_KEY,
            KeyRef::Elem(id) => {
                header |= FLAG_SEQ_KEY | FLAG_ELEM_ID;
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

    fn action(&mut self, action: ActionRef<'_>) {
        let c = &mut self.cols;
        match action {
            ActionRef::Make(t) => c.rle_u(
                OP_TAG,
                match t {
                    ObjType::Map => OBJ_MAP,
                    ObjType::List => OBJ_LIST,
                    ObjType::Text => OBJ_TEXT,
                }
                .into(),
            ),
            ActionRef::PutStr(s) => write_value_parts(c, TAG_STR, Some(s.as_bytes())),
            ActionRef::Put(v) => write_value(c, v),
            ActionRef::Delete => {}
            ActionRef::Increment(by) => c.sleb(OP_NUM, by),
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
            let action = match &op.action {
                OpAction::MakeObject(t) => ActionRef::Make(*t),
                OpAction::Put(ScalarValue::Str(s)) => ActionRef::PutStr(s),
                OpAction::Put(v) => ActionRef::Put(v),
                OpAction::Delete => ActionRef::Delete,
                OpAction::Increment(by) => ActionRef::Increment(*by),
            };
            self.op(OpRef {
                obj: *obj,
                key: *key,
                insert: op.insert,
                action,
                pred,
            });
        }
    }

    /// The raw (uncompressed) section.
    pub fn finish(self) -> Vec<u8> {
        let mut out = Vec::new();
        write_actors(&mut out, &self.actors);
        crate::reader::write_uleb(&mut out, self.changes);
        self.cols.finish(&mut out);
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

fn write_value(c: &mut ColumnWriter<COLUMNS>, v: &ScalarValue) {
    let (tag, bytes): (u8, Option<&[u8]>) = match v {
        ScalarValue::Null => (TAG_NULL, None),
        ScalarValue::Bool(false) => (TAG_FALSE, None),
        ScalarValue::Bool(true) => (TAG_TRUE, None),
        ScalarValue::Int(i) | ScalarValue::Counter(i) | ScalarValue::Timestamp(i) => {
            c.sleb(OP_NUM, *i);
            (
                match v {
                    ScalarValue::Int(_) => TAG_INT,
                    ScalarValue::Counter(_) => TAG_COUNTER,
                    _ => TAG_TIMESTAMP,
                },
                None,
            )
        }
        ScalarValue::Uint(u) => {
            c.uleb(OP_NUM, *u);
            (TAG_UINT, None)
        }
        ScalarValue::F64(f) => {
            c.col(OP_NUM).extend_from_slice(&f.to_le_bytes());
            (TAG_F64, None)
        }
        ScalarValue::Str(s) => (TAG_STR, Some(s.as_bytes())),
        ScalarValue::Bytes(b) => (TAG_BYTES, Some(b.as_slice())),
    };
    write_value_parts(c, tag, bytes);
}

/// Decodes a raw history section into its changes, each with its hash, in the
/// order they were written. Every change is checked as the change decoder
/// checks it (SPEC.md §3.4), and its deps are the hashes of earlier changes.
pub fn decode_history(raw: &[u8]) -> Result<Vec<(Change, ChangeHash)>> {
    let mut out = Vec::new();
    decode_history_each(raw, |change, hash| out.push((change, hash)))?;
    Ok(out)
}

/// Decodes a raw history section, handing each change and its hash to `each`
/// as soon as it is decoded, in order; on an error, the changes already
/// handed over stay handed over. A loader can apply them while the rest
/// decodes.
pub fn decode_history_each(raw: &[u8], mut each: impl FnMut(Change, ChangeHash)) -> Result<()> {
    let mut r = Reader::new(raw, 0);
    let actors = read_actors(&mut r)?;
    let at = r.offset();
    let n = r.uleb("changes")?;
    let mut cols = ColumnReader::read(&mut r, NAMES)?;
    // Every change has its op count in a column that is not run-length
    // coded, and every op its header byte: so what the decoder allocates is
    // bounded by the size of its input (SPEC.md §4.4).
    let ops = cols.col(CHANGE_OPS)?;
    if n > ops.remaining() as u64 {
        return Err(DecodeError::LengthPastEnd {
            field: "changes",
            offset: at,
            declared: n,
            available: ops.remaining(),
        });
    }
    let mut d = Decoder {
        cols,
        actors: &actors,
        last_seq: vec![0; actors.len()],
        next_start: 1,
        last_time: 0,
        last_elem: 0,
        hashes: Vec::with_capacity(n as usize),
        scratch: Vec::new(),
    };
    for _ in 0..n {
        let (change, hash) = d.change()?;
        each(change, hash);
    }
    d.cols.finish()
}

struct Decoder<'a, 'b> {
    cols: ColumnReader<'a, COLUMNS>,
    actors: &'b [ActorId],
    last_seq: Vec<u64>,
    next_start: u64,
    last_time: i64,
    last_elem: u64,
    /// The hash of every change decoded so far, which later deps name.
    hashes: Vec<ChangeHash>,
    scratch: Vec<u8>,
}

impl<'a> Decoder<'a, '_> {
    fn offset(&mut self, c: usize) -> usize {
        self.cols.col(c).map_or(0, |r| r.offset())
    }

    fn actor(&mut self, c: usize) -> Result<(ActorId, usize)> {
        let at = self.offset(c);
        let i = self.cols.rle_u(c)?;
        Ok((actor_at(self.actors, i, at)?, i as usize))
    }

    fn change(&mut self) -> Result<(Change, ChangeHash)> {
        let (actor, a) = self.actor(CHANGE_ACTOR)?;
        let last = self.last_seq.get_mut(a).map_or(0, |s| *s);
        let seq = last
            .wrapping_add(1)
            .wrapping_add(self.cols.rle_s(CHANGE_SEQ)? as u64);
        if let Some(s) = self.last_seq.get_mut(a) {
            *s = seq;
        }
        let start_op = self
            .next_start
            .wrapping_add(self.cols.rle_s(CHANGE_START)? as u64);
        let time = self.last_time.wrapping_add(self.cols.rle_s(CHANGE_TIME)?);
        let message = match self.cols.rle_u(CHANGE_MESSAGE)? {
            0 => None,
            len => {
                let at = self.offset(CHANGE_MESSAGE_BYTES);
                let r = self.cols.col(CHANGE_MESSAGE_BYTES)?;
                let bytes = r.fixed(to_usize(len - 1), "change message bytes")?;
                Some(Reader::utf8(bytes, "change message bytes", at)?)
            }
        };
        let extra_len = to_usize(self.cols.rle_u(CHANGE_EXTRA)?);
        let r = self.cols.col(CHANGE_EXTRA_BYTES)?;
        let extra = r.fixed(extra_len, "change extra bytes")?.to_vec();
        let deps = self.deps()?;
        let n_ops = self.cols.count(CHANGE_OPS, 0)?;
        // Each op takes at least its header byte.
        let n_ops = self
            .cols
            .col(OP_HEADER)?
            .check_fits(n_ops as u64, 1, "op header", 0)?;
        let mut ops = Vec::with_capacity(n_ops);
        for i in 0..n_ops {
            ops.push(self.op(start_op.wrapping_add(i as u64), actor)?);
        }
        let change = Change {
            actor,
            seq,
            start_op,
            time,
            message,
            deps,
            ops,
            extra,
        };
        let offset = self.offset(CHANGE_ACTOR);
        encode_change_into(&change, &mut self.scratch)
            .map_err(|source| DecodeError::Invalid { offset, source })?;
        let hash = ChangeHash::of_encoded(&self.scratch);
        self.next_start = start_op.wrapping_add(change.ops.len() as u64);
        self.last_time = time;
        self.hashes.push(hash);
        Ok((change, hash))
    }

    fn deps(&mut self) -> Result<Vec<ChangeHash>> {
        let n = self.cols.count(CHANGE_DEPS, 1)?;
        let mut deps = Vec::with_capacity(n);
        for _ in 0..n {
            let at = self.offset(CHANGE_DEPS);
            let back = self.cols.uleb(CHANGE_DEPS)?;
            let i = (self.hashes.len() as u64)
                .checked_sub(back)
                .and_then(|i| i.checked_sub(1));
            let hash = i.and_then(|i| self.hashes.get(i as usize)).copied();
            deps.push(hash.ok_or(DecodeError::NotCanonical {
                offset: at,
                reason: "a dep names a change that is not earlier in the history",
            })?);
        }
        deps.sort_unstable();
        Ok(deps)
    }

    fn earlier(&mut self, c: usize, own: u64) -> Result<OpId> {
        let back = self.cols.uleb(c)?;
        let at = self.offset(c);
        let actor = actor_at(self.actors, self.cols.uleb(c)?, at)?;
        let counter = own.wrapping_sub(back).wrapping_sub(1);
        Ok(OpId::new(counter, actor))
    }

    fn op(&mut self, own: u64, actor: ActorId) -> Result<Op> {
        let at = self.offset(OP_HEADER);
        let header = self.cols.byte(OP_HEADER)?;
        let has_elem = header & FLAG_ELEM_ID != 0;
        let seq_key = header & FLAG_SEQ_KEY != 0;
        let insert = header & FLAG_INSERT != 0;
        let pred_is_elem = header & FLAG_PRED_IS_ELEM != 0;
        let elem_prev = header & FLAG_ELEM_PREV != 0;
        if (has_elem && !seq_key)
            || (pred_is_elem && (insert || !has_elem))
            || (elem_prev && !has_elem)
        {
            return Err(DecodeError::ReservedBits {
                field: "op header",
                offset: at,
                byte: header,
            });
        }
        let obj = match header & FLAG_OBJ_ID {
            0 => ObjId::Root,
            _ => {
                let counter = self.cols.rle_u(OP_OBJ)?;
                ObjId::Op(OpId::new(counter, self.actor(OP_OBJ_ACTOR)?.0))
            }
        };
        let key = match (seq_key, has_elem) {
            (false, _) => Key::Map(self.cols.utf8(OP_KEY)?),
            (true, false) => Key::Seq(ElemId::Head),
            (true, true) if elem_prev => {
                let counter = own.wrapping_sub(1);
                self.last_elem = counter;
                Key::Seq(ElemId::Op(OpId::new(counter, actor)))
            }
            (true, true) => {
                let counter = self
                    .last_elem
                    .wrapping_add(self.cols.rle_s(OP_ELEM)? as u64);
                self.last_elem = counter;
                Key::Seq(ElemId::Op(OpId::new(counter, self.actor(OP_ELEM_ACTOR)?.0)))
            }
        };
        let action = self.action(header & ACTION_MASK)?;
        let pred = match (&key, insert, pred_is_elem) {
            (_, true, _) => Vec::new(),
            (Key::Seq(ElemId::Op(id)), _, true) => vec![*id],
            _ => {
                let n = self.cols.count(OP_PRED, 2)?;
                let mut pred = Vec::with_capacity(n);
                for _ in 0..n {
                    pred.push(self.earlier(OP_PRED, own)?);
                }
                pred
            }
        };
        Ok(Op {
            obj,
            key,
            insert,
            action,
            pred,
        })
    }

    fn action(&mut self, action: u8) -> Result<OpAction> {
        let at = self.offset(OP_TAG);
        Ok(match action {
            ACTION_MAKE => OpAction::MakeObject(match tag_byte(self.cols.rle_u(OP_TAG)?) {
                OBJ_MAP => ObjType::Map,
                OBJ_LIST => ObjType::List,
                OBJ_TEXT => ObjType::Text,
                tag => {
                    return Err(DecodeError::UnknownTag {
                        field: "object type",
                        offset: at,
                        tag,
                    })
                }
            }),
            ACTION_PUT => OpAction::Put(self.value()?),
            ACTION_DELETE => OpAction::Delete,
            _ => OpAction::Increment(self.cols.sleb(OP_NUM)?),
        })
    }

    fn value(&mut self) -> Result<ScalarValue> {
        let at = self.offset(OP_TAG);
        Ok(match tag_byte(self.cols.rle_u(OP_TAG)?) {
            TAG_NULL => ScalarValue::Null,
            TAG_FALSE => ScalarValue::Bool(false),
            TAG_TRUE => ScalarValue::Bool(true),
            TAG_INT => ScalarValue::Int(self.cols.sleb(OP_NUM)?),
            TAG_UINT => ScalarValue::Uint(self.cols.uleb(OP_NUM)?),
            TAG_F64 => {
                let bytes = self.cols.col(OP_NUM)?.array("op value number")?;
                ScalarValue::F64(f64::from_le_bytes(bytes))
            }
            TAG_STR => {
                let at = self.offset(OP_BYTES);
                let bytes = self.value_bytes()?;
                ScalarValue::Str(Reader::utf8(bytes, "op value bytes", at)?)
            }
            TAG_BYTES => ScalarValue::Bytes(self.value_bytes()?.to_vec()),
            TAG_COUNTER => ScalarValue::Counter(self.cols.sleb(OP_NUM)?),
            TAG_TIMESTAMP => ScalarValue::Timestamp(self.cols.sleb(OP_NUM)?),
            tag => {
                return Err(DecodeError::UnknownTag {
                    field: "value",
                    offset: at,
                    tag,
                })
            }
        })
    }

    fn value_bytes(&mut self) -> Result<&'a [u8]> {
        let len = to_usize(self.cols.rle_u(OP_LEN)?);
        self.cols.col(OP_BYTES)?.fixed(len, "op value bytes")
    }
}

fn to_usize(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// A tag read from a run-length column; a value past a byte is no tag.
fn tag_byte(v: u64) -> u8 {
    u8::try_from(v).unwrap_or(u8::MAX)
}

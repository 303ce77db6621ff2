//! Automerge's change chunk body (Automerge binary format, "Change chunks"),
//! decoded into a mergedb `Change`.
//!
//! | Field | Encoding |
//! |---|---|
//! | deps | uLEB count, then that many 32-byte hashes |
//! | actor | uLEB length, then the actor's bytes |
//! | seq | uLEB |
//! | start_op | uLEB, not 0 |
//! | time | sLEB |
//! | message | uLEB length, then UTF-8 (empty: none) |
//! | other actors | uLEB count, each a uLEB length and bytes |
//! | column metadata | uLEB count, each a uLEB spec and a uLEB length, specs ascending |
//! | column data | the columns' bytes, in metadata order |
//! | extra | whatever follows, kept |
//!
//! The op columns read here (id, type): obj (0, actor) (0, uLEB), key
//! (1, actor) (1, delta) (1, string), insert (3, boolean), action (4, uLEB),
//! value (5, metadata) (5, raw), pred (7, group) (7, actor) (7, delta),
//! expand (9, boolean) and mark name (10, string), which action 7 (a mark)
//! reads: a name begins a mark, none ends one. A
//! column this decoder does not know is skipped, as automerge skips it (a
//! document keeps such a chunk as it came); a compressed column is refused,
//! as automerge refuses it in a change.

use super::chunk::{parse_chunk, ChunkKind};
use super::columns::{
    read_column_meta, BoolColumn, ColumnSpec, DeltaColumn, RawColumn, StrColumn, UintColumn,
};
use crate::reader::Reader;
use crate::snapshot::ValueRef;
use crate::{
    ActorId, Change, ChangeHash, DecodeError, ElemId, Key, ObjId, ObjType, Op, OpAction, OpId,
    ScalarValue,
};

type Result<T> = std::result::Result<T, DecodeError>;

/// A decoded Automerge change: mergedb's change, and its Automerge hash.
#[derive(Clone, Debug, PartialEq)]
pub struct AutomergeChange {
    /// The change.
    pub change: Change,
    /// Its hash: the SHA-256 of its change chunk.
    pub hash: ChangeHash,
}

/// Decodes one change chunk (or compressed change chunk) that is all of
/// `input`: parsed, its checksum verified, then its ops decoded.
pub fn decode_automerge_change(input: &[u8]) -> Result<AutomergeChange> {
    let chunk = parse_chunk(input, 0)?;
    if chunk.bytes.len() != input.len() {
        return Err(DecodeError::TrailingBytes {
            offset: chunk.bytes.len(),
            count: input.len() - chunk.bytes.len(),
        });
    }
    let (hash, inflated) = chunk.verify()?;
    let change = match (chunk.kind, &inflated) {
        (ChunkKind::Change, _) => decode_body(chunk.body, chunk.bytes.len() - chunk.body.len())?,
        (ChunkKind::Compressed, Some(body)) => decode_body(body, 0)?,
        (kind, _) => {
            return Err(DecodeError::WrongChunkType {
                found: kind.byte(),
                offset: 8,
            })
        }
    };
    Ok(AutomergeChange { change, hash })
}

struct Header {
    deps: Vec<ChangeHash>,
    actors: Vec<ActorId>,
    seq: u64,
    start_op: u64,
    time: i64,
    message: Option<String>,
}

fn actor(r: &mut Reader<'_>) -> Result<ActorId> {
    let at = r.offset();
    let bytes = r.len_prefixed("an actor id")?;
    ActorId::new(bytes).map_err(|_| DecodeError::BadActorLength {
        offset: at,
        len: u8::try_from(bytes.len()).unwrap_or(u8::MAX),
    })
}

fn header(r: &mut Reader<'_>) -> Result<Header> {
    let at = r.offset();
    let n = r.uleb("the dep count")?;
    let n = r.check_fits(n, 32, "the deps", at)?;
    let mut deps = Vec::with_capacity(n);
    for _ in 0..n {
        deps.push(ChangeHash(r.array("a dep")?));
    }
    let mut actors = vec![actor(r)?];
    let seq = r.uleb("seq")?;
    let at = r.offset();
    let start_op = r.uleb("start_op")?;
    if start_op == 0 {
        return Err(DecodeError::ZeroStartOp { offset: at });
    }
    let time = r.sleb("time")?;
    let at = r.offset();
    let message = r.len_prefixed("the message")?;
    let message = Reader::utf8(message, "the message", at)?;
    let at = r.offset();
    let n = r.uleb("the actor count")?;
    let n = r.check_fits(n, 1, "the other actors", at)?;
    actors.reserve(n);
    for _ in 0..n {
        actors.push(actor(r)?);
    }
    Ok(Header {
        deps,
        actors,
        seq,
        start_op,
        time,
        message: (!message.is_empty()).then_some(message),
    })
}

/// The column data, by normal spec, in ascending order.
fn columns<'a>(r: &mut Reader<'a>) -> Result<Vec<(ColumnSpec, &'a [u8])>> {
    let meta = read_column_meta(r)?;
    if let Some((_, _, at)) = meta.iter().find(|(s, _, _)| s.deflate()) {
        return Err(DecodeError::BadColumn {
            offset: *at,
            detail: "a change's column is compressed".into(),
        });
    }
    let mut out = Vec::with_capacity(meta.len());
    for (spec, len, at) in meta {
        let len = r.check_fits(len, 1, "a column's data", at)?;
        out.push((spec.normal(), r.fixed(len, "a column's data")?));
    }
    Ok(out)
}

fn decode_body(body: &[u8], base: usize) -> Result<Change> {
    let _ = base;
    let mut r = Reader::new(body, 0);
    let h = header(&mut r)?;
    let cols = columns(&mut r)?;
    let extra = r.rest().to_vec();
    let ops = Ops::new(&cols, r.offset())?.read(&h.actors, max_rows(body.len()))?;
    Ok(Change {
        actor: h.actors.first().copied().unwrap_or_else(ActorId::random),
        seq: h.seq,
        start_op: h.start_op,
        time: h.time,
        message: h.message,
        deps: h.deps,
        ops,
        extra,
    })
}

/// The op columns of a change.
struct Ops<'a> {
    obj_actor: UintColumn<'a>,
    obj_ctr: UintColumn<'a>,
    key_actor: UintColumn<'a>,
    key_ctr: DeltaColumn<'a>,
    key_str: StrColumn<'a>,
    insert: BoolColumn<'a>,
    action: UintColumn<'a>,
    val_meta: UintColumn<'a>,
    val_raw: RawColumn<'a>,
    pred_group: UintColumn<'a>,
    pred_actor: UintColumn<'a>,
    pred_ctr: DeltaColumn<'a>,
    expand: BoolColumn<'a>,
    mark_name: StrColumn<'a>,
    offset: usize,
}

impl<'a> Ops<'a> {
    fn new(cols: &[(ColumnSpec, &'a [u8])], offset: usize) -> Result<Self> {
        let get = |spec: u32| -> &'a [u8] {
            cols.iter()
                .find(|(s, _)| s.0 == spec)
                .map_or(&[][..], |(_, d)| *d)
        };
        // A column this decoder does not know is skipped, as automerge
        // skips it; the chunk is then not canonical and is kept as it came.
        Ok(Ops {
            obj_actor: UintColumn::new(get(0x01), "the obj actor column"),
            obj_ctr: UintColumn::new(get(0x02), "the obj counter column"),
            key_actor: UintColumn::new(get(0x11), "the key actor column"),
            key_ctr: DeltaColumn::new(get(0x13), "the key counter column"),
            key_str: StrColumn::new(get(0x15), "the key string column"),
            insert: BoolColumn::new(get(0x34), "the insert column"),
            action: UintColumn::new(get(0x42), "the action column"),
            val_meta: UintColumn::new(get(0x56), "the value metadata column"),
            val_raw: RawColumn::new(get(0x57)),
            pred_group: UintColumn::new(get(0x70), "the pred count column"),
            pred_actor: UintColumn::new(get(0x71), "the pred actor column"),
            pred_ctr: DeltaColumn::new(get(0x73), "the pred counter column"),
            expand: BoolColumn::new(get(0x94), "the expand column"),
            mark_name: StrColumn::new(get(0xa5), "the mark name column"),
            offset,
        })
    }

    fn bad(&self, index: usize, detail: String) -> DecodeError {
        DecodeError::BadColumn {
            offset: self.offset,
            detail: format!("op {index}: {detail}"),
        }
    }

    fn actor(&self, actors: &[ActorId], index: Option<u64>, op: usize) -> Result<ActorId> {
        let i = index.ok_or_else(|| self.bad(op, "an op id without its actor".into()))?;
        usize::try_from(i)
            .ok()
            .and_then(|i| actors.get(i).copied())
            .ok_or_else(|| self.bad(op, format!("actor index {i} is past the change's actors")))
    }

    /// Every op: one per row of the action column.
    fn read(mut self, actors: &[ActorId], max: usize) -> Result<Vec<Op>> {
        let mut ops = Vec::new();
        let mut index = 0;
        while let Some(action) = self.action.next()? {
            if index >= max {
                return Err(self.bad(index, format!("more than {max} ops for the chunk's size")));
            }
            ops.push(self.op(index, action, actors)?);
            index += 1;
        }
        Ok(ops)
    }

    fn op(&mut self, index: usize, action: u64, actors: &[ActorId]) -> Result<Op> {
        let obj = match (self.obj_actor.next()?, self.obj_ctr.next()?) {
            (None, None) => ObjId::Root,
            (a, Some(counter)) => ObjId::Op(OpId {
                counter,
                actor: self.actor(actors, a, index)?,
            }),
            (Some(_), None) => return Err(self.bad(index, "an obj actor without a counter".into())),
        };
        let (ka, kc, ks) = (
            self.key_actor.next()?,
            self.key_ctr.next()?,
            self.key_str.next()?,
        );
        let key = match (ks, kc) {
            (Some(s), None) => Key::Map(s.to_string()),
            (None, Some(0)) => Key::Seq(ElemId::Head),
            (None, Some(c)) => Key::Seq(ElemId::Op(OpId {
                counter: u64::try_from(c)
                    .map_err(|_| self.bad(index, "a negative key counter".into()))?,
                actor: self.actor(actors, ka, index)?,
            })),
            _ => {
                return Err(self.bad(
                    index,
                    "a key that is neither a string nor an element".into(),
                ))
            }
        };
        let insert = self.insert.next()?;
        let value = self.value(index)?;
        let (expand, mark_name) = (self.expand.next()?, self.mark_name.next()?);
        let action = match (action, value) {
            (7, value) => match mark_name {
                Some(name) => OpAction::MarkBegin(Box::new(crate::MarkBegin {
                    name: name.to_string(),
                    value,
                    expand,
                })),
                None => OpAction::MarkEnd { expand },
            },
            (0, _) => OpAction::MakeObject(ObjType::Map),
            (1, v) => OpAction::Put(v),
            (2, _) => OpAction::MakeObject(ObjType::List),
            (3, _) => OpAction::Delete,
            (4, _) => OpAction::MakeObject(ObjType::Text),
            (6, _) => OpAction::MakeObject(ObjType::Table),
            (5, ScalarValue::Int(by) | ScalarValue::Counter(by)) => OpAction::Increment(by),
            (5, ScalarValue::Uint(by)) => OpAction::Increment(
                i64::try_from(by).map_err(|_| self.bad(index, "an increment past i64".into()))?,
            ),
            (a, _) => {
                return Err(DecodeError::Unsupported {
                    offset: self.offset,
                    what: format!(
                        "op {index}: action {a} (tables and others mergedb does not model yet)"
                    ),
                })
            }
        };
        let n = self.pred_group.next()?.unwrap_or(0);
        let mut pred = Vec::new();
        for _ in 0..n {
            let actor = self.pred_actor.next()?;
            let counter = self.pred_ctr.next()?;
            let counter = counter
                .and_then(|c| u64::try_from(c).ok())
                .ok_or_else(|| self.bad(index, "a pred without a valid counter".into()))?;
            pred.push(OpId {
                counter,
                actor: self.actor(actors, actor, index)?,
            });
        }
        Ok(Op {
            obj,
            key,
            insert,
            action,
            pred,
        })
    }

    fn value(&mut self, index: usize) -> Result<ScalarValue> {
        let meta = self.val_meta.next()?.unwrap_or(0);
        let raw = self.val_raw.take(meta >> 4)?;
        scalar(meta, raw, self.offset).map_err(|detail| self.bad(index, detail))?
    }
}

/// The scalar that value metadata `meta` (`(len << 4) | type`) and its raw
/// bytes give: `Err` with what is wrong for a malformed value (the caller
/// says where), `Ok(Err)` for a type mergedb does not model.
pub(crate) fn scalar(
    meta: u64,
    raw: &[u8],
    offset: usize,
) -> std::result::Result<Result<ScalarValue>, String> {
    Ok(scalar_ref(meta, raw, offset)?.map(ValueRef::to_scalar))
}

/// A value, borrowed from its raw bytes: for the document loader, which
/// allocates nothing per op.
pub(crate) fn scalar_ref(
    meta: u64,
    raw: &[u8],
    offset: usize,
) -> std::result::Result<Result<ValueRef<'_>>, String> {
    let (len, tag) = (meta >> 4, meta & 0x0f);
    let leb = |signed: bool| -> std::result::Result<(u64, i64), String> {
        let mut r = Reader::new(raw, 0);
        let v = match signed {
            true => (0, r.sleb("a value").map_err(|e| e.to_string())?),
            false => (r.uleb("a value").map_err(|e| e.to_string())?, 0),
        };
        match r.remaining() {
            0 => Ok(v),
            _ => Err("a number value with bytes after it".into()),
        }
    };
    Ok(Ok(match (tag, len) {
        (0, 0) => ValueRef::Null,
        (1, 0) => ValueRef::Bool(false),
        (2, 0) => ValueRef::Bool(true),
        (3, _) => ValueRef::Uint(leb(false)?.0),
        (4, _) => ValueRef::Int(leb(true)?.1),
        (5, 8) => ValueRef::F64(f64::from_le_bytes(
            raw.try_into().map_err(|_| "a float".to_string())?,
        )),
        (6, _) => match Reader::str(raw, "a string value", offset) {
            Ok(s) => ValueRef::Str(s),
            Err(e) => return Ok(Err(e)),
        },
        (7, _) => ValueRef::Bytes(raw),
        (8, _) => ValueRef::Counter(leb(true)?.1),
        (9, _) => ValueRef::Timestamp(leb(true)?.1),
        (t, l) => {
            return Ok(Err(DecodeError::Unsupported {
                offset,
                what: format!("a value of type {t} and {l} bytes"),
            }))
        }
    }))
}

/// The most rows a chunk of `len` bytes may declare: run-length columns
/// let a few bytes stand for many rows, so this bounds what a decoder
/// allocates by its input (SPEC.md §4A.6).
pub fn max_rows(len: usize) -> usize {
    (64 * len).clamp(1 << 16, 1 << 26)
}

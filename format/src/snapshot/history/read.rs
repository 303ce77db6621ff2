//! Reading the history section's columns back into changes (SPEC.md §4.3, §4.4).

use super::*;
use crate::change_layout::*;
use crate::reader::Reader;
use crate::snapshot::columns::{actor_at, read_actors, ColumnReader};
use crate::{
    encode_change_into, ActorId, Change, ChangeHash, DecodeError, ElemId, Key, ObjId, ObjType, Op,
    OpAction, OpId, ScalarValue,
};

type Result<T> = std::result::Result<T, DecodeError>;

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

//! The change decoder (SPEC.md §3). It accepts exactly the canonical encoding
//! of a valid change: `encode_change(&decode_change(b)?) == b` for every `b`
//! that decodes. Every loop is bounded by the input's length, and nothing is
//! allocated for a count before the count is checked against the bytes left.

use crate::change::{check_counter_range, strictly_ascending};
use crate::change_layout::*;
use crate::reader::Reader;
use crate::{ActorId, Change, ChangeHash, DecodeError, ElemId, InvalidChange, Key, ObjId};
use crate::{Op, OpAction, OpId, OpRule, ScalarValue};

type Result<T> = std::result::Result<T, DecodeError>;

/// Decodes one change that fills `bytes` exactly.
pub fn decode_change(bytes: &[u8]) -> Result<Change> {
    let body = check_frame(bytes)?;
    let mut r = Reader::new(body.input, body.start);
    decode_body(&mut r)
}

/// Decodes a change and hashes its bytes.
pub fn decode_change_with_hash(bytes: &[u8]) -> Result<(Change, ChangeHash)> {
    let change = decode_change(bytes)?;
    Ok((change, ChangeHash::of_encoded(bytes)))
}

/// The checked frame: the input up to the end of the body, and where the body starts.
struct Body<'a> {
    input: &'a [u8],
    start: usize,
}

fn check_frame(bytes: &[u8]) -> Result<Body<'_>> {
    let mut r = Reader::new(bytes, 0);
    let magic = r.array::<4>("magic")?;
    if magic != CHANGE_MAGIC {
        return Err(DecodeError::BadMagic { found: magic });
    }
    let version = r.u8("version")?;
    if version != CHANGE_VERSION {
        return Err(DecodeError::UnsupportedVersion {
            version,
            supported: CHANGE_VERSION,
            offset: 4,
        });
    }
    let expected = u32::from_le_bytes(r.array("checksum")?);
    let len = r.uleb("length")?;
    let len = r.check_fits(len, 1, "body", LENGTH_OFFSET)?;
    let start = r.offset();
    let end = start + len;
    if end < bytes.len() {
        return Err(DecodeError::TrailingBytes {
            offset: end,
            count: bytes.len() - end,
        });
    }
    let actual = crc32fast::hash(bytes.get(LENGTH_OFFSET..).unwrap_or_default());
    if actual != expected {
        return Err(DecodeError::ChecksumMismatch { expected, actual });
    }
    Ok(Body {
        input: bytes,
        start,
    })
}

fn decode_body(r: &mut Reader<'_>) -> Result<Change> {
    let actor = read_actor(r)?;
    let seq = read_nonzero(r, "seq", InvalidChange::ZeroSeq)?;
    let start_op = read_nonzero(r, "start_op", InvalidChange::ZeroStartOp)?;
    let time = r.sleb("time")?;
    let message = read_message(r)?;
    let deps = read_deps(r)?;
    let actors_at = r.offset();
    let mut table = ActorTable::read(r, actor)?;
    let ops_at = r.offset();
    let count = r.uleb("ops")?;
    let count = r.check_fits(count, MIN_OP_BYTES, "ops", ops_at)?;
    check_counter_range(start_op, count).map_err(|source| DecodeError::Invalid {
        offset: ops_at,
        source,
    })?;
    // `count` ops need at least 4 * count bytes, so this reserves at most
    // size_of::<Op>() / 4 bytes of memory per input byte (SPEC.md §3.7).
    let mut ops = Vec::with_capacity(count);
    for index in 0..count {
        let own = start_op + index as u64;
        ops.push(read_op(r, own, index, &mut table)?);
    }
    if table.used.iter().any(|used| !used) {
        return Err(DecodeError::NotCanonical {
            offset: actors_at,
            reason: "the actor table lists an actor that no op names",
        });
    }
    let extra = r.rest().to_vec();
    Ok(Change {
        actor,
        seq,
        start_op,
        time,
        message,
        deps,
        ops,
        extra,
    })
}

fn read_nonzero(r: &mut Reader<'_>, field: &'static str, zero: InvalidChange) -> Result<u64> {
    let offset = r.offset();
    match r.uleb(field)? {
        0 => Err(DecodeError::Invalid {
            offset,
            source: zero,
        }),
        v => Ok(v),
    }
}

fn read_actor(r: &mut Reader<'_>) -> Result<ActorId> {
    let offset = r.offset();
    let len = r.u8("actor length")?;
    if len == 0 || usize::from(len) > ActorId::MAX_LEN {
        return Err(DecodeError::BadActorLength { offset, len });
    }
    let bytes = r.fixed(usize::from(len), "actor")?;
    ActorId::new(bytes).map_err(|_| DecodeError::BadActorLength { offset, len })
}

fn read_message(r: &mut Reader<'_>) -> Result<Option<String>> {
    let offset = r.offset();
    let tag = r.uleb("message")?;
    let Some(len) = tag.checked_sub(1) else {
        return Ok(None);
    };
    let len = r.check_fits(len, 1, "message", offset)?;
    let at = r.offset();
    let bytes = r.fixed(len, "message")?;
    Reader::utf8(bytes, "message", at).map(Some)
}

fn read_deps(r: &mut Reader<'_>) -> Result<Vec<ChangeHash>> {
    let offset = r.offset();
    let count = r.uleb("deps")?;
    let count = r.check_fits(count, 32, "deps", offset)?;
    let mut deps = Vec::with_capacity(count);
    for _ in 0..count {
        deps.push(ChangeHash(r.array("dep")?));
    }
    if !strictly_ascending(&deps) {
        return Err(DecodeError::Invalid {
            offset,
            source: InvalidChange::DepsOrder,
        });
    }
    Ok(deps)
}

/// Index 0 is the change's actor; index `i + 1` is `others[i]`.
struct ActorTable {
    own: ActorId,
    others: Vec<ActorId>,
    used: Vec<bool>,
}

impl ActorTable {
    fn read(r: &mut Reader<'_>, own: ActorId) -> Result<Self> {
        let offset = r.offset();
        let count = r.uleb("actors")?;
        let count = r.check_fits(count, MIN_ACTOR_BYTES, "actors", offset)?;
        let mut others: Vec<ActorId> = Vec::with_capacity(count);
        for _ in 0..count {
            let at = r.offset();
            let actor = read_actor(r)?;
            let ascending = others.last().is_none_or(|last| *last < actor);
            if !ascending || actor == own {
                return Err(DecodeError::NotCanonical {
                    offset: at,
                    reason: "the actor table must be strictly ascending and must not list the change's own actor",
                });
            }
            others.push(actor);
        }
        let used = vec![false; others.len()];
        Ok(ActorTable { own, others, used })
    }

    fn actor(&mut self, r: &mut Reader<'_>, field: &'static str) -> Result<ActorId> {
        let offset = r.offset();
        let index = r.uleb(field)?;
        let out_of_range = DecodeError::ActorIndexOutOfRange {
            offset,
            index,
            actors: self.others.len() + 1,
        };
        let Some(other) = index.checked_sub(1) else {
            return Ok(self.own);
        };
        let other = usize::try_from(other).map_err(|_| out_of_range.clone())?;
        match (self.others.get(other), self.used.get_mut(other)) {
            (Some(actor), Some(used)) => {
                *used = true;
                Ok(*actor)
            }
            _ => Err(out_of_range),
        }
    }
}

fn read_op(r: &mut Reader<'_>, own: u64, index: usize, actors: &mut ActorTable) -> Result<Op> {
    let at = r.offset();
    let header = r.u8("op header")?;
    let has_elem = header & FLAG_ELEM_ID != 0;
    let seq_key = header & FLAG_SEQ_KEY != 0;
    if header & RESERVED_BITS != 0 || (has_elem && !seq_key) {
        return Err(DecodeError::ReservedBits {
            field: "op header",
            offset: at,
            byte: header,
        });
    }
    let insert = header & FLAG_INSERT != 0;
    let obj = match header & FLAG_OBJ_ID {
        0 => ObjId::Root,
        _ => {
            let counter = r.uleb("obj counter")?;
            ObjId::Op(OpId::new(counter, actors.actor(r, "obj actor")?))
        }
    };
    let key = match (seq_key, has_elem) {
        (false, _) => {
            let offset = r.offset();
            let bytes = r.len_prefixed("map key")?;
            Key::Map(Reader::utf8(bytes, "map key", offset)?)
        }
        (true, false) => Key::Seq(ElemId::Head),
        (true, true) => Key::Seq(ElemId::Op(read_earlier(r, own, index, actors, "elem")?)),
    };
    let action = read_action(r, header & ACTION_MASK)?;
    let pred = if insert {
        Vec::new()
    } else {
        read_pred(r, own, index, actors)?
    };
    let op = Op {
        obj,
        key,
        insert,
        action,
        pred,
    };
    op.check(own)
        .map_err(|rule| DecodeError::op(at, index, rule))?;
    Ok(op)
}

fn read_action(r: &mut Reader<'_>, action: u8) -> Result<OpAction> {
    Ok(match action {
        ACTION_MAKE => {
            let offset = r.offset();
            OpAction::MakeObject(obj_type_of(r.u8("object type")?, offset)?)
        }
        ACTION_PUT => OpAction::Put(read_value(r)?),
        ACTION_DELETE => OpAction::Delete,
        _ => OpAction::Increment(r.sleb("increment")?),
    })
}

fn read_pred(
    r: &mut Reader<'_>,
    own: u64,
    index: usize,
    actors: &mut ActorTable,
) -> Result<Vec<OpId>> {
    let offset = r.offset();
    let count = r.uleb("pred")?;
    let count = r.check_fits(count, MIN_PRED_BYTES, "pred", offset)?;
    let mut pred = Vec::with_capacity(count);
    for _ in 0..count {
        pred.push(read_earlier(r, own, index, actors, "pred")?);
    }
    Ok(pred)
}

/// An op id stored as its distance back from `own` (SPEC.md §3.3).
fn read_earlier(
    r: &mut Reader<'_>,
    own: u64,
    index: usize,
    actors: &mut ActorTable,
    field: &'static str,
) -> Result<OpId> {
    let offset = r.offset();
    let back = r.uleb(field)?;
    let counter = (own - 1).checked_sub(back).filter(|c| *c > 0);
    let counter = counter.ok_or(DecodeError::op(offset, index, OpRule::ZeroCounter))?;
    Ok(OpId::new(counter, actors.actor(r, field)?))
}

pub(crate) fn read_value(r: &mut Reader<'_>) -> Result<ScalarValue> {
    let offset = r.offset();
    Ok(match r.u8("value tag")? {
        TAG_NULL => ScalarValue::Null,
        TAG_FALSE => ScalarValue::Bool(false),
        TAG_TRUE => ScalarValue::Bool(true),
        TAG_INT => ScalarValue::Int(r.sleb("int value")?),
        TAG_UINT => ScalarValue::Uint(r.uleb("uint value")?),
        TAG_F64 => ScalarValue::F64(f64::from_le_bytes(r.array("f64 value")?)),
        TAG_STR => {
            let at = r.offset();
            let bytes = r.len_prefixed("str value")?;
            ScalarValue::Str(Reader::utf8(bytes, "str value", at)?)
        }
        TAG_BYTES => ScalarValue::Bytes(r.len_prefixed("bytes value")?.to_vec()),
        TAG_COUNTER => ScalarValue::Counter(r.sleb("counter value")?),
        TAG_TIMESTAMP => ScalarValue::Timestamp(r.sleb("timestamp value")?),
        tag => {
            return Err(DecodeError::UnknownTag {
                field: "value",
                offset,
                tag,
            })
        }
    })
}

//! The change encoder (SPEC.md §3).

use crate::change_layout::*;
use crate::reader::{write_sleb, write_uleb};
use crate::{ActorId, Change, ElemId, InvalidChange, Key, ObjId, ObjType, Op, OpAction, OpId};
use crate::{ChangeHash, ScalarValue};

/// Encodes a valid change in its one canonical form.
///
/// Returns an error, and writes nothing, if `change` breaks a rule of SPEC.md §3.4.
pub fn encode_change(change: &Change) -> Result<Vec<u8>, InvalidChange> {
    let mut out = Vec::with_capacity(96 + 12 * change.ops.len() + change.extra.len());
    encode_change_into(change, &mut out)?;
    Ok(out)
}

/// Encodes a valid change into `out`, replacing what it held. Reusing one
/// buffer across many changes saves an allocation each.
pub fn encode_change_into(change: &Change, out: &mut Vec<u8>) -> Result<(), InvalidChange> {
    change.check()?;
    out.clear();
    out.extend_from_slice(&CHANGE_MAGIC);
    out.push(CHANGE_VERSION);
    out.extend_from_slice(&[0; 4]);
    // Room for the longest length; the body moves back once its length is known.
    out.extend_from_slice(&[0; MAX_LEB]);
    let body_start = out.len();
    write_body(change, out);
    let body_len = out.len() - body_start;
    let mut leb = [0u8; MAX_LEB];
    let mut n = 0;
    let mut v = body_len as u64;
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if let Some(slot) = leb.get_mut(n) {
            *slot = if v == 0 { byte } else { byte | 0x80 };
        }
        n += 1;
        if v == 0 {
            break;
        }
    }
    if let (Some(slot), Some(len)) = (out.get_mut(LENGTH_OFFSET..LENGTH_OFFSET + n), leb.get(..n)) {
        slot.copy_from_slice(len);
    }
    out.copy_within(body_start.., LENGTH_OFFSET + n);
    out.truncate(LENGTH_OFFSET + n + body_len);
    let crc = crc32fast::hash(out.get(LENGTH_OFFSET..).unwrap_or_default());
    if let Some(slot) = out.get_mut(CRC_OFFSET..LENGTH_OFFSET) {
        slot.copy_from_slice(&crc.to_le_bytes());
    }
    Ok(())
}

/// The longest uLEB128, in bytes.
const MAX_LEB: usize = 10;

fn write_body(change: &Change, body: &mut Vec<u8>) {
    let actors = OtherActors::of(change);
    write_actor(body, &change.actor);
    write_uleb(body, change.seq);
    write_uleb(body, change.start_op);
    write_sleb(body, change.time);
    match &change.message {
        None => body.push(0),
        Some(m) => {
            write_uleb(body, m.len() as u64 + 1);
            body.extend_from_slice(m.as_bytes());
        }
    }
    write_uleb(body, change.deps.len() as u64);
    change
        .deps
        .iter()
        .for_each(|d| body.extend_from_slice(&d.0));
    write_uleb(body, actors.sorted.len() as u64);
    actors.sorted.iter().for_each(|a| write_actor(body, a));
    write_uleb(body, change.ops.len() as u64);
    for (i, op) in change.ops.iter().enumerate() {
        let own = change.start_op + i as u64;
        write_op(body, op, own, &actors, &change.actor);
    }
    body.extend_from_slice(&change.extra);
}

/// Encodes a change and hashes the encoding.
pub fn encode_change_with_hash(change: &Change) -> Result<(Vec<u8>, ChangeHash), InvalidChange> {
    let bytes = encode_change(change)?;
    let hash = ChangeHash::of_encoded(&bytes);
    Ok((bytes, hash))
}

/// The actors an op names other than the change's own, in ascending order.
/// Index 0 is the change's actor; this table's entry `i` is index `i + 1`.
struct OtherActors {
    sorted: Vec<ActorId>,
}

impl OtherActors {
    fn of(change: &Change) -> Self {
        let mut sorted: Vec<ActorId> = Vec::new();
        let mut note = |id: &OpId| {
            if id.actor != change.actor {
                sorted.push(id.actor);
            }
        };
        for op in &change.ops {
            if let ObjId::Op(id) = &op.obj {
                note(id);
            }
            if let Key::Seq(ElemId::Op(id)) = &op.key {
                note(id);
            }
            op.pred.iter().for_each(&mut note);
        }
        sorted.sort_unstable();
        sorted.dedup();
        OtherActors { sorted }
    }

    fn index(&self, actor: &ActorId, own: &ActorId) -> u64 {
        if actor == own {
            return 0;
        }
        // Every actor an op names was collected by `of`.
        let pos = self.sorted.binary_search(actor).unwrap_or_default();
        pos as u64 + 1
    }
}

fn write_actor(out: &mut Vec<u8>, actor: &ActorId) {
    out.push(actor.as_bytes().len() as u8);
    out.extend_from_slice(actor.as_bytes());
}

fn write_op(out: &mut Vec<u8>, op: &Op, own: u64, actors: &OtherActors, me: &ActorId) {
    let mut header = match op.action {
        OpAction::MakeObject(_) => ACTION_MAKE,
        OpAction::Put(_) => ACTION_PUT,
        OpAction::Delete => ACTION_DELETE,
        OpAction::Increment(_) => ACTION_INCREMENT,
    };
    if op.insert {
        header |= FLAG_INSERT;
    }
    if let ObjId::Op(_) = op.obj {
        header |= FLAG_OBJ_ID;
    }
    match op.key {
        Key::Seq(ElemId::Op(_)) => header |= FLAG_SEQ_KEY | FLAG_ELEM_ID,
        Key::Seq(ElemId::Head) => header |= FLAG_SEQ_KEY,
        Key::Map(_) => {}
    }
    out.push(header);
    if let ObjId::Op(id) = &op.obj {
        write_uleb(out, id.counter);
        write_uleb(out, actors.index(&id.actor, me));
    }
    match &op.key {
        Key::Seq(ElemId::Op(id)) => write_earlier(out, id, own, actors, me),
        Key::Seq(ElemId::Head) => {}
        Key::Map(k) => write_bytes(out, k.as_bytes()),
    }
    match &op.action {
        OpAction::MakeObject(t) => out.push(match t {
            ObjType::Map => OBJ_MAP,
            ObjType::List => OBJ_LIST,
            ObjType::Text => OBJ_TEXT,
        }),
        OpAction::Put(v) => write_value(out, v),
        OpAction::Delete => {}
        OpAction::Increment(by) => write_sleb(out, *by),
    }
    if !op.insert {
        write_uleb(out, op.pred.len() as u64);
        op.pred
            .iter()
            .for_each(|p| write_earlier(out, p, own, actors, me));
    }
}

/// An op id that is known to be earlier than the op's own: stored as the
/// distance back from the own counter, which is small for nearby ops.
fn write_earlier(out: &mut Vec<u8>, id: &OpId, own: u64, actors: &OtherActors, me: &ActorId) {
    write_uleb(out, own - id.counter - 1);
    write_uleb(out, actors.index(&id.actor, me));
}

fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_uleb(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

pub(crate) fn write_value(out: &mut Vec<u8>, value: &ScalarValue) {
    match value {
        ScalarValue::Null => out.push(TAG_NULL),
        ScalarValue::Bool(false) => out.push(TAG_FALSE),
        ScalarValue::Bool(true) => out.push(TAG_TRUE),
        ScalarValue::Int(i) => {
            out.push(TAG_INT);
            write_sleb(out, *i);
        }
        ScalarValue::Uint(u) => {
            out.push(TAG_UINT);
            write_uleb(out, *u);
        }
        ScalarValue::F64(f) => {
            out.push(TAG_F64);
            out.extend_from_slice(&f.to_le_bytes());
        }
        ScalarValue::Str(s) => {
            out.push(TAG_STR);
            write_bytes(out, s.as_bytes());
        }
        ScalarValue::Bytes(b) => {
            out.push(TAG_BYTES);
            write_bytes(out, b);
        }
        ScalarValue::Counter(c) => {
            out.push(TAG_COUNTER);
            write_sleb(out, *c);
        }
        ScalarValue::Timestamp(t) => {
            out.push(TAG_TIMESTAMP);
            write_sleb(out, *t);
        }
    }
}

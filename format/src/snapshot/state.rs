//! The state section: a document as a read sees it, with no history, so that a
//! document opens for reading without decoding its ops (SPEC.md §4.2).
//!
//! Objects are a flat list, the root first, and a value that is an object names
//! its index in the list. A flat list decodes without recursion, so a deeply
//! nested document cannot exhaust the decoder's stack.

use super::columns::{actor_at, read_actors, write_actors};
use crate::change_decode::read_value;
use crate::change_encode::write_value;
use crate::reader::{write_uleb, Reader};
use crate::{ActorId, ChangeHash, DecodeError, ObjId, ObjType, OpId, ScalarValue};

type Result<T> = std::result::Result<T, DecodeError>;

/// The most entries of one list that room is made for before they are read:
/// counts are checked against the bytes left, but a byte of input can stand
/// for an entry many times its size in memory.
const PREALLOC_ITEMS: usize = 1 << 16;

const KIND_MAP: u8 = 0;
const KIND_LIST: u8 = 1;
const KIND_TEXT: u8 = 2;
const KIND_TABLE: u8 = 3;
/// The value tag of a nested object; the scalar tags are those of §3.3.1.
const TAG_OBJECT: u8 = 0x10;

/// The visible state of a document.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct DocState {
    /// The heads of the history this state is the result of.
    pub heads: Vec<ChangeHash>,
    /// Every visible object; the first is the root map.
    pub objects: Vec<StateObject>,
}

/// One object of a [`DocState`].
#[derive(Clone, Debug, PartialEq)]
pub struct StateObject {
    /// Its id: `ObjId::Root` for the first object, an op id for every other.
    pub id: ObjId,
    /// What it holds.
    pub body: StateBody,
}

/// The contents of an object.
#[derive(Clone, Debug, PartialEq)]
pub enum StateBody {
    /// A map's visible entries, strictly ascending by key bytes.
    Map(Vec<(String, StateValue)>),
    /// A list's visible elements, in order.
    List(Vec<StateValue>),
    /// A text's visible characters.
    Text(String),
    /// A table's visible entries, as a map's.
    Table(Vec<(String, StateValue)>),
}

impl DocState {
    /// The state of an empty document: an empty root map and no heads.
    pub fn empty() -> Self {
        DocState {
            heads: Vec::new(),
            objects: vec![StateObject {
                id: ObjId::Root,
                body: StateBody::Map(Vec::new()),
            }],
        }
    }
}

impl StateBody {
    /// The object type this body belongs to.
    pub fn obj_type(&self) -> ObjType {
        match self {
            StateBody::Map(_) => ObjType::Map,
            StateBody::Table(_) => ObjType::Table,
            StateBody::List(_) => ObjType::List,
            StateBody::Text(_) => ObjType::Text,
        }
    }
}

/// A value in a map or list of a [`DocState`].
#[derive(Clone, Debug, PartialEq)]
pub enum StateValue {
    /// A scalar, with the id of the op that put it; a counter holds its
    /// current total.
    Scalar(ScalarValue, OpId),
    /// The object at this index of [`DocState::objects`].
    Object(u32),
}

/// Encodes a state section (raw, before compression).
pub fn encode_state(state: &DocState) -> Vec<u8> {
    let mut actors: Vec<ActorId> = Vec::new();
    for o in &state.objects {
        if let ObjId::Op(id) = o.id {
            actors.push(id.actor);
        }
        let values: &[StateValue] = match &o.body {
            StateBody::List(items) => items,
            _ => &[],
        };
        let entries = match &o.body {
            StateBody::Map(entries) | StateBody::Table(entries) => entries.as_slice(),
            _ => &[],
        };
        let scalar_ids = values.iter().chain(entries.iter().map(|(_, v)| v));
        actors.extend(scalar_ids.filter_map(|v| match v {
            StateValue::Scalar(_, id) => Some(id.actor),
            StateValue::Object(_) => None,
        }));
    }
    actors.sort_unstable();
    actors.dedup();
    let mut out = Vec::new();
    write_uleb(&mut out, state.heads.len() as u64);
    state.heads.iter().for_each(|h| out.extend_from_slice(&h.0));
    write_actors(&mut out, &actors);
    write_uleb(&mut out, state.objects.len() as u64);
    for (i, object) in state.objects.iter().enumerate() {
        out.push(match object.body {
            StateBody::Map(_) => KIND_MAP,
            StateBody::List(_) => KIND_LIST,
            StateBody::Text(_) => KIND_TEXT,
            StateBody::Table(_) => KIND_TABLE,
        });
        if i > 0 {
            if let ObjId::Op(id) = object.id {
                write_op_id(&mut out, &id, &actors);
            }
        }
        match &object.body {
            StateBody::Map(entries) | StateBody::Table(entries) => {
                write_uleb(&mut out, entries.len() as u64);
                for (k, v) in entries {
                    write_uleb(&mut out, k.len() as u64);
                    out.extend_from_slice(k.as_bytes());
                    write_state_value(&mut out, v, &actors);
                }
            }
            StateBody::List(items) => {
                write_uleb(&mut out, items.len() as u64);
                items
                    .iter()
                    .for_each(|v| write_state_value(&mut out, v, &actors));
            }
            StateBody::Text(s) => {
                write_uleb(&mut out, s.len() as u64);
                out.extend_from_slice(s.as_bytes());
            }
        }
    }
    out
}

fn write_op_id(out: &mut Vec<u8>, id: &OpId, actors: &[ActorId]) {
    write_uleb(out, id.counter);
    let a = actors.binary_search(&id.actor).unwrap_or(0);
    write_uleb(out, a as u64);
}

fn write_state_value(out: &mut Vec<u8>, v: &StateValue, actors: &[ActorId]) {
    match v {
        StateValue::Scalar(s, id) => {
            write_value(out, s);
            write_op_id(out, id, actors);
        }
        StateValue::Object(i) => {
            out.push(TAG_OBJECT);
            write_uleb(out, u64::from(*i));
        }
    }
}

/// Decodes a raw state section. Besides each field, it checks that the
/// objects form a tree under the root: every other object is named by exactly
/// one value, in an object listed before it, and ids are distinct.
pub fn decode_state(raw: &[u8]) -> Result<DocState> {
    let mut r = Reader::new(raw, 0);
    let at = r.offset();
    let n = r.uleb("heads")?;
    let n = r.check_fits(n, 32, "heads", at)?;
    let mut heads = Vec::with_capacity(n.min(PREALLOC_ITEMS));
    for _ in 0..n {
        heads.push(ChangeHash(r.array("head")?));
    }
    let actors = read_actors(&mut r)?;
    let at = r.offset();
    let n = r.uleb("objects")?;
    // An object takes at least a kind byte and a length.
    let n = r.check_fits(n, 2, "objects", at)?;
    if n == 0 {
        return Err(DecodeError::NotCanonical {
            offset: at,
            reason: "a state has at least the root object",
        });
    }
    let mut objects = Vec::with_capacity(n.min(PREALLOC_ITEMS));
    let mut named = vec![false; n];
    for i in 0..n {
        objects.push(read_object(&mut r, i, &actors, &mut named)?);
    }
    if r.remaining() > 0 {
        return Err(DecodeError::TrailingBytes {
            offset: r.offset(),
            count: r.remaining(),
        });
    }
    if named.iter().skip(1).any(|n| !n) {
        return Err(DecodeError::NotCanonical {
            offset: at,
            reason: "an object that no value names",
        });
    }
    check_distinct_ids(&objects, at)?;
    Ok(DocState { heads, objects })
}

fn check_distinct_ids(objects: &[StateObject], at: usize) -> Result<()> {
    let mut ids: Vec<&ObjId> = objects.iter().map(|o| &o.id).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|w| w.first() == w.get(1)) {
        return Err(DecodeError::NotCanonical {
            offset: at,
            reason: "two objects with the same id",
        });
    }
    Ok(())
}

fn read_object(
    r: &mut Reader<'_>,
    index: usize,
    actors: &[ActorId],
    named: &mut [bool],
) -> Result<StateObject> {
    let at = r.offset();
    let kind = r.u8("object kind")?;
    if index == 0 && kind != KIND_MAP {
        return Err(DecodeError::NotCanonical {
            offset: at,
            reason: "the first object must be the root map",
        });
    }
    let id = match index {
        0 => ObjId::Root,
        _ => ObjId::Op(read_op_id(r, actors, "object id")?),
    };
    let mut value = |r: &mut Reader<'_>| read_state_value(r, index, named, actors);
    let body = match kind {
        KIND_MAP | KIND_TABLE => {
            let at = r.offset();
            let n = r.uleb("map entries")?;
            let n = r.check_fits(n, 3, "map entries", at)?;
            let mut entries: Vec<(String, StateValue)> = Vec::with_capacity(n.min(PREALLOC_ITEMS));
            for _ in 0..n {
                let at = r.offset();
                let key = Reader::utf8(r.len_prefixed("map key")?, "map key", at)?;
                let ascending = entries
                    .last()
                    .is_none_or(|(k, _)| k.as_str() < key.as_str());
                if key.is_empty() || !ascending {
                    return Err(DecodeError::NotCanonical {
                        offset: at,
                        reason: "map keys must be non-empty and strictly ascending",
                    });
                }
                entries.push((key, value(r)?));
            }
            match kind {
                KIND_TABLE => StateBody::Table(entries),
                _ => StateBody::Map(entries),
            }
        }
        KIND_LIST => {
            let at = r.offset();
            let n = r.uleb("list items")?;
            let n = r.check_fits(n, 1, "list items", at)?;
            let mut items = Vec::with_capacity(n.min(PREALLOC_ITEMS));
            for _ in 0..n {
                items.push(value(r)?);
            }
            StateBody::List(items)
        }
        KIND_TEXT => {
            let at = r.offset();
            StateBody::Text(Reader::utf8(r.len_prefixed("text")?, "text", at)?)
        }
        tag => {
            return Err(DecodeError::UnknownTag {
                field: "object kind",
                offset: at,
                tag,
            })
        }
    };
    Ok(StateObject { id, body })
}

fn read_op_id(r: &mut Reader<'_>, actors: &[ActorId], field: &'static str) -> Result<OpId> {
    let offset = r.offset();
    let counter = r.uleb(field)?;
    if counter == 0 {
        return Err(DecodeError::NotCanonical {
            offset,
            reason: "an op id with counter 0",
        });
    }
    let offset = r.offset();
    let a = r.uleb(field)?;
    Ok(OpId::new(counter, actor_at(actors, a, offset)?))
}

fn read_state_value(
    r: &mut Reader<'_>,
    parent: usize,
    named: &mut [bool],
    actors: &[ActorId],
) -> Result<StateValue> {
    let at = r.offset();
    let tag = r.array::<1>("value tag")?;
    if tag != [TAG_OBJECT] {
        // Not an object: read it again as a scalar, tag and all.
        let mut back = Reader::new(r.whole(), at);
        let v = read_value(&mut back)?;
        r.seek(back.offset());
        return Ok(StateValue::Scalar(v, read_op_id(r, actors, "value op id")?));
    }
    let offset = r.offset();
    let i = r.uleb("object index")?;
    let slot = usize::try_from(i)
        .ok()
        .filter(|i| *i > parent)
        .and_then(|i| named.get_mut(i).map(|s| (i, s)));
    match slot {
        Some((i, seen)) if !*seen => {
            *seen = true;
            Ok(StateValue::Object(i as u32))
        }
        _ => Err(DecodeError::NotCanonical {
            offset,
            reason: "an object index must name a later object, once",
        }),
    }
}

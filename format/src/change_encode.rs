//! The change encoder (SPEC.md §3).

use crate::change_layout::*;
use crate::reader::{write_sleb, write_uleb};
use crate::snapshot::{ActionView, ChangeView, IdRef, KeyRef, OpView, ValueRef};
use crate::{ActorId, Change, ChangeHash, InvalidChange, ScalarValue};

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
    // §3 has no layout for a mark (§4.3 and Automerge's chunks do).
    if let Some(index) = change.ops.iter().position(|op| {
        matches!(
            op.action,
            crate::OpAction::MarkBegin(_) | crate::OpAction::MarkEnd { .. }
        )
    }) {
        return Err(InvalidChange::MarkInVersion1 { index });
    }
    let mut actors = Vec::new();
    let view = ChangeView::of_change(change, &mut actors);
    encode_view_into(&view, &actors, &change.deps, out);
    Ok(())
}

/// Encodes a checked change view (its op ids index `actors`; `deps` are its
/// deps' hashes, ascending) in the canonical form, replacing what `out`
/// held: the bytes whose SHA-256 is the change's hash.
pub fn encode_view_into(
    view: &ChangeView<'_>,
    actors: &[ActorId],
    deps: &[ChangeHash],
    out: &mut Vec<u8>,
) {
    let mut parts = Vec::new();
    let head = encode_view_parts(view, actors, &mut parts);
    let (head, tail) = parts.split_at(head.min(parts.len()));
    frame_change(head, deps, tail, out);
}

/// Appends a checked change view's body to `out` in two parts, the part
/// before its deps' hashes and the part after, and returns the length of
/// the first. A loader encodes changes this way while another thread, which
/// knows the deps' hashes, hashes the parts with [`ChangeHash::of_parts`].
pub fn encode_view_parts(view: &ChangeView<'_>, actors: &[ActorId], out: &mut Vec<u8>) -> usize {
    let start = out.len();
    let me = actor_of(actors, view.actor);
    encode_head(me, view.seq, view.start_op, view.time, view.message, out);
    let head = out.len() - start;
    encode_view_tail(view, actors, out);
    head
}

/// Appends the part of a change's body before its deps (SPEC.md §3.2): its
/// actor, seq, start_op, time and message.
pub fn encode_head(
    actor: &ActorId,
    seq: u64,
    start_op: u64,
    time: i64,
    message: Option<&str>,
    out: &mut Vec<u8>,
) {
    write_actor(out, actor);
    write_uleb(out, seq);
    write_uleb(out, start_op);
    write_sleb(out, time);
    match message {
        None => out.push(0),
        Some(m) => {
            write_uleb(out, m.len() as u64 + 1);
            out.extend_from_slice(m.as_bytes());
        }
    }
}

/// Appends the part of a checked change view's body after its deps: its
/// actor table, ops and extra bytes.
pub fn encode_view_tail(view: &ChangeView<'_>, actors: &[ActorId], out: &mut Vec<u8>) {
    let me = actor_of(actors, view.actor);
    let others = OtherActors::of(view, actors, me);
    write_uleb(out, others.sorted.len() as u64);
    others.sorted.iter().for_each(|a| write_actor(out, a));
    write_uleb(out, view.ops.len() as u64);
    for (i, op) in view.ops.iter().enumerate() {
        let own = view.start_op.wrapping_add(i as u64);
        write_op(out, view, op, own, &others);
    }
    out.extend_from_slice(view.extra);
}

/// The whole encoding of a change, replacing what `out` held: the frame,
/// then the body from the parts [`encode_view_parts`] wrote, with the deps
/// (their count, then their hashes, ascending) between them.
pub(crate) fn frame_change(head: &[u8], deps: &[ChangeHash], tail: &[u8], out: &mut Vec<u8>) {
    let n = deps.len() as u64;
    let body_len = (head.len() + uleb_len(n) + 32 * deps.len() + tail.len()) as u64;
    out.clear();
    out.extend_from_slice(&CHANGE_MAGIC);
    out.push(CHANGE_VERSION);
    out.extend_from_slice(&[0; 4]);
    write_uleb(out, body_len);
    out.extend_from_slice(head);
    write_uleb(out, n);
    deps.iter().for_each(|d| out.extend_from_slice(&d.0));
    out.extend_from_slice(tail);
    let crc = crc32fast::hash(out.get(LENGTH_OFFSET..).unwrap_or_default());
    if let Some(slot) = out.get_mut(CRC_OFFSET..LENGTH_OFFSET) {
        slot.copy_from_slice(&crc.to_le_bytes());
    }
}

/// How many bytes the uLEB128 of `v` takes.
fn uleb_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// The actor at `i`; a view's indices are checked against its table, so the
/// fallback is never taken.
fn actor_of(actors: &[ActorId], i: u32) -> &ActorId {
    actors.get(i as usize).unwrap_or(&ActorId::PLACEHOLDER)
}

/// Encodes a change and hashes the encoding.
pub fn encode_change_with_hash(change: &Change) -> Result<(Vec<u8>, ChangeHash), InvalidChange> {
    let bytes = encode_change(change)?;
    let hash = ChangeHash::of_encoded(&bytes);
    Ok((bytes, hash))
}

/// The actors an op names other than the change's own, in ascending order.
/// Index 0 is the change's actor; this table's entry `i` is index `i + 1`.
struct OtherActors<'t> {
    sorted: Vec<ActorId>,
    /// The view's table, and the change's own actor.
    table: &'t [ActorId],
    me: ActorId,
    /// The change's actor's index in `table`: an id with it is the change's
    /// own, with no need to compare bytes (a table may list an actor twice).
    me_index: u32,
}

impl<'t> OtherActors<'t> {
    fn of(view: &ChangeView<'_>, table: &'t [ActorId], me: &ActorId) -> Self {
        let mut sorted: Vec<ActorId> = Vec::new();
        let mut note = |id: &IdRef| {
            if id.actor == view.actor {
                return;
            }
            let actor = actor_of(table, id.actor);
            if actor != me {
                sorted.push(*actor);
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
        // Most changes name no other actor: not touching the empty list
        // keeps its header in registers.
        if sorted.len() > 1 {
            sorted.sort_unstable();
            sorted.dedup();
        }
        OtherActors {
            sorted,
            table,
            me: *me,
            me_index: view.actor,
        }
    }

    fn index(&self, id: &IdRef) -> u64 {
        if id.actor == self.me_index {
            return 0;
        }
        let actor = actor_of(self.table, id.actor);
        if *actor == self.me {
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

fn write_op(
    out: &mut Vec<u8>,
    view: &ChangeView<'_>,
    op: &OpView<'_>,
    own: u64,
    actors: &OtherActors<'_>,
) {
    out.push(op_header(op.action, op.insert, op.obj.is_some(), op.key));
    if let Some(id) = &op.obj {
        write_uleb(out, id.counter);
        write_uleb(out, actors.index(id));
    }
    match &op.key {
        KeyRef::Elem(id) => write_earlier(out, id, own, actors),
        KeyRef::Head => {}
        KeyRef::Map(k) => write_bytes(out, k.as_bytes()),
    }
    match op.action {
        ActionView::Make(t) => out.push(obj_type_byte(t)),
        ActionView::Put(v) => write_value_ref(out, v),
        ActionView::Delete => {}
        ActionView::Increment(by) => write_sleb(out, by),
        // Refused by `encode_change_into`; a view that holds one anyway
        // writes an object type no §3 reader takes, so it never decodes.
        ActionView::MarkBegin { .. } | ActionView::MarkEnd { .. } => out.push(0xff),
    }
    if !op.insert {
        let pred = view.preds(op);
        write_uleb(out, pred.len() as u64);
        pred.iter().for_each(|p| write_earlier(out, p, own, actors));
    }
}

/// An op's header byte (SPEC.md §3.3), which a snapshot's history column
/// holds too, with bits of its own above these.
pub(crate) fn op_header(action: ActionView<'_>, insert: bool, obj: bool, key: KeyRef<'_>) -> u8 {
    let mut header = match action {
        // A snapshot's history writes a mark as a make whose value tag says
        // mark (§4.3).
        ActionView::Make(_) | ActionView::MarkBegin { .. } | ActionView::MarkEnd { .. } => {
            ACTION_MAKE
        }
        ActionView::Put(_) => ACTION_PUT,
        ActionView::Delete => ACTION_DELETE,
        ActionView::Increment(_) => ACTION_INCREMENT,
    };
    if insert {
        header |= FLAG_INSERT;
    }
    if obj {
        header |= FLAG_OBJ_ID;
    }
    match key {
        KeyRef::Elem(_) => header |= FLAG_SEQ_KEY | FLAG_ELEM_ID,
        KeyRef::Head => header |= FLAG_SEQ_KEY,
        KeyRef::Map(_) => {}
    }
    header
}

/// An op id that is known to be earlier than the op's own: stored as the
/// distance back from the own counter, which is small for nearby ops.
fn write_earlier(out: &mut Vec<u8>, id: &IdRef, own: u64, actors: &OtherActors<'_>) {
    write_uleb(out, own.wrapping_sub(id.counter).wrapping_sub(1));
    write_uleb(out, actors.index(id));
}

fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_uleb(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

pub(crate) fn write_value(out: &mut Vec<u8>, value: &ScalarValue) {
    write_value_ref(out, ValueRef::of(value));
}

fn write_value_ref(out: &mut Vec<u8>, value: ValueRef<'_>) {
    match value {
        ValueRef::Null => out.push(TAG_NULL),
        ValueRef::Bool(false) => out.push(TAG_FALSE),
        ValueRef::Bool(true) => out.push(TAG_TRUE),
        ValueRef::Int(i) => {
            out.push(TAG_INT);
            write_sleb(out, i);
        }
        ValueRef::Uint(u) => {
            out.push(TAG_UINT);
            write_uleb(out, u);
        }
        ValueRef::F64(f) => {
            out.push(TAG_F64);
            out.extend_from_slice(&f.to_le_bytes());
        }
        ValueRef::Str(s) => {
            out.push(TAG_STR);
            write_bytes(out, s.as_bytes());
        }
        ValueRef::Bytes(b) => {
            out.push(TAG_BYTES);
            write_bytes(out, b);
        }
        ValueRef::Counter(c) => {
            out.push(TAG_COUNTER);
            write_sleb(out, c);
        }
        ValueRef::Timestamp(t) => {
            out.push(TAG_TIMESTAMP);
            write_sleb(out, t);
        }
    }
}

//! Automerge's document chunk (type 0), for writing (Automerge binary
//! format, "Document chunks"; SPEC.md §4A.5).
//!
//! | Field | Encoding |
//! |---|---|
//! | actors | uLEB count, each a uLEB length and bytes, ascending by bytes |
//! | heads | uLEB count, then that many 32-byte hashes, ascending |
//! | change column metadata | uLEB count, each a uLEB spec and a uLEB length |
//! | op column metadata | the same |
//! | change column data | in metadata order |
//! | op column data | in metadata order |
//! | head indices | per head, the uLEB index of its change |
//!
//! A change is one row of the change columns (its deps are indices of
//! earlier rows); its ops are not listed with it but in the op columns,
//! every op of the document except deletes, which are the successors that
//! name no op. The ops are in document order, which automerge 0.12 loads
//! as it is: objects by id (the root first, then by counter, then actor
//! index); a map's ops by key (bytes), then id; a list's by element in list
//! order, an element's insert first, then the ops at it, by id. A column
//! longer than 256 bytes is DEFLATE-compressed, as automerge compresses it.

use super::chunk::{deflate, write_chunk, ChunkKind};
use super::column_write::{Bools, Delta, Rle};
use crate::reader::write_uleb;
use crate::snapshot::{ActionView, IdRef, KeyRef};
use crate::{ActorId, ChangeHash};

/// Columns at least this long are compressed, as automerge 0.12 does.
pub const DEFLATE_MIN_SIZE: usize = 256;

/// One change's row.
#[derive(Clone, Copy, Debug)]
pub struct DocChangeRef<'a> {
    /// Its actor's index in the document's table.
    pub actor: u32,
    /// Its seq.
    pub seq: u64,
    /// Its last op's counter (`start_op - 1` if it has none).
    pub max_op: u64,
    /// Its time.
    pub time: i64,
    /// Its message.
    pub message: Option<&'a str>,
    /// The rows of its deps, each earlier than this one.
    pub deps: &'a [u32],
    /// Its extra bytes.
    pub extra: &'a [u8],
}

/// A document chunk's change columns, written a row at a time. They and
/// the op columns are independent, so a writer may fill them on two
/// threads.
#[derive(Default)]
pub struct ChangeColumns {
    c_actor: Rle,
    c_seq: Delta,
    c_max_op: Delta,
    c_time: Delta,
    c_message: Rle,
    c_deps_n: Rle,
    c_deps: Delta,
    c_extra_meta: Rle,
    c_extra: Vec<u8>,
    scratch: Vec<u8>,
}

/// A document chunk's op columns, written a row at a time.
#[derive(Default)]
pub struct OpColumns {
    o_obj_a: Rle,
    o_obj_c: Rle,
    o_key_a: Rle,
    o_key_c: Delta,
    o_key_s: Rle,
    o_id_a: Rle,
    o_id_c: Delta,
    o_insert: Bools,
    o_action: Rle,
    o_meta: Rle,
    o_raw: Vec<u8>,
    o_succ_n: Rle,
    o_succ_a: Rle,
    o_succ_c: Delta,
    o_expand: Bools,
    o_mark: Rle,
    scratch: Vec<u8>,
    mark_scratch: Vec<u8>,
}

impl std::fmt::Debug for ChangeColumns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeColumns").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for OpColumns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpColumns").finish_non_exhaustive()
    }
}

/// Finished columns: each non-empty one with its spec, compressed if long.
#[derive(Clone, Debug, Default)]
pub struct Columns(Vec<(u32, Vec<u8>)>);

fn len_str(scratch: &mut Vec<u8>, s: &str) {
    scratch.clear();
    write_uleb(scratch, s.len() as u64);
    scratch.extend_from_slice(s.as_bytes());
}

impl ChangeColumns {
    /// Adds a change's row.
    pub fn change(&mut self, c: DocChangeRef<'_>) {
        self.c_actor.uint(u64::from(c.actor));
        self.c_seq.push(Some(c.seq as i64));
        self.c_max_op.push(Some(c.max_op as i64));
        self.c_time.push(Some(c.time));
        match c.message {
            Some(m) if !m.is_empty() => {
                len_str(&mut self.scratch, m);
                self.c_message.value(&self.scratch);
            }
            _ => self.c_message.null(),
        }
        self.c_deps_n.uint(c.deps.len() as u64);
        c.deps
            .iter()
            .for_each(|d| self.c_deps.push(Some(i64::from(*d))));
        self.c_extra_meta.uint(((c.extra.len() as u64) << 4) | 7);
        self.c_extra.extend_from_slice(c.extra);
    }

    /// The finished columns, compressed where long.
    pub fn finish(mut self) -> Columns {
        for rle in [
            &mut self.c_actor,
            &mut self.c_seq.rle,
            &mut self.c_max_op.rle,
            &mut self.c_time.rle,
            &mut self.c_message,
            &mut self.c_deps_n,
            &mut self.c_deps.rle,
            &mut self.c_extra_meta,
        ] {
            rle.finish();
        }
        Columns::of(&[
            (0x01, &self.c_actor.out),
            (0x03, &self.c_seq.rle.out),
            (0x13, &self.c_max_op.rle.out),
            (0x23, &self.c_time.rle.out),
            (0x35, &self.c_message.out),
            (0x40, &self.c_deps_n.out),
            (0x43, &self.c_deps.rle.out),
            (0x56, &self.c_extra_meta.out),
            (0x57, &self.c_extra),
        ])
        .compress()
    }
}

impl Columns {
    /// The non-empty columns of `cols`, not yet compressed.
    fn of(cols: &[(u32, &Vec<u8>)]) -> Columns {
        Columns(
            cols.iter()
                .filter(|(_, d)| !d.is_empty())
                .map(|(spec, d)| (*spec, d.to_vec()))
                .collect(),
        )
    }

    /// Each column compressed if it is long and not yet compressed.
    pub fn compress(self) -> Columns {
        Columns(
            self.0
                .into_iter()
                .map(
                    |(spec, d)| match spec & 0x08 == 0 && d.len() >= DEFLATE_MIN_SIZE {
                        true => (spec | 0x08, deflate(&d)),
                        false => (spec, d),
                    },
                )
                .collect(),
        )
    }

    /// The columns of `self` and `other`, in spec order.
    pub fn join(mut self, other: Columns) -> Columns {
        self.0.extend(other.0);
        self.0.sort_by_key(|(spec, _)| spec & !0x08);
        self
    }

    /// The total length of the columns' data.
    pub fn len(&self) -> usize {
        self.0.iter().map(|c| c.1.len()).sum()
    }

    /// Whether every column is empty (or there are none).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl OpColumns {
    /// Adds the first half of an op's row: its id, object, key, insert and
    /// successor columns (successors ascending by id). Two writers may take
    /// the two halves of every row, each leaving the other's columns empty,
    /// and `Columns::join` their columns.
    pub fn op_place(
        &mut self,
        id: IdRef,
        obj: Option<IdRef>,
        key: KeyRef<'_>,
        insert: bool,
        succ: &[IdRef],
    ) {
        match obj {
            None => {
                self.o_obj_a.null();
                self.o_obj_c.null();
            }
            Some(o) => {
                self.o_obj_a.uint(u64::from(o.actor));
                self.o_obj_c.uint(o.counter);
            }
        }
        match key {
            KeyRef::Map(k) => {
                len_str(&mut self.scratch, k);
                self.o_key_s.value(&self.scratch);
                self.o_key_a.null();
                self.o_key_c.push(None);
            }
            KeyRef::Head => {
                self.o_key_s.null();
                self.o_key_a.null();
                self.o_key_c.push(Some(0));
            }
            KeyRef::Elem(e) => {
                self.o_key_s.null();
                self.o_key_a.uint(u64::from(e.actor));
                self.o_key_c.push(Some(e.counter as i64));
            }
        }
        self.o_id_a.uint(u64::from(id.actor));
        self.o_id_c.push(Some(id.counter as i64));
        self.o_insert.push(insert);
        self.o_succ_n.uint(succ.len() as u64);
        for s in succ {
            self.o_succ_a.uint(u64::from(s.actor));
            self.o_succ_c.push(Some(s.counter as i64));
        }
    }

    /// Adds the second half of an op's row: its action and value columns.
    pub fn op_action(&mut self, action: ActionView<'_>) {
        let (code, val) = super::change_encode::action_value(action);
        self.o_action.uint(code);
        let meta = super::change_encode::value(val, &mut self.o_raw);
        self.o_meta.uint(meta);
        super::change_encode::mark_row(
            action,
            &mut self.o_mark,
            &mut self.o_expand,
            &mut self.mark_scratch,
        );
    }

    /// The finished columns, not yet compressed: a writer compresses them
    /// with [`Columns::compress`], on as many threads as it likes.
    pub fn finish(mut self) -> Columns {
        for rle in [
            &mut self.o_obj_a,
            &mut self.o_obj_c,
            &mut self.o_key_a,
            &mut self.o_key_c.rle,
            &mut self.o_key_s,
            &mut self.o_id_a,
            &mut self.o_id_c.rle,
            &mut self.o_action,
            &mut self.o_meta,
            &mut self.o_succ_n,
            &mut self.o_succ_a,
            &mut self.o_succ_c.rle,
            &mut self.o_mark,
        ] {
            rle.finish();
        }
        self.o_insert.finish();
        // As automerge, no expand column when no op expands.
        if !self.o_expand.out.is_empty() || self.o_expand.last {
            self.o_expand.finish();
        }
        let raw = [
            (0x01, &self.o_obj_a.out),
            (0x02, &self.o_obj_c.out),
            (0x11, &self.o_key_a.out),
            (0x13, &self.o_key_c.rle.out),
            (0x15, &self.o_key_s.out),
            (0x21, &self.o_id_a.out),
            (0x23, &self.o_id_c.rle.out),
            (0x34, &self.o_insert.out),
            (0x42, &self.o_action.out),
            (0x56, &self.o_meta.out),
            (0x57, &self.o_raw),
            (0x80, &self.o_succ_n.out),
            (0x81, &self.o_succ_a.out),
            (0x83, &self.o_succ_c.rle.out),
            (0x94, &self.o_expand.out),
            (0xa5, &self.o_mark.out),
        ];
        Columns::of(&raw)
    }
}

/// The whole chunk. `heads` are the heads' hashes, ascending, each with
/// its change's row.
pub fn document_chunk(
    actors: &[ActorId],
    heads: &[(ChangeHash, u32)],
    changes: &Columns,
    ops: &Columns,
) -> Vec<u8> {
    let mut body = Vec::with_capacity(changes.len() + ops.len() + 64 + 32 * heads.len());
    write_uleb(&mut body, actors.len() as u64);
    for a in actors {
        write_uleb(&mut body, a.as_bytes().len() as u64);
        body.extend_from_slice(a.as_bytes());
    }
    write_uleb(&mut body, heads.len() as u64);
    heads.iter().for_each(|(h, _)| body.extend_from_slice(&h.0));
    write_meta(&mut body, &changes.0);
    write_meta(&mut body, &ops.0);
    for (_, data) in changes.0.iter().chain(ops.0.iter()) {
        body.extend_from_slice(data);
    }
    heads
        .iter()
        .for_each(|(_, i)| write_uleb(&mut body, u64::from(*i)));
    let mut out = Vec::with_capacity(body.len() + 16);
    write_chunk(ChunkKind::Document, &body, &mut out);
    out
}

fn write_meta(out: &mut Vec<u8>, cols: &[(u32, Vec<u8>)]) {
    write_uleb(out, cols.len() as u64);
    for (spec, data) in cols {
        write_uleb(out, u64::from(*spec));
        write_uleb(out, data.len() as u64);
    }
}

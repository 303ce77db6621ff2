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
use crate::snapshot::{ActionView, IdRef, KeyRef, ValueRef};
use crate::{ActorId, ChangeHash, ObjType};

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

/// One op's row. Ids name actors by their index in the document's table.
#[derive(Clone, Copy, Debug)]
pub struct DocOpRef<'a> {
    /// Its id.
    pub id: IdRef,
    /// Its object: `None` for the root.
    pub obj: Option<IdRef>,
    /// Its key: for an insert, the element it was inserted after.
    pub key: KeyRef<'a>,
    /// Whether it inserts.
    pub insert: bool,
    /// What it does (never a delete).
    pub action: ActionView<'a>,
    /// The ops that overwrote, deleted or incremented it, ascending by id.
    pub succ: &'a [IdRef],
}

/// The columns of a document chunk, written a row at a time.
#[derive(Default)]
pub struct DocumentWriter {
    c_actor: Rle,
    c_seq: Delta,
    c_max_op: Delta,
    c_time: Delta,
    c_message: Rle,
    c_deps_n: Rle,
    c_deps: Delta,
    c_extra_meta: Rle,
    c_extra: Vec<u8>,
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
    scratch: Vec<u8>,
}

impl std::fmt::Debug for DocumentWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentWriter").finish_non_exhaustive()
    }
}

fn len_str(scratch: &mut Vec<u8>, s: &str) {
    scratch.clear();
    write_uleb(scratch, s.len() as u64);
    scratch.extend_from_slice(s.as_bytes());
}

impl DocumentWriter {
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

    /// Adds an op's row.
    pub fn op(&mut self, op: DocOpRef<'_>) {
        match op.obj {
            None => {
                self.o_obj_a.null();
                self.o_obj_c.null();
            }
            Some(o) => {
                self.o_obj_a.uint(u64::from(o.actor));
                self.o_obj_c.uint(o.counter);
            }
        }
        match op.key {
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
        self.o_id_a.uint(u64::from(op.id.actor));
        self.o_id_c.push(Some(op.id.counter as i64));
        self.o_insert.push(op.insert);
        let (code, val) = match op.action {
            ActionView::Make(ObjType::Map) => (0, ValueRef::Null),
            ActionView::Put(v) => (1, v),
            ActionView::Make(ObjType::List) => (2, ValueRef::Null),
            ActionView::Delete => (3, ValueRef::Null),
            ActionView::Make(ObjType::Text) => (4, ValueRef::Null),
            ActionView::Increment(by) => (5, ValueRef::Int(by)),
        };
        self.o_action.uint(code);
        let meta = super::change_encode::value(val, &mut self.o_raw);
        self.o_meta.uint(meta);
        self.o_succ_n.uint(op.succ.len() as u64);
        for s in op.succ {
            self.o_succ_a.uint(u64::from(s.actor));
            self.o_succ_c.push(Some(s.counter as i64));
        }
    }

    /// The whole chunk. `heads` are the heads' hashes, ascending, each with
    /// its change's row.
    pub fn finish(mut self, actors: &[ActorId], heads: &[(ChangeHash, u32)]) -> Vec<u8> {
        for rle in [
            &mut self.c_actor,
            &mut self.c_seq.rle,
            &mut self.c_max_op.rle,
            &mut self.c_time.rle,
            &mut self.c_message,
            &mut self.c_deps_n,
            &mut self.c_deps.rle,
            &mut self.c_extra_meta,
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
        ] {
            rle.finish();
        }
        self.o_insert.finish();
        let changes: [(u32, &[u8]); 9] = [
            (0x01, &self.c_actor.out),
            (0x03, &self.c_seq.rle.out),
            (0x13, &self.c_max_op.rle.out),
            (0x23, &self.c_time.rle.out),
            (0x35, &self.c_message.out),
            (0x40, &self.c_deps_n.out),
            (0x43, &self.c_deps.rle.out),
            (0x56, &self.c_extra_meta.out),
            (0x57, &self.c_extra),
        ];
        let ops: [(u32, &[u8]); 14] = [
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
        ];
        let mut body = Vec::new();
        write_uleb(&mut body, actors.len() as u64);
        for a in actors {
            write_uleb(&mut body, a.as_bytes().len() as u64);
            body.extend_from_slice(a.as_bytes());
        }
        write_uleb(&mut body, heads.len() as u64);
        heads.iter().for_each(|(h, _)| body.extend_from_slice(&h.0));
        let changes = compress(&changes);
        let ops = compress(&ops);
        write_meta(&mut body, &changes);
        write_meta(&mut body, &ops);
        for (_, data) in changes.iter().chain(ops.iter()) {
            body.extend_from_slice(data);
        }
        heads
            .iter()
            .for_each(|(_, i)| write_uleb(&mut body, u64::from(*i)));
        let mut out = Vec::with_capacity(body.len() + 16);
        write_chunk(ChunkKind::Document, &body, &mut out);
        out
    }
}

/// The non-empty columns, each compressed if it is long.
fn compress(cols: &[(u32, &[u8])]) -> Vec<(u32, Vec<u8>)> {
    cols.iter()
        .filter(|(_, d)| !d.is_empty())
        .map(|(spec, d)| match d.len() >= DEFLATE_MIN_SIZE {
            true => (spec | 0x08, deflate(d)),
            false => (*spec, d.to_vec()),
        })
        .collect()
}

fn write_meta(out: &mut Vec<u8>, cols: &[(u32, Vec<u8>)]) {
    write_uleb(out, cols.len() as u64);
    for (spec, data) in cols {
        write_uleb(out, u64::from(*spec));
        write_uleb(out, data.len() as u64);
    }
}

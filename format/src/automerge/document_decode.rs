//! Automerge's document chunk, for reading (SPEC.md §4A.5): parsed, its
//! checksum verified, its columns inflated (within `MAX_INFLATED` in all)
//! and decoded into rows that borrow their keys and values from the
//! columns. Turning the rows back into changes is `document_changes`.

use super::change_chunk::max_rows;
use super::chunk::{inflate, Chunk, ChunkKind, MAX_INFLATED};
use super::columns::{read_column_meta, ColumnSpec, DeltaColumn, RawColumn, StrColumn, UintColumn};
use super::document_group::{Grouped, IdColumns, Unvouched};
use super::document_ops::read_ops;
use crate::reader::Reader;
use crate::snapshot::{ActionView, IdRef, KeyRef};
use crate::{ActorId, ChangeHash, DecodeError};
use std::borrow::Cow;

type Result<T> = std::result::Result<T, DecodeError>;

/// One change's row.
#[derive(Clone, Debug)]
pub struct DocChange<'a> {
    /// Its actor's index in the document's table.
    pub actor: u32,
    /// Its seq.
    pub seq: u64,
    /// Its last op's counter.
    pub max_op: u64,
    /// Its time.
    pub time: i64,
    /// Its message.
    pub message: Option<&'a str>,
    /// Its deps: `deps[deps_at..deps_at + deps_len]` of the document, the
    /// rows of earlier changes.
    pub deps_at: u32,
    /// How many deps it has.
    pub deps_len: u32,
    /// Its extra bytes.
    pub extra: &'a [u8],
}

/// One op's row: what it does. Its id and successors are the chunk's
/// `id` and `succ_of` at its row.
#[derive(Clone, Copy, Debug)]
pub struct DocOp<'a> {
    /// Its object: `None` for the root.
    pub obj: Option<IdRef>,
    /// Its key.
    pub key: KeyRef<'a>,
    /// Whether it inserts.
    pub insert: bool,
    /// What it does: never a delete, which a document chunk does not hold
    /// (the decoder refuses one).
    pub action: ActionView<'a>,
}

/// A document chunk, parsed and its checksum verified, with its columns
/// inflated: what its rows borrow from.
#[derive(Clone, Debug)]
pub struct DocumentColumns<'c> {
    /// The actor table, which every row's actor indices name.
    pub actors: Vec<ActorId>,
    /// The heads it declares.
    pub heads: Vec<ChangeHash>,
    change_cols: Vec<(u32, Cow<'c, [u8]>)>,
    op_cols: Vec<(u32, Cow<'c, [u8]>)>,
    /// Where the chunk starts in the input, for errors.
    base: usize,
    /// The most rows its size allows.
    max: usize,
}

/// A document chunk's rows, borrowed from its columns.
#[derive(Clone, Debug)]
pub struct DocumentChunk<'a> {
    /// The actor table, which every row's actor indices name.
    pub actors: &'a [ActorId],
    /// The heads it declares.
    pub heads: &'a [ChangeHash],
    /// The changes, one per row.
    pub changes: Vec<DocChange<'a>>,
    /// Every change's deps, one after another.
    pub deps: Vec<u32>,
    /// The ops, in document order.
    pub ops: Vec<DocOp<'a>>,
    /// Each op's id, by row.
    pub ids: Vec<IdRef>,
    /// Where each row's successors start in `succ`, and after the last row
    /// where they end: one more entry than rows, ascending.
    pub succ_start: Vec<u32>,
    /// Every op's successors, one row after another.
    pub succ: Vec<IdRef>,
    /// The ops grouped by id, where `rows` did that beside the bodies;
    /// `DocumentViews::new` takes it, or groups them itself.
    pub(super) grouped: Option<std::result::Result<Grouped, Unvouched>>,
}

impl DocumentChunk<'_> {
    /// The id side of the ops, for grouping.
    pub(super) fn id_columns(&self) -> IdColumns<'_> {
        IdColumns {
            n_actors: self.actors.len(),
            ids: &self.ids,
            succ_start: &self.succ_start,
            succ: &self.succ,
        }
    }

    /// The id of the op at `row`.
    pub fn id(&self, row: usize) -> Option<IdRef> {
        self.ids.get(row).copied()
    }

    /// The successors of the op at `row`.
    pub fn succ_of(&self, row: usize) -> &[IdRef] {
        self.id_columns().succ_of(row)
    }

    /// The deps of `change`, as rows.
    pub fn deps_of(&self, change: &DocChange<'_>) -> &[u32] {
        let at = change.deps_at as usize;
        self.deps
            .get(at..at + change.deps_len as usize)
            .unwrap_or_default()
    }
}

/// Parses a document chunk, after verifying its checksum, and inflates its
/// columns; [`DocumentColumns::rows`] decodes them.
pub fn decode_document<'c>(chunk: &Chunk<'c>) -> Result<DocumentColumns<'c>> {
    if chunk.kind != ChunkKind::Document {
        return Err(DecodeError::WrongChunkType {
            found: chunk.kind.byte(),
            offset: chunk.offset + 8,
        });
    }
    chunk.verify()?;
    let base = chunk.offset + (chunk.bytes.len() - chunk.body.len());
    let mut r = Reader::new(chunk.body, 0);
    let actors = read_actors(&mut r)?;
    let at = r.offset();
    let n = r.uleb("the head count")?;
    let n = r.check_fits(n, 32, "the heads", at)?;
    let mut heads = Vec::with_capacity(n);
    for _ in 0..n {
        heads.push(ChangeHash(r.array("a head")?));
    }
    let change_meta = read_column_meta(&mut r)?;
    let op_meta = read_column_meta(&mut r)?;
    let mut budget = MAX_INFLATED;
    let change_cols = read_data(&mut r, &change_meta, &mut budget, base)?;
    let op_cols = read_data(&mut r, &op_meta, &mut budget, base)?;
    // Older writers leave the head indices out; mergedb does not need them.
    for _ in 0..heads.len() {
        if r.remaining() == 0 {
            break;
        }
        r.uleb("a head index")?;
    }
    if r.remaining() > 0 {
        return Err(DecodeError::TrailingBytes {
            offset: base + r.offset(),
            count: r.remaining(),
        });
    }
    Ok(DocumentColumns {
        actors,
        heads,
        change_cols,
        op_cols,
        base,
        max: max_rows(chunk.bytes.len()),
    })
}

/// From this many changes, the change columns are read on a thread of
/// their own.
const PARALLEL_CHANGES: u64 = 1 << 13;

impl DocumentColumns<'_> {
    /// Decodes the rows.
    pub fn rows(&self) -> Result<DocumentChunk<'_>> {
        let n = self.actors.len();
        let changes = || read_changes(&self.change_cols, n, self.max, self.base);
        let ops = || read_ops(&self.op_cols, n, self.max, self.base);
        // The change and op columns share none: a large chunk reads the
        // changes on a thread of their own (the ops take two more). Either
        // way a change's error is reported before any op's.
        let rows = UintColumn::count(col(&self.change_cols, 0x01), self.max as u64, "");
        let ((changes, deps), (ops, ids)) = match rows.unwrap_or(0) >= PARALLEL_CHANGES {
            true => {
                let (c, o) = std::thread::scope(|s| {
                    let other = s.spawn(changes);
                    let o = ops();
                    (other.join(), o)
                });
                let c = c.map_err(|_| DecodeError::BadColumn {
                    offset: self.base,
                    detail: "the change columns' decoder stopped".into(),
                })?;
                (c?, o?)
            }
            false => {
                let c = changes()?;
                (c, ops()?)
            }
        };
        Ok(DocumentChunk {
            actors: &self.actors,
            heads: &self.heads,
            changes,
            deps,
            ops,
            ids: ids.ids,
            succ_start: ids.succ_start,
            succ: ids.succ,
            grouped: ids.grouped,
        })
    }
}

fn read_actors(r: &mut Reader<'_>) -> Result<Vec<ActorId>> {
    let at = r.offset();
    let n = r.uleb("the actor count")?;
    let n = r.check_fits(n, 2, "the actors", at)?;
    let mut actors = Vec::with_capacity(n);
    for _ in 0..n {
        let at = r.offset();
        let bytes = r.len_prefixed("an actor id")?;
        actors.push(
            ActorId::new(bytes).map_err(|_| DecodeError::BadActorLength {
                offset: at,
                len: u8::try_from(bytes.len()).unwrap_or(u8::MAX),
            })?,
        );
    }
    Ok(actors)
}

/// Each column's bytes, inflated if compressed.
fn read_data<'c>(
    r: &mut Reader<'c>,
    meta: &[(ColumnSpec, u64, usize)],
    budget: &mut usize,
    base: usize,
) -> Result<Vec<(u32, Cow<'c, [u8]>)>> {
    let mut out = Vec::with_capacity(meta.len());
    for (spec, len, at) in meta {
        let len = r.check_fits(*len, 1, "a column's data", *at)?;
        let data = r.fixed(len, "a column's data")?;
        let data = match spec.deflate() {
            true => {
                let inflated = inflate(data, base + at)?;
                *budget = budget
                    .checked_sub(inflated.len())
                    .ok_or(DecodeError::Inflate {
                        offset: base + at,
                        detail: format!("the columns inflate past {MAX_INFLATED} bytes"),
                    })?;
                Cow::Owned(inflated)
            }
            false => Cow::Borrowed(data),
        };
        out.push((spec.normal().0, data));
    }
    Ok(out)
}

pub(super) fn col<'a>(cols: &'a [(u32, Cow<'_, [u8]>)], spec: u32) -> &'a [u8] {
    cols.iter()
        .find(|(s, _)| *s == spec)
        .map_or(&[][..], |(_, d)| &d[..])
}

pub(super) fn bad(base: usize, what: &str, row: usize, detail: &str) -> DecodeError {
    DecodeError::BadColumn {
        offset: base,
        detail: format!("{what} {row}: {detail}"),
    }
}

pub(super) fn actor_index(
    v: Option<u64>,
    n: usize,
    what: &str,
    row: usize,
    base: usize,
) -> Result<u32> {
    match v {
        Some(a) if a < n as u64 => Ok(a as u32),
        Some(a) => Err(bad(
            base,
            what,
            row,
            &format!("actor index {a} is past the {n} actors"),
        )),
        None => Err(bad(base, what, row, "an id without its actor")),
    }
}

pub(super) fn counter(v: Option<i64>, what: &str, row: usize, base: usize) -> Result<u64> {
    v.and_then(|c| u64::try_from(c).ok())
        .ok_or_else(|| bad(base, what, row, "a missing or negative counter"))
}

fn read_changes<'a>(
    cols: &'a [(u32, Cow<'_, [u8]>)],
    n_actors: usize,
    max: usize,
    base: usize,
) -> Result<(Vec<DocChange<'a>>, Vec<u32>)> {
    let mut actor = UintColumn::new(col(cols, 0x01), "the change actor column");
    let mut seq = DeltaColumn::new(col(cols, 0x03), "the seq column");
    let mut max_op = DeltaColumn::new(col(cols, 0x13), "the max op column");
    let mut time = DeltaColumn::new(col(cols, 0x23), "the time column");
    let mut message = StrColumn::new(col(cols, 0x35), "the message column");
    let mut deps_n = UintColumn::new(col(cols, 0x40), "the deps count column");
    let mut deps = DeltaColumn::new(col(cols, 0x43), "the deps column");
    let mut extra_meta = UintColumn::new(col(cols, 0x56), "the extra metadata column");
    let mut extra = RawColumn::new(col(cols, 0x57));
    let n = UintColumn::count(col(cols, 0x01), max as u64, "the change actor column")? as usize;
    let mut out = Vec::with_capacity(n);
    let mut all_deps = Vec::with_capacity(n);
    while let Some(a) = actor.next()? {
        let row = out.len();
        if row >= max {
            return Err(bad(
                base,
                "change",
                row,
                "more changes than the chunk's size allows",
            ));
        }
        let a = actor_index(Some(a), n_actors, "change", row, base)?;
        let seq = counter(seq.next()?, "change", row, base)?;
        let max_op = counter(max_op.next()?, "change", row, base)?;
        let time = time.next()?.unwrap_or(0);
        let message = message.next()?.filter(|m| !m.is_empty());
        let n = deps_n.next()?.unwrap_or(0);
        if n > row as u64 {
            return Err(bad(base, "change", row, "more deps than earlier changes"));
        }
        let deps_at = all_deps.len() as u32;
        for _ in 0..n {
            let dep = deps.next()?.and_then(|v| u32::try_from(v).ok());
            match dep {
                Some(dep) if (dep as usize) < row => all_deps.push(dep),
                _ => {
                    return Err(bad(
                        base,
                        "change",
                        row,
                        "a dep that is not an earlier change",
                    ))
                }
            }
        }
        let meta = extra_meta.next()?.unwrap_or(7);
        if meta & 0x0f != 7 && meta != 0 {
            return Err(bad(base, "change", row, "extra bytes that are not bytes"));
        }
        let extra = extra.take(meta >> 4)?;
        out.push(DocChange {
            actor: a,
            seq,
            max_op,
            time,
            message,
            deps_at,
            deps_len: all_deps.len() as u32 - deps_at,
            extra,
        });
    }
    Ok((out, all_deps))
}

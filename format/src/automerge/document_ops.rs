//! A document chunk's op columns, for reading (SPEC.md §4A.5), in two parts
//! that share no column: the ops' bodies (object, key, insert, action and
//! value) and their ids with their successors. A large chunk decodes the
//! two on two threads.
//!
//! The rows are those of the action column, up to its first null, as one
//! pass over all columns reads them. The errors are those of such a pass,
//! except that where a chunk has several, a body's error is reported before
//! any error in the ids and successors, and among the latter the first row's.

use super::change_chunk::scalar_ref;
use super::columns::{BoolColumn, DeltaColumn, RawColumn, StrColumn, UintColumn};
use super::document_decode::{actor_index, bad, col, counter, DocOp};
use super::document_group::{group, Grouped, IdColumns, Unvouched};
use crate::snapshot::{ActionView, IdRef, KeyRef, ValueRef};
use crate::{DecodeError, ObjType};
use std::borrow::Cow;

type Result<T> = std::result::Result<T, DecodeError>;
type Cols<'a, 'c> = &'a [(u32, Cow<'c, [u8]>)];

/// The ops' ids, and their successors: `succ[succ_start[row]..succ_start[row + 1]]`.
#[derive(Clone, Debug, Default)]
pub(super) struct OpIds {
    pub ids: Vec<IdRef>,
    pub succ_start: Vec<u32>,
    pub succ: Vec<IdRef>,
    /// The ops grouped by id, made on the ids' thread while the bodies
    /// are read; `None` where it was not, or the rows ended early.
    pub grouped: Option<std::result::Result<Grouped, Unvouched>>,
}

/// Below this many rows, a second thread costs more than it saves.
const PARALLEL_FROM: usize = 1 << 13;

/// The op rows: their bodies, and their ids and successors.
pub(super) fn read_ops<'a>(
    cols: Cols<'a, '_>,
    n_actors: usize,
    max: usize,
    base: usize,
) -> Result<(Vec<DocOp<'a>>, OpIds)> {
    read_ops_from(cols, n_actors, max, base, PARALLEL_FROM)
}

/// `read_ops`, on two threads from `parallel_from` rows.
fn read_ops_from<'a>(
    cols: Cols<'a, '_>,
    n_actors: usize,
    max: usize,
    base: usize,
    parallel_from: usize,
) -> Result<(Vec<DocOp<'a>>, OpIds)> {
    // Room for every row at once: growing would copy and fault in the rows
    // again. The count is bounded by the chunk's size.
    let rows = UintColumn::count(col(cols, 0x42), max as u64, "the action column")? as usize;
    let (bodies, ids) = match rows >= parallel_from {
        true => std::thread::scope(|s| {
            let other = s.spawn(|| {
                let (mut ids, failed) = read_ids(cols, n_actors, max, base, rows);
                if failed.is_none() {
                    let columns = IdColumns {
                        n_actors,
                        ids: &ids.ids,
                        succ_start: &ids.succ_start,
                        succ: &ids.succ,
                    };
                    ids.grouped = Some(group(&columns));
                }
                (ids, failed)
            });
            let bodies = read_bodies(cols, n_actors, max, base, rows);
            let ids = other.join().map_err(|_| DecodeError::BadColumn {
                offset: base,
                detail: "the op id columns' decoder stopped".into(),
            });
            (bodies, ids)
        }),
        false => {
            let bodies = read_bodies(cols, n_actors, max, base, rows)?;
            let ids = read_ids(cols, n_actors, max, base, bodies.len());
            (Ok(bodies), Ok(ids))
        }
    };
    let bodies = bodies?;
    let (mut ids, failed) = ids?;
    let n = bodies.len();
    // The ids' decoder read as many rows as the action column counts; the
    // rows end at its first null, and an error past them is no error.
    if let Some((row, e)) = failed {
        if row < n {
            return Err(e);
        }
    }
    if ids.ids.len() < n {
        return Err(bad(base, "op", ids.ids.len(), "an op without an id"));
    }
    // The grouping saw the rows the ids' decoder read: right only if those
    // are the rows.
    if ids.ids.len() != n {
        ids.grouped = None;
    }
    ids.ids.truncate(n);
    ids.succ_start.truncate(n + 1);
    let end = ids.succ_start.last().copied().unwrap_or(0) as usize;
    ids.succ.truncate(end);
    Ok((bodies, ids))
}

/// The id an actor column and a counter column give op `row`.
fn id_at(a: Option<u64>, c: Option<i64>, n: usize, row: usize, base: usize) -> Result<IdRef> {
    Ok(IdRef {
        actor: actor_index(a, n, "op", row, base)?,
        counter: counter(c, "op", row, base)?,
    })
}

/// The op columns of the bodies.
struct BodyCols<'a> {
    obj_a: UintColumn<'a>,
    obj_c: UintColumn<'a>,
    key_a: UintColumn<'a>,
    key_c: DeltaColumn<'a>,
    key_s: StrColumn<'a>,
    insert: BoolColumn<'a>,
    action: UintColumn<'a>,
    meta: UintColumn<'a>,
    raw: RawColumn<'a>,
    expand: BoolColumn<'a>,
    mark: StrColumn<'a>,
}

/// The bodies of at most `rows` rows, ending at the action column's first null.
fn read_bodies<'a>(
    cols: Cols<'a, '_>,
    n: usize,
    max: usize,
    base: usize,
    rows: usize,
) -> Result<Vec<DocOp<'a>>> {
    let mut c = BodyCols {
        obj_a: UintColumn::new(col(cols, 0x01), "the obj actor column"),
        obj_c: UintColumn::new(col(cols, 0x02), "the obj counter column"),
        key_a: UintColumn::new(col(cols, 0x11), "the key actor column"),
        key_c: DeltaColumn::new(col(cols, 0x13), "the key counter column"),
        key_s: StrColumn::new(col(cols, 0x15), "the key string column"),
        insert: BoolColumn::new(col(cols, 0x34), "the insert column"),
        action: UintColumn::new(col(cols, 0x42), "the action column"),
        meta: UintColumn::new(col(cols, 0x56), "the value metadata column"),
        raw: RawColumn::new(col(cols, 0x57)),
        expand: BoolColumn::new(col(cols, 0x94), "the expand column"),
        mark: StrColumn::new(col(cols, 0xa5), "the mark name column"),
    };
    let mut ops = Vec::with_capacity(rows);
    while let Some(action) = c.action.next()? {
        let row = ops.len();
        if row >= max {
            return Err(bad(
                base,
                "op",
                row,
                "more ops than the chunk's size allows",
            ));
        }
        ops.push(c.body(row, action, n, base)?);
    }
    Ok(ops)
}

impl<'a> BodyCols<'a> {
    fn body(&mut self, row: usize, action: u64, n: usize, base: usize) -> Result<DocOp<'a>> {
        let id = |a, c| id_at(a, c, n, row, base);
        let obj = match (self.obj_a.next()?, self.obj_c.next()?) {
            (None, None) => None,
            (a, Some(c)) => Some(id(a, i64::try_from(c).ok())?),
            (Some(_), None) => return Err(bad(base, "op", row, "an obj actor without a counter")),
        };
        let (ka, kc, ks) = (self.key_a.next()?, self.key_c.next()?, self.key_s.next()?);
        let key = match (ks, kc) {
            (Some(s), None) => KeyRef::Map(s),
            (None, Some(0)) => KeyRef::Head,
            (None, Some(c)) => KeyRef::Elem(id(ka, Some(c))?),
            _ => {
                let detail = "a key that is neither a string nor an element";
                return Err(bad(base, "op", row, detail));
            }
        };
        let insert = self.insert.next()?;
        let meta = self.meta.next()?.unwrap_or(0);
        let raw = self.raw.take(meta >> 4)?;
        let value = scalar_ref(meta, raw, base).map_err(|d| bad(base, "op", row, &d))??;
        let (expand, mark) = (self.expand.next()?, self.mark.next()?);
        Ok(DocOp {
            obj,
            key,
            insert,
            action: action_of(action, value, expand, mark, row, base)?,
        })
    }
}

fn action_of<'a>(
    action: u64,
    value: ValueRef<'a>,
    expand: bool,
    mark: Option<&'a str>,
    row: usize,
    base: usize,
) -> Result<ActionView<'a>> {
    Ok(match (action, value) {
        (7, value) => match mark {
            Some(name) => ActionView::MarkBegin {
                name,
                value,
                expand,
            },
            None => ActionView::MarkEnd { expand },
        },
        (0, _) => ActionView::Make(ObjType::Map),
        (1, v) => ActionView::Put(v),
        (2, _) => ActionView::Make(ObjType::List),
        (4, _) => ActionView::Make(ObjType::Text),
        (6, _) => ActionView::Make(ObjType::Table),
        (5, ValueRef::Int(by) | ValueRef::Counter(by)) => ActionView::Increment(by),
        (5, ValueRef::Uint(by)) => ActionView::Increment(
            i64::try_from(by).map_err(|_| bad(base, "op", row, "an increment past i64"))?,
        ),
        (5, _) => {
            let detail = "an increment whose value is not an integer";
            return Err(bad(base, "op", row, detail));
        }
        (3, _) => {
            let detail = "a delete, which a document does not hold";
            return Err(bad(base, "op", row, detail));
        }
        (a, _) => {
            return Err(DecodeError::Unsupported {
                offset: base,
                what: format!(
                    "op {row}: action {a} (tables and others mergedb does not model yet)"
                ),
            })
        }
    })
}

/// The ids and successors of the first `rows` rows, and the first error
/// with its row: what was read before it is kept.
fn read_ids(
    cols: Cols<'_, '_>,
    n: usize,
    max: usize,
    base: usize,
    rows: usize,
) -> (OpIds, Option<(usize, DecodeError)>) {
    let succs = UintColumn::count(col(cols, 0x81), max as u64, "the succ actor column");
    let mut out = OpIds {
        grouped: None,
        ids: Vec::with_capacity(rows),
        succ_start: Vec::with_capacity(rows + 1),
        succ: Vec::with_capacity(succs.unwrap_or(0) as usize),
    };
    out.succ_start.push(0);
    let mut c = IdCols {
        id_a: UintColumn::new(col(cols, 0x21), "the id actor column"),
        id_c: DeltaColumn::new(col(cols, 0x23), "the id counter column"),
        succ_n: UintColumn::new(col(cols, 0x80), "the succ count column"),
        succ_a: UintColumn::new(col(cols, 0x81), "the succ actor column"),
        succ_c: DeltaColumn::new(col(cols, 0x83), "the succ counter column"),
    };
    for row in 0..rows {
        if let Err(e) = c.row(row, n, max, base, &mut out) {
            return (out, Some((row, e)));
        }
    }
    (out, None)
}

struct IdCols<'a> {
    id_a: UintColumn<'a>,
    id_c: DeltaColumn<'a>,
    succ_n: UintColumn<'a>,
    succ_a: UintColumn<'a>,
    succ_c: DeltaColumn<'a>,
}

impl IdCols<'_> {
    fn row(
        &mut self,
        row: usize,
        n: usize,
        max: usize,
        base: usize,
        out: &mut OpIds,
    ) -> Result<()> {
        let id = |a, c| id_at(a, c, n, row, base);
        out.ids.push(id(self.id_a.next()?, self.id_c.next()?)?);
        let k = self.succ_n.next()?.unwrap_or(0);
        if out.succ.len() as u64 + k > max as u64 {
            let detail = "more successors than the chunk's size allows";
            return Err(bad(base, "op", row, detail));
        }
        for _ in 0..k {
            let s = id(self.succ_a.next()?, self.succ_c.next()?)?;
            out.succ.push(s);
        }
        out.succ_start.push(out.succ.len() as u32);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::automerge::column_write::{Bools, Delta, Rle};
    use crate::reader::write_uleb;

    #[derive(Default)]
    struct Writer {
        obj_a: Rle,
        obj_c: Rle,
        key_a: Rle,
        key_c: Delta,
        key_s: Rle,
        id_a: Rle,
        id_c: Delta,
        insert: Bools,
        action: Rle,
        meta: Rle,
        succ_n: Rle,
        succ_a: Rle,
        succ_c: Delta,
    }

    /// Random op columns, some with a null action or a byte changed.
    fn columns(next: &mut impl FnMut(u64) -> u64) -> Vec<(u32, Cow<'static, [u8]>)> {
        let mut w = Writer::default();
        for _ in 0..next(300) {
            match next(3) {
                0 => (w.obj_a.null(), w.obj_c.null()),
                _ => (w.obj_a.uint(next(3)), w.obj_c.uint(next(50))),
            };
            match next(3) {
                0 => {
                    let mut s = Vec::new();
                    write_uleb(&mut s, 1);
                    s.push(b'a' + next(3) as u8);
                    w.key_s.value(&s);
                    w.key_a.null();
                    w.key_c.push(None);
                }
                _ => {
                    w.key_s.null();
                    w.key_a.uint(next(3));
                    w.key_c.push(Some(next(40) as i64));
                }
            }
            w.id_a.uint(next(3));
            w.id_c.push(Some(next(60) as i64 + 1));
            w.insert.push(next(2) == 0);
            match next(400) {
                0 => w.action.null(),
                1 => w.action.uint(6),
                _ => w.action.uint([0, 1, 1, 1, 2, 4, 7][next(7) as usize]),
            }
            w.meta.uint([0, 1, 2][next(3) as usize]);
            let k = next(3);
            w.succ_n.uint(k);
            for _ in 0..k {
                w.succ_a.uint(next(3));
                w.succ_c.push(Some(next(60) as i64));
            }
        }
        let rle = |mut r: Rle| {
            r.finish();
            r.out
        };
        let mut cols: Vec<(u32, Vec<u8>)> = vec![
            (0x01, rle(w.obj_a)),
            (0x02, rle(w.obj_c)),
            (0x11, rle(w.key_a)),
            (0x13, rle(w.key_c.rle)),
            (0x15, rle(w.key_s)),
            (0x21, rle(w.id_a)),
            (0x23, rle(w.id_c.rle)),
            (0x34, {
                w.insert.finish();
                w.insert.out
            }),
            (0x42, rle(w.action)),
            (0x56, rle(w.meta)),
            (0x80, rle(w.succ_n)),
            (0x81, rle(w.succ_a)),
            (0x83, rle(w.succ_c.rle)),
        ];
        if next(2) == 0 {
            let c = next(cols.len() as u64) as usize;
            if let Some((_, data)) = cols.get_mut(c) {
                if !data.is_empty() {
                    let at = next(data.len() as u64) as usize;
                    data[at] = next(256) as u8;
                }
            }
        }
        cols.into_iter().map(|(s, d)| (s, Cow::Owned(d))).collect()
    }

    /// On two threads or one, the same rows or the same error, whatever the
    /// columns hold: the split never changes what a chunk decodes to.
    #[test]
    fn two_threads_decode_as_one_does() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n.max(1)
        };
        let (mut ok, mut failed, mut grouped) = (0, 0, 0);
        for round in 0..2000 {
            let cols = columns(&mut next);
            let max = match next(8) {
                0 => 1 + next(300) as usize,
                _ => 2000,
            };
            let one = read_ops_from(&cols, 3, max, 7, usize::MAX);
            let mut two = read_ops_from(&cols, 3, max, 7, 0);
            // The grouping made beside the bodies is the one the final
            // rows give.
            if let Ok((_, ids)) = &mut two {
                if let Some(beside) = ids.grouped.take() {
                    let columns = IdColumns {
                        n_actors: 3,
                        ids: &ids.ids,
                        succ_start: &ids.succ_start,
                        succ: &ids.succ,
                    };
                    assert_eq!(beside, group(&columns), "round {round}");
                    grouped += 1;
                }
            }
            assert_eq!(format!("{one:?}"), format!("{two:?}"), "round {round}");
            match one {
                Ok(_) => ok += 1,
                Err(_) => failed += 1,
            }
        }
        assert!(ok > 200 && failed > 200, "{ok} decoded, {failed} refused");
        assert!(grouped > 100, "{grouped} grouped beside the bodies");
    }
}

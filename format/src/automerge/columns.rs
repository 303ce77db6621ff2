//! Automerge's column encodings, for reading (Automerge binary format,
//! "Column encodings"). Each decoder walks one column's bytes and gives one
//! value (or null) per row; a column that ends early gives nulls, as
//! Automerge reads it. Every count is checked against what is left before
//! anything is allocated, so memory stays bounded by the input.

use crate::reader::Reader;
use crate::DecodeError;

type Result<T> = std::result::Result<T, DecodeError>;

/// A column spec: `(id << 4) | (deflate << 3) | type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnSpec(pub u32);

impl ColumnSpec {
    /// The column's id.
    pub fn id(self) -> u32 {
        self.0 >> 4
    }
    /// Whether its data is DEFLATE-compressed.
    pub fn deflate(self) -> bool {
        self.0 & 0x08 != 0
    }
    /// The spec with the deflate bit cleared.
    pub fn normal(self) -> ColumnSpec {
        ColumnSpec(self.0 & !0x08)
    }
}

/// Which kind of value a run holds.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Uleb,
    Sleb,
    Str,
}

/// One value of a run-length column.
#[derive(Clone, Debug, PartialEq)]
enum Val<'a> {
    U(u64),
    I(i64),
    S(&'a str),
}

/// A run-length column (Automerge's RLE): an sLEB count `n`, then for
/// `n > 0` one value repeated `n` times, for `n < 0` `-n` values, and for
/// `n == 0` a uLEB count of nulls.
#[derive(Debug)]
struct Rle<'a> {
    r: Reader<'a>,
    end: usize,
    kind: Kind,
    field: &'static str,
    /// What the current run gives, and how many rows are left in it.
    run: Option<Val<'a>>,
    literal: bool,
    left: u64,
}

impl<'a> Rle<'a> {
    fn new(data: &'a [u8], offset: usize, kind: Kind, field: &'static str) -> Self {
        // The reader's positions are offsets into the column's own bytes;
        // errors add the column's offset in the chunk.
        let _ = offset;
        Rle {
            r: Reader::new(data, 0),
            end: data.len(),
            kind,
            field,
            run: None,
            literal: false,
            left: 0,
        }
    }

    fn value(&mut self) -> Result<Val<'a>> {
        Ok(match self.kind {
            Kind::Uleb => Val::U(self.r.uleb(self.field)?),
            Kind::Sleb => Val::I(self.r.sleb(self.field)?),
            Kind::Str => {
                let at = self.r.offset();
                let bytes = self.r.len_prefixed(self.field)?;
                Val::S(Reader::str(bytes, self.field, at)?)
            }
        })
    }

    /// How many rows the column holds, counting no further than `cap`:
    /// runs are skipped whole, so this costs far less than reading them.
    fn count(mut self, cap: u64) -> Result<u64> {
        let mut rows: u64 = 0;
        while self.r.offset() < self.end && rows < cap {
            let n = self.r.sleb(self.field)?;
            if n > 0 {
                self.value()?;
                rows = rows.saturating_add(n as u64);
            } else if n < 0 {
                for _ in 0..n.unsigned_abs().min(cap) {
                    self.value()?;
                }
                rows = rows.saturating_add(n.unsigned_abs());
            } else {
                rows = rows.saturating_add(self.r.uleb(self.field)?);
            }
        }
        Ok(rows.min(cap))
    }

    /// The next row's value; `None` is null, also past the column's end.
    fn next(&mut self) -> Result<Option<Val<'a>>> {
        while self.left == 0 {
            if self.r.offset() >= self.end {
                return Ok(None);
            }
            let n = self.r.sleb(self.field)?;
            if n > 0 {
                self.left = n as u64;
                self.literal = false;
                self.run = Some(self.value()?);
            } else if n < 0 {
                self.left = n.unsigned_abs();
                self.literal = true;
            } else {
                self.left = self.r.uleb(self.field)?;
                self.literal = false;
                self.run = None;
            }
        }
        self.left -= 1;
        match self.literal {
            true => self.value().map(Some),
            false => Ok(self.run.clone()),
        }
    }
}

/// A column of unsigned integers (actor indexes, counters, actions, value
/// metadata, group counts).
#[derive(Debug)]
pub(crate) struct UintColumn<'a>(Rle<'a>);

impl<'a> UintColumn<'a> {
    pub(crate) fn new(data: &'a [u8], field: &'static str) -> Self {
        UintColumn(Rle::new(data, 0, Kind::Uleb, field))
    }
    pub(crate) fn next(&mut self) -> Result<Option<u64>> {
        Ok(match self.0.next()? {
            Some(Val::U(v)) => Some(v),
            _ => None,
        })
    }
    /// How many rows it holds, up to `cap` (a bound for allocating).
    pub(crate) fn count(data: &'a [u8], cap: u64, field: &'static str) -> Result<u64> {
        Rle::new(data, 0, Kind::Uleb, field).count(cap)
    }
}

/// A column of strings (map keys, mark names).
#[derive(Debug)]
pub(crate) struct StrColumn<'a>(Rle<'a>);

impl<'a> StrColumn<'a> {
    pub(crate) fn new(data: &'a [u8], field: &'static str) -> Self {
        StrColumn(Rle::new(data, 0, Kind::Str, field))
    }
    pub(crate) fn next(&mut self) -> Result<Option<&'a str>> {
        Ok(match self.0.next()? {
            Some(Val::S(s)) => Some(s),
            _ => None,
        })
    }
}

/// A delta column: run-length sLEB deltas, each row the running sum; a null
/// row leaves the sum as it is.
#[derive(Debug)]
pub(crate) struct DeltaColumn<'a> {
    rle: Rle<'a>,
    sum: i64,
}

impl<'a> DeltaColumn<'a> {
    pub(crate) fn new(data: &'a [u8], field: &'static str) -> Self {
        DeltaColumn {
            rle: Rle::new(data, 0, Kind::Sleb, field),
            sum: 0,
        }
    }
    pub(crate) fn next(&mut self) -> Result<Option<i64>> {
        match self.rle.next()? {
            Some(Val::I(d)) => {
                self.sum = self.sum.checked_add(d).ok_or(DecodeError::Leb128Overflow {
                    field: self.rle.field,
                    offset: self.rle.r.offset(),
                })?;
                Ok(Some(self.sum))
            }
            _ => Ok(None),
        }
    }
}

/// A boolean column: uLEB run lengths, alternating, starting with false.
#[derive(Debug)]
pub(crate) struct BoolColumn<'a> {
    r: Reader<'a>,
    end: usize,
    value: bool,
    left: u64,
    field: &'static str,
}

impl<'a> BoolColumn<'a> {
    pub(crate) fn new(data: &'a [u8], field: &'static str) -> Self {
        BoolColumn {
            r: Reader::new(data, 0),
            end: data.len(),
            // Flipped before the first run is read.
            value: true,
            left: 0,
            field,
        }
    }
    /// The next row; false past the end.
    pub(crate) fn next(&mut self) -> Result<bool> {
        while self.left == 0 {
            if self.r.offset() >= self.end {
                return Ok(false);
            }
            self.left = self.r.uleb(self.field)?;
            self.value = !self.value;
        }
        self.left -= 1;
        Ok(self.value)
    }
}

/// The raw value column, read one value at a time as its metadata says.
#[derive(Debug)]
pub(crate) struct RawColumn<'a> {
    r: Reader<'a>,
}

impl<'a> RawColumn<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        RawColumn {
            r: Reader::new(data, 0),
        }
    }
    /// The next `len` bytes.
    pub(crate) fn take(&mut self, len: u64) -> Result<&'a [u8]> {
        let at = self.r.offset();
        let len = self.r.check_fits(len, 1, "a raw value", at)?;
        self.r.fixed(len, "a raw value")
    }
}

/// Column metadata (Automerge binary format, "Column metadata"): a uLEB
/// count, then per column a uLEB spec and a uLEB length, specs strictly
/// ascending by their normal form. Gives (spec, length, where its spec is).
pub(crate) fn read_column_meta(r: &mut Reader<'_>) -> Result<Vec<(ColumnSpec, u64, usize)>> {
    let at = r.offset();
    let n = r.uleb("the column count")?;
    let n = r.check_fits(n, 2, "the column metadata", at)?;
    let mut meta: Vec<(ColumnSpec, u64, usize)> = Vec::with_capacity(n);
    for _ in 0..n {
        let at = r.offset();
        let spec = r.uleb("a column spec")?;
        let spec = ColumnSpec(u32::try_from(spec).map_err(|_| DecodeError::BadColumn {
            offset: at,
            detail: format!("column spec {spec} does not fit in 32 bits"),
        })?);
        if meta
            .last()
            .is_some_and(|(l, _, _)| l.normal() >= spec.normal())
        {
            return Err(DecodeError::BadColumn {
                offset: at,
                detail: format!("column spec {:#x} is out of order", spec.0),
            });
        }
        let len = r.uleb("a column length")?;
        meta.push((spec, len, at));
    }
    Ok(meta)
}

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

/// A value a run-length column holds, read from its bytes.
trait Cell<'a>: Copy {
    fn read(r: &mut Reader<'a>, field: &'static str) -> Result<Self>;
}

impl<'a> Cell<'a> for u64 {
    #[inline]
    fn read(r: &mut Reader<'a>, field: &'static str) -> Result<u64> {
        r.uleb(field)
    }
}

impl<'a> Cell<'a> for i64 {
    #[inline]
    fn read(r: &mut Reader<'a>, field: &'static str) -> Result<i64> {
        r.sleb(field)
    }
}

impl<'a> Cell<'a> for &'a str {
    fn read(r: &mut Reader<'a>, field: &'static str) -> Result<&'a str> {
        let at = r.offset();
        let bytes = r.len_prefixed(field)?;
        Reader::str(bytes, field, at)
    }
}

/// A run-length column (Automerge's RLE): an sLEB count `n`, then for
/// `n > 0` one value repeated `n` times, for `n < 0` `-n` values, and for
/// `n == 0` a uLEB count of nulls. Typed by its values, so that a row costs
/// a decrement and, in a literal run, one value read.
#[derive(Debug)]
struct Rle<'a, T> {
    r: Reader<'a>,
    end: usize,
    field: &'static str,
    /// What the current run gives, and how many rows are left in it.
    run: Option<T>,
    literal: bool,
    left: u64,
}

impl<'a, T: Cell<'a>> Rle<'a, T> {
    fn new(data: &'a [u8], field: &'static str) -> Self {
        // The reader's positions are offsets into the column's own bytes.
        Rle {
            r: Reader::new(data, 0),
            end: data.len(),
            field,
            run: None,
            literal: false,
            left: 0,
        }
    }

    /// How many rows the column holds, counting no further than `cap`:
    /// runs are skipped whole, so this costs far less than reading them.
    fn count(mut self, cap: u64) -> Result<u64> {
        let mut rows: u64 = 0;
        while self.r.offset() < self.end && rows < cap {
            let n = self.r.sleb(self.field)?;
            if n > 0 {
                T::read(&mut self.r, self.field)?;
                rows = rows.saturating_add(n as u64);
            } else if n < 0 {
                for _ in 0..n.unsigned_abs().min(cap) {
                    T::read(&mut self.r, self.field)?;
                }
                rows = rows.saturating_add(n.unsigned_abs());
            } else {
                rows = rows.saturating_add(self.r.uleb(self.field)?);
            }
        }
        Ok(rows.min(cap))
    }

    /// The next row's value; `None` is null, also past the column's end.
    #[inline]
    fn next(&mut self) -> Result<Option<T>> {
        if self.left == 0 {
            self.start_run()?;
            if self.left == 0 {
                return Ok(None);
            }
        }
        self.left -= 1;
        match self.literal {
            true => T::read(&mut self.r, self.field).map(Some),
            false => Ok(self.run),
        }
    }

    /// Reads run headers until one gives rows, or the column ends.
    #[inline(never)]
    fn start_run(&mut self) -> Result<()> {
        while self.left == 0 {
            if self.r.offset() >= self.end {
                return Ok(());
            }
            let n = self.r.sleb(self.field)?;
            if n > 0 {
                self.left = n as u64;
                self.literal = false;
                self.run = Some(T::read(&mut self.r, self.field)?);
            } else if n < 0 {
                self.left = n.unsigned_abs();
                self.literal = true;
            } else {
                self.left = self.r.uleb(self.field)?;
                self.literal = false;
                self.run = None;
            }
        }
        Ok(())
    }
}

/// A column of unsigned integers (actor indexes, counters, actions, value
/// metadata, group counts).
#[derive(Debug)]
pub(crate) struct UintColumn<'a>(Rle<'a, u64>);

impl<'a> UintColumn<'a> {
    pub(crate) fn new(data: &'a [u8], field: &'static str) -> Self {
        UintColumn(Rle::new(data, field))
    }
    #[inline]
    pub(crate) fn next(&mut self) -> Result<Option<u64>> {
        self.0.next()
    }
    /// How many rows it holds, up to `cap` (a bound for allocating).
    pub(crate) fn count(data: &'a [u8], cap: u64, field: &'static str) -> Result<u64> {
        Rle::<u64>::new(data, field).count(cap)
    }
}

/// A column of strings (map keys, mark names).
#[derive(Debug)]
pub(crate) struct StrColumn<'a>(Rle<'a, &'a str>);

impl<'a> StrColumn<'a> {
    pub(crate) fn new(data: &'a [u8], field: &'static str) -> Self {
        StrColumn(Rle::new(data, field))
    }
    #[inline]
    pub(crate) fn next(&mut self) -> Result<Option<&'a str>> {
        self.0.next()
    }
}

/// A delta column: run-length sLEB deltas, each row the running sum; a null
/// row leaves the sum as it is.
#[derive(Debug)]
pub(crate) struct DeltaColumn<'a> {
    rle: Rle<'a, i64>,
    sum: i64,
}

impl<'a> DeltaColumn<'a> {
    pub(crate) fn new(data: &'a [u8], field: &'static str) -> Self {
        DeltaColumn {
            rle: Rle::new(data, field),
            sum: 0,
        }
    }
    #[inline]
    pub(crate) fn next(&mut self) -> Result<Option<i64>> {
        match self.rle.next()? {
            Some(d) => {
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

//! Columns: a section's body is a fixed list of byte columns, each written as
//! a uLEB length and its bytes (SPEC.md §4.3). Like values sit together, which
//! is what lets zstd compress a snapshot far below the changes it holds.

use crate::reader::{write_sleb, write_uleb, Reader};
use crate::{ActorId, DecodeError};

type Result<T> = std::result::Result<T, DecodeError>;

/// Columns being written; `N` is how many the section has.
#[derive(Debug, Clone)]
pub(crate) struct ColumnWriter<const N: usize> {
    cols: [Vec<u8>; N],
    /// The open run of each run-length column: its value, count and whether
    /// the value is signed.
    runs: [Option<(u64, u64, bool)>; N],
}

impl<const N: usize> ColumnWriter<N> {
    pub(crate) fn new() -> Self {
        ColumnWriter {
            cols: std::array::from_fn(|_| Vec::new()),
            runs: [None; N],
        }
    }

    /// Appends to a run-length column: runs of equal values are stored as a
    /// uLEB count and the value once (SPEC.md §4.3).
    #[inline]
    pub(crate) fn rle(&mut self, c: usize, value: u64, signed: bool) {
        let Some(run) = self.runs.get_mut(c) else {
            return;
        };
        match run {
            Some((v, n, s)) if *v == value && *s == signed => *n += 1,
            _ => {
                let done = run.replace((value, 1, signed));
                if let Some(done) = done {
                    self.flush_run(c, done);
                }
            }
        }
    }

    fn flush_run(&mut self, c: usize, (value, count, signed): (u64, u64, bool)) {
        self.uleb(c, count);
        if signed {
            self.sleb(c, value as i64);
        } else {
            self.uleb(c, value);
        }
    }

    #[inline]
    pub(crate) fn rle_u(&mut self, c: usize, v: u64) {
        self.rle(c, v, false);
    }

    #[inline]
    pub(crate) fn rle_s(&mut self, c: usize, v: i64) {
        self.rle(c, v as u64, true);
    }

    #[inline]
    pub(crate) fn col(&mut self, c: usize) -> &mut Vec<u8> {
        // `c` is always one of the section's column constants, below `N`.
        #[allow(clippy::indexing_slicing)]
        &mut self.cols[c]
    }

    #[inline]
    pub(crate) fn uleb(&mut self, c: usize, v: u64) {
        write_uleb(self.col(c), v);
    }

    pub(crate) fn sleb(&mut self, c: usize, v: i64) {
        write_sleb(self.col(c), v);
    }

    #[inline]
    pub(crate) fn byte(&mut self, c: usize, v: u8) {
        self.col(c).push(v);
    }

    pub(crate) fn bytes(&mut self, c: usize, v: &[u8]) {
        self.uleb(c, v.len() as u64);
        self.col(c).extend_from_slice(v);
    }

    /// The section body: every column, in order, each with its length. The
    /// open runs are written as they stand and stay open, so that a writer
    /// kept beside a growing history can go on after this.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        let mut open = Vec::new();
        for (col, run) in self.cols.iter().zip(&self.runs) {
            open.clear();
            if let Some((value, count, signed)) = *run {
                write_uleb(&mut open, count);
                match signed {
                    true => write_sleb(&mut open, value as i64),
                    false => write_uleb(&mut open, value),
                }
            }
            write_uleb(out, (col.len() + open.len()) as u64);
            out.extend_from_slice(col);
            out.extend_from_slice(&open);
        }
    }

    /// Bytes written so far, open runs aside.
    pub(crate) fn len(&self) -> usize {
        self.cols.iter().map(Vec::len).sum()
    }

    /// Heap bytes the columns hold.
    pub(crate) fn capacity(&self) -> usize {
        self.cols.iter().map(Vec::capacity).sum()
    }
}

/// Columns being read, with the names that errors give for them.
#[derive(Debug)]
pub(crate) struct ColumnReader<'a, const N: usize> {
    cols: [Reader<'a>; N],
    names: [&'static str; N],
    /// The current run of each run-length column: its value and how many
    /// more times it repeats.
    runs: [(u64, u64); N],
}

impl<'a, const N: usize> ColumnReader<'a, N> {
    /// Splits `r`'s bytes into the `N` columns; nothing may follow the last.
    pub(crate) fn read(r: &mut Reader<'a>, names: [&'static str; N]) -> Result<Self> {
        let mut slices: [&'a [u8]; N] = [&[]; N];
        for (slice, name) in slices.iter_mut().zip(names) {
            *slice = r.len_prefixed(name)?;
        }
        if r.remaining() > 0 {
            return Err(DecodeError::TrailingBytes {
                offset: r.offset(),
                count: r.remaining(),
            });
        }
        Ok(ColumnReader {
            cols: slices.map(|s| Reader::new(s, 0)),
            names,
            runs: [(0, 0); N],
        })
    }

    /// The next value of a run-length column: most calls take the next of a
    /// run, which is kept apart from reading a new run so that it inlines.
    #[inline]
    fn rle(&mut self, c: usize, signed: bool) -> Result<u64> {
        if let Some(run) = self.runs.get_mut(c) {
            if run.1 > 0 {
                run.1 -= 1;
                return Ok(run.0);
            }
        }
        self.new_run(c, signed)
    }

    /// Reads column `c`'s next run and takes its first value.
    #[inline(never)]
    fn new_run(&mut self, c: usize, signed: bool) -> Result<u64> {
        let field = self.name(c);
        let left = self.runs.get(c).map_or(0, |r| r.1);
        if left == 0 {
            let r = self.col(c)?;
            let at = r.offset();
            let count = r.uleb(field)?;
            if count == 0 {
                return Err(DecodeError::NotCanonical {
                    offset: at,
                    reason: "a run of length 0",
                });
            }
            let value = if signed {
                r.sleb(field)? as u64
            } else {
                r.uleb(field)?
            };
            if let Some(run) = self.runs.get_mut(c) {
                *run = (value, count);
            }
        }
        let run = self
            .runs
            .get_mut(c)
            .ok_or(DecodeError::Truncated { field, offset: 0 })?;
        run.1 -= 1;
        Ok(run.0)
    }

    #[inline]
    pub(crate) fn rle_u(&mut self, c: usize) -> Result<u64> {
        self.rle(c, false)
    }

    #[inline]
    pub(crate) fn rle_s(&mut self, c: usize) -> Result<i64> {
        Ok(self.rle(c, true)? as i64)
    }

    pub(crate) fn name(&self, c: usize) -> &'static str {
        self.names.get(c).copied().unwrap_or("column")
    }

    pub(crate) fn col(&mut self, c: usize) -> Result<&mut Reader<'a>> {
        let field = self.name(c);
        self.cols
            .get_mut(c)
            .ok_or(DecodeError::Truncated { field, offset: 0 })
    }

    pub(crate) fn uleb(&mut self, c: usize) -> Result<u64> {
        let field = self.name(c);
        self.col(c)?.uleb(field)
    }

    pub(crate) fn sleb(&mut self, c: usize) -> Result<i64> {
        let field = self.name(c);
        self.col(c)?.sleb(field)
    }

    pub(crate) fn byte(&mut self, c: usize) -> Result<u8> {
        let field = self.name(c);
        self.col(c)?.u8(field)
    }

    /// A count of items that each take at least `min` bytes of column `c`:
    /// refused if the column cannot hold them, which bounds what the decoder
    /// allocates by the size of its input.
    pub(crate) fn count(&mut self, c: usize, min: u64) -> Result<usize> {
        let field = self.name(c);
        let r = self.col(c)?;
        let at = r.offset();
        let n = r.uleb(field)?;
        r.check_fits(n, min, field, at)
    }

    /// Errors unless every column has been read to its end.
    pub(crate) fn finish(&mut self) -> Result<()> {
        for c in 0..N {
            let field = self.name(c);
            if self.runs.get(c).is_some_and(|r| r.1 > 0) {
                return Err(DecodeError::NotCanonical {
                    offset: 0,
                    reason: field,
                });
            }
            let r = self.col(c)?;
            if r.remaining() > 0 {
                return Err(DecodeError::NotCanonical {
                    offset: r.offset(),
                    reason: field,
                });
            }
        }
        Ok(())
    }
}

pub(crate) fn write_actors(out: &mut Vec<u8>, actors: &[ActorId]) {
    write_uleb(out, actors.len() as u64);
    for a in actors {
        out.push(a.as_bytes().len() as u8);
        out.extend_from_slice(a.as_bytes());
    }
}

pub(crate) fn read_actors(r: &mut Reader<'_>) -> Result<Vec<ActorId>> {
    let at = r.offset();
    let n = r.uleb("actors")?;
    let n = r.check_fits(n, 2, "actors", at)?;
    let mut actors = Vec::with_capacity(n);
    for _ in 0..n {
        let offset = r.offset();
        let len = r.u8("actor length")?;
        let bytes = r.fixed(usize::from(len), "actor")?;
        let actor =
            ActorId::try_from(bytes).map_err(|_| DecodeError::BadActorLength { offset, len })?;
        actors.push(actor);
    }
    Ok(actors)
}

/// The actor at `index` in a section's table.
pub(crate) fn actor_at(actors: &[ActorId], index: u64, offset: usize) -> Result<ActorId> {
    usize::try_from(index)
        .ok()
        .and_then(|i| actors.get(i))
        .copied()
        .ok_or(DecodeError::ActorIndexOutOfRange {
            offset,
            index,
            actors: actors.len(),
        })
}

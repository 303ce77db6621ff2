//! Automerge's column encodings, for writing: run-length, delta and
//! boolean columns, with the run choices automerge 0.12 makes (SPEC.md §4A).

use crate::reader::{write_sleb, write_uleb};

/// Where a run-length column is in automerge's `RleEncoder` state machine.
/// Values are compared as numbers, or as bytes for strings; each column
/// holds one kind, whose encoding is one to one.
#[derive(Clone, Copy, Default)]
enum State {
    #[default]
    Empty,
    InitialNulls(u64),
    Nulls(u64),
    /// One value, in `last`.
    Lone,
    /// `last`, repeated this many times.
    Run(u64),
    /// `lit` holds the earlier values of a literal run, `last` the newest.
    Literal,
}

/// The newest value of a run-length column: integers are kept as numbers,
/// compared and written without a detour through their bytes (a document
/// writes hundreds of thousands of them).
#[derive(Clone, Copy, Default, PartialEq)]
enum Last {
    #[default]
    None,
    Uint(u64),
    Int(i64),
    /// The bytes in `Rle::last`.
    Bytes,
}

/// A run-length column being written.
#[derive(Clone, Default)]
pub(crate) struct Rle {
    /// The column's bytes so far.
    pub(crate) out: Vec<u8>,
    state: State,
    last_kind: Last,
    last: Vec<u8>,
    lit: Vec<u8>,
    lit_n: u64,
}

/// Writes `kind`'s value (with `bytes`, its bytes if it has no number).
fn write_value(out: &mut Vec<u8>, kind: Last, bytes: &[u8]) {
    match kind {
        Last::Uint(v) => write_uleb(out, v),
        Last::Int(v) => write_sleb(out, v),
        Last::Bytes | Last::None => out.extend_from_slice(bytes),
    }
}

impl Rle {
    pub(crate) fn clear(&mut self) {
        self.out.clear();
        self.state = State::Empty;
        self.lit.clear();
        self.lit_n = 0;
    }

    fn flush_run(&mut self, n: u64) {
        write_sleb(&mut self.out, n as i64);
        write_value(&mut self.out, self.last_kind, &self.last);
    }

    /// Writes the literal run in `lit`, with `last` too if `with_last`.
    fn flush_literal(&mut self, with_last: bool) {
        if with_last {
            write_value(&mut self.lit, self.last_kind, &self.last);
            self.lit_n += 1;
        }
        write_sleb(&mut self.out, -(self.lit_n as i64));
        self.out.extend_from_slice(&self.lit);
        self.lit.clear();
        self.lit_n = 0;
    }

    fn flush_nulls(&mut self, n: u64) {
        write_sleb(&mut self.out, 0);
        write_uleb(&mut self.out, n);
    }

    pub(crate) fn null(&mut self) {
        self.state = match self.state {
            State::Empty => State::InitialNulls(1),
            State::InitialNulls(n) => State::InitialNulls(n + 1),
            State::Nulls(n) => State::Nulls(n + 1),
            State::Lone | State::Literal => {
                self.flush_literal(true);
                State::Nulls(1)
            }
            State::Run(n) => {
                self.flush_run(n);
                State::Nulls(1)
            }
        }
    }

    /// A value given by its bytes (a string column's length and bytes).
    pub(crate) fn value(&mut self, v: &[u8]) {
        let same = self.last_kind == Last::Bytes && self.last == v;
        self.push(same);
        if !same || matches!(self.state, State::Lone) {
            self.last_kind = Last::Bytes;
            self.last.clear();
            self.last.extend_from_slice(v);
        }
    }

    /// Moves the state machine on for a value, `same` as the newest or not.
    fn push(&mut self, same: bool) {
        self.state = match self.state {
            State::Empty => State::Lone,
            State::Lone if same => State::Run(2),
            State::Run(n) if same => State::Run(n + 1),
            State::Literal if same => {
                self.flush_literal(false);
                State::Run(2)
            }
            State::Lone | State::Literal => {
                write_value(&mut self.lit, self.last_kind, &self.last);
                self.lit_n += 1;
                State::Literal
            }
            State::Run(n) => {
                self.flush_run(n);
                State::Lone
            }
            State::Nulls(n) | State::InitialNulls(n) => {
                self.flush_nulls(n);
                State::Lone
            }
        };
    }

    #[inline]
    fn number(&mut self, v: Last) {
        let same = self.last_kind == v;
        // Most rows of a document's columns lengthen a run.
        if same {
            if let State::Run(n) = &mut self.state {
                *n += 1;
                return;
            }
        }
        self.push(same);
        self.last_kind = v;
    }

    pub(crate) fn uint(&mut self, v: u64) {
        self.number(Last::Uint(v));
    }

    pub(crate) fn int(&mut self, v: i64) {
        self.number(Last::Int(v));
    }

    pub(crate) fn finish(&mut self) {
        match self.state {
            State::Empty | State::InitialNulls(_) => {}
            State::Nulls(n) => self.flush_nulls(n),
            State::Lone | State::Literal => self.flush_literal(true),
            State::Run(n) => self.flush_run(n),
        }
        self.state = State::Empty;
    }
}

/// A delta column: the differences, run-length coded.
#[derive(Clone, Default)]
pub(crate) struct Delta {
    pub(crate) rle: Rle,
    pub(crate) last: i64,
}

impl Delta {
    pub(crate) fn push(&mut self, v: Option<i64>) {
        match v {
            Some(v) => {
                self.rle.int(v.wrapping_sub(self.last));
                self.last = v;
            }
            None => self.rle.null(),
        }
    }
}

/// A boolean column: alternating run lengths, from false.
#[derive(Clone, Default)]
pub(crate) struct Bools {
    pub(crate) out: Vec<u8>,
    pub(crate) last: bool,
    pub(crate) count: u64,
}

impl Bools {
    pub(crate) fn push(&mut self, v: bool) {
        if v == self.last {
            self.count += 1;
        } else {
            write_uleb(&mut self.out, self.count);
            self.last = v;
            self.count = 1;
        }
    }

    pub(crate) fn finish(&mut self) {
        if self.count > 0 {
            write_uleb(&mut self.out, self.count);
        }
    }
}

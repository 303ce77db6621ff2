//! Automerge's column encodings, for writing: run-length, delta and
//! boolean columns, with the run choices automerge 0.12 makes (SPEC.md §4A).

use crate::reader::{sleb_array, uleb_array, write_sleb, write_uleb};

/// Where a run-length column is in automerge's `RleEncoder` state machine.
/// Values are compared by their encoding, which is one to one.
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

/// A run-length column being written.
#[derive(Clone, Default)]
pub(crate) struct Rle {
    /// The column's bytes so far.
    pub(crate) out: Vec<u8>,
    state: State,
    last: Vec<u8>,
    lit: Vec<u8>,
    lit_n: u64,
}

impl Rle {
    pub(crate) fn clear(&mut self) {
        self.out.clear();
        self.state = State::Empty;
        self.lit.clear();
        self.lit_n = 0;
    }

    fn set_last(&mut self, v: &[u8]) {
        self.last.clear();
        self.last.extend_from_slice(v);
    }

    fn flush_run(&mut self, n: u64) {
        write_sleb(&mut self.out, n as i64);
        self.out.extend_from_slice(&self.last);
    }

    /// Writes the literal run in `lit`, with `last` too if `with_last`.
    fn flush_literal(&mut self, with_last: bool) {
        if with_last {
            self.lit.extend_from_slice(&self.last);
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

    pub(crate) fn value(&mut self, v: &[u8]) {
        let same = self.last == v;
        self.state = match self.state {
            State::Empty => State::Lone,
            State::Lone if same => State::Run(2),
            State::Run(n) if same => State::Run(n + 1),
            State::Literal if same => {
                self.flush_literal(false);
                State::Run(2)
            }
            State::Lone | State::Literal => {
                self.lit.extend_from_slice(&self.last);
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
        if !same || matches!(self.state, State::Lone) {
            self.set_last(v);
        }
    }

    pub(crate) fn uint(&mut self, v: u64) {
        let (bytes, n) = uleb_array(v);
        self.value(bytes.get(..n).unwrap_or_default());
    }

    pub(crate) fn int(&mut self, v: i64) {
        let (bytes, n) = sleb_array(v);
        self.value(bytes.get(..n).unwrap_or_default());
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

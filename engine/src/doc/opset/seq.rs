//! The storage of one list's or text's elements, in document order: chunks
//! and a Fenwick tree over their widths. Where a new element goes (the RGA
//! rule of SPEC.md §2.7) is decided in `opset/mod.rs` (`place`); this module
//! only keeps the order it is given.
//!
//! Why chunks: a text typed one keystroke at a time has one element per
//! character. A vector of small fixed-size elements (no heap object each), cut
//! into chunks of at most `MAX_CHUNK`, keeps inserts cheap (one chunk shifts),
//! and a Fenwick tree over the chunks' widths finds the chunk that holds an
//! index in O(log n) instead of a scan. Each insert op records which chunk holds
//! its element, so a remote op finds its element without a search by id. We
//! looked at diamond-types' run-length B-tree and Automerge's op tree: both do
//! the same job with more code; runs would save memory on long typed runs, and
//! can replace this module behind the same interface if the benchmarks ask.

use super::fenwick::Fenwick;

/// The most elements a chunk holds before it splits in two.
pub(crate) const MAX_CHUNK: usize = 256;
/// How many elements each chunk of a sequence built whole holds: half full,
/// so that edits after a load split no chunk for a while.
pub(crate) const BUILD_CHUNK: usize = MAX_CHUNK / 2;

/// One element: the insert op that made it, its current winning op, and its
/// width: 0 when no op at it is visible, else 1 (lists) or the code points of
/// its winning value (texts).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Elem {
    pub op: u32,
    pub winner: u32,
    pub width: u32,
}

#[derive(Clone, Debug, Default)]
struct Chunk {
    elems: Vec<Elem>,
    /// The sum of its elements' widths, so a split rebuilds the Fenwick tree
    /// in O(chunks), not O(elements).
    width: u64,
}

/// A position: a chunk's place in document order and an offset in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub pos: usize,
    pub off: usize,
}

#[derive(Clone, Debug)]
pub(crate) struct Seq {
    chunks: Vec<Chunk>,
    /// Chunk ids in document order.
    order: Vec<u32>,
    /// For each chunk id, its place in `order`.
    place: Vec<u32>,
    widths: Fenwick,
}

impl Default for Seq {
    fn default() -> Self {
        Seq {
            chunks: vec![Chunk::default()],
            order: vec![0],
            place: vec![0],
            widths: Fenwick::build(std::iter::once(0)),
        }
    }
}

impl Seq {
    /// A sequence of `elems`, in order: element `i` is in chunk `i / BUILD_CHUNK`.
    pub fn build(elems: &[Elem]) -> Seq {
        if elems.is_empty() {
            return Seq::default();
        }
        let chunks: Vec<Chunk> = elems
            .chunks(BUILD_CHUNK)
            .map(|c| Chunk {
                elems: c.to_vec(),
                width: c.iter().map(|e| u64::from(e.width)).sum(),
            })
            .collect();
        let n = chunks.len() as u32;
        Seq {
            widths: Fenwick::build(chunks.iter().map(|c| c.width)),
            chunks,
            order: (0..n).collect(),
            place: (0..n).collect(),
        }
    }

    /// The total width: the length of the list, or of the text in code points.
    pub fn width(&self) -> usize {
        self.widths.prefix(self.order.len()) as usize
    }

    pub fn place_of(&self, chunk: u32) -> usize {
        self.place[chunk as usize] as usize
    }

    pub fn get(&self, c: Cursor) -> Option<&Elem> {
        self.chunks[self.order[c.pos] as usize].elems.get(c.off)
    }

    /// The cursor of the element made by insert op `op`, which is in `chunk`.
    pub fn locate(&self, chunk: u32, op: u32) -> Option<Cursor> {
        let elems = &self.chunks[chunk as usize].elems;
        let off = elems.iter().position(|e| e.op == op)?;
        Some(Cursor {
            pos: self.place_of(chunk),
            off,
        })
    }

    /// The first element at or after `c`, if any.
    pub fn seek(&self, c: Cursor) -> Option<Cursor> {
        if self.get(c).is_some() {
            return Some(c);
        }
        (c.pos + 1..self.order.len())
            .find(|p| !self.chunks[self.order[*p] as usize].elems.is_empty())
            .map(|pos| Cursor { pos, off: 0 })
    }

    /// The element that holds width index `index`, and the width before it.
    pub fn nth(&self, index: usize) -> Option<(Cursor, usize)> {
        let (pos, before) = self.widths.find(index as u64)?;
        let mut at = before as usize;
        let elems = &self.chunks[self.order[pos] as usize].elems;
        for (off, e) in elems.iter().enumerate() {
            if e.width > 0 && at + e.width as usize > index {
                return Some((Cursor { pos, off }, at));
            }
            at += e.width as usize;
        }
        None
    }

    /// The last element with width before width index `index`, or `None` for the head.
    pub fn visible_before(&self, index: usize) -> Option<Cursor> {
        if index == 0 {
            return None;
        }
        self.nth(index - 1).map(|(c, _)| c)
    }

    /// Inserts `elem` at `c` (before the element now there) and returns the id
    /// of the chunk that holds it, and any elements that moved to a new chunk.
    pub fn insert(&mut self, c: Cursor, elem: Elem) -> (u32, Option<(u32, Vec<u32>)>) {
        let id = self.order[c.pos];
        let chunk = &mut self.chunks[id as usize];
        chunk.elems.insert(c.off.min(chunk.elems.len()), elem);
        chunk.width += u64::from(elem.width);
        self.widths.add(c.pos, i64::from(elem.width));
        if chunk.elems.len() <= MAX_CHUNK {
            return (id, None);
        }
        let moved = self.split(c.pos);
        let new_id = self.order[c.pos + 1];
        let home = if moved.contains(&elem.op) { new_id } else { id };
        (home, Some((new_id, moved)))
    }

    /// Splits the chunk at `pos` in two; returns the insert ops that moved.
    fn split(&mut self, pos: usize) -> Vec<u32> {
        let id = self.order[pos] as usize;
        let half = self.chunks[id].elems.len() / 2;
        let tail = self.chunks[id].elems.split_off(half);
        let moved = tail.iter().map(|e| e.op).collect();
        let tail_width: u64 = tail.iter().map(|e| u64::from(e.width)).sum();
        self.chunks[id].width -= tail_width;
        let new_id = self.chunks.len() as u32;
        self.chunks.push(Chunk {
            elems: tail,
            width: tail_width,
        });
        self.order.insert(pos + 1, new_id);
        self.place.push(0);
        for (p, chunk) in self.order.iter().enumerate().skip(pos + 1) {
            self.place[*chunk as usize] = p as u32;
        }
        let chunks = &self.chunks;
        self.widths = Fenwick::build(self.order.iter().map(|c| chunks[*c as usize].width));
        moved
    }

    /// Removes the element at `c` (undo of its insert).
    pub fn remove(&mut self, c: Cursor) -> Elem {
        let chunk = &mut self.chunks[self.order[c.pos] as usize];
        let elem = chunk.elems.remove(c.off);
        chunk.width -= u64::from(elem.width);
        self.widths.add(c.pos, -i64::from(elem.width));
        elem
    }

    /// Sets the winner and width of the element at `c`.
    pub fn set(&mut self, c: Cursor, winner: u32, width: u32) {
        let chunk = &mut self.chunks[self.order[c.pos] as usize];
        let e = &mut chunk.elems[c.off];
        let delta = i64::from(width) - i64::from(e.width);
        e.winner = winner;
        e.width = width;
        chunk.width = chunk.width.wrapping_add(delta as u64);
        self.widths.add(c.pos, delta);
    }

    /// Every element from `c` on, in order.
    pub fn iter_from(&self, c: Cursor) -> impl Iterator<Item = &Elem> + '_ {
        let order = self.order.get(c.pos..).unwrap_or_default();
        order.iter().enumerate().flat_map(move |(i, chunk)| {
            let elems = &self.chunks[*chunk as usize].elems;
            let from = if i == 0 { c.off } else { 0 };
            elems.get(from..).unwrap_or_default().iter()
        })
    }

    /// Every element in order.
    pub fn iter(&self) -> impl Iterator<Item = &Elem> + '_ {
        self.order
            .iter()
            .flat_map(move |c| self.chunks[*c as usize].elems.iter())
    }

    /// Checks the structure's invariants (for tests): widths agree with the
    /// Fenwick tree, places agree with the order, no chunk is over-full.
    pub fn check(&self) {
        let mut total = 0u64;
        for (p, c) in self.order.iter().enumerate() {
            assert_eq!(self.place[*c as usize] as usize, p);
            let chunk = &self.chunks[*c as usize];
            assert!(chunk.elems.len() <= MAX_CHUNK);
            let w: u64 = chunk.elems.iter().map(|e| u64::from(e.width)).sum();
            assert_eq!(chunk.width, w);
            assert_eq!(self.widths.prefix(p + 1) - self.widths.prefix(p), w);
            total += w;
        }
        assert_eq!(total as usize, self.width());
    }
}

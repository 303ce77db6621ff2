//! Reading the history section's columns back into changes (SPEC.md §4.3, §4.4).

use super::view::{ActionView, ChangeView, ValueRef};
use super::*;
use crate::automerge::{hash_parts, ChangeEncoder};
use crate::change_layout::*;
use crate::reader::Reader;
use crate::snapshot::columns::{read_actors, ColumnReader};
use crate::{ActorId, Change, ChangeHash, DecodeError, InvalidChange};

type Result<T> = std::result::Result<T, DecodeError>;

/// The most changes, and ops of one change, that room is made for before
/// they are read. Counts are checked against the section's bytes, but a
/// decompressed section of 256 MiB of zeros can declare hundreds of millions
/// of each, and reserving for them all up front would take gigabytes that
/// the first decode error then frees unused.
pub const PREALLOC_CHANGES: usize = 1 << 20;
const PREALLOC_OPS: usize = 1 << 12;

/// Decodes a raw history section into its changes, each with its hash, in the
/// order they were written. Every change is checked as the change decoder
/// checks it (SPEC.md §3.4), and its deps are the hashes of earlier changes.
pub fn decode_history(raw: &[u8]) -> Result<Vec<(Change, ChangeHash)>> {
    let mut out = Vec::new();
    decode_history_each(raw, |change, hash| out.push((change, hash)))?;
    Ok(out)
}

/// Decodes a raw history section, handing each change and its hash to `each`
/// as soon as it is decoded, in order; on an error, the changes already
/// handed over stay handed over. A loader can apply them while the rest
/// decodes.
pub fn decode_history_each(raw: &[u8], each: impl FnMut(Change, ChangeHash)) -> Result<()> {
    decode_history_kept(raw, &[], each)
}

/// [`decode_history_each`], where the changes at the given indices (kept as
/// they came, SPEC.md §4.6) have the given hashes instead of those of their
/// canonical encoding. `kept` is ascending by index.
pub fn decode_history_kept(
    raw: &[u8],
    kept: &[(u32, ChangeHash)],
    mut each: impl FnMut(Change, ChangeHash),
) -> Result<()> {
    let mut reader = HistoryReader::new(raw)?;
    let mut hasher = Hasher::with_capacity(reader.len().min(PREALLOC_CHANGES));
    hasher.kept = kept;
    while let Some((view, actors)) = reader.next()? {
        let hash = hasher.hash(view, actors);
        each(view.to_change(actors, hasher.deps.clone()), hash);
    }
    Ok(())
}

/// The hash of every change of a raw history section, in order: what a
/// loader that builds the document from [`HistoryReader`]'s views needs
/// besides. It decodes and checks the section as the reader does.
pub fn hash_history(raw: &[u8]) -> Result<Vec<ChangeHash>> {
    let mut reader = HistoryReader::new(raw)?;
    let mut hasher = Hasher::with_capacity(reader.len().min(PREALLOC_CHANGES));
    while let Some((view, actors)) = reader.next()? {
        hasher.hash(view, actors);
    }
    Ok(hasher.hashes)
}

/// Hashes a history's changes in order: a change's encoding holds its deps'
/// hashes, so each needs the hashes before it.
struct Hasher<'k> {
    /// Changes named by the hash of the bytes they came in (by index).
    kept: &'k [(u32, ChangeHash)],
    hashes: Vec<ChangeHash>,
    /// The last change's deps, ascending.
    deps: Vec<ChangeHash>,
    parts: Vec<u8>,
    encoder: ChangeEncoder,
}

impl Hasher<'_> {
    fn with_capacity(n: usize) -> Self {
        Hasher {
            kept: &[],
            hashes: Vec::with_capacity(n),
            deps: Vec::new(),
            parts: Vec::new(),
            encoder: ChangeEncoder::default(),
        }
    }

    fn hash(&mut self, view: &ChangeView<'_>, actors: &[ActorId]) -> ChangeHash {
        self.deps.clear();
        // The reader checked that every dep names an earlier change.
        let hashes = &self.hashes;
        self.deps
            .extend(view.deps.iter().filter_map(|d| hashes.get(*d as usize)));
        self.deps.sort_unstable();
        self.parts.clear();
        self.encoder
            .encode_after_deps(view, actors, &mut self.parts);
        let index = self.hashes.len() as u32;
        let hash = match self.kept.binary_search_by_key(&index, |(i, _)| *i) {
            Ok(at) => self.kept.get(at).map_or(ChangeHash([0; 32]), |(_, h)| *h),
            Err(_) => hash_parts(&self.deps, &self.parts),
        };
        self.hashes.push(hash);
        hash
    }
}

/// Reads a raw history section one change at a time, as a borrowed
/// [`ChangeView`] whose buffers are reused: no allocation per change or op.
/// Each view is checked as the change decoder checks a change (SPEC.md
/// §3.4); its deps are indices of earlier changes. After the last change,
/// `next` checks that every column was read to its end.
#[derive(Debug)]
pub struct HistoryReader<'a> {
    d: Decode<'a>,
    actors: Vec<ActorId>,
    view: ChangeView<'a>,
}

/// The columns, and what the next value of each is predicted from.
#[derive(Debug)]
struct Decode<'a> {
    cols: ColumnReader<'a, COLUMNS>,
    n_actors: usize,
    /// The length of the op header column, which is the number of ops.
    ops: usize,
    changes: u64,
    read: u64,
    last_seq: Vec<u64>,
    next_start: u64,
    last_time: i64,
    last_elem: u64,
}

impl<'a> HistoryReader<'a> {
    /// Reads the section's actor table and column directory.
    pub fn new(raw: &'a [u8]) -> Result<Self> {
        let mut r = Reader::new(raw, 0);
        let actors = read_actors(&mut r)?;
        let at = r.offset();
        let n = r.uleb("changes")?;
        let mut cols = ColumnReader::read(&mut r, NAMES)?;
        // Every change has its op count in a column that is not run-length
        // coded, and every op its header byte: so what the decoder allocates
        // is bounded by the size of its input (SPEC.md §4.4).
        let ops = cols.col(CHANGE_OPS)?;
        if n > ops.remaining() as u64 {
            return Err(DecodeError::LengthPastEnd {
                field: "changes",
                offset: at,
                declared: n,
                available: ops.remaining(),
            });
        }
        let ops = cols.col(OP_HEADER)?.remaining();
        let d = Decode {
            ops,
            cols,
            n_actors: actors.len(),
            last_seq: vec![0; actors.len()],
            changes: n,
            read: 0,
            next_start: 1,
            last_time: 0,
            last_elem: 0,
        };
        Ok(HistoryReader {
            d,
            actors,
            view: ChangeView::default(),
        })
    }

    /// The section's actor table, which the views' indices name.
    pub fn actors(&self) -> &[ActorId] {
        &self.actors
    }

    /// How many changes the section declares.
    pub fn len(&self) -> usize {
        usize::try_from(self.d.changes).unwrap_or(usize::MAX)
    }

    /// How many ops the section holds: one header byte each.
    pub fn op_count(&self) -> usize {
        self.d.ops
    }

    /// Whether the section declares no change.
    pub fn is_empty(&self) -> bool {
        self.d.changes == 0
    }

    /// The next change, with the actor table; `None` after the last.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<(&ChangeView<'a>, &[ActorId])>> {
        if self.d.read == self.d.changes {
            self.d.cols.finish()?;
            return Ok(None);
        }
        self.d.read += 1;
        let offset = self.d.offset(CHANGE_ACTOR);
        self.view.clear();
        self.d.change(&mut self.view)?;
        self.view
            .check(&self.actors)
            .map_err(|source| DecodeError::Invalid { offset, source })?;
        Ok(Some((&self.view, &self.actors)))
    }
}

impl<'a> Decode<'a> {
    fn offset(&mut self, c: usize) -> usize {
        self.cols.col(c).map_or(0, |r| r.offset())
    }

    /// An actor index from column `c`, checked against the table.
    fn actor(&mut self, c: usize) -> Result<u32> {
        let at = self.offset(c);
        let i = self.cols.rle_u(c)?;
        self.index(i, at)
    }

    fn index(&self, i: u64, at: usize) -> Result<u32> {
        match usize::try_from(i) {
            Ok(i) if i < self.n_actors => Ok(i as u32),
            _ => Err(DecodeError::ActorIndexOutOfRange {
                offset: at,
                index: i,
                actors: self.n_actors,
            }),
        }
    }

    /// Reads the next change into `view`, which is empty.
    fn change(&mut self, view: &mut ChangeView<'a>) -> Result<()> {
        let a = self.actor(CHANGE_ACTOR)?;
        let last = self.last_seq.get(a as usize).map_or(0, |s| *s);
        let seq = last
            .wrapping_add(1)
            .wrapping_add(self.cols.rle_s(CHANGE_SEQ)? as u64);
        if let Some(s) = self.last_seq.get_mut(a as usize) {
            *s = seq;
        }
        let start_op = self
            .next_start
            .wrapping_add(self.cols.rle_s(CHANGE_START)? as u64);
        let time = self.last_time.wrapping_add(self.cols.rle_s(CHANGE_TIME)?);
        let message = match self.cols.rle_u(CHANGE_MESSAGE)? {
            0 => None,
            len => {
                let at = self.offset(CHANGE_MESSAGE_BYTES);
                let r = self.cols.col(CHANGE_MESSAGE_BYTES)?;
                let bytes = r.fixed(to_usize(len - 1), "change message bytes")?;
                Some(Reader::str(bytes, "change message bytes", at)?)
            }
        };
        let extra_len = to_usize(self.cols.rle_u(CHANGE_EXTRA)?);
        let r = self.cols.col(CHANGE_EXTRA_BYTES)?;
        let extra = r.fixed(extra_len, "change extra bytes")?;
        (view.actor, view.seq, view.start_op, view.time) = (a, seq, start_op, time);
        (view.message, view.extra) = (message, extra);
        self.read_body(view)?;
        self.next_start = start_op.wrapping_add(view.ops.len() as u64);
        self.last_time = time;
        Ok(())
    }

    /// A change's deps and ops.
    fn read_body(&mut self, view: &mut ChangeView<'a>) -> Result<()> {
        self.deps(view)?;
        let n_ops = self.cols.count(CHANGE_OPS, 0)?;
        // Each op takes at least its header byte.
        let n_ops = self
            .cols
            .col(OP_HEADER)?
            .check_fits(n_ops as u64, 1, "op header", 0)?;
        view.ops.reserve(n_ops.min(PREALLOC_OPS));
        for i in 0..n_ops {
            self.op(view, view.start_op.wrapping_add(i as u64))?;
        }
        Ok(())
    }

    /// The deps, as indices of earlier changes: ascending, and distinct
    /// (two equal deps are two equal hashes, which §3.4 forbids).
    fn deps(&mut self, view: &mut ChangeView<'a>) -> Result<()> {
        let n = self.cols.count(CHANGE_DEPS, 1)?;
        let own = self.read - 1;
        for _ in 0..n {
            let at = self.offset(CHANGE_DEPS);
            let back = self.cols.uleb(CHANGE_DEPS)?;
            let i = own.checked_sub(back).and_then(|i| i.checked_sub(1));
            view.deps.push(i.ok_or(DecodeError::NotCanonical {
                offset: at,
                reason: "a dep names a change that is not earlier in the history",
            })? as u32);
        }
        view.deps.sort_unstable();
        if view.deps.windows(2).any(|w| matches!(w, [a, b] if a == b)) {
            return Err(DecodeError::Invalid {
                offset: self.offset(CHANGE_DEPS),
                source: InvalidChange::DepsOrder,
            });
        }
        Ok(())
    }

    fn earlier(&mut self, c: usize, own: u64) -> Result<IdRef> {
        let back = self.cols.uleb(c)?;
        let at = self.offset(c);
        let actor = self.cols.uleb(c)?;
        Ok(IdRef {
            counter: own.wrapping_sub(back).wrapping_sub(1),
            actor: self.index(actor, at)?,
        })
    }

    fn op(&mut self, view: &mut ChangeView<'a>, own: u64) -> Result<()> {
        let at = self.offset(OP_HEADER);
        let header = self.cols.byte(OP_HEADER)?;
        let has_elem = header & FLAG_ELEM_ID != 0;
        let seq_key = header & FLAG_SEQ_KEY != 0;
        let insert = header & FLAG_INSERT != 0;
        let pred_is_elem = header & FLAG_PRED_IS_ELEM != 0;
        let elem_prev = header & FLAG_ELEM_PREV != 0;
        if (has_elem && !seq_key)
            || (pred_is_elem && (insert || !has_elem))
            || (elem_prev && !has_elem)
        {
            return Err(DecodeError::ReservedBits {
                field: "op header",
                offset: at,
                byte: header,
            });
        }
        let obj = match header & FLAG_OBJ_ID {
            0 => None,
            _ => {
                let counter = self.cols.rle_u(OP_OBJ)?;
                let actor = self.actor(OP_OBJ_ACTOR)?;
                Some(IdRef { counter, actor })
            }
        };
        let key = match (seq_key, has_elem) {
            (false, _) => {
                let r = self.cols.col(OP_KEY)?;
                let at = r.offset();
                let bytes = r.len_prefixed("op key")?;
                KeyRef::Map(Reader::str(bytes, "op key", at)?)
            }
            (true, false) => KeyRef::Head,
            (true, true) if elem_prev => {
                let counter = own.wrapping_sub(1);
                self.last_elem = counter;
                KeyRef::Elem(IdRef {
                    counter,
                    actor: view.actor,
                })
            }
            (true, true) => {
                let counter = self
                    .last_elem
                    .wrapping_add(self.cols.rle_s(OP_ELEM)? as u64);
                self.last_elem = counter;
                let actor = self.actor(OP_ELEM_ACTOR)?;
                KeyRef::Elem(IdRef { counter, actor })
            }
        };
        let pred_at = view.pred_count();
        match (key, insert, pred_is_elem) {
            (_, true, _) => {}
            (KeyRef::Elem(id), _, true) => view.push_pred(id),
            _ => {
                let n = self.cols.count(OP_PRED, 2)?;
                for _ in 0..n {
                    let p = self.earlier(OP_PRED, own)?;
                    view.push_pred(p);
                }
            }
        }
        // The action is decoded into its place in the view: building it
        // apart and moving it there stalled on store forwarding.
        let action = view.push_op(obj, key, insert, pred_at);
        self.action(header & ACTION_MASK, action)
    }

    fn action(&mut self, action: u8, out: &mut ActionView<'a>) -> Result<()> {
        let at = self.offset(OP_TAG);
        *out = match action {
            ACTION_MAKE => match tag_byte(self.cols.rle_u(OP_TAG)?) {
                TAG_MARK => self.mark()?,
                tag => ActionView::Make(obj_type_of(tag, at)?),
            },
            ACTION_PUT => ActionView::Put(self.value()?),
            ACTION_DELETE => ActionView::Delete,
            _ => ActionView::Increment(self.cols.sleb(OP_NUM)?),
        };
        Ok(())
    }

    fn mark(&mut self) -> Result<ActionView<'a>> {
        let at = self.offset(OP_MARK);
        let code = self.cols.rle_u(OP_MARK)?;
        let expand = code & MARK_EXPAND != 0;
        Ok(match code {
            0 | 1 => ActionView::MarkEnd { expand },
            2 | 3 => {
                let at = self.offset(OP_MARK_NAME);
                let name = self.cols.col(OP_MARK_NAME)?.len_prefixed("op mark name")?;
                ActionView::MarkBegin {
                    name: Reader::str(name, "op mark name", at)?,
                    value: self.value()?,
                    expand,
                }
            }
            _ => {
                return Err(DecodeError::UnknownTag {
                    field: "mark",
                    offset: at,
                    tag: tag_byte(code),
                })
            }
        })
    }

    fn value(&mut self) -> Result<ValueRef<'a>> {
        let at = self.offset(OP_TAG);
        Ok(match tag_byte(self.cols.rle_u(OP_TAG)?) {
            TAG_NULL => ValueRef::Null,
            TAG_FALSE => ValueRef::Bool(false),
            TAG_TRUE => ValueRef::Bool(true),
            TAG_INT => ValueRef::Int(self.cols.sleb(OP_NUM)?),
            TAG_UINT => ValueRef::Uint(self.cols.uleb(OP_NUM)?),
            TAG_F64 => {
                let bytes = self.cols.col(OP_NUM)?.array("op value number")?;
                ValueRef::F64(f64::from_le_bytes(bytes))
            }
            TAG_STR => {
                let at = self.offset(OP_BYTES);
                let bytes = self.value_bytes()?;
                ValueRef::Str(Reader::str(bytes, "op value bytes", at)?)
            }
            TAG_BYTES => ValueRef::Bytes(self.value_bytes()?),
            TAG_COUNTER => ValueRef::Counter(self.cols.sleb(OP_NUM)?),
            TAG_TIMESTAMP => ValueRef::Timestamp(self.cols.sleb(OP_NUM)?),
            tag => {
                return Err(DecodeError::UnknownTag {
                    field: "value",
                    offset: at,
                    tag,
                })
            }
        })
    }

    fn value_bytes(&mut self) -> Result<&'a [u8]> {
        let len = to_usize(self.cols.rle_u(OP_LEN)?);
        self.cols.col(OP_BYTES)?.fixed(len, "op value bytes")
    }
}

fn to_usize(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// A tag read from a run-length column; a value past a byte is no tag.
fn tag_byte(v: u64) -> u8 {
    u8::try_from(v).unwrap_or(u8::MAX)
}

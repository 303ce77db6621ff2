//! Snapshots: a document's whole op set in two zstd-compressed sections, its
//! visible state and its history, each with its own crc32 (SPEC.md §4).
//!
//! [`parse_snapshot`] checks the frame and both checksums but decompresses
//! nothing; [`Snapshot::state`] and [`Snapshot::history`] each decompress and
//! decode one section, so a reader that wants only the state never pays for
//! the history.

mod columns;
mod history;
mod state;

pub use history::{
    decode_history, decode_history_each, decode_history_kept, hash_history, ActionView, ChangeRef,
    ChangeView, HistoryReader, HistoryWriter, IdRef, KeyRef, OpRef, OpView, ValueRef,
    PREALLOC_CHANGES,
};
pub use state::{decode_state, encode_state, DocState, StateBody, StateObject, StateValue};

use crate::reader::Reader;
use crate::{Change, ChangeHash, DecodeError};
use std::io::Read;

type Result<T> = std::result::Result<T, DecodeError>;

/// The first four bytes of every snapshot: "MDBS".
pub const SNAPSHOT_MAGIC: [u8; 4] = *b"MDBS";
/// The snapshot format version that this build writes and reads.
pub const SNAPSHOT_VERSION: u8 = 3;
/// The largest decompressed section accepted: 256 MiB.
pub const MAX_SECTION_LEN: u64 = 256 << 20;
const KIND_STATE: u8 = 1;
const KIND_HISTORY: u8 = 2;
const KIND_KEPT: u8 = 3;
const HEADER_LEN: usize = 8;
/// The state section is small (about the size of the visible text), so a
/// high level costs little; the history is several times larger, and above
/// level 4 a snapshot takes longer than automerge's `save()` (levels 4 to 7
/// on automerge-paper: 108.6, 103.3, 100.5 and 99.3 KB, in 11.9, 13.3, 14.0
/// and 15.5 ms alone, and 14.1 ms for level 5 under criterion, against 13.8
/// for `save()`).
/// Measured on automerge-paper: SPEC.md §4.5.
const STATE_LEVEL: i32 = 7;
const HISTORY_LEVEL: i32 = 4;

/// A snapshot whose frame and checksums are valid; sections decode on demand.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot<'a> {
    state: Section<'a>,
    history: Section<'a>,
    /// The chunks kept as they came (SPEC.md §4.6), if any.
    kept: Option<Section<'a>>,
}

#[derive(Debug, Clone, Copy)]
struct Section<'a> {
    name: &'static str,
    compressed: &'a [u8],
    raw_len: u64,
}

impl Section<'_> {
    /// Decompresses, holding at most the declared length in memory.
    /// `prefix` is the raw state section, which the history section is
    /// compressed against (SPEC.md §4.1).
    fn decompress(&self, prefix: Option<&[u8]>) -> Result<Vec<u8>> {
        let fail = |detail: String| DecodeError::Decompress {
            section: self.name,
            detail,
        };
        let decoder = match prefix {
            None => zstd::stream::read::Decoder::with_buffer(self.compressed),
            Some(p) => zstd::stream::read::Decoder::with_ref_prefix(self.compressed, p),
        }
        .map_err(|e| fail(e.to_string()))?;
        // The output grows as it is produced, so a length that lies costs no
        // more than the bytes actually decompressed, and never past the limit.
        let mut out = Vec::new();
        decoder
            .take(self.raw_len + 1)
            .read_to_end(&mut out)
            .map_err(|e| fail(e.to_string()))?;
        if out.len() as u64 != self.raw_len {
            return Err(fail(format!(
                "it declares {} bytes and holds {}",
                self.raw_len,
                out.len()
            )));
        }
        Ok(out)
    }
}

impl Snapshot<'_> {
    /// Decodes the state section.
    pub fn state(&self) -> Result<DocState> {
        decode_state(&self.state.decompress(None)?)
    }

    /// Decodes the history section: every change with its hash, in the order
    /// they were applied.
    pub fn history(&self) -> Result<Vec<(Change, ChangeHash)>> {
        let state = self.state.decompress(None)?;
        decode_history(&self.history.decompress(Some(&state))?)
    }

    /// Decodes the history section, handing each change and its hash to
    /// `each` as soon as it is decoded (see [`decode_history_each`]).
    pub fn history_each(&self, each: impl FnMut(Change, ChangeHash)) -> Result<()> {
        let state = self.state.decompress(None)?;
        decode_history_each(&self.history.decompress(Some(&state))?, each)
    }

    /// The history section, decompressed but not decoded: what
    /// [`HistoryReader`] and [`hash_history`] read.
    pub fn history_raw(&self) -> Result<Vec<u8>> {
        let state = self.state.decompress(None)?;
        self.history.decompress(Some(&state))
    }

    /// The change chunks kept as they came: the history index of each
    /// change, ascending, and its chunk, not yet parsed (SPEC.md §4.6).
    pub fn kept_chunks(&self) -> Result<Vec<(u32, Vec<u8>)>> {
        let Some(kept) = &self.kept else {
            return Ok(Vec::new());
        };
        let raw = kept.decompress(None)?;
        let mut r = Reader::new(&raw, 0);
        let at = r.offset();
        let n = r.uleb("kept chunk count")?;
        let n = r.check_fits(n, 2, "kept chunks", at)?;
        let mut out: Vec<(u32, Vec<u8>)> = Vec::with_capacity(n);
        for _ in 0..n {
            let at = r.offset();
            let index = r.uleb("kept chunk index")?;
            let index = u32::try_from(index)
                .ok()
                .filter(|i| out.last().is_none_or(|(last, _)| i > last))
                .ok_or(DecodeError::BadKeptChunks { offset: at })?;
            let bytes = r.len_prefixed("kept chunk")?;
            out.push((index, bytes.to_vec()));
        }
        if r.remaining() > 0 {
            return Err(DecodeError::TrailingBytes {
                offset: r.offset(),
                count: r.remaining(),
            });
        }
        Ok(out)
    }

    /// The compressed sizes of the state and history sections.
    pub fn section_sizes(&self) -> (usize, usize) {
        (self.state.compressed.len(), self.history.compressed.len())
    }
}

/// Checks a snapshot's frame and section checksums, decompressing nothing.
pub fn parse_snapshot(bytes: &[u8]) -> Result<Snapshot<'_>> {
    let mut r = Reader::new(bytes, 0);
    let magic = r.array::<4>("snapshot magic")?;
    if magic != SNAPSHOT_MAGIC {
        return Err(DecodeError::BadSnapshotMagic { found: magic });
    }
    let version = r.u8("snapshot version")?;
    if version != SNAPSHOT_VERSION {
        return Err(DecodeError::UnsupportedVersion {
            version,
            supported: SNAPSHOT_VERSION,
            offset: 4,
        });
    }
    reserved(&mut r, 3, "snapshot header")?;
    let state = section(&mut r, KIND_STATE, "state")?;
    let history = section(&mut r, KIND_HISTORY, "history")?;
    let kept = match r.remaining() {
        0 => None,
        _ => Some(section(&mut r, KIND_KEPT, "kept chunks")?),
    };
    if r.remaining() > 0 {
        return Err(DecodeError::TrailingBytes {
            offset: r.offset(),
            count: r.remaining(),
        });
    }
    Ok(Snapshot {
        state,
        history,
        kept,
    })
}

fn reserved(r: &mut Reader<'_>, n: usize, field: &'static str) -> Result<()> {
    let at = r.offset();
    let bytes = r.fixed(n, field)?;
    match bytes.iter().position(|b| *b != 0) {
        None => Ok(()),
        Some(i) => Err(DecodeError::ReservedBits {
            field,
            offset: at + i,
            byte: bytes.get(i).copied().unwrap_or(0),
        }),
    }
}

fn u32le(r: &mut Reader<'_>, field: &'static str) -> Result<u32> {
    Ok(u32::from_le_bytes(r.array(field)?))
}

fn section<'a>(r: &mut Reader<'a>, kind: u8, name: &'static str) -> Result<Section<'a>> {
    let at = r.offset();
    let found = r.u8("section kind")?;
    if found != kind {
        return Err(DecodeError::UnknownTag {
            field: "section kind",
            offset: at,
            tag: found,
        });
    }
    reserved(r, 3, "section header")?;
    let compressed_len = u32le(r, "section compressed length")?;
    let raw_len = u64::from(u32le(r, "section length")?);
    if raw_len > MAX_SECTION_LEN {
        return Err(DecodeError::SectionTooLarge {
            section: name,
            offset: at,
            declared: raw_len,
            limit: MAX_SECTION_LEN,
        });
    }
    let expected = u32le(r, "section crc32")?;
    let compressed = r.fixed(compressed_len as usize, name)?;
    let actual = crc32fast::hash(compressed);
    if actual != expected {
        return Err(DecodeError::SectionChecksum {
            section: name,
            expected,
            actual,
        });
    }
    Ok(Section {
        name,
        compressed,
        raw_len,
    })
}

/// Why a snapshot cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotTooLarge {
    /// A section is over [`MAX_SECTION_LEN`] before compression.
    #[error(
        "the {section} section is {len} bytes; a snapshot section holds at most {MAX_SECTION_LEN}"
    )]
    Section {
        /// Which section.
        section: &'static str,
        /// Its length.
        len: usize,
    },
}

/// Writes a snapshot from a state and a finished history.
pub fn encode_snapshot(
    state: &DocState,
    history: HistoryWriter,
) -> std::result::Result<Vec<u8>, SnapshotTooLarge> {
    let state_raw = encode_state(state);
    let history = CompressedHistory::new(&history.raw(), &state_raw)?;
    assemble_snapshot(&CompressedState::new(&state_raw)?, &history, &[])
}

/// A state section, compressed and framed. The two sections are compressed
/// apart, so that a writer can compress them at once.
#[derive(Debug, Clone)]
pub struct CompressedState(Vec<u8>);

impl CompressedState {
    /// Compresses a raw state section (as [`encode_state`] gives it).
    pub fn new(raw: &[u8]) -> std::result::Result<Self, SnapshotTooLarge> {
        let mut framed = Vec::new();
        write_section(&mut framed, KIND_STATE, "state", raw, None)?;
        Ok(CompressedState(framed))
    }
}

/// A history section, compressed and framed.
#[derive(Debug, Clone)]
pub struct CompressedHistory(Vec<u8>);

impl CompressedHistory {
    /// Compresses a raw history section (as [`HistoryWriter::raw`] gives
    /// it) against the raw state section it goes with: most of the text the
    /// history inserts is still in the state, so compressed against it the
    /// history stores little more than what was deleted.
    pub fn new(raw: &[u8], state_raw: &[u8]) -> std::result::Result<Self, SnapshotTooLarge> {
        let mut framed = Vec::new();
        write_section(&mut framed, KIND_HISTORY, "history", raw, Some(state_raw))?;
        Ok(CompressedHistory(framed))
    }
}

/// Writes a snapshot from its two sections, and the chunks kept as they
/// came (history index, chunk; ascending by index), in a third section if
/// there are any.
pub fn assemble_snapshot(
    state: &CompressedState,
    history: &CompressedHistory,
    kept: &[(u32, &[u8])],
) -> std::result::Result<Vec<u8>, SnapshotTooLarge> {
    let mut out = Vec::with_capacity(HEADER_LEN + state.0.len() + history.0.len());
    out.extend_from_slice(&SNAPSHOT_MAGIC);
    out.extend_from_slice(&[SNAPSHOT_VERSION, 0, 0, 0]);
    out.extend_from_slice(&state.0);
    out.extend_from_slice(&history.0);
    if !kept.is_empty() {
        let mut raw = Vec::new();
        crate::reader::write_uleb(&mut raw, kept.len() as u64);
        for (index, chunk) in kept {
            crate::reader::write_uleb(&mut raw, u64::from(*index));
            crate::reader::write_uleb(&mut raw, chunk.len() as u64);
            raw.extend_from_slice(chunk);
        }
        write_section(&mut out, KIND_KEPT, "kept chunks", &raw, None)?;
    }
    Ok(out)
}

fn write_section(
    out: &mut Vec<u8>,
    kind: u8,
    section: &'static str,
    raw: &[u8],
    prefix: Option<&[u8]>,
) -> std::result::Result<(), SnapshotTooLarge> {
    let too_large = SnapshotTooLarge::Section {
        section,
        len: raw.len(),
    };
    let raw_len = u32::try_from(raw.len())
        .ok()
        .filter(|l| u64::from(*l) <= MAX_SECTION_LEN)
        .ok_or(too_large.clone())?;
    // Compressing bytes in memory fails only if zstd cannot allocate.
    let compressed = compress(raw, prefix).map_err(|_| too_large.clone())?;
    let compressed_len = u32::try_from(compressed.len()).map_err(|_| too_large)?;
    out.extend_from_slice(&[kind, 0, 0, 0]);
    out.extend_from_slice(&compressed_len.to_le_bytes());
    out.extend_from_slice(&raw_len.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&compressed).to_le_bytes());
    out.extend_from_slice(&compressed);
    Ok(())
}

fn compress(raw: &[u8], prefix: Option<&[u8]>) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = match prefix {
        None => zstd::stream::write::Encoder::new(Vec::new(), STATE_LEVEL)?,
        Some(p) => zstd::stream::write::Encoder::with_ref_prefix(Vec::new(), HISTORY_LEVEL, p)?,
    };
    // Long-distance matching finds the text the history inserts in the state
    // it is compressed against, however far back.
    encoder.long_distance_matching(prefix.is_some())?;
    // With its size known, zstd sizes its window and tables to the input
    // instead of to the level's defaults (up to 128 MiB with long matching).
    encoder.set_pledged_src_size(Some(raw.len() as u64))?;
    encoder.include_contentsize(true)?;
    encoder.write_all(raw)?;
    encoder.finish()
}

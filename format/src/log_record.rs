//! A change as the store's log keeps it (SPEC.md §5.3): its place in the
//! document's log, whether its chunk is kept as it came, then the change's
//! Automerge change chunk, under one crc32.
//!
//! | Offset | Size | Field |
//! |---|---|---|
//! | 0 | 4 | magic "MDBL" |
//! | 4 | 4 | crc32 (u32le) of every byte from offset 8 to the end |
//! | 8 | 8 | position in the document's log (u64le) |
//! | 16 | 1 | flags: bit 0 set if the chunk is not the canonical encoding of its change (§4A.4); the other bits are reserved and must be 0 |
//! | 17 | n | the change's Automerge change chunk (§4A) |

use crate::DecodeError;

/// The first four bytes of a log record.
pub const LOG_RECORD_MAGIC: [u8; 4] = *b"MDBL";
const HEADER: usize = 17;
const FLAG_VERBATIM: u8 = 1;

/// A log record, decoded: its position, whether its chunk is kept as it
/// came, and the chunk, which still has to be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogRecord<'a> {
    /// Its position in the document's log.
    pub position: u64,
    /// Whether the chunk is not its change's canonical encoding.
    pub verbatim: bool,
    /// The change chunk.
    pub chunk: &'a [u8],
}

/// Frames a change chunk as a log record at `position`.
pub fn encode_log_record(position: u64, verbatim: bool, change: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + change.len());
    out.extend_from_slice(&LOG_RECORD_MAGIC);
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&position.to_le_bytes());
    out.push(if verbatim { FLAG_VERBATIM } else { 0 });
    out.extend_from_slice(change);
    let crc = crc32fast::hash(out.get(8..).unwrap_or_default());
    if let Some(slot) = out.get_mut(4..8) {
        slot.copy_from_slice(&crc.to_le_bytes());
    }
    out
}

/// A log record, after checking its magic, crc32 and flags. The change
/// itself still has to be decoded.
pub fn decode_log_record(bytes: &[u8]) -> Result<LogRecord<'_>, DecodeError> {
    let mut r = crate::reader::Reader::new(bytes, 0);
    let magic = r.array::<4>("record magic")?;
    if magic != LOG_RECORD_MAGIC {
        return Err(DecodeError::BadMagic { found: magic });
    }
    let expected = u32::from_le_bytes(r.array("record checksum")?);
    let position = u64::from_le_bytes(r.array("record position")?);
    let flags = r.u8("record flags")?;
    let actual = crc32fast::hash(bytes.get(8..).unwrap_or_default());
    if actual != expected {
        return Err(DecodeError::ChecksumMismatch { expected, actual });
    }
    if flags & !FLAG_VERBATIM != 0 {
        return Err(DecodeError::ReservedBits {
            field: "record flags",
            offset: 16,
            byte: flags,
        });
    }
    Ok(LogRecord {
        position,
        verbatim: flags & FLAG_VERBATIM != 0,
        chunk: r.rest(),
    })
}

/// The first four bytes of a log group record.
pub const LOG_GROUP_MAGIC: [u8; 4] = *b"MDBG";
const GROUP_HEADER: usize = 16;
/// The most a group record's payload may decompress to.
pub const MAX_GROUP_LEN: u32 = 64 << 20;
/// zstd's level for a group: a group is written once, at the commit.
const GROUP_LEVEL: i32 = 3;

/// One change of a log group, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Its position in the document's log.
    pub position: u64,
    /// Whether the chunk is kept as it came.
    pub verbatim: bool,
    /// The change chunk.
    pub chunk: Vec<u8>,
}

/// Several changes of one actor, consecutive seqs, as one record under the
/// first one's key (SPEC.md §5.3): what one commit group writes.
///
/// | Offset | Size | Field |
/// |---|---|---|
/// | 0 | 4 | magic "MDBG" |
/// | 4 | 4 | crc32 (u32le) of every byte from offset 8 to the end |
/// | 8 | 4 | count (u32le), 2 or more |
/// | 12 | 4 | raw length (u32le) of the payload, at most 64 MiB |
/// | 16 | n | one zstd frame: per change a uLEB position, a flags byte, and a uLEB-length chunk |
///
/// An entry's flags: bit 0 as a log record's; bit 1 set if one of the
/// chunk's deps is the previous entry's hash, left out of the chunk's bytes
/// (a run of keystrokes each depends on the one before), its index among the
/// deps following as a uLEB. The other bits are reserved.
pub fn encode_log_group(entries: &[(u64, bool, &[u8])]) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut prev: Option<crate::ChangeHash> = None;
    for (position, verbatim, chunk) in entries {
        crate::reader::write_uleb(&mut raw, *position);
        let flags = if *verbatim { FLAG_VERBATIM } else { 0 };
        match prev.and_then(|h| dep_at(chunk, &h)) {
            Some((index, at)) => {
                raw.push(flags | FLAG_PREV_DEP);
                crate::reader::write_uleb(&mut raw, index as u64);
                crate::reader::write_uleb(&mut raw, chunk.len() as u64 - 32);
                raw.extend_from_slice(chunk.get(..at).unwrap_or_default());
                raw.extend_from_slice(chunk.get(at + 32..).unwrap_or_default());
            }
            None => {
                raw.push(flags);
                crate::reader::write_uleb(&mut raw, chunk.len() as u64);
                raw.extend_from_slice(chunk);
            }
        }
        prev = chunk_hash_of(chunk);
    }
    // Compressing bytes in memory fails only if zstd cannot allocate; the
    // raw payload is then stored as a frame of its own (still valid zstd).
    let packed = zstd::bulk::compress(&raw, GROUP_LEVEL).unwrap_or_else(|_| raw.clone());
    let mut out = Vec::with_capacity(GROUP_HEADER + packed.len());
    out.extend_from_slice(&LOG_GROUP_MAGIC);
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    out.extend_from_slice(&(raw.len() as u32).to_le_bytes());
    out.extend_from_slice(&packed);
    let crc = crc32fast::hash(out.get(8..).unwrap_or_default());
    if let Some(slot) = out.get_mut(4..8) {
        slot.copy_from_slice(&crc.to_le_bytes());
    }
    out
}

/// The changes of a log value: a log record's one, or a group's, each
/// checked as far as the record goes (the chunks are still to be decoded).
pub fn decode_log_value(bytes: &[u8]) -> Result<Vec<LogEntry>, DecodeError> {
    if bytes.get(..4) != Some(&LOG_GROUP_MAGIC[..]) {
        let r = decode_log_record(bytes)?;
        return Ok(vec![LogEntry {
            position: r.position,
            verbatim: r.verbatim,
            chunk: r.chunk.to_vec(),
        }]);
    }
    let mut r = crate::reader::Reader::new(bytes, 4);
    let expected = u32::from_le_bytes(r.array("group checksum")?);
    let count = u32::from_le_bytes(r.array("group count")?);
    let raw_len = u32::from_le_bytes(r.array("group length")?);
    let actual = crc32fast::hash(bytes.get(8..).unwrap_or_default());
    if actual != expected {
        return Err(DecodeError::ChecksumMismatch { expected, actual });
    }
    if raw_len > MAX_GROUP_LEN || count < 2 || u64::from(count) > u64::from(raw_len) / 3 {
        return Err(DecodeError::SectionTooLarge {
            section: "log group",
            offset: 8,
            declared: u64::from(raw_len),
            limit: u64::from(MAX_GROUP_LEN),
        });
    }
    let raw = inflate_group(r.rest(), raw_len)?;
    let mut r = crate::reader::Reader::new(&raw, 0);
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let position = r.uleb("group entry position")?;
        let at = r.offset();
        let flags = r.u8("group entry flags")?;
        if flags & !(FLAG_VERBATIM | FLAG_PREV_DEP) != 0 {
            return Err(DecodeError::ReservedBits {
                field: "group entry flags",
                offset: at,
                byte: flags,
            });
        }
        let elided = match flags & FLAG_PREV_DEP {
            0 => None,
            _ => Some(r.uleb("group entry dep index")?),
        };
        let bytes = r.len_prefixed("group entry chunk")?;
        let chunk = match elided {
            None => bytes.to_vec(),
            Some(index) => {
                let prev = out.last().and_then(|e: &LogEntry| chunk_hash_of(&e.chunk));
                restore_dep(bytes, index, prev).ok_or(DecodeError::BadLogGroup { offset: at })?
            }
        };
        out.push(LogEntry {
            position,
            verbatim: flags & FLAG_VERBATIM != 0,
            chunk,
        });
    }
    if r.remaining() > 0 {
        return Err(DecodeError::TrailingBytes {
            offset: r.offset(),
            count: r.remaining(),
        });
    }
    Ok(out)
}

const FLAG_PREV_DEP: u8 = 2;

/// A change chunk's hash, if it is one (type 1).
fn chunk_hash_of(chunk: &[u8]) -> Option<crate::ChangeHash> {
    let c = crate::automerge::parse_chunk(chunk, 0).ok()?;
    (c.kind == crate::automerge::ChunkKind::Change)
        .then(|| crate::automerge::chunk_hash(c.kind, c.body))
}

/// Where the deps of a change chunk start, and how many it has.
fn deps_of(chunk: &[u8]) -> Option<(usize, usize)> {
    let c = crate::automerge::parse_chunk(chunk, 0).ok()?;
    if c.kind != crate::automerge::ChunkKind::Change {
        return None;
    }
    let mut r = crate::reader::Reader::new(c.body, 0);
    let n = usize::try_from(r.uleb("deps").ok()?).ok()?;
    let start = chunk.len() - c.body.len() + r.offset();
    (start + 32 * n <= chunk.len()).then_some((start, n))
}

/// The index among a chunk's deps of `hash`, and its offset in the chunk.
fn dep_at(chunk: &[u8], hash: &crate::ChangeHash) -> Option<(usize, usize)> {
    let (start, n) = deps_of(chunk)?;
    (0..n)
        .map(|i| (i, start + 32 * i))
        .find(|(_, at)| chunk.get(*at..*at + 32) == Some(&hash.0[..]))
}

/// A chunk with the previous entry's hash put back as its dep `index`.
fn restore_dep(bytes: &[u8], index: u64, prev: Option<crate::ChangeHash>) -> Option<Vec<u8>> {
    let prev = prev?;
    // Without the dep the chunk still has its header and dep count, and its
    // length field still counts the dep.
    let mut r = crate::reader::Reader::new(bytes, 8);
    r.u8("type").ok()?;
    r.uleb("length").ok()?;
    let n = r.uleb("deps").ok()?;
    if index >= n {
        return None;
    }
    let at = r.offset() + 32 * usize::try_from(index).ok()?;
    let mut out = Vec::with_capacity(bytes.len() + 32);
    out.extend_from_slice(bytes.get(..at)?);
    out.extend_from_slice(&prev.0);
    out.extend_from_slice(bytes.get(at..)?);
    Some(out)
}

/// Decompresses a group's payload, holding at most its declared length.
fn inflate_group(packed: &[u8], raw_len: u32) -> Result<Vec<u8>, DecodeError> {
    use std::io::Read;
    let fail = |detail: String| DecodeError::Decompress {
        section: "log group",
        detail,
    };
    let decoder =
        zstd::stream::read::Decoder::with_buffer(packed).map_err(|e| fail(e.to_string()))?;
    let mut out = Vec::new();
    decoder
        .take(u64::from(raw_len) + 1)
        .read_to_end(&mut out)
        .map_err(|e| fail(e.to_string()))?;
    if out.len() != raw_len as usize {
        return Err(fail(format!(
            "it declares {raw_len} bytes and holds {}",
            out.len()
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_round_trips_and_every_bit_flip_is_caught() {
        let entries = [(3, false, &b"first chunk"[..]), (4, true, &b"second"[..])];
        let group = encode_log_group(&entries);
        let back = decode_log_value(&group).unwrap();
        let want: Vec<LogEntry> = entries
            .iter()
            .map(|(p, v, c)| LogEntry {
                position: *p,
                verbatim: *v,
                chunk: c.to_vec(),
            })
            .collect();
        assert_eq!(back, want);
        for bit in 0..group.len() * 8 {
            let mut bad = group.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(
                decode_log_value(&bad).is_err(),
                "flip of bit {bit} went unseen"
            );
        }
        for cut in 0..group.len() {
            assert!(decode_log_value(&group[..cut]).is_err(), "cut at {cut}");
        }
        let single = encode_log_record(9, false, b"one");
        assert_eq!(decode_log_value(&single).unwrap()[0].position, 9);
    }

    #[test]
    fn round_trip_and_every_bit_flip_is_caught() {
        let record = encode_log_record(7, true, b"change bytes");
        let want = LogRecord {
            position: 7,
            verbatim: true,
            chunk: &b"change bytes"[..],
        };
        assert_eq!(decode_log_record(&record), Ok(want));
        for bit in 0..record.len() * 8 {
            let mut bad = record.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(
                decode_log_record(&bad).is_err(),
                "flip of bit {bit} went unseen"
            );
        }
        for cut in 0..HEADER {
            assert!(matches!(
                decode_log_record(&record[..cut]),
                Err(DecodeError::Truncated { .. })
            ));
        }
    }
}

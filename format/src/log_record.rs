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

#[cfg(test)]
mod tests {
    use super::*;

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

//! Automerge's chunk framing (Automerge binary format, "Chunk"): every
//! document, change and compressed change travels in one.
//!
//! | Offset | Size | Field |
//! |---|---|---|
//! | 0 | 4 | magic `85 6f 4a 83` |
//! | 4 | 4 | checksum: the first 4 bytes of the chunk's hash |
//! | 8 | 1 | type: `00` document, `01` change, `02` compressed change, `03` bundle |
//! | 9 | n | uLEB128 length of the body |
//! | 9 + n | length | body |
//!
//! The hash is SHA-256 over the type byte, the length's uLEB128 and the body
//! (not the magic or the checksum). A change's hash is its change chunk's
//! hash; a compressed change (its body raw DEFLATE of a change chunk's body)
//! has the hash, and must carry the checksum, of the change chunk it inflates
//! to. Chunks are parsed, then verified, then used.

use crate::reader::{uleb_array, Reader};
use crate::{ChangeHash, DecodeError};
use sha2::{Digest, Sha256};
use std::io::Read;

/// The four bytes every Automerge chunk starts with.
pub const AUTOMERGE_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// The most a compressed change may inflate to: DEFLATE cannot expand its
/// input more than about 1,032 times, and no change is larger than this.
pub const MAX_INFLATED: usize = 64 << 20;

/// What a chunk holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkKind {
    /// A whole document.
    Document,
    /// One change.
    Change,
    /// One change, its body compressed with DEFLATE.
    Compressed,
    /// A bundle of changes (automerge 0.7 and later).
    Bundle,
}

impl ChunkKind {
    /// The type byte.
    pub fn byte(self) -> u8 {
        match self {
            ChunkKind::Document => 0,
            ChunkKind::Change => 1,
            ChunkKind::Compressed => 2,
            ChunkKind::Bundle => 3,
        }
    }

    fn from_byte(byte: u8, offset: usize) -> Result<Self, DecodeError> {
        Ok(match byte {
            0 => ChunkKind::Document,
            1 => ChunkKind::Change,
            2 => ChunkKind::Compressed,
            3 => ChunkKind::Bundle,
            found => return Err(DecodeError::UnknownChunkType { found, offset }),
        })
    }
}

/// One chunk, parsed but not yet verified: its body borrows the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk<'a> {
    /// What it holds.
    pub kind: ChunkKind,
    /// The checksum stored in its header.
    pub checksum: [u8; 4],
    /// Its body.
    pub body: &'a [u8],
    /// The whole chunk, header and body, as it is in the input.
    pub bytes: &'a [u8],
    /// Where it starts in the input.
    pub offset: usize,
}

/// SHA-256 over a chunk's type byte, body length and body: the change hash
/// of a change chunk.
pub fn chunk_hash(kind: ChunkKind, body: &[u8]) -> ChangeHash {
    let (len, n) = uleb_array(body.len() as u64);
    let mut hasher = Sha256::new();
    hasher.update([kind.byte()]);
    hasher.update(len.get(..n).unwrap_or(&[]));
    hasher.update(body);
    ChangeHash(hasher.finalize().into())
}

/// Frames `body` as a chunk of `kind`, with its checksum.
pub fn write_chunk(kind: ChunkKind, body: &[u8], out: &mut Vec<u8>) -> ChangeHash {
    let hash = chunk_hash(kind, body);
    let (len, n) = uleb_array(body.len() as u64);
    out.reserve(13 + body.len());
    out.extend_from_slice(&AUTOMERGE_MAGIC);
    out.extend_from_slice(hash.0.get(..4).unwrap_or(&[]));
    out.push(kind.byte());
    out.extend_from_slice(len.get(..n).unwrap_or(&[]));
    out.extend_from_slice(body);
    hash
}

/// The chunk that starts at `offset` of `input`.
pub fn parse_chunk(input: &[u8], offset: usize) -> Result<Chunk<'_>, DecodeError> {
    let mut r = Reader::new(input, offset);
    let magic: [u8; 4] = r.array("the chunk's magic number")?;
    if magic != AUTOMERGE_MAGIC {
        return Err(DecodeError::BadChunkMagic {
            found: magic,
            offset,
        });
    }
    let checksum: [u8; 4] = r.array("the chunk's checksum")?;
    let at = r.offset();
    let kind = ChunkKind::from_byte(r.u8("the chunk's type")?, at)?;
    let at = r.offset();
    let len = r.uleb("the chunk's length")?;
    let len = r.check_fits(len, 1, "the chunk's body", at)?;
    let body = r.fixed(len, "the chunk's body")?;
    let bytes = input.get(offset..r.offset()).unwrap_or(&[]);
    Ok(Chunk {
        kind,
        checksum,
        body,
        bytes,
        offset,
    })
}

/// Every chunk of `input`, one after another, as a file of Automerge
/// chunks holds them.
pub fn split_chunks(input: &[u8]) -> Result<Vec<Chunk<'_>>, DecodeError> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < input.len() {
        let chunk = parse_chunk(input, at)?;
        at += chunk.bytes.len();
        out.push(chunk);
    }
    Ok(out)
}

impl Chunk<'_> {
    /// Checks the stored checksum against the body, and gives the hash. A
    /// compressed change is inflated first (within `MAX_INFLATED`), and its
    /// checksum and hash are those of the change chunk it inflates to.
    pub fn verify(&self) -> Result<(ChangeHash, Option<Vec<u8>>), DecodeError> {
        let (hash, inflated) = match self.kind {
            ChunkKind::Compressed => {
                let body = inflate(self.body, self.offset)?;
                (chunk_hash(ChunkKind::Change, &body), Some(body))
            }
            kind => (chunk_hash(kind, self.body), None),
        };
        let actual: [u8; 4] = hash
            .0
            .get(..4)
            .and_then(|c| c.try_into().ok())
            .unwrap_or_default();
        if actual != self.checksum {
            return Err(DecodeError::ChunkChecksum {
                offset: self.offset,
                expected: self.checksum,
                actual,
            });
        }
        Ok((hash, inflated))
    }
}

/// Raw DEFLATE, bounded: a body that inflates past `MAX_INFLATED` is refused.
pub fn inflate(body: &[u8], offset: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(MAX_INFLATED));
    let limit = MAX_INFLATED as u64 + 1;
    flate2::read::DeflateDecoder::new(body)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| DecodeError::Inflate {
            offset,
            detail: e.to_string(),
        })?;
    if out.len() > MAX_INFLATED {
        return Err(DecodeError::Inflate {
            offset,
            detail: format!("it inflates past the limit of {MAX_INFLATED} bytes"),
        });
    }
    Ok(out)
}

/// Raw DEFLATE of `body`, as Automerge compresses chunks and columns.
pub fn deflate(body: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(body);
    enc.finish().unwrap_or_default()
}

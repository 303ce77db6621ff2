//! Decode errors: what was wrong, and at which byte offset of the input.

use crate::{InvalidChange, OpRule};

/// Why a byte string is not a valid encoded change.
///
/// Every offset is from the start of the input that was given to the decoder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input does not start with the change magic number.
    #[error("not a mergedb change: bad magic number {found:02x?} at offset 0")]
    BadMagic {
        /// The first bytes of the input.
        found: [u8; 4],
    },
    /// A format version that this decoder does not read.
    #[error("unsupported format version {version} at offset {offset} (this build reads version {supported})")]
    UnsupportedVersion {
        /// The version byte found.
        version: u8,
        /// The version this build reads.
        supported: u8,
        /// Where the version byte is.
        offset: usize,
    },
    /// The stored CRC does not match the bytes.
    #[error("checksum mismatch: stored crc32 {expected:#010x}, computed {actual:#010x}")]
    ChecksumMismatch {
        /// The CRC stored in the frame.
        expected: u32,
        /// The CRC of the bytes as they are.
        actual: u32,
    },
    /// The input ends inside a field.
    #[error("truncated: the input ends inside {field} at offset {offset}")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Where that field starts.
        offset: usize,
    },
    /// A LEB128 integer with redundant trailing bytes.
    #[error("overlong LEB128 in {field} at offset {offset}")]
    OverlongLeb128 {
        /// The field being read.
        field: &'static str,
        /// Where the integer starts.
        offset: usize,
    },
    /// A LEB128 integer too large for 64 bits.
    #[error("LEB128 in {field} at offset {offset} does not fit in 64 bits")]
    Leb128Overflow {
        /// The field being read.
        field: &'static str,
        /// Where the integer starts.
        offset: usize,
    },
    /// A length or count that reaches past the end of its enclosing data.
    #[error("{field} at offset {offset} declares {declared} bytes but only {available} remain")]
    LengthPastEnd {
        /// The field whose length or count was declared.
        field: &'static str,
        /// Where the declared length is.
        offset: usize,
        /// The least number of bytes it needs.
        declared: u64,
        /// The bytes left.
        available: usize,
    },
    /// Bytes after the end of the frame.
    #[error("{count} trailing bytes after the change ends at offset {offset}")]
    TrailingBytes {
        /// Where the change ends.
        offset: usize,
        /// How many bytes follow it.
        count: usize,
    },
    /// An actor index past the end of the change's actor table.
    #[error(
        "actor index {index} at offset {offset} is out of range: the change has {actors} actors"
    )]
    ActorIndexOutOfRange {
        /// Where the index is.
        offset: usize,
        /// The index found.
        index: u64,
        /// The number of actors in the table.
        actors: usize,
    },
    /// An actor id whose length is 0 or over 32.
    #[error("actor id at offset {offset} has length {len}; it must be 1 to 32")]
    BadActorLength {
        /// Where the length byte is.
        offset: usize,
        /// The length found.
        len: u8,
    },
    /// A string that is not UTF-8.
    #[error("{field} at offset {offset} is not valid UTF-8")]
    InvalidUtf8 {
        /// The field.
        field: &'static str,
        /// Where the string's bytes start.
        offset: usize,
    },
    /// A tag byte with no meaning in this version.
    #[error("unknown {field} tag {tag:#04x} at offset {offset}")]
    UnknownTag {
        /// Which kind of tag.
        field: &'static str,
        /// Where it is.
        offset: usize,
        /// The byte found.
        tag: u8,
    },
    /// Reserved bits that are not zero.
    #[error("reserved bits set in {field} byte {byte:#04x} at offset {offset}")]
    ReservedBits {
        /// The field.
        field: &'static str,
        /// Where it is.
        offset: usize,
        /// The byte found.
        byte: u8,
    },
    /// A valid value written in a form the canonical encoding does not use.
    #[error("not canonical at offset {offset}: {reason}")]
    NotCanonical {
        /// Where the offending field is.
        offset: usize,
        /// Which rule of SPEC.md §3.5 it breaks.
        reason: &'static str,
    },
    /// A change that decodes but breaks a validity rule.
    #[error("invalid change at offset {offset}: {source}")]
    Invalid {
        /// Where the offending field or op starts.
        offset: usize,
        /// The rule broken.
        source: InvalidChange,
    },
    /// The input does not start with the snapshot magic number.
    #[error("not a mergedb snapshot: bad magic number {found:02x?} at offset 0")]
    BadSnapshotMagic {
        /// The first bytes of the input.
        found: [u8; 4],
    },
    /// A snapshot section that declares more decompressed bytes than allowed.
    #[error("snapshot {section} section at offset {offset} declares {declared} decompressed bytes; the limit is {limit}")]
    SectionTooLarge {
        /// Which section.
        section: &'static str,
        /// Where its header is.
        offset: usize,
        /// The length declared.
        declared: u64,
        /// The largest length accepted.
        limit: u64,
    },
    /// A snapshot section whose crc32 does not match its bytes.
    #[error("snapshot {section} section: stored crc32 {expected:#010x}, computed {actual:#010x}")]
    SectionChecksum {
        /// Which section.
        section: &'static str,
        /// The CRC stored in the section header.
        expected: u32,
        /// The CRC of the bytes as they are.
        actual: u32,
    },
    /// An Automerge chunk without Automerge's magic number.
    #[error("not an Automerge chunk: bad magic number {found:02x?} at offset {offset}")]
    BadChunkMagic {
        /// The bytes found.
        found: [u8; 4],
        /// Where the chunk starts.
        offset: usize,
    },
    /// An Automerge chunk type this decoder does not know.
    #[error("unknown Automerge chunk type {found} at offset {offset}")]
    UnknownChunkType {
        /// The type byte.
        found: u8,
        /// Where it is.
        offset: usize,
    },
    /// A chunk of another type than the one asked for.
    #[error("an Automerge chunk of type {found} at offset {offset} where a change was expected")]
    WrongChunkType {
        /// The type byte.
        found: u8,
        /// Where it is.
        offset: usize,
    },
    /// An Automerge chunk whose checksum does not match its hash.
    #[error("Automerge chunk at offset {offset}: stored checksum {expected:02x?}, computed {actual:02x?}")]
    ChunkChecksum {
        /// Where the chunk starts.
        offset: usize,
        /// The checksum in the header.
        expected: [u8; 4],
        /// The first bytes of the hash computed.
        actual: [u8; 4],
    },
    /// A compressed chunk that does not inflate, or inflates past the limit.
    #[error("compressed Automerge chunk at offset {offset} does not inflate: {detail}")]
    Inflate {
        /// Where the chunk starts.
        offset: usize,
        /// What went wrong.
        detail: String,
    },
    /// A change whose start_op is 0.
    #[error("start_op at offset {offset} is 0; ops count from 1")]
    ZeroStartOp {
        /// Where it is.
        offset: usize,
    },
    /// Column metadata or data that breaks Automerge's column rules.
    #[error("bad column at offset {offset}: {detail}")]
    BadColumn {
        /// Where the columns (or the bad spec) start.
        offset: usize,
        /// What is wrong.
        detail: String,
    },
    /// A log group entry whose left-out dep cannot be put back.
    #[error("log group entry at offset {offset}: its left-out dep cannot be put back")]
    BadLogGroup {
        /// Where the entry starts in the payload.
        offset: usize,
    },
    /// A document chunk whose rows do not make a valid history.
    #[error("bad document chunk: {detail}")]
    BadDocument {
        /// What is wrong.
        detail: String,
    },
    /// A snapshot's kept-chunks section whose change indices are not
    /// ascending 32-bit numbers.
    #[error("kept chunk at offset {offset}: its change index is not above the one before")]
    BadKeptChunks {
        /// Where the index is.
        offset: usize,
    },
    /// A sync message (or sync state) that breaks the protocol's rules.
    #[error("bad sync message at offset {offset}: {detail}")]
    BadSyncMessage {
        /// Where.
        offset: usize,
        /// What is wrong.
        detail: String,
    },
    /// Something valid in Automerge that mergedb does not model yet.
    #[error("at offset {offset}: {what} is not supported yet")]
    Unsupported {
        /// Where.
        offset: usize,
        /// What.
        what: String,
    },
    /// A snapshot section that zstd cannot decompress to its declared length.
    #[error("snapshot {section} section does not decompress: {detail}")]
    Decompress {
        /// Which section.
        section: &'static str,
        /// What went wrong.
        detail: String,
    },
}

impl DecodeError {
    pub(crate) fn op(offset: usize, index: usize, rule: OpRule) -> Self {
        DecodeError::Invalid {
            offset,
            source: InvalidChange::Op { index, rule },
        }
    }
}

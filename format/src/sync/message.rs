//! Automerge's sync messages, V1 (`0x42`) and V2 (`0x43`), and the
//! persistent part of a sync state (`0x43`, the shared heads), byte for byte
//! as automerge 0.12 reads and writes them (SPEC.md §4B).
//!
//! | Field | Encoding |
//! |---|---|
//! | type | `42` (V1) or `43` (V2) |
//! | heads | uLEB count, 32-byte hashes |
//! | need | uLEB count, 32-byte hashes |
//! | have | uLEB count; each: last sync (count, hashes) and a uLEB-length bloom filter |
//! | changes | uLEB count; each a uLEB length and that many bytes (change chunks, or in V2 one document chunk) |
//! | flags | optional: uLEB length, then bytes; a byte with `80` set carries flag bits in its low 7 |
//! | extension | optional, mergedb's own: uLEB length, `4d 44 42` ("MDB"), then one byte of extension bits |
//!
//! automerge ignores every byte after the flags, so mergedb peers say more
//! there (the extension, SPEC.md §4B) and automerge peers never see it.
//! Whatever else follows the flags is ignored, as automerge ignores it. The
//! changes are kept as the bytes that came, for the engine to verify.

use super::bloom::Bloom;
use crate::reader::{write_uleb, Reader};
use crate::{ChangeHash, DecodeError};

type Result<T> = std::result::Result<T, DecodeError>;

/// A V1 message's type byte.
pub const MESSAGE_V1: u8 = 0x42;
/// A V2 message's type byte.
pub const MESSAGE_V2: u8 = 0x43;
/// An encoded sync state's type byte.
pub const SYNC_STATE: u8 = 0x43;

/// Which message format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// `0x42`: changes are change chunks.
    V1,
    /// `0x43`: changes may be one document chunk.
    V2,
}

/// What a peer has: the heads it last synced at, and a filter of the
/// changes it has since.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Have {
    /// The heads of the last sync.
    pub last_sync: Vec<ChangeHash>,
    /// The changes since.
    pub bloom: Bloom,
}

/// One sync message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The format.
    pub version: Version,
    /// The sender's heads.
    pub heads: Vec<ChangeHash>,
    /// Hashes the sender asks for.
    pub need: Vec<ChangeHash>,
    /// What the sender has.
    pub have: Vec<Have>,
    /// Chunks for the receiver.
    pub changes: Vec<Vec<u8>>,
    /// The flag bits (`SYNC_RESET` 1, `READ_ONLY` 2, `SUPPORTS_SYNC_RESET`
    /// 4), if the flags section was sent: sending it says V2 is understood.
    pub flags: Option<u8>,
    /// mergedb's extension bits (`EXT_ANCESTORS` 1), after the flags; 0 when
    /// absent, as from any automerge peer. Written only with a flags section.
    pub extension: u8,
}

/// The extension's tag: "MDB".
const EXT_TAG: &[u8] = b"MDB";

/// Extension bit: the sender asks for each hash it needs together with every
/// ancestor of it that the sender's heads do not cover (SPEC.md §6A), so that
/// a Bloom filter full of false positives costs one round trip, not one per
/// change withheld.
pub const EXT_ANCESTORS: u8 = 1;

/// The extension bits of what follows the flags: anything that is not a
/// whole extension section is ignored, as automerge ignores it.
fn read_extension(r: &mut Reader<'_>) -> u8 {
    match r.len_prefixed("the extension") {
        Ok(bytes) => match bytes.strip_prefix(EXT_TAG) {
            Some([bits, ..]) => *bits,
            _ => 0,
        },
        Err(_) => 0,
    }
}

fn hashes(r: &mut Reader<'_>, field: &'static str) -> Result<Vec<ChangeHash>> {
    let at = r.offset();
    let n = r.uleb(field)?;
    let n = r.check_fits(n, 32, field, at)?;
    (0..n).map(|_| r.array(field).map(ChangeHash)).collect()
}

fn write_hashes(out: &mut Vec<u8>, hashes: &[ChangeHash]) {
    write_uleb(out, hashes.len() as u64);
    for h in hashes {
        out.extend_from_slice(&h.0);
    }
}

impl Message {
    /// Decodes a message: every count is checked against the input before
    /// anything is allocated for it.
    pub fn decode(input: &[u8]) -> Result<Message> {
        let mut r = Reader::new(input, 0);
        let version = match r.u8("the message type")? {
            MESSAGE_V1 => Version::V1,
            MESSAGE_V2 => Version::V2,
            found => {
                return Err(DecodeError::BadSyncMessage {
                    offset: 0,
                    detail: format!("type byte {found:#04x} is neither 0x42 nor 0x43"),
                })
            }
        };
        let heads = hashes(&mut r, "heads")?;
        let need = hashes(&mut r, "need")?;
        let at = r.offset();
        let n = r.uleb("the have count")?;
        // Each have is at least two bytes: an empty last sync and an empty filter.
        let n = r.check_fits(n, 2, "the haves", at)?;
        let mut have = Vec::with_capacity(n);
        for _ in 0..n {
            let last_sync = hashes(&mut r, "a have's last sync")?;
            let at = r.offset();
            let bytes = r.len_prefixed("a bloom filter")?;
            have.push(Have {
                last_sync,
                bloom: Bloom::decode(bytes, at)?,
            });
        }
        let at = r.offset();
        let n = r.uleb("the change count")?;
        let n = r.check_fits(n, 1, "the changes", at)?;
        let mut changes = Vec::with_capacity(n);
        for _ in 0..n {
            changes.push(r.len_prefixed("a change")?.to_vec());
        }
        let flags = match r.remaining() {
            0 => None,
            _ => {
                let bytes = r.len_prefixed("the flags")?;
                Some(
                    bytes
                        .iter()
                        .filter(|b| *b & 0x80 != 0)
                        .fold(0, |f, b| f | (b & 0x7f)),
                )
            }
        };
        let extension = match (flags, r.remaining()) {
            (Some(_), 1..) => read_extension(&mut r),
            _ => 0,
        };
        Ok(Message {
            version,
            heads,
            need,
            have,
            changes,
            flags,
            extension,
        })
    }

    /// The message's bytes, as automerge writes them.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![match self.version {
            Version::V1 => MESSAGE_V1,
            Version::V2 => MESSAGE_V2,
        }];
        write_hashes(&mut out, &self.heads);
        write_hashes(&mut out, &self.need);
        write_uleb(&mut out, self.have.len() as u64);
        for h in &self.have {
            write_hashes(&mut out, &h.last_sync);
            let mut bloom = Vec::new();
            h.bloom.encode(&mut bloom);
            write_uleb(&mut out, bloom.len() as u64);
            out.extend_from_slice(&bloom);
        }
        write_uleb(&mut out, self.changes.len() as u64);
        for c in &self.changes {
            write_uleb(&mut out, c.len() as u64);
            out.extend_from_slice(c);
        }
        if let Some(flags) = self.flags {
            // The old V2 byte first, for peers that read flags a byte each.
            out.extend_from_slice(&[2, 0x02, 0x80 | (flags & 0x7f)]);
            if self.extension != 0 {
                write_uleb(&mut out, EXT_TAG.len() as u64 + 1);
                out.extend_from_slice(EXT_TAG);
                out.push(self.extension);
            }
        }
        out
    }
}

/// The persistent part of a sync state: the heads both sides had at the
/// last sync, as automerge's `State::encode` writes it.
pub fn encode_sync_state(shared_heads: &[ChangeHash]) -> Vec<u8> {
    let mut out = vec![SYNC_STATE];
    write_hashes(&mut out, shared_heads);
    out
}

/// The shared heads of an encoded sync state.
pub fn decode_sync_state(input: &[u8]) -> Result<Vec<ChangeHash>> {
    let mut r = Reader::new(input, 0);
    match r.u8("the sync state type")? {
        SYNC_STATE => hashes(&mut r, "the shared heads"),
        found => Err(DecodeError::BadSyncMessage {
            offset: 0,
            detail: format!("sync state type byte {found:#04x} is not 0x43"),
        }),
    }
}

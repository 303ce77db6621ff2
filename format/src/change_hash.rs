//! Change hashes (SPEC.md §3.6): the SHA-256 of a change's version byte and
//! body. The magic is a constant and the crc32 a function of the bytes it
//! covers, so leaving both out names the same content, and lets a loader hash
//! a change it rebuilds from a snapshot without computing a crc32 that it
//! would throw away.

use crate::change_layout::{CHANGE_VERSION, CRC_OFFSET, LENGTH_OFFSET, VERSION_OFFSET};
use crate::reader::uleb_array;

use sha2::{Digest, Sha256};
use std::fmt;

/// The SHA-256 of a change's version byte and body (SPEC.md §3.6).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ChangeHash(pub [u8; 32]);

impl ChangeHash {
    /// The hash of an encoded change: its version byte and its body, which
    /// starts after the frame's length field. On bytes that are not a framed
    /// change (never passed here: callers hash what they encoded or decoded)
    /// the result is some hash of them, not an error.
    pub fn of_encoded(bytes: &[u8]) -> Self {
        let version = bytes.get(VERSION_OFFSET..CRC_OFFSET).unwrap_or_default();
        let rest = bytes.get(LENGTH_OFFSET..).unwrap_or_default();
        // The length is a uLEB: its last byte is the first below 0x80.
        let len_bytes = rest.iter().position(|b| b & 0x80 == 0).map_or(0, |i| i + 1);
        let body = rest.get(len_bytes..).unwrap_or_default();
        ChangeHash(sha256([version, body].into_iter()))
    }

    /// The hash of a change from the two parts of its body that
    /// [`encode_view_parts`](crate::encode_view_parts) writes and its deps'
    /// hashes (ascending): the same as encoding it whole and calling
    /// [`ChangeHash::of_encoded`], without building the frame.
    pub fn of_parts(head: &[u8], deps: &[ChangeHash], tail: &[u8]) -> Self {
        // A short message has at most three deps, so their count's uLEB is
        // one byte.
        let total = 1 + head.len() + 1 + 32 * deps.len() + tail.len();
        if total > SHORT {
            return ChangeHash(long_parts(head, deps, tail));
        }
        let mut blocks = [0u8; 128];
        let mut n = 0;
        let mut put = |bytes: &[u8]| {
            if let Some(slot) = blocks.get_mut(n..n + bytes.len()) {
                slot.copy_from_slice(bytes);
            }
            n += bytes.len();
        };
        put(&[CHANGE_VERSION]);
        put(head);
        put(&[deps.len() as u8]);
        deps.iter().for_each(|d| put(&d.0));
        put(tail);
        ChangeHash(short_sha256(&mut blocks, n))
    }

    /// The hash in lower-case hex.
    pub fn to_hex(&self) -> String {
        crate::hex::encode(&self.0)
    }

    /// A hash from 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        crate::hex::decode(text)?.try_into().ok().map(ChangeHash)
    }
}

impl fmt::Debug for ChangeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChangeHash({})", self.to_hex())
    }
}

impl fmt::Display for ChangeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The longest message that fits in two SHA-256 blocks with its padding (a
/// 0x80 byte and the 8-byte bit length).
const SHORT: usize = 128 - 9;

/// `of_parts` for a message longer than [`SHORT`], out of line: a typed
/// character's change is short, and a loader hashes one per change.
#[inline(never)]
fn long_parts(head: &[u8], deps: &[ChangeHash], tail: &[u8]) -> [u8; 32] {
    let (count, len) = uleb_array(deps.len() as u64);
    let mut h = Sha256::new();
    h.update([CHANGE_VERSION]);
    h.update(head);
    h.update(count.get(..len).unwrap_or_default());
    deps.iter().for_each(|d| h.update(d.0));
    h.update(tail);
    h.finalize().into()
}

/// The SHA-256 of a message given in pieces: a message of two blocks or
/// fewer (an Automerge chunk of a typed character is one) goes straight
/// through the compression function.
pub(crate) fn sha256<'p>(pieces: impl Iterator<Item = &'p [u8]> + Clone) -> [u8; 32] {
    let total: usize = pieces.clone().map(<[u8]>::len).sum();
    if total > SHORT {
        let mut h = Sha256::new();
        pieces.for_each(|p| h.update(p));
        return h.finalize().into();
    }
    let mut blocks = [0u8; 128];
    let mut n = 0;
    for p in pieces {
        if let Some(slot) = blocks.get_mut(n..n + p.len()) {
            slot.copy_from_slice(p);
        }
        n += p.len();
    }
    short_sha256(&mut blocks, n)
}

/// The SHA-256 of the first `n` bytes of `blocks` (at most [`SHORT`]; the
/// rest zero), padded in place and put straight through the compression
/// function: the general hasher's buffering costs about a sixth of the time
/// on such short messages. Inlined into its callers, which fill the blocks
/// just above: laid out through a writer struct and a separate compression
/// call, the same hashes took about a third longer here.
#[inline(always)]
fn short_sha256(blocks: &mut [u8; 128], n: usize) -> [u8; 32] {
    use sha2::digest::generic_array::GenericArray;
    const H0: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let n = n.min(SHORT);
    if let Some(b) = blocks.get_mut(n) {
        *b = 0x80;
    }
    let count = if n + 9 <= 64 { 1 } else { 2 };
    let end = 64 * count;
    let bits = (n as u64) * 8;
    if let Some(slot) = blocks.get_mut(end - 8..end) {
        slot.copy_from_slice(&bits.to_be_bytes());
    }
    let (first, second) = blocks.split_at(64);
    let both = [
        *GenericArray::from_slice(first),
        *GenericArray::from_slice(second),
    ];
    let mut state = H0;
    sha2::compress256(&mut state, both.get(..count).unwrap_or_default());
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha256_of_pieces(pieces: &[&[u8]]) -> [u8; 32] {
        sha256(pieces.iter().copied())
    }

    #[test]
    fn both_paths_are_sha256_at_every_length_and_split() {
        let bytes: Vec<u8> = (0..300u32).map(|i| (i * 37 % 251) as u8).collect();
        for len in 0..=bytes.len() {
            let msg = &bytes[..len];
            let want: [u8; 32] = Sha256::digest(msg).into();
            assert_eq!(sha256_of_pieces(&[msg]), want, "length {len}");
            for cut in [0, 1, len / 3, len / 2, len.saturating_sub(1), len] {
                let (a, b) = msg.split_at(cut.min(len));
                let (b, c) = b.split_at(b.len() / 2);
                assert_eq!(sha256_of_pieces(&[a, b, c]), want, "length {len} cut {cut}");
            }
        }
    }

    #[test]
    fn the_parts_hash_as_the_whole_encoding_does() {
        use crate::snapshot::ChangeView;
        use crate::{encode_change, encode_view_parts, ActorId, Change};
        // Dep counts whose uLEB takes one byte and two.
        for n in [0u8, 1, 2, 3, 127, 128, 200] {
            let deps: Vec<ChangeHash> = (0..n).map(|i| ChangeHash([i; 32])).collect();
            let change = Change {
                actor: ActorId::new(&[7; 16]).unwrap(),
                seq: 1,
                start_op: 1,
                time: 1_700_000_000_000,
                message: Some("m".repeat(n as usize)),
                deps,
                ops: Vec::new(),
                extra: Vec::new(),
            };
            let whole = ChangeHash::of_encoded(&encode_change(&change).unwrap());
            let mut actors = Vec::new();
            let view = ChangeView::of_change(&change, &mut actors);
            let mut parts = Vec::new();
            let head = encode_view_parts(&view, &actors, &mut parts);
            let (head, tail) = parts.split_at(head);
            assert_eq!(
                ChangeHash::of_parts(head, &change.deps, tail),
                whole,
                "{n} deps"
            );
        }
    }

    #[test]
    fn an_encoded_change_hashes_its_version_and_body() {
        // magic, version 1, crc, length 130 as a two-byte uLEB, then the body.
        let body: Vec<u8> = (0..130u32).map(|i| i as u8).collect();
        let mut framed = b"MDBC\x01\xAA\xBB\xCC\xDD\x82\x01".to_vec();
        framed.extend_from_slice(&body);
        let mut want = vec![1u8];
        want.extend_from_slice(&body);
        let want: [u8; 32] = Sha256::digest(&want).into();
        assert_eq!(ChangeHash::of_encoded(&framed).0, want);
        // The crc is not hashed: changing it leaves the hash.
        framed[5] ^= 0xFF;
        assert_eq!(ChangeHash::of_encoded(&framed).0, want);
    }
}

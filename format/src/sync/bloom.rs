//! The Bloom filter of Automerge's sync protocol, bit for bit as automerge
//! 0.12 builds and probes it (SPEC.md §4B).
//!
//! | Field | Encoding |
//! |---|---|
//! | entries | uLEB (the whole filter is empty bytes when 0) |
//! | bits per entry | uLEB (automerge writes 10) |
//! | probes | uLEB (automerge writes 7) |
//! | bits | ceil(entries × bits per entry / 8) bytes |
//!
//! A hash's probes: x, y and z are its bytes 0..4, 4..8 and 8..12 as
//! little-endian u32s, each modulo the filter's bit count; the first probe
//! is x, and each next one is x += y, y += z (modulo the bit count).

use crate::reader::{write_uleb, Reader};
use crate::{ChangeHash, DecodeError};

/// Bits per entry that automerge writes.
pub const BITS_PER_ENTRY: u32 = 10;
/// Probes per hash that automerge writes.
pub const PROBES: u32 = 7;
/// The most bits per entry and probes a filter from a peer may ask for:
/// automerge allocates and loops as many as it is told (`PROBES` is 7).
pub const MAX_BITS_PER_ENTRY: u32 = 64;
/// See `MAX_BITS_PER_ENTRY`.
pub const MAX_PROBES: u32 = 64;

/// A Bloom filter of change hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bloom {
    entries: u32,
    bits_per_entry: u32,
    probes: u32,
    bits: Vec<u8>,
}

impl Default for Bloom {
    fn default() -> Self {
        Bloom {
            entries: 0,
            bits_per_entry: BITS_PER_ENTRY,
            probes: PROBES,
            bits: Vec::new(),
        }
    }
}

fn bytes_for(entries: u32, bits_per_entry: u32) -> usize {
    // Exact in u64, as automerge's f64 ceiling is for these sizes.
    (u64::from(entries) * u64::from(bits_per_entry)).div_ceil(8) as usize
}

fn word(hash: &ChangeHash, at: usize) -> u32 {
    let b = hash.0.get(at..at + 4).and_then(|b| b.try_into().ok());
    u32::from_le_bytes(b.unwrap_or([0; 4]))
}

impl Bloom {
    /// A filter of `hashes`, as automerge builds it.
    pub fn from_hashes<'a>(hashes: impl ExactSizeIterator<Item = &'a ChangeHash>) -> Self {
        let entries = u32::try_from(hashes.len()).unwrap_or(u32::MAX);
        let mut bloom = Bloom {
            entries,
            bits_per_entry: BITS_PER_ENTRY,
            probes: PROBES,
            bits: vec![0; bytes_for(entries, BITS_PER_ENTRY)],
        };
        for h in hashes {
            bloom.add(h);
        }
        bloom
    }

    /// How many hashes it was built from.
    pub fn entries(&self) -> u32 {
        self.entries
    }

    fn probes(&self, hash: &ChangeHash) -> impl Iterator<Item = u32> {
        let modulo = (8 * self.bits.len()) as u64;
        let m = |v: u32| {
            if modulo == 0 {
                0
            } else {
                (u64::from(v) % modulo) as u32
            }
        };
        let (mut x, mut y, z) = (m(word(hash, 0)), m(word(hash, 4)), m(word(hash, 8)));
        let step = move |v: u32, d: u32| {
            if modulo == 0 {
                0
            } else {
                ((u64::from(v) + u64::from(d)) % modulo) as u32
            }
        };
        (0..self.probes).map(move |i| {
            if i > 0 {
                x = step(x, y);
                y = step(y, z);
            }
            x
        })
    }

    fn add(&mut self, hash: &ChangeHash) {
        let probes: Vec<u32> = self.probes(hash).collect();
        for p in probes {
            if let Some(byte) = self.bits.get_mut((p >> 3) as usize) {
                *byte |= 1 << (p & 7);
            }
        }
    }

    /// Whether `hash` may be in the filter (false positives about 1% at 10
    /// bits and 7 probes; never a false negative). An empty filter holds
    /// nothing.
    pub fn contains(&self, hash: &ChangeHash) -> bool {
        if self.entries == 0 || self.bits.is_empty() {
            return false;
        }
        self.probes(hash).all(|p| {
            self.bits
                .get((p >> 3) as usize)
                .is_some_and(|b| b & (1 << (p & 7)) != 0)
        })
    }

    /// The filter's bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        if self.entries != 0 {
            write_uleb(out, u64::from(self.entries));
            write_uleb(out, u64::from(self.bits_per_entry));
            write_uleb(out, u64::from(self.probes));
            out.extend_from_slice(&self.bits);
        }
    }

    /// A filter from its bytes, which start at `offset` of the message. Bits
    /// per entry and probes above their caps are refused, as is a filter with
    /// entries but no bits (automerge divides by zero on it).
    pub fn decode(bytes: &[u8], offset: usize) -> Result<Self, DecodeError> {
        if bytes.is_empty() {
            return Ok(Bloom::default());
        }
        let mut r = Reader::new(bytes, 0);
        let field =
            |r: &mut Reader<'_>, name: &'static str, max: u32| -> Result<u32, DecodeError> {
                let at = r.offset();
                let v = r.uleb(name)?;
                u32::try_from(v)
                    .ok()
                    .filter(|v| *v <= max)
                    .ok_or(DecodeError::BadSyncMessage {
                        offset: offset + at,
                        detail: format!("bloom filter {name} {v} is more than {max}"),
                    })
            };
        let entries = field(&mut r, "entries", u32::MAX)?;
        let bits_per_entry = field(&mut r, "bits per entry", MAX_BITS_PER_ENTRY)?;
        let probes = field(&mut r, "probes", MAX_PROBES)?;
        if entries == 0 {
            // Whatever its other fields say, a filter of nothing is the
            // empty filter, and is written as no bytes.
            return Ok(Bloom::default());
        }
        let n = bytes_for(entries, bits_per_entry);
        let at = r.offset();
        let n = r.check_fits(n as u64, 1, "the bloom filter's bits", at)?;
        if n == 0 && entries > 0 {
            return Err(DecodeError::BadSyncMessage {
                offset: offset + at,
                detail: format!("a bloom filter of {entries} entries with no bits"),
            });
        }
        // Bytes after the bits are ignored, as automerge ignores them.
        let bits = r.fixed(n, "the bloom filter's bits")?.to_vec();
        Ok(Bloom {
            entries,
            bits_per_entry,
            probes,
            bits,
        })
    }
}

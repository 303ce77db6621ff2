//! Two alternating copies of redb's file header, so that a write torn or
//! zero-filled by a power failure can never make the store unopenable.
//!
//! redb rewrites its 320-byte header at offset 0 in place on every durable
//! commit. Its two commit slots guard against a commit that did not finish,
//! but not against the disk losing the header write itself: a zero-filled
//! sector there erases the magic number and both slots at once. The shield is
//! a `redb::StorageBackend` between redb and the file. It keeps the first
//! [`SHIELD_LEN`] bytes of redb's file (the "virtual header") in memory, and on
//! every `sync_data` writes them to the older of two slots at the front of the
//! physical file, with a generation and a crc32, before the one fsync. At open
//! it takes the valid slot with the highest generation. A slot write that the
//! power failure tore or zeroed fails its crc, and the other slot still holds
//! the header as of the previous sync, whose pages redb's copy-on-write has
//! left untouched. SPEC.md §5.6 gives the layout and the crash cases.

use redb::StorageBackend;
use std::io::{Error, ErrorKind};
use std::ops::Bound;

/// How many bytes at the start of redb's file the slots hold: one 4 KiB page,
/// which covers redb's header (320 bytes in redb 4) with room to spare.
pub const SHIELD_LEN: usize = 4096;
/// The physical size of one slot.
const SLOT_SIZE: u64 = 8192;
/// Where redb's byte `v` lives in the physical file, for `v >= SHIELD_LEN`.
pub const DATA_OFFSET: u64 = 2 * SLOT_SIZE;
const MAGIC: &[u8; 4] = b"MDBH";
const VERSION: u32 = 1;
/// magic 4, version 4, generation 8, header length 4, reserved 4.
const META_LEN: usize = 24;
const SLOT_LEN: usize = META_LEN + SHIELD_LEN + 4;

fn corrupt(msg: String) -> Error {
    Error::new(ErrorKind::InvalidData, msg)
}

/// Encodes one slot: the layout is SPEC.md §5.6.
fn encode_slot(generation: u64, header: &[u8; SHIELD_LEN]) -> Vec<u8> {
    let mut out = Vec::with_capacity(SLOT_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&generation.to_le_bytes());
    out.extend_from_slice(&(SHIELD_LEN as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(header);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Decodes one slot; `None` when it is torn, zeroed or otherwise invalid.
fn decode_slot(bytes: &[u8]) -> Option<(u64, Box<[u8; SHIELD_LEN]>)> {
    let body = bytes.get(..SLOT_LEN - 4)?;
    let crc = u32::from_le_bytes(bytes.get(SLOT_LEN - 4..SLOT_LEN)?.try_into().ok()?);
    let word = |at: usize| -> Option<[u8; 4]> { body.get(at..at + 4)?.try_into().ok() };
    let valid = crc32fast::hash(body) == crc
        && body.get(..4)? == MAGIC
        && u32::from_le_bytes(word(4)?) == VERSION
        && u32::from_le_bytes(word(16)?) == SHIELD_LEN as u32
        && word(20)? == [0; 4];
    if !valid {
        return None;
    }
    let generation = u64::from_le_bytes(body.get(8..16)?.try_into().ok()?);
    let header: [u8; SHIELD_LEN] = body.get(META_LEN..)?.try_into().ok()?;
    Some((generation, Box::new(header)))
}

#[derive(Debug)]
struct Header {
    bytes: Box<[u8; SHIELD_LEN]>,
    /// The generation of the newest slot on disk.
    generation: u64,
    /// Whether `bytes` changed since that slot was written.
    dirty: bool,
}

/// A `redb::StorageBackend` that shields redb's header; see the module docs.
#[derive(Debug)]
pub struct HeaderShield<B: StorageBackend> {
    inner: B,
    header: parking_lot::Mutex<Header>,
}

impl<B: StorageBackend> HeaderShield<B> {
    /// Wraps `inner`. An empty `inner` becomes a new shielded file; anything
    /// else must hold at least one valid slot.
    pub fn open(inner: B) -> Result<Self, Error> {
        let len = inner.len()?;
        let header = if len == 0 {
            inner.set_len(DATA_OFFSET)?;
            Header {
                bytes: Box::new([0; SHIELD_LEN]),
                generation: 0,
                dirty: true,
            }
        } else {
            Self::load(&inner, len)?
        };
        Ok(HeaderShield {
            inner,
            header: parking_lot::Mutex::new(header),
        })
    }

    fn load(inner: &B, len: u64) -> Result<Header, Error> {
        if len < DATA_OFFSET {
            return Err(corrupt(format!(
                "not a mergedb redb file: {len} bytes, shorter than its two header slots"
            )));
        }
        let mut best: Option<(u64, Box<[u8; SHIELD_LEN]>)> = None;
        for slot in 0..2 {
            let mut buf = vec![0; SLOT_LEN];
            inner.read(slot * SLOT_SIZE, &mut buf)?;
            if let Some((generation, bytes)) = decode_slot(&buf) {
                if best.as_ref().is_none_or(|(g, _)| generation > *g) {
                    best = Some((generation, bytes));
                }
            }
        }
        let (generation, bytes) = best.ok_or_else(|| {
            corrupt(
                "neither header slot is valid: not a mergedb redb file, or both copies are corrupt"
                    .into(),
            )
        })?;
        Ok(Header {
            bytes,
            generation,
            dirty: false,
        })
    }

    fn virtual_len(&self) -> Result<u64, Error> {
        Ok(self.inner.len()?.saturating_sub(DATA_OFFSET))
    }
}

/// Splits `[offset, offset + len)` at `SHIELD_LEN`: the part in the header
/// (as a range of it) and how many bytes at the start belong to it.
fn header_part(offset: u64, len: usize) -> Option<(usize, usize)> {
    let start = usize::try_from(offset).ok().filter(|&s| s < SHIELD_LEN)?;
    Some((start, len.min(SHIELD_LEN - start)))
}

impl<B: StorageBackend> StorageBackend for HeaderShield<B> {
    fn len(&self) -> Result<u64, Error> {
        self.virtual_len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), Error> {
        let end = offset.saturating_add(out.len() as u64);
        if end > self.virtual_len()? {
            return Err(Error::new(ErrorKind::UnexpectedEof, "read past the end"));
        }
        let mut done = 0;
        if let Some((start, n)) = header_part(offset, out.len()) {
            let header = self.header.lock();
            out[..n].copy_from_slice(&header.bytes[start..start + n]);
            done = n;
        }
        if done < out.len() {
            let at = DATA_OFFSET + offset + done as u64;
            self.inner.read(at, &mut out[done..])?;
        }
        Ok(())
    }

    fn set_len(&self, len: u64) -> Result<(), Error> {
        if let Ok(keep) = usize::try_from(len) {
            // New positions must read as zero if the file grows again.
            let mut header = self.header.lock();
            if keep < SHIELD_LEN && header.bytes[keep..].iter().any(|&b| b != 0) {
                header.bytes[keep..].fill(0);
                header.dirty = true;
            }
        }
        self.inner.set_len(DATA_OFFSET.saturating_add(len))
    }

    fn sync_data(&self) -> Result<(), Error> {
        let mut header = self.header.lock();
        if header.dirty {
            // The older slot: the newer one holds the last synced header.
            let generation = header.generation + 1;
            let slot = generation % 2;
            let bytes = encode_slot(generation, &header.bytes);
            self.inner.write(slot * SLOT_SIZE, &bytes)?;
            header.generation = generation;
            header.dirty = false;
        }
        // One fsync makes redb's pages and the new slot durable together; a
        // failure before it completes leaves the previous slot intact.
        self.inner.sync_data()
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), Error> {
        let mut done = 0;
        if let Some((start, n)) = header_part(offset, data.len()) {
            let mut header = self.header.lock();
            header.bytes[start..start + n].copy_from_slice(&data[..n]);
            header.dirty = true;
            done = n;
        }
        if done < data.len() {
            let at = DATA_OFFSET + offset + done as u64;
            self.inner.write(at, &data[done..])?;
        }
        Ok(())
    }

    fn close(&self) -> Result<(), Error> {
        self.inner.close()
    }

    fn try_lock_range(&self, s: Bound<u64>, e: Bound<u64>) -> Result<bool, redb::BackendError> {
        self.inner.try_lock_range(s, e)
    }

    fn try_lock_shared_range(
        &self,
        s: Bound<u64>,
        e: Bound<u64>,
    ) -> Result<bool, redb::BackendError> {
        self.inner.try_lock_shared_range(s, e)
    }

    fn lock_range(&self, s: Bound<u64>, e: Bound<u64>) -> Result<(), redb::BackendError> {
        self.inner.lock_range(s, e)
    }

    fn lock_shared_range(&self, s: Bound<u64>, e: Bound<u64>) -> Result<(), redb::BackendError> {
        self.inner.lock_shared_range(s, e)
    }

    fn unlock_range(&self, s: Bound<u64>, e: Bound<u64>) -> Result<(), redb::BackendError> {
        self.inner.unlock_range(s, e)
    }

    fn query_lock_range(&self, s: Bound<u64>, e: Bound<u64>) -> Result<bool, redb::BackendError> {
        self.inner.query_lock_range(s, e)
    }
}

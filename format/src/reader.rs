//! A bounds-checked cursor over input bytes: every read either succeeds or
//! returns a `DecodeError` that names the field and its offset.

use crate::DecodeError;

/// A cursor over `buf[..end]`. `pos` is an offset into the whole input, so
/// errors point at the byte a user would find with a hex dump.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

type Result<T> = std::result::Result<T, DecodeError>;

impl<'a> Reader<'a> {
    /// A reader over `buf`, which starts at offset `base` of the input.
    pub(crate) fn new(buf: &'a [u8], pos: usize) -> Self {
        Reader { buf, pos }
    }

    /// The offset of the next byte.
    pub(crate) fn offset(&self) -> usize {
        self.pos
    }

    /// How many bytes are left.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// The bytes not yet read.
    /// All of the buffer, whatever has been read.
    pub(crate) fn whole(&self) -> &'a [u8] {
        self.buf
    }

    /// Moves to `pos`, which a reader over `whole()` has reached.
    pub(crate) fn seek(&mut self, pos: usize) {
        self.pos = pos;
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let rest = self.buf.get(self.pos..).unwrap_or(&[]);
        self.pos = self.buf.len();
        rest
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8> {
        let byte = self
            .buf
            .get(self.pos)
            .copied()
            .ok_or(DecodeError::Truncated {
                field,
                offset: self.pos,
            })?;
        self.pos += 1;
        Ok(byte)
    }

    /// `n` bytes of a fixed-size field.
    pub(crate) fn fixed(&mut self, n: usize, field: &'static str) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n);
        let bytes = end.and_then(|end| self.buf.get(self.pos..end));
        let bytes = bytes.ok_or(DecodeError::Truncated {
            field,
            offset: self.pos,
        })?;
        self.pos += n;
        Ok(bytes)
    }

    /// A fixed-size field of `N` bytes.
    pub(crate) fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N]> {
        let offset = self.pos;
        let bytes = self.fixed(N, field)?;
        bytes
            .try_into()
            .map_err(|_| DecodeError::Truncated { field, offset })
    }

    /// Checks that `count` items of at least `min_size` bytes each can fit in
    /// what is left, before anything is allocated for them. `at` is where the
    /// count was read.
    pub(crate) fn check_fits(
        &self,
        count: u64,
        min_size: u64,
        field: &'static str,
        at: usize,
    ) -> Result<usize> {
        let declared = count.saturating_mul(min_size);
        if declared > self.remaining() as u64 {
            return Err(DecodeError::LengthPastEnd {
                field,
                offset: at,
                declared,
                available: self.remaining(),
            });
        }
        // It fits in the input, so it fits in usize.
        Ok(count as usize)
    }

    /// A uLEB128 length, then that many bytes.
    pub(crate) fn len_prefixed(&mut self, field: &'static str) -> Result<&'a [u8]> {
        let at = self.pos;
        let len = self.uleb(field)?;
        let len = self.check_fits(len, 1, field, at)?;
        self.fixed(len, field)
    }

    /// Bytes that must be UTF-8.
    pub(crate) fn utf8(bytes: &[u8], field: &'static str, offset: usize) -> Result<String> {
        Self::str(bytes, field, offset).map(str::to_owned)
    }

    /// Bytes that must be UTF-8, borrowed.
    pub(crate) fn str<'b>(bytes: &'b [u8], field: &'static str, offset: usize) -> Result<&'b str> {
        std::str::from_utf8(bytes).map_err(|_| DecodeError::InvalidUtf8 { field, offset })
    }

    /// An unsigned LEB128 integer of at most 64 bits, in its shortest form.
    #[inline]
    pub(crate) fn uleb(&mut self, field: &'static str) -> Result<u64> {
        // Most values in a column are one byte.
        if let Some(byte) = self.buf.get(self.pos).copied().filter(|b| b & 0x80 == 0) {
            self.pos += 1;
            return Ok(u64::from(byte));
        }
        self.uleb_long(field)
    }

    #[inline(never)]
    fn uleb_long(&mut self, field: &'static str) -> Result<u64> {
        let start = self.pos;
        let mut value = 0u64;
        for i in 0..10u32 {
            let byte = self.u8(field).map_err(|_| DecodeError::Truncated {
                field,
                offset: start,
            })?;
            let bits = u64::from(byte & 0x7f);
            // The tenth byte holds only bit 63.
            if i == 9 && byte > 1 {
                return Err(DecodeError::Leb128Overflow {
                    field,
                    offset: start,
                });
            }
            value |= bits << (7 * i);
            if byte & 0x80 == 0 {
                if byte == 0 && i > 0 {
                    return Err(DecodeError::OverlongLeb128 {
                        field,
                        offset: start,
                    });
                }
                return Ok(value);
            }
        }
        Err(DecodeError::Leb128Overflow {
            field,
            offset: start,
        })
    }

    /// A signed LEB128 integer of at most 64 bits, in its shortest form.
    pub(crate) fn sleb(&mut self, field: &'static str) -> Result<i64> {
        // Most deltas in a column are one byte: bit 6 is the sign.
        if let Some(byte) = self.buf.get(self.pos).copied().filter(|b| b & 0x80 == 0) {
            self.pos += 1;
            return Ok(i64::from(((byte << 1) as i8) >> 1));
        }
        self.sleb_long(field)
    }

    #[inline(never)]
    fn sleb_long(&mut self, field: &'static str) -> Result<i64> {
        let start = self.pos;
        let mut value = 0i64;
        let mut prev = 0u8;
        for i in 0..10u32 {
            let byte = self.u8(field).map_err(|_| DecodeError::Truncated {
                field,
                offset: start,
            })?;
            // The tenth byte holds bit 63 and its sign extension: all 0 or all 1.
            if i == 9 && byte != 0x00 && byte != 0x7f {
                return Err(DecodeError::Leb128Overflow {
                    field,
                    offset: start,
                });
            }
            value |= i64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                // A last byte that only repeats the sign of the byte before it is redundant.
                let redundant =
                    (byte == 0x00 && prev & 0x40 == 0) || (byte == 0x7f && prev & 0x40 != 0);
                if i > 0 && redundant {
                    return Err(DecodeError::OverlongLeb128 {
                        field,
                        offset: start,
                    });
                }
                let shift = 7 * (i + 1);
                if shift < 64 && byte & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Ok(value);
            }
            prev = byte;
        }
        Err(DecodeError::Leb128Overflow {
            field,
            offset: start,
        })
    }
}

/// Appends `value` as unsigned LEB128.
pub(crate) fn write_uleb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// `value` as unsigned LEB128 on the stack, and its length: for a hot path
/// that has no `Vec` to write into (hashing a change's dep count).
pub(crate) fn uleb_array(mut value: u64) -> ([u8; 10], usize) {
    let mut out = [0u8; 10];
    for (len, slot) in out.iter_mut().enumerate() {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            *slot = byte;
            return (out, len + 1);
        }
        *slot = byte | 0x80;
    }
    // Ten 7-bit groups hold any u64, so the loop has returned.
    (out, 10)
}

/// Appends `value` as signed LEB128.
pub(crate) fn write_sleb(out: &mut Vec<u8>, mut value: i64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        let done = (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0);
        if done {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn uleb_on_the_stack_is_uleb() {
        let edges = [
            0,
            1,
            127,
            128,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ];
        let values = edges.into_iter().chain((0..64).map(|s| 1u64 << s));
        for v in values {
            let mut want = Vec::new();
            write_uleb(&mut want, v);
            let (bytes, len) = uleb_array(v);
            assert_eq!(&bytes[..len], want.as_slice(), "{v}");
        }
    }

    fn read_u(bytes: &[u8]) -> Result<u64> {
        let mut r = Reader::new(bytes, 0);
        let v = r.uleb("x")?;
        assert_eq!(r.remaining(), 0);
        Ok(v)
    }

    fn read_s(bytes: &[u8]) -> Result<i64> {
        let mut r = Reader::new(bytes, 0);
        let v = r.sleb("x")?;
        assert_eq!(r.remaining(), 0);
        Ok(v)
    }

    #[test]
    fn unsigned_edges() {
        assert_eq!(read_u(&[0]), Ok(0));
        assert_eq!(read_u(&[0x7f]), Ok(127));
        assert_eq!(read_u(&[0x80, 0x01]), Ok(128));
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(read_u(&max), Ok(u64::MAX));
        let overflow = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert!(matches!(
            read_u(&overflow),
            Err(DecodeError::Leb128Overflow { .. })
        ));
        assert!(matches!(
            read_u(&[0x80, 0x00]),
            Err(DecodeError::OverlongLeb128 { .. })
        ));
        assert!(matches!(
            read_u(&[0x81, 0x80, 0x00]),
            Err(DecodeError::OverlongLeb128 { .. })
        ));
        assert!(matches!(
            read_u(&[0x80]),
            Err(DecodeError::Truncated { .. })
        ));
        assert!(matches!(
            read_u(&[0x80; 11]),
            Err(DecodeError::Leb128Overflow { .. })
        ));
    }

    #[test]
    fn signed_edges() {
        assert_eq!(read_s(&[0x00]), Ok(0));
        assert_eq!(read_s(&[0x7f]), Ok(-1));
        assert_eq!(read_s(&[0x3f]), Ok(63));
        assert_eq!(read_s(&[0xc0, 0x00]), Ok(64));
        assert_eq!(read_s(&[0x40]), Ok(-64));
        assert_eq!(read_s(&[0xbf, 0x7f]), Ok(-65));
        let min = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f];
        assert_eq!(read_s(&min), Ok(i64::MIN));
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00];
        assert_eq!(read_s(&max), Ok(i64::MAX));
        assert!(matches!(
            read_s(&[0x80, 0x00]),
            Err(DecodeError::OverlongLeb128 { .. })
        ));
        assert!(matches!(
            read_s(&[0xff, 0x7f]),
            Err(DecodeError::OverlongLeb128 { .. })
        ));
        let overflow = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01];
        assert!(matches!(
            read_s(&overflow),
            Err(DecodeError::Leb128Overflow { .. })
        ));
    }

    proptest! {
        #[test]
        fn unsigned_round_trips(v: u64) {
            let mut out = Vec::new();
            write_uleb(&mut out, v);
            prop_assert_eq!(read_u(&out), Ok(v));
        }

        #[test]
        fn signed_round_trips(v: i64) {
            let mut out = Vec::new();
            write_sleb(&mut out, v);
            prop_assert_eq!(read_s(&out), Ok(v));
        }

        /// Whatever the bytes, a LEB128 that decodes re-encodes to the same bytes:
        /// the only accepted form is the shortest.
        #[test]
        fn decoded_lebs_are_canonical(bytes in proptest::collection::vec(any::<u8>(), 1..12)) {
            let mut r = Reader::new(&bytes, 0);
            if let Ok(v) = r.uleb("x") {
                let mut out = Vec::new();
                write_uleb(&mut out, v);
                prop_assert_eq!(&out[..], &bytes[..r.offset()]);
            }
            let mut r = Reader::new(&bytes, 0);
            if let Ok(v) = r.sleb("x") {
                let mut out = Vec::new();
                write_sleb(&mut out, v);
                prop_assert_eq!(&out[..], &bytes[..r.offset()]);
            }
        }
    }
}

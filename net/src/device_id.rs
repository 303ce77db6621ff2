//! Device ids (SPEC.md §6B.6): as in Syncthing, a device is named by the
//! SHA-256 of its certificate, so whoever holds the key behind a paired
//! certificate is that device and nobody else can be. The text form is the
//! 32 bytes in RFC 4648 base32 with 4 check characters, in 8 groups of 7,
//! so that an id read aloud or typed with a slip is refused, not taken
//! for another device.

use crate::NetError;
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// 256 bits are 52 base32 characters (the last one carries 1 bit).
const ID_CHARS: usize = 52;
const CHECK_CHARS: usize = 4;

/// A device's id: the SHA-256 of its certificate's DER bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceId(pub [u8; 32]);

impl DeviceId {
    /// The id of the device whose certificate is `cert_der`.
    pub fn of_certificate(cert_der: &[u8]) -> DeviceId {
        DeviceId(Sha256::digest(cert_der).into())
    }
}

/// The bytes as base32 characters, 5 bits each, the last one zero-padded.
fn base32(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in bytes {
        acc = (acc << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize]);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (5 - bits)) & 31) as usize]);
    }
    out
}

/// The check characters of the 52 that name the id: the first 20 bits of
/// their SHA-256.
fn check(chars: &[u8]) -> Vec<u8> {
    let digest = Sha256::digest(chars);
    base32(&digest[..3]).into_iter().take(CHECK_CHARS).collect()
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut chars = base32(&self.0);
        chars.extend(check(&chars));
        for (i, group) in chars.chunks(7).enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            // Every byte is from ALPHABET, so this is ASCII.
            f.write_str(&String::from_utf8_lossy(group))?;
        }
        Ok(())
    }
}

impl fmt::Debug for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceId({self})")
    }
}

impl FromStr for DeviceId {
    type Err = NetError;

    /// Takes the id as `Display` writes it, in either case, with or
    /// without the dashes.
    fn from_str(text: &str) -> Result<DeviceId, NetError> {
        let bad = |what| NetError::BadDeviceId {
            text: text.chars().take(120).collect(),
            what,
        };
        let chars: Vec<u8> = text
            .bytes()
            .filter(|b| *b != b'-')
            .map(|b| b.to_ascii_uppercase())
            .collect();
        if chars.len() != ID_CHARS + CHECK_CHARS {
            return Err(bad("not 56 base32 characters"));
        }
        let (id_chars, check_chars) = chars.split_at(ID_CHARS);
        let mut bytes = Vec::with_capacity(33);
        let (mut acc, mut bits) = (0u32, 0u32);
        for c in id_chars {
            let v = ALPHABET
                .iter()
                .position(|a| a == c)
                .ok_or(bad("a character outside A-Z and 2-7"))?;
            acc = (acc << 5) | v as u32;
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                bytes.push((acc >> bits) as u8);
            }
        }
        if acc & ((1 << bits) - 1) != 0 {
            return Err(bad("bits set past the 256 of the id"));
        }
        if check(id_chars) != check_chars {
            return Err(bad("its check characters do not match: a typo?"));
        }
        let id: [u8; 32] = bytes.try_into().map_err(|_| bad("not 32 bytes"))?;
        Ok(DeviceId(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_a_slip_is_refused() {
        for seed in 0u8..=255 {
            let id = DeviceId::of_certificate(&[seed; 7]);
            let text = id.to_string();
            assert_eq!(text.len(), 56 + 7);
            assert_eq!(text.parse::<DeviceId>(), Ok(id));
            assert_eq!(
                text.to_lowercase().replace('-', "").parse::<DeviceId>(),
                Ok(id)
            );
            // One character changed anywhere is caught, by the check
            // characters or by the padding bits.
            let mut chars: Vec<char> = text.chars().collect();
            let at = usize::from(seed) % chars.len();
            if chars[at] != '-' {
                chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
                let slipped: String = chars.into_iter().collect();
                assert!(slipped.parse::<DeviceId>().is_err(), "{slipped}");
            }
        }
        for bad in [
            "",
            "ABC",
            "1111111-1111111-1111111-1111111-1111111-1111111-1111111-1111111",
        ] {
            assert!(matches!(
                bad.parse::<DeviceId>(),
                Err(NetError::BadDeviceId { .. })
            ));
        }
    }
}

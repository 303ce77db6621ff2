//! Actor ids: the name of one replica's stream of changes.

use std::fmt;

/// An actor id: 1 to 32 opaque bytes, unique per replica session.
///
/// Stored inline so that `OpId` is `Copy` and comparing or hashing one never
/// touches the heap. Invariant: bytes past `len` are zero, which makes the
/// derived `Eq` and `Hash` agree with comparing `as_bytes()`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActorId {
    len: u8,
    bytes: [u8; ActorId::MAX_LEN],
}

/// An actor id of a length outside 1..=32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an actor id must be 1 to 32 bytes long, not {len}")]
pub struct InvalidActorId {
    /// The length that was given.
    pub len: usize,
}

impl ActorId {
    /// The longest actor id, in bytes.
    pub const MAX_LEN: usize = 32;
    /// The length of a random actor id, in bytes.
    pub const RANDOM_LEN: usize = 16;
    /// The one-byte id 0: a stand-in where an index that has been checked
    /// against a table must still yield something.
    pub(crate) const PLACEHOLDER: ActorId = ActorId {
        len: 1,
        bytes: [0; ActorId::MAX_LEN],
    };

    /// An actor id with these bytes.
    pub fn new(bytes: &[u8]) -> Result<Self, InvalidActorId> {
        let len = bytes.len();
        if !(1..=Self::MAX_LEN).contains(&len) {
            return Err(InvalidActorId { len });
        }
        let mut out = [0u8; Self::MAX_LEN];
        out.iter_mut().zip(bytes).for_each(|(o, b)| *o = *b);
        Ok(ActorId {
            len: len as u8,
            bytes: out,
        })
    }

    /// A fresh actor id of 16 bytes from the operating system's random source.
    pub fn try_random() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; Self::MAX_LEN];
        getrandom::fill(&mut bytes[..Self::RANDOM_LEN])?;
        Ok(ActorId {
            len: Self::RANDOM_LEN as u8,
            bytes,
        })
    }

    /// A fresh actor id of 16 random bytes.
    ///
    /// # Panics
    /// If the operating system has no random source, which `try_random` reports as an error.
    pub fn random() -> Self {
        match Self::try_random() {
            Ok(actor) => actor,
            #[allow(clippy::panic)] // Documented above; only a broken OS gets here.
            Err(e) => panic!("no random source for a new actor id: {e}"),
        }
    }

    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len as usize).unwrap_or(&[])
    }

    /// The id in lower-case hex.
    pub fn to_hex(&self) -> String {
        crate::hex::encode(self.as_bytes())
    }

    /// An id from hex digits (1 to 32 bytes' worth); `None` if they are not.
    pub fn from_hex(text: &str) -> Option<Self> {
        ActorId::new(&crate::hex::decode(text)?).ok()
    }
}

/// Actor ids order by their bytes, lexicographically, as in Automerge.
impl Ord for ActorId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl PartialOrd for ActorId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ActorId({})", self.to_hex())
    }
}

impl TryFrom<&[u8]> for ActorId {
    type Error = InvalidActorId;
    fn try_from(bytes: &[u8]) -> Result<Self, Self::Error> {
        ActorId::new(bytes)
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for ActorId {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        // A small alphabet of lengths and first bytes makes shared actors, and so
        // non-trivial actor tables, likely.
        let len = u.int_in_range(1..=Self::MAX_LEN)?;
        let mut bytes = [0u8; Self::MAX_LEN];
        for b in bytes.iter_mut().take(len) {
            *b = u.int_in_range(0..=3)?;
        }
        Ok(ActorId {
            len: len as u8,
            bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_checked() {
        assert_eq!(ActorId::new(&[]), Err(InvalidActorId { len: 0 }));
        assert_eq!(ActorId::new(&[0; 33]), Err(InvalidActorId { len: 33 }));
        assert!(ActorId::new(&[7; 32]).is_ok());
    }

    #[test]
    fn order_is_lexicographic_on_bytes() {
        let a = |b: &[u8]| ActorId::new(b).unwrap();
        assert!(a(&[1]) < a(&[1, 0]));
        assert!(a(&[0, 5]) < a(&[1]));
        assert!(a(&[2]) > a(&[1, 255, 255]));
        assert_eq!(a(&[1, 2]), a(&[1, 2]));
    }

    #[test]
    fn random_ids_are_16_bytes_and_differ() {
        let (x, y) = (ActorId::random(), ActorId::random());
        assert_eq!(x.as_bytes().len(), 16);
        assert_ne!(x, y);
    }
}

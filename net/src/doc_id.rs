//! automerge-repo's document ids (SPEC.md §6B.1): 16 bytes, written as
//! bs58check (base58 of the bytes and the first 4 bytes of their double
//! SHA-256), and the `automerge:` URLs around them. The 16 bytes are the
//! store's `DocId`, so an id means the same document on every peer.

use crate::NetError;
use std::fmt;
use std::str::FromStr;

/// The longest text taken as an id or URL. A 16-byte id is 26 to 28
/// characters; a URL with heads grows by about 45 per head.
pub const MAX_URL_LEN: usize = 64 * 1024;

/// The most heads a URL may name.
pub const MAX_URL_HEADS: usize = 1024;

/// A document's id: 16 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentId(pub [u8; 16]);

impl DocumentId {
    /// The id of its 16 bytes, as automerge-repo may send it in `documentId`.
    pub fn from_bytes(bytes: &[u8]) -> Option<DocumentId> {
        bytes.try_into().ok().map(DocumentId)
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).with_check().into_string())
    }
}

impl fmt::Debug for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocumentId({self})")
    }
}

impl FromStr for DocumentId {
    type Err = NetError;

    fn from_str(text: &str) -> Result<DocumentId, NetError> {
        let bad = |what| NetError::BadDocumentId {
            text: text.chars().take(80).collect(),
            what,
        };
        // 16 bytes and a 4-byte check are at most 28 base58 digits; the
        // bound keeps the decoder's work small on hostile text.
        if text.len() > 32 {
            return Err(bad("longer than any 16-byte id"));
        }
        let bytes = bs58::decode(text)
            .with_check(None)
            .into_vec()
            .map_err(|e| match e {
                bs58::decode::Error::InvalidChecksum { .. } => bad("its check digits are wrong"),
                bs58::decode::Error::InvalidCharacter { .. } => bad("a character outside base58"),
                _ => bad("not bs58check"),
            })?;
        DocumentId::from_bytes(&bytes).ok_or_else(|| bad("its bytes are not 16"))
    }
}

/// `automerge:<id>`, optionally with heads: `automerge:<id>#<h1>|<h2>`, each
/// head the base58 of a 32-byte change hash, as automerge-repo 2 writes it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AutomergeUrl {
    pub id: DocumentId,
    pub heads: Option<Vec<[u8; 32]>>,
}

impl AutomergeUrl {
    /// The URL of a document, without heads.
    pub fn new(id: DocumentId) -> AutomergeUrl {
        AutomergeUrl { id, heads: None }
    }
}

impl fmt::Display for AutomergeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "automerge:{}", self.id)?;
        if let Some(heads) = &self.heads {
            let heads: Vec<String> = heads
                .iter()
                .map(|h| bs58::encode(h).into_string())
                .collect();
            write!(f, "#{}", heads.join("|"))?;
        }
        Ok(())
    }
}

impl FromStr for AutomergeUrl {
    type Err = NetError;

    fn from_str(text: &str) -> Result<AutomergeUrl, NetError> {
        let bad = |what| NetError::BadUrl {
            text: text.chars().take(80).collect(),
            what,
        };
        if text.len() > MAX_URL_LEN {
            return Err(bad("too long"));
        }
        let rest = text
            .strip_prefix("automerge:")
            .ok_or_else(|| bad("it does not start with \"automerge:\""))?;
        let (id, heads) = match rest.split_once('#') {
            Some((id, heads)) => (id, Some(heads)),
            None => (rest, None),
        };
        let id = id.parse::<DocumentId>()?;
        let heads = heads
            .map(|h| parse_heads(h).ok_or_else(|| bad("a head is not base58 of 32 bytes")))
            .transpose()?;
        if heads.as_ref().is_some_and(|h| h.len() > MAX_URL_HEADS) {
            return Err(bad("too many heads"));
        }
        Ok(AutomergeUrl { id, heads })
    }
}

fn parse_heads(text: &str) -> Option<Vec<[u8; 32]>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split('|')
        .map(|h| {
            // 32 bytes are at most 44 base58 digits.
            if h.len() > 44 {
                return None;
            }
            bs58::decode(h).into_vec().ok()?.try_into().ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_goes_to_text_and_back() {
        for seed in 0..=255u8 {
            let id = DocumentId([seed.wrapping_mul(37); 16].map(|b| b ^ seed));
            let text = id.to_string();
            assert_eq!(text.parse::<DocumentId>(), Ok(id));
            let url = AutomergeUrl::new(id);
            assert_eq!(url.to_string().parse::<AutomergeUrl>(), Ok(url));
        }
    }

    #[test]
    fn a_changed_digit_is_refused() {
        let text = DocumentId([7; 16]).to_string();
        let mut changed: Vec<char> = text.chars().collect();
        changed[3] = if changed[3] == 'a' { 'b' } else { 'a' };
        let changed: String = changed.into_iter().collect();
        assert!(matches!(
            changed.parse::<DocumentId>(),
            Err(NetError::BadDocumentId { .. })
        ));
    }
}

//! Reading messages: parsed into borrowed fields first, then checked per
//! type, then copied out. Unknown fields are skipped, as automerge-repo
//! adds fields over time; an unknown `type` is an error the caller may
//! choose to ignore.

use super::{HeadsInfo, PeerMetadata, WireMessage, MAX_FRAME, MAX_LIST, MAX_TEXT};
use crate::{DocumentId, NetError};
use minicbor::data::Type;
use minicbor::Decoder;
use std::collections::BTreeMap;

type Result<T> = std::result::Result<T, NetError>;

/// The largest count or timestamp a JS number holds exactly.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

#[derive(Default)]
struct Fields<'b> {
    kind: Option<&'b str>,
    sender: Option<&'b str>,
    target: Option<&'b str>,
    selected: Option<&'b str>,
    supported: Option<Vec<String>>,
    metadata: Option<PeerMetadata>,
    document: Option<DocumentId>,
    data: Option<&'b [u8]>,
    count: Option<u64>,
    session: Option<&'b str>,
    message: Option<&'b str>,
    add: Option<Vec<String>>,
    remove: Option<Vec<String>>,
    new_heads: Option<BTreeMap<String, HeadsInfo>>,
    documents: Option<Vec<DocumentId>>,
    more: Option<bool>,
}

/// Stores a field's value, refusing a second one.
fn put<T>(slot: &mut Option<T>, key: &str, value: T) -> Result<()> {
    match slot.replace(value) {
        Some(_) => Err(NetError::DuplicateField(key.into())),
        None => Ok(()),
    }
}

impl WireMessage {
    /// The message of one frame.
    pub fn decode(frame: &[u8]) -> Result<WireMessage> {
        if frame.len() > MAX_FRAME {
            return Err(NetError::FrameTooLarge {
                len: frame.len(),
                limit: MAX_FRAME,
            });
        }
        let mut d = Decoder::new(frame);
        let mut f = Fields::default();
        map_entries(&mut d, |d| {
            let at = d.position();
            let key = d.str().map_err(|e| NetError::cbor(e, at))?;
            field(d, key, &mut f)
        })?;
        if d.position() != frame.len() {
            return Err(NetError::BadFrame {
                offset: d.position(),
                what: format!("{} bytes after the message", frame.len() - d.position()),
            });
        }
        f.build()
    }
}

/// Calls `entry` once per key of the map at `d`, definite or not; `entry`
/// reads the key and its value.
fn map_entries<'b>(
    d: &mut Decoder<'b>,
    mut entry: impl FnMut(&mut Decoder<'b>) -> Result<()>,
) -> Result<()> {
    let at = d.position();
    match d.map().map_err(|e| NetError::cbor(e, at))? {
        // Each entry reads at least a byte, so a false length runs out of
        // input, never of memory.
        Some(n) => (0..n).try_for_each(|_| entry(d)),
        None => loop {
            let at = d.position();
            if d.datatype().map_err(|e| NetError::cbor(e, at))? == Type::Break {
                return d.skip().map_err(|e| NetError::cbor(e, at));
            }
            entry(d)?;
        },
    }
}

/// Calls `item` once per element of the array at `d`, definite or not.
fn array_items<'b>(
    d: &mut Decoder<'b>,
    field: &'static str,
    mut item: impl FnMut(&mut Decoder<'b>) -> Result<()>,
) -> Result<()> {
    let at = d.position();
    let len = d.array().map_err(|e| NetError::cbor(e, at))?;
    let mut seen = 0usize;
    loop {
        if len.is_some_and(|n| seen as u64 >= n) {
            return Ok(());
        }
        let at = d.position();
        if len.is_none() && d.datatype().map_err(|e| NetError::cbor(e, at))? == Type::Break {
            return d.skip().map_err(|e| NetError::cbor(e, at));
        }
        if seen == MAX_LIST {
            return Err(NetError::BadField {
                field,
                what: format!("more than {MAX_LIST} entries"),
            });
        }
        item(d)?;
        seen += 1;
    }
}

fn text<'b>(d: &mut Decoder<'b>, field: &'static str) -> Result<&'b str> {
    let at = d.position();
    let s = d.str().map_err(|e| NetError::cbor(e, at))?;
    if s.len() > MAX_TEXT {
        return Err(NetError::BadField {
            field,
            what: format!("{} bytes of text, over the limit of {MAX_TEXT}", s.len()),
        });
    }
    Ok(s)
}

fn texts(d: &mut Decoder<'_>, field: &'static str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    array_items(d, field, |d| {
        out.push(text(d, field)?.to_owned());
        Ok(())
    })?;
    Ok(out)
}

/// Whether the value at `d` is null or undefined, which JS writes for a
/// field it has no value for; if so it is read.
fn absent(d: &mut Decoder<'_>) -> Result<bool> {
    let at = d.position();
    match d.datatype().map_err(|e| NetError::cbor(e, at))? {
        Type::Null | Type::Undefined => d.skip().map(|_| true).map_err(|e| NetError::cbor(e, at)),
        _ => Ok(false),
    }
}

/// A count or timestamp: JS may write one as an integer or as a float.
fn number(d: &mut Decoder<'_>, field: &'static str) -> Result<u64> {
    let at = d.position();
    let bad = |what: String| NetError::BadField { field, what };
    let n = match d.datatype().map_err(|e| NetError::cbor(e, at))? {
        Type::F16 | Type::F32 | Type::F64 => {
            let x = d.f64().map_err(|e| NetError::cbor(e, at))?;
            if !(x >= 0.0 && x.fract() == 0.0 && x <= MAX_SAFE_INTEGER as f64) {
                return Err(bad(format!("{x} is not a whole number from 0 to 2^53")));
            }
            x as u64
        }
        _ => d.u64().map_err(|e| NetError::cbor(e, at))?,
    };
    Ok(n)
}

fn document_id(d: &mut Decoder<'_>) -> Result<DocumentId> {
    let at = d.position();
    match d.datatype().map_err(|e| NetError::cbor(e, at))? {
        // automerge-repo has sent the id's bytes as well as its text.
        Type::Bytes => {
            let b = d.bytes().map_err(|e| NetError::cbor(e, at))?;
            DocumentId::from_bytes(b).ok_or_else(|| NetError::BadField {
                field: "documentId",
                what: format!("{} bytes, not 16", b.len()),
            })
        }
        _ => text(d, "documentId")?.parse(),
    }
}

fn metadata(d: &mut Decoder<'_>) -> Result<PeerMetadata> {
    let mut m = PeerMetadata::default();
    let (mut storage, mut ephemeral) = (None, None);
    map_entries(d, |d| {
        let key = text(d, "peerMetadata")?;
        match key {
            "storageId" => match absent(d)? {
                true => Ok(()),
                false => put(&mut storage, key, text(d, "storageId")?.to_owned()),
            },
            "isEphemeral" => {
                let at = d.position();
                let b = d.bool().map_err(|e| NetError::cbor(e, at))?;
                put(&mut ephemeral, key, b)
            }
            _ => skip(d),
        }
    })?;
    m.storage_id = storage;
    m.is_ephemeral = ephemeral.unwrap_or(false);
    Ok(m)
}

fn new_heads(d: &mut Decoder<'_>) -> Result<BTreeMap<String, HeadsInfo>> {
    let mut out = BTreeMap::new();
    map_entries(d, |d| {
        let storage = text(d, "newHeads")?.to_owned();
        let (mut heads, mut timestamp) = (None, None);
        map_entries(d, |d| {
            let key = text(d, "newHeads")?;
            match key {
                "heads" => put(&mut heads, key, texts(d, "heads")?),
                "timestamp" => put(&mut timestamp, key, number(d, "timestamp")?),
                _ => skip(d),
            }
        })?;
        let info = HeadsInfo {
            heads: heads.ok_or(NetError::MissingField {
                message: "remote-heads-changed",
                field: "heads",
            })?,
            timestamp: timestamp.unwrap_or(0),
        };
        if out.len() == MAX_LIST {
            return Err(NetError::BadField {
                field: "newHeads",
                what: format!("more than {MAX_LIST} storages"),
            });
        }
        match out.insert(storage, info) {
            Some(_) => Err(NetError::DuplicateField("newHeads".into())),
            None => Ok(()),
        }
    })?;
    Ok(out)
}

fn skip(d: &mut Decoder<'_>) -> Result<()> {
    let at = d.position();
    d.skip().map_err(|e| NetError::cbor(e, at))
}

/// Reads the value of the field `key` into `f`.
fn field<'b>(d: &mut Decoder<'b>, key: &'b str, f: &mut Fields<'b>) -> Result<()> {
    match key {
        "type" => put(&mut f.kind, key, text(d, "type")?),
        "senderId" => put(&mut f.sender, key, text(d, "senderId")?),
        "targetId" => put(&mut f.target, key, text(d, "targetId")?),
        "selectedProtocolVersion" => put(&mut f.selected, key, text(d, "selectedProtocolVersion")?),
        "supportedProtocolVersions" => put(
            &mut f.supported,
            key,
            texts(d, "supportedProtocolVersions")?,
        ),
        "peerMetadata" | "metadata" => match absent(d)? {
            true => Ok(()),
            false => put(&mut f.metadata, "peerMetadata", metadata(d)?),
        },
        "documentId" => put(&mut f.document, key, document_id(d)?),
        "data" => {
            let at = d.position();
            put(
                &mut f.data,
                key,
                d.bytes().map_err(|e| NetError::cbor(e, at))?,
            )
        }
        "count" => put(&mut f.count, key, number(d, "count")?),
        "sessionId" => put(&mut f.session, key, text(d, "sessionId")?),
        "message" => put(&mut f.message, key, text(d, "message")?),
        "add" => match absent(d)? {
            true => Ok(()),
            false => put(&mut f.add, key, texts(d, "add")?),
        },
        "remove" => match absent(d)? {
            true => Ok(()),
            false => put(&mut f.remove, key, texts(d, "remove")?),
        },
        "newHeads" => put(&mut f.new_heads, key, new_heads(d)?),
        "documentIds" => {
            let mut ids = Vec::new();
            array_items(d, "documentIds", |d| {
                ids.push(document_id(d)?);
                Ok(())
            })?;
            put(&mut f.documents, key, ids)
        }
        "more" => {
            let at = d.position();
            let b = d.bool().map_err(|e| NetError::cbor(e, at))?;
            put(&mut f.more, key, b)
        }
        _ => skip(d),
    }
}

impl Fields<'_> {
    /// The message these fields make, by their `type`.
    fn build(self) -> Result<WireMessage> {
        let kind = self.kind.ok_or(NetError::MissingField {
            message: "any",
            field: "type",
        })?;
        let name = match KINDS.iter().find(|k| **k == kind) {
            Some(name) => *name,
            None => return Err(NetError::UnknownType(kind.chars().take(80).collect())),
        };
        let need = |v: Option<&str>, field| {
            v.map(str::to_owned).ok_or(NetError::MissingField {
                message: name,
                field,
            })
        };
        // The borrowed fields are copied out, so the closures hold no borrow
        // of `self` and its lists move into the message uncopied.
        let (sender_id, target_id, document, bytes) =
            (self.sender, self.target, self.document, self.data);
        let sender = || need(sender_id, "senderId");
        let target = || need(target_id, "targetId");
        let doc = || {
            document.ok_or(NetError::MissingField {
                message: name,
                field: "documentId",
            })
        };
        let data = || {
            bytes.map(<[u8]>::to_vec).ok_or(NetError::MissingField {
                message: name,
                field: "data",
            })
        };
        Ok(match name {
            "join" => WireMessage::Join {
                sender_id: sender()?,
                supported_protocol_versions: self.supported.ok_or(NetError::MissingField {
                    message: name,
                    field: "supportedProtocolVersions",
                })?,
                metadata: self.metadata,
            },
            "peer" => WireMessage::Peer {
                sender_id: sender()?,
                selected_protocol_version: need(self.selected, "selectedProtocolVersion")?,
                target_id: target()?,
                metadata: self.metadata,
            },
            "leave" => WireMessage::Leave {
                sender_id: sender()?,
            },
            "request" => WireMessage::Request {
                sender_id: sender()?,
                target_id: target()?,
                document_id: doc()?,
                data: data()?,
            },
            "sync" => WireMessage::Sync {
                sender_id: sender()?,
                target_id: target()?,
                document_id: doc()?,
                data: data()?,
            },
            "doc-unavailable" => WireMessage::DocUnavailable {
                sender_id: sender()?,
                target_id: target()?,
                document_id: doc()?,
            },
            "ephemeral" => WireMessage::Ephemeral {
                sender_id: sender()?,
                target_id: target()?,
                count: self.count.ok_or(NetError::MissingField {
                    message: name,
                    field: "count",
                })?,
                session_id: need(self.session, "sessionId")?,
                document_id: doc()?,
                data: data()?,
            },
            "error" => WireMessage::Error {
                message: need(self.message, "message")?,
            },
            "remote-subscription-change" => WireMessage::RemoteSubscriptionChange {
                sender_id: sender()?,
                target_id: target()?,
                add: self.add.unwrap_or_default(),
                remove: self.remove.unwrap_or_default(),
            },
            "mergedb-changed" => WireMessage::Changed {
                sender_id: sender()?,
                target_id: target()?,
                document_ids: self.documents.ok_or(NetError::MissingField {
                    message: name,
                    field: "documentIds",
                })?,
                more: self.more.unwrap_or(false),
            },
            _ => WireMessage::RemoteHeadsChanged {
                sender_id: sender()?,
                target_id: target()?,
                document_id: doc()?,
                new_heads: self.new_heads.ok_or(NetError::MissingField {
                    message: name,
                    field: "newHeads",
                })?,
            },
        })
    }
}

/// Every `type` this layer reads; the last is matched by `_` above.
const KINDS: [&str; 11] = [
    "mergedb-changed",
    "join",
    "peer",
    "leave",
    "request",
    "sync",
    "doc-unavailable",
    "ephemeral",
    "error",
    "remote-subscription-change",
    "remote-heads-changed",
];

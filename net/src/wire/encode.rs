//! Writing messages. Only definite lengths and the shortest heads are
//! written, as automerge-repo's encoder writes them; the subset is small
//! enough to write by hand, and writing to a `Vec` cannot fail.

use super::{HeadsInfo, PeerMetadata, WireMessage};
use crate::DocumentId;
use std::collections::BTreeMap;

const UNSIGNED: u8 = 0;
const BYTES: u8 = 2;
const TEXT: u8 = 3;
const ARRAY: u8 = 4;
const MAP: u8 = 5;
const FALSE: u8 = 0xf4;
const TRUE: u8 = 0xf5;
const FLOAT64: u8 = 0xfb;

struct Out(Vec<u8>);

impl Out {
    fn head(&mut self, major: u8, n: u64) {
        let m = major << 5;
        match n {
            0..=23 => self.0.push(m | n as u8),
            24..=0xff => self.0.extend_from_slice(&[m | 24, n as u8]),
            0x100..=0xffff => {
                self.0.push(m | 25);
                self.0.extend_from_slice(&(n as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                self.0.push(m | 26);
                self.0.extend_from_slice(&(n as u32).to_be_bytes());
            }
            _ => {
                self.0.push(m | 27);
                self.0.extend_from_slice(&n.to_be_bytes());
            }
        }
    }
    /// A count or timestamp as a JS peer reads it: cbor-x decodes an 8-byte
    /// integer to a BigInt, so above 2^32 it writes, and expects, a float;
    /// only a number no float holds exactly stays an integer.
    fn number(&mut self, n: u64) {
        if n <= u64::from(u32::MAX) || n > (1 << 53) - 1 {
            self.head(UNSIGNED, n);
        } else {
            self.0.push(FLOAT64);
            self.0.extend_from_slice(&(n as f64).to_be_bytes());
        }
    }
    fn text(&mut self, s: &str) -> &mut Self {
        self.head(TEXT, s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
        self
    }
    fn bytes(&mut self, b: &[u8]) {
        self.head(BYTES, b.len() as u64);
        self.0.extend_from_slice(b);
    }
    fn map(&mut self, n: usize) {
        self.head(MAP, n as u64);
    }
    fn texts(&mut self, list: &[String]) {
        self.head(ARRAY, list.len() as u64);
        for s in list {
            self.text(s);
        }
    }
    fn doc(&mut self, id: &DocumentId) {
        self.text("documentId").text(&id.to_string());
    }
    fn metadata(&mut self, m: &PeerMetadata) {
        self.map(1 + usize::from(m.storage_id.is_some()));
        if let Some(s) = &m.storage_id {
            self.text("storageId").text(s);
        }
        self.text("isEphemeral");
        self.0.push(if m.is_ephemeral { TRUE } else { FALSE });
    }
    fn heads(&mut self, heads: &BTreeMap<String, HeadsInfo>) {
        self.map(heads.len());
        for (storage, info) in heads {
            self.text(storage);
            self.map(2);
            self.text("heads").texts(&info.heads);
            self.text("timestamp").number(info.timestamp);
        }
    }
    /// `type`, `senderId` and `targetId`, which most messages open with.
    fn addressed(&mut self, fields: usize, kind: &str, sender: &str, target: &str) {
        self.map(fields);
        self.text("type").text(kind);
        self.text("senderId").text(sender);
        self.text("targetId").text(target);
    }
}

impl WireMessage {
    /// The message as one frame's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut o = Out(Vec::new());
        let kind = self.type_name();
        match self {
            WireMessage::Join {
                sender_id,
                supported_protocol_versions,
                metadata,
            } => {
                o.map(3 + usize::from(metadata.is_some()));
                o.text("type").text(kind);
                o.text("senderId").text(sender_id);
                o.text("supportedProtocolVersions")
                    .texts(supported_protocol_versions);
                if let Some(m) = metadata {
                    o.text("peerMetadata").metadata(m);
                }
            }
            WireMessage::Peer {
                sender_id,
                selected_protocol_version,
                target_id,
                metadata,
            } => {
                o.addressed(
                    4 + usize::from(metadata.is_some()),
                    kind,
                    sender_id,
                    target_id,
                );
                o.text("selectedProtocolVersion")
                    .text(selected_protocol_version);
                if let Some(m) = metadata {
                    o.text("peerMetadata").metadata(m);
                }
            }
            WireMessage::Leave { sender_id } => {
                o.map(2);
                o.text("type").text(kind);
                o.text("senderId").text(sender_id);
            }
            WireMessage::Request {
                sender_id,
                target_id,
                document_id,
                data,
            }
            | WireMessage::Sync {
                sender_id,
                target_id,
                document_id,
                data,
            } => {
                o.addressed(5, kind, sender_id, target_id);
                o.doc(document_id);
                o.text("data").bytes(data);
            }
            WireMessage::DocUnavailable {
                sender_id,
                target_id,
                document_id,
            } => {
                o.addressed(4, kind, sender_id, target_id);
                o.doc(document_id);
            }
            WireMessage::Ephemeral {
                sender_id,
                target_id,
                count,
                session_id,
                document_id,
                data,
            } => {
                o.addressed(7, kind, sender_id, target_id);
                o.text("count").number(*count);
                o.text("sessionId").text(session_id);
                o.doc(document_id);
                o.text("data").bytes(data);
            }
            WireMessage::Error { message } => {
                o.map(2);
                o.text("type").text(kind);
                o.text("message").text(message);
            }
            WireMessage::RemoteSubscriptionChange {
                sender_id,
                target_id,
                add,
                remove,
            } => {
                o.addressed(5, kind, sender_id, target_id);
                o.text("add").texts(add);
                o.text("remove").texts(remove);
            }
            WireMessage::RemoteHeadsChanged {
                sender_id,
                target_id,
                document_id,
                new_heads,
            } => {
                o.addressed(5, kind, sender_id, target_id);
                o.doc(document_id);
                o.text("newHeads").heads(new_heads);
            }
            WireMessage::Changed {
                sender_id,
                target_id,
                document_ids,
                more,
            } => {
                o.addressed(5, kind, sender_id, target_id);
                o.text("documentIds");
                o.head(ARRAY, document_ids.len() as u64);
                for id in document_ids {
                    o.text(&id.to_string());
                }
                o.text("more");
                o.0.push(if *more { 0xf5 } else { 0xf4 });
            }
        }
        o.0
    }
}

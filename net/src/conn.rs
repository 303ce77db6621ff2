//! The connection core (SPEC.md §6B.4), without I/O, as samod-core does it:
//! frames in, frames out, and the store's sync calls between. An adapter
//! moves the frames over a socket; tests move them by hand.
//!
//! A change is acknowledged only once it is durable: the store's
//! `receive_sync_message` returns after its changes are on disk, and only
//! then is the answer, whose heads include them, written. A change is sent
//! only once durable too (`generate_sync_message` flushes first).

mod digest;
mod docs;

pub use docs::DocReport;

use crate::access::Access;
use crate::wire::{PeerMetadata, WireMessage, PROTOCOL_VERSION};
use crate::NetError;
use mergedb_engine::store::{DocId, Store, SESSION_MARK};
use std::collections::BTreeMap;

/// The most documents one connection syncs unless `Config` says otherwise:
/// a peer that names more is cut off, so its bookkeeping stays bounded.
pub const DEFAULT_MAX_DOCS: usize = 1 << 16;

/// How this side of a connection presents itself, and what the other side
/// may do.
#[derive(Clone, Debug)]
pub struct Config {
    /// Our peer id, sent in `join` or `peer`.
    pub peer_id: String,
    /// Our storage id, sent in our metadata (`Store::storage_id` as hex).
    pub storage_id: Option<String>,
    /// What the peer may sync and create.
    pub access: Access,
    /// The most documents the connection may sync.
    pub max_docs: usize,
    /// Both sides are mergedb devices, and a reconnect moves only what
    /// changed (§6B.8): the accepting side lists the documents that
    /// changed for the peer, and the connecting side syncs those and its
    /// own changed ones. Off for automerge-repo peers.
    pub digest: bool,
    /// With `digest`, on the connecting side: also sync the documents the
    /// peer lists that `access` allows, not only the ones named.
    pub take_offered: bool,
    /// The peer's device id, as TLS proved it: then the store keeps what
    /// it knows of the peer under it, not under the storage id the peer
    /// claims, which another device (a copied store) could claim too.
    pub peer_device: Option<String>,
}

impl Config {
    /// A config for `store`: a random peer id, the store's storage id, and
    /// the given access.
    pub fn new(store: &Store, access: Access) -> Config {
        let storage_id = store
            .storage_id()
            .map(|id| mergedb_engine::format::hex::encode(&id));
        Config {
            peer_id: format!("mergedb-{}", DocId::random()),
            storage_id,
            access,
            max_docs: DEFAULT_MAX_DOCS,
            digest: false,
            take_offered: false,
            peer_device: None,
        }
    }
}

/// Who the peer is, once it has said.
#[derive(Clone, Debug)]
struct Peer {
    id: String,
    /// What the store keys its sync state for this peer by.
    key: Vec<u8>,
    /// The peer will not be back as itself: its sync state is deleted at
    /// the end.
    ephemeral: bool,
}

#[derive(Clone, Debug)]
enum Phase {
    /// Accepting: the peer's `join` is next.
    AwaitJoin,
    /// Connecting: our `join` went out; the peer's `peer` is next.
    AwaitPeer,
    Open(Peer),
    Closed,
}

/// One side of one connection.
#[derive(Debug)]
pub struct Connection {
    store: Store,
    config: Config,
    phase: Phase,
    links: BTreeMap<DocId, docs::Link>,
    /// The documents we sync on our own account, started once open.
    wanted: Vec<DocId>,
    /// With a digest: the named documents not started, since the peer has
    /// all of ours; started if the peer lists them.
    held: std::collections::BTreeSet<DocId>,
    /// With a digest: where the peer's mark was, and what changed since.
    marking: Option<digest::Marking>,
    /// With a digest, on the connecting side: the peer's list is not all
    /// in yet.
    awaiting_digest: bool,
    out: Vec<Vec<u8>>,
    /// Messages of types this side does not act on (ephemeral, heads
    /// subscriptions, types newer than this code).
    pub ignored: u64,
}

impl Connection {
    /// The side that accepted a connection: it waits for `join`.
    pub fn accept(store: Store, config: Config) -> Connection {
        Self::new(store, config, Phase::AwaitJoin, Vec::new())
    }

    /// The side that connected: its `join` is queued, and once the peer
    /// answers it syncs `docs`, asking for those the store lacks.
    pub fn connect(store: Store, config: Config, docs: Vec<DocId>) -> Connection {
        let mut conn = Self::new(store, config, Phase::AwaitPeer, docs);
        let join = WireMessage::Join {
            sender_id: conn.config.peer_id.clone(),
            supported_protocol_versions: vec![PROTOCOL_VERSION.to_string()],
            metadata: Some(conn.metadata()),
        };
        conn.out.push(join.encode());
        conn
    }

    fn new(store: Store, config: Config, phase: Phase, wanted: Vec<DocId>) -> Connection {
        Connection {
            store,
            config,
            phase,
            links: BTreeMap::new(),
            wanted,
            held: Default::default(),
            marking: None,
            awaiting_digest: false,
            out: Vec::new(),
            ignored: 0,
        }
    }

    fn metadata(&self) -> PeerMetadata {
        PeerMetadata {
            storage_id: self.config.storage_id.clone(),
            is_ephemeral: false,
        }
    }

    /// The frames to send, in order; taking them empties the queue.
    pub fn take_outgoing(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.out)
    }

    /// Whether the connection is over (by either side).
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// The peer's id, once the handshake is done.
    pub fn peer_id(&self) -> Option<&str> {
        match &self.phase {
            Phase::Open(p) => Some(&p.id),
            _ => None,
        }
    }

    /// What moved, per document.
    pub fn report(&self) -> BTreeMap<DocId, DocReport> {
        self.links
            .iter()
            .map(|(id, l)| (*id, l.report.clone()))
            .collect()
    }

    /// Takes one frame from the peer. An `Err` means the connection is
    /// over: an `error` frame for the peer is queued where the peer is to
    /// blame, and the store is as it was before the frame.
    pub fn receive(&mut self, frame: &[u8]) -> Result<(), NetError> {
        if self.is_closed() {
            return Err(NetError::Protocol("a frame after the end".into()));
        }
        let message = match WireMessage::decode(frame) {
            Ok(m) => m,
            Err(NetError::UnknownType(_)) => {
                self.ignored += 1;
                return Ok(());
            }
            Err(e) => return self.fail(e),
        };
        match (&self.phase, message) {
            (_, WireMessage::Error { message }) => {
                self.close();
                Err(NetError::PeerError(message))
            }
            (_, WireMessage::Leave { .. }) => {
                self.close();
                Ok(())
            }
            (
                Phase::AwaitJoin,
                WireMessage::Join {
                    sender_id,
                    supported_protocol_versions,
                    metadata,
                },
            ) => self.on_join(sender_id, supported_protocol_versions, metadata),
            (
                Phase::AwaitPeer,
                WireMessage::Peer {
                    sender_id,
                    selected_protocol_version,
                    metadata,
                    ..
                },
            ) => self.on_peer(sender_id, selected_protocol_version, metadata),
            (Phase::Open(_), m) => self.on_open(m),
            (_, m) => {
                let what = format!("a {} message before the handshake", m.type_name());
                self.fail(NetError::Protocol(what))
            }
        }
    }

    fn on_join(
        &mut self,
        sender_id: String,
        versions: Vec<String>,
        metadata: Option<PeerMetadata>,
    ) -> Result<(), NetError> {
        if !versions.iter().any(|v| v == PROTOCOL_VERSION) {
            let what =
                format!("it speaks protocol versions {versions:?}, not {PROTOCOL_VERSION:?}");
            return self.fail(NetError::Protocol(what));
        }
        let answer = WireMessage::Peer {
            sender_id: self.config.peer_id.clone(),
            selected_protocol_version: PROTOCOL_VERSION.to_string(),
            target_id: sender_id.clone(),
            metadata: Some(self.metadata()),
        };
        self.out.push(answer.encode());
        self.phase = Phase::Open(peer(
            sender_id,
            metadata,
            self.config.peer_device.as_deref(),
        ));
        if self.config.digest {
            return self.send_digest();
        }
        Ok(())
    }

    fn on_peer(
        &mut self,
        sender_id: String,
        version: String,
        metadata: Option<PeerMetadata>,
    ) -> Result<(), NetError> {
        if version != PROTOCOL_VERSION {
            let what = format!("it chose protocol version {version:?}");
            return self.fail(NetError::Protocol(what));
        }
        self.phase = Phase::Open(peer(
            sender_id,
            metadata,
            self.config.peer_device.as_deref(),
        ));
        if self.config.digest {
            return self.start_changed();
        }
        for id in std::mem::take(&mut self.wanted) {
            self.start(id)?;
        }
        Ok(())
    }

    fn on_open(&mut self, message: WireMessage) -> Result<(), NetError> {
        match message {
            WireMessage::Sync {
                document_id, data, ..
            } => self.on_sync(document_id.into(), &data, false),
            WireMessage::Request {
                document_id, data, ..
            } => self.on_sync(document_id.into(), &data, true),
            WireMessage::DocUnavailable { document_id, .. } => {
                if let Some(link) = self.links.get_mut(&document_id.into()) {
                    link.report.unavailable = true;
                }
                Ok(())
            }
            WireMessage::Changed {
                document_ids, more, ..
            } if self.config.digest => self.on_digest(document_ids, more),
            WireMessage::Join { .. } | WireMessage::Peer { .. } => {
                let what = format!("a second {} message", message.type_name());
                self.fail(NetError::Protocol(what))
            }
            _ => {
                self.ignored += 1;
                Ok(())
            }
        }
    }

    /// Ends the connection for a fault the transport saw (a text frame, a
    /// frame over the limit), with an `error` frame saying why.
    pub fn refuse(&mut self, what: String) -> NetError {
        match self.fail(NetError::Protocol(what)) {
            Err(e) => e,
            Ok(()) => NetError::Protocol(String::new()),
        }
    }

    /// Queues an `error` frame for `e`, ends the connection, and gives `e`.
    fn fail(&mut self, e: NetError) -> Result<(), NetError> {
        let message = match &e {
            // The peer is not told what failed in our store.
            NetError::Store(_) => "the store failed".to_string(),
            e => e.to_string(),
        };
        self.out.push(WireMessage::Error { message }.encode());
        self.close();
        Err(e)
    }

    /// Ends the connection: the store forgets its open sync states with
    /// the peer, and deletes the kept ones of an ephemeral peer. Idempotent.
    pub fn close(&mut self) {
        self.keep_mark();
        let phase = std::mem::replace(&mut self.phase, Phase::Closed);
        let Phase::Open(peer) = phase else {
            return;
        };
        for id in self.links.keys() {
            match peer.ephemeral {
                // Should this fail, the state stays: it takes room, no more.
                true => drop(self.store.forget_peer(id, &peer.key)),
                false => self.store.disconnect(id, &peer.key),
            }
        }
    }

    /// Queues a `leave` frame and ends the connection.
    pub fn leave(&mut self) {
        if let Phase::Open(_) | Phase::AwaitPeer | Phase::AwaitJoin = self.phase {
            let sender_id = self.config.peer_id.clone();
            self.out.push(WireMessage::Leave { sender_id }.encode());
        }
        self.close();
    }
}

/// Numbers the sessions of this process, so that two connections of one
/// peer never share an open sync state.
static SESSIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The peer, keyed by its device id when TLS proved one (a paired device
/// is never ephemeral), else by its storage id when it has one it will come
/// back with, else by its peer id (and then ephemeral). The key ends with
/// this session's number after `SESSION_MARK`, which the store leaves out
/// of the key it keeps the state under (text never holds the byte 0xff).
fn peer(id: String, metadata: Option<PeerMetadata>, device: Option<&str>) -> Peer {
    let session = SESSIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let keyed = |kind: &[u8], name: &str| {
        [
            kind,
            name.as_bytes(),
            &[SESSION_MARK],
            &session.to_be_bytes(),
        ]
        .concat()
    };
    if let Some(device) = device {
        return Peer {
            key: keyed(b"d:", device),
            id,
            ephemeral: false,
        };
    }
    match metadata {
        Some(PeerMetadata {
            storage_id: Some(storage),
            is_ephemeral: false,
        }) => Peer {
            key: keyed(b"s:", &storage),
            id,
            ephemeral: false,
        },
        _ => Peer {
            key: keyed(b"p:", &id),
            id,
            ephemeral: true,
        },
    }
}

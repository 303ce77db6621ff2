//! The WebSocket adapter (SPEC.md §6B.5): tokio and tokio-tungstenite
//! around the connection core. It moves frames, runs the core's store
//! calls on blocking threads (they wait for durability), and turns the
//! store's watch hook into `doc_changed` calls. Nothing here decides what
//! to send.

mod drive;

use crate::access::Access;
use crate::conn::{Config, Connection, DocReport};
use crate::device_id::DeviceId;
use crate::identity::{self, Identity};
use crate::tls::{self, Tls};
use crate::wire::MAX_FRAME;
use crate::NetError;
use drive::drive;
use mergedb_engine::store::{DocId, Store};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Who may connect without TLS: automerge-repo clients, which have no
/// device id. Paired devices always come in over mutual TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unpaired {
    /// Nobody: only paired devices.
    Refused,
    /// Peers whose address is loopback.
    Loopback,
    /// Any peer that reaches the listener.
    AnyAddress,
}

/// Where the server tells what happened to a connection.
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// How a server treats the peers that connect.
#[derive(Clone)]
pub struct ServeOptions {
    /// Who may connect without TLS.
    pub unpaired: Unpaired,
    /// What an unpaired peer may do; a paired device gets its pairing's.
    pub access: Access,
    /// The most connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// How long a peer may take over the TLS and WebSocket handshakes.
    pub handshake_timeout: Duration,
    /// How long a connection may stay silent before it is closed.
    pub idle_timeout: Duration,
    /// Told of each refused or failed connection.
    pub log: Option<Log>,
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("unpaired", &self.unpaired)
            .field("access", &self.access)
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

impl Default for ServeOptions {
    /// Paired devices only.
    fn default() -> Self {
        ServeOptions {
            unpaired: Unpaired::Refused,
            access: Access::all(),
            max_connections: 1024,
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(300),
            log: None,
        }
    }
}

impl ServeOptions {
    /// Paired devices, and any peer on loopback without TLS, which may
    /// read, write and create every document.
    pub fn unpaired_on_loopback() -> Self {
        ServeOptions {
            unpaired: Unpaired::Loopback,
            ..ServeOptions::default()
        }
    }

    fn log(&self, what: &str) {
        if let Some(log) = &self.log {
            log(what);
        }
    }
}

/// The WebSocket limits: a message or frame over `MAX_FRAME` is refused
/// before it is read whole.
pub fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME))
        .max_frame_size(Some(MAX_FRAME))
}

/// Serves `store` to every peer that connects to `listener`, until the
/// task is dropped: paired devices over mutual TLS, and unpaired peers over
/// plain WebSocket as `options.unpaired` says, on the same port. A
/// connection's failure ends that connection only.
pub async fn serve(
    store: Store,
    listener: TcpListener,
    options: ServeOptions,
) -> Result<(), NetError> {
    let s = store.clone();
    let tls =
        tokio::task::spawn_blocking(move || Identity::of_store(&s).and_then(|i| Tls::new(&i)))
            .await
            .map_err(|_| NetError::Io("the runtime is shutting down".into()))??;
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.server);
    let slots = Arc::new(Semaphore::new(options.max_connections.max(1)));
    loop {
        let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
            return Ok(());
        };
        let (stream, addr) = match listener.accept().await {
            Ok(s) => s,
            // Out of descriptors, a reset before accept: the next one may do.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (store, options, acceptor) = (store.clone(), options.clone(), acceptor.clone());
        tokio::spawn(async move {
            if let Err(e) = serve_one(stream, addr, &store, &options, &acceptor).await {
                options.log(&format!("{addr}: {e}"));
            }
            drop(permit);
        });
    }
}

/// A TLS handshake starts with a handshake record, type 22; an HTTP
/// upgrade with the letter of its method.
const TLS_HANDSHAKE: u8 = 22;

/// One connection: TLS and a paired device, or plain and an unpaired peer
/// that may come in.
async fn serve_one(
    stream: TcpStream,
    addr: SocketAddr,
    store: &Store,
    options: &ServeOptions,
    acceptor: &tokio_rustls::TlsAcceptor,
) -> Result<(), NetError> {
    let deadline = options.handshake_timeout;
    let late = || NetError::Io(format!("no handshake in {deadline:?}"));
    let mut first = [0u8; 1];
    tokio::time::timeout(deadline, stream.peek(&mut first))
        .await
        .map_err(|_| late())?
        .map_err(|e| NetError::Io(e.to_string()))?;
    if first[0] == TLS_HANDSHAKE {
        let tls = tokio::time::timeout(deadline, acceptor.accept(stream))
            .await
            .map_err(|_| late())?
            .map_err(|e| NetError::Io(format!("TLS: {e}")))?;
        let device = tls::peer_device(tls.get_ref().1)?;
        let access = paired_access_blocking(store, device).await?;
        let upgrade = tokio_tungstenite::accept_async_with_config(tls, Some(ws_config()));
        let ws = tokio::time::timeout(deadline, upgrade)
            .await
            .map_err(|_| late())?
            .map_err(|e| NetError::Io(format!("WebSocket: {e}")))?;
        let mut config = Config::new(store, access);
        config.digest = true;
        config.peer_device = Some(device.to_string());
        let core = Connection::accept(store.clone(), config);
        return drive(ws, core, store, options, false).await.map(|_| ());
    }
    let refused = match options.unpaired {
        Unpaired::Refused => Some("a connection without TLS, and this server takes none".into()),
        Unpaired::Loopback if !addr.ip().is_loopback() => Some(format!(
            "a connection without TLS from {addr}: unpaired peers are taken on loopback only"
        )),
        _ => None,
    };
    if let Some(why) = refused {
        return Err(NetError::Protocol(why));
    }
    let upgrade = tokio_tungstenite::accept_async_with_config(stream, Some(ws_config()));
    let ws = tokio::time::timeout(deadline, upgrade)
        .await
        .map_err(|_| late())?
        .map_err(|e| NetError::Io(format!("WebSocket: {e}")))?;
    let core = Connection::accept(store.clone(), Config::new(store, options.access.clone()));
    drive(ws, core, store, options, false).await.map(|_| ())
}

/// What the paired device `device` may do; `NotPaired` if it is not.
async fn paired_access_blocking(store: &Store, device: DeviceId) -> Result<Access, NetError> {
    let s = store.clone();
    tokio::task::spawn_blocking(move || identity::paired_access(&s, &device))
        .await
        .map_err(|_| NetError::Io("the runtime is shutting down".into()))??
        .ok_or_else(|| NetError::NotPaired(device.to_string()))
}

/// Syncs `docs` with the server at `url` until both sides hold the same
/// changes of each, or the peer lacks it; gives what moved. `idle_timeout`
/// bounds each wait for the peer.
///
/// `wss://host:port` is a paired device over mutual TLS: the server must
/// be paired with this store, and only the documents its pairing shares
/// are synced (a document named in `docs` that it does not share is an
/// error). `ws://host:port` is a plain automerge-repo server.
pub async fn sync(
    store: &Store,
    url: &str,
    docs: Vec<DocId>,
    idle_timeout: Duration,
) -> Result<BTreeMap<DocId, DocReport>, NetError> {
    sync_docs(store, url, Some(docs), idle_timeout).await
}

/// As `sync`, with every document of the store that the peer may see: all
/// of them for a plain server, the ones its pairing shares for a device.
pub async fn sync_all(
    store: &Store,
    url: &str,
    idle_timeout: Duration,
) -> Result<BTreeMap<DocId, DocReport>, NetError> {
    sync_docs(store, url, None, idle_timeout).await
}

async fn list_docs(store: &Store) -> Result<Vec<DocId>, NetError> {
    let s = store.clone();
    tokio::task::spawn_blocking(move || s.list_docs())
        .await
        .map_err(|_| NetError::Io("the runtime is shutting down".into()))?
        .map_err(|e| NetError::Store(e.to_string()))
}

async fn sync_docs(
    store: &Store,
    url: &str,
    docs: Option<Vec<DocId>>,
    idle_timeout: Duration,
) -> Result<BTreeMap<DocId, DocReport>, NetError> {
    let options = ServeOptions {
        idle_timeout,
        ..ServeOptions::default()
    };
    let no_answer = || NetError::Io(format!("no answer from {url} in {idle_timeout:?}"));
    let cannot = |e: &dyn std::fmt::Display| NetError::Io(format!("cannot connect to {url}: {e}"));
    if let Some(rest) = url.strip_prefix("wss://") {
        let host = rest.split('/').next().unwrap_or_default();
        let s = store.clone();
        let tls =
            tokio::task::spawn_blocking(move || Identity::of_store(&s).and_then(|i| Tls::new(&i)))
                .await
                .map_err(|_| NetError::Io("the runtime is shutting down".into()))??;
        let tcp = tokio::time::timeout(idle_timeout, TcpStream::connect(host))
            .await
            .map_err(|_| no_answer())?
            .map_err(|e| cannot(&e))?;
        let _ = tcp.set_nodelay(true);
        let name = rustls::pki_types::ServerName::try_from(tls::SERVER_NAME)
            .map_err(|e| NetError::Identity(e.to_string()))?;
        let connector = tokio_rustls::TlsConnector::from(tls.client);
        let stream = tokio::time::timeout(idle_timeout, connector.connect(name, tcp))
            .await
            .map_err(|_| no_answer())?
            .map_err(|e| cannot(&format!("TLS: {e}")))?;
        let device = tls::peer_device(stream.get_ref().1)?;
        let access = paired_access_blocking(store, device).await?;
        let mut config = Config::new(store, access);
        config.digest = true;
        config.take_offered = docs.is_none();
        config.peer_device = Some(device.to_string());
        let docs = match docs {
            Some(docs) => shared(docs, &config.access, &device)?,
            None => {
                let mut all = list_docs(store).await?;
                all.retain(|d| config.access.allows(d));
                all
            }
        };
        let upgrade = tokio_tungstenite::client_async_with_config(url, stream, Some(ws_config()));
        let (ws, _) = tokio::time::timeout(idle_timeout, upgrade)
            .await
            .map_err(|_| no_answer())?
            .map_err(|e| cannot(&e))?;
        let core = Connection::connect(store.clone(), config, docs);
        return drive(ws, core, store, &options, true).await;
    }
    let connect = tokio_tungstenite::connect_async_with_config(url, Some(ws_config()), true);
    let (ws, _) = tokio::time::timeout(idle_timeout, connect)
        .await
        .map_err(|_| no_answer())?
        .map_err(|e| cannot(&e))?;
    let docs = match docs {
        Some(docs) => docs,
        None => list_docs(store).await?,
    };
    // An unauthenticated server sees the documents asked for, nothing else.
    let core = Connection::connect(store.clone(), Config::new(store, Access::only([])), docs);
    drive(ws, core, store, &options, true).await
}

/// The documents of `docs` that `access` shares with `device`; one it
/// does not share is an error, not a silent skip.
fn shared(docs: Vec<DocId>, access: &Access, device: &DeviceId) -> Result<Vec<DocId>, NetError> {
    match docs.iter().find(|d| !access.allows(d)) {
        Some(d) => Err(NetError::Protocol(format!(
            "document {d} is not shared with device {device} (`mergedb pair` with --docs says which are)"
        ))),
        None => Ok(docs),
    }
}

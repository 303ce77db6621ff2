//! `serve` and `sync`: the store's documents over automerge-repo's
//! protocol on WebSocket (SPEC.md §6B).

use crate::Result;
use mergedb::engine::store::{DocId, Store};
use mergedb::net::access::Docs;
use mergedb::net::identity::{self, Identity};
use mergedb::net::ws::{self, ServeOptions, Unpaired};
use mergedb::net::{Access, DeviceId, DocReport, DocumentId};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// The address to listen on: `127.0.0.1:8080`, `0.0.0.0:8080`,
    /// `[::1]:8080`. Paired devices connect over mutual TLS (`wss://`).
    #[arg(long)]
    listen: String,
    /// Also serve plain, unauthenticated WebSocket (`ws://`) on the same
    /// port, for automerge-repo clients, to peers on loopback: they may
    /// read, write and create every document.
    #[arg(long)]
    allow_unpaired: bool,
    /// With --allow-unpaired, take unpaired peers from any address, not
    /// only loopback. Anyone who reaches the port then reads and writes
    /// the store.
    #[arg(long, requires = "allow_unpaired")]
    unpaired_on_any_address: bool,
    /// Announce the store on the LAN (mDNS), so that paired devices find
    /// it with `sync --discover`.
    #[arg(long)]
    announce: bool,
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("to").required(true).args(["peer", "discover"])))]
pub struct SyncArgs {
    /// The peer: `wss://host:port` for a paired device, `ws://host:port`
    /// for a plain automerge-repo server.
    #[arg(long)]
    peer: Option<String>,
    /// Find the paired devices that announce themselves on the LAN (mDNS)
    /// and sync with each.
    #[arg(long)]
    discover: bool,
    /// With --discover, seconds to listen for announcements.
    #[arg(long, default_value_t = 3, requires = "discover")]
    wait: u64,
    /// The documents to sync (hex, automerge-repo id or `automerge:` URL);
    /// if none, every document of the store that the peer may see.
    docs: Vec<String>,
    /// Seconds to wait for the peer before giving up.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
}

#[derive(clap::Args)]
pub struct PairArgs {
    /// The other device's id, as its `mergedb id` prints it.
    device: String,
    /// Share these documents only (and let it create none); every
    /// document, and new ones, if not given.
    #[arg(long, num_args = 1..)]
    docs: Vec<String>,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

fn net_err(e: mergedb::net::NetError) -> String {
    e.to_string()
}

/// The store's device id, made with its key pair if it has none yet.
pub fn id(store: &Store) -> Result<DeviceId> {
    Ok(Identity::of_store(store).map_err(net_err)?.id())
}

pub fn pair(store: &Store, args: &PairArgs) -> Result<()> {
    let device: DeviceId = args.device.parse().map_err(net_err)?;
    if device == id(store)? {
        return Err("that is this store's own device id".into());
    }
    let access = match args.docs.is_empty() {
        true => Access::all(),
        false => Access::only(
            args.docs
                .iter()
                .map(|d| parse_doc(d))
                .collect::<Result<Vec<_>>>()?,
        ),
    };
    identity::pair(store, &device, &access).map_err(net_err)?;
    outln!("paired {device}: {}", describe(&access));
    Ok(())
}

pub fn unpair(store: &Store, device: &str) -> Result<()> {
    let device: DeviceId = device.parse().map_err(net_err)?;
    match identity::unpair(store, &device).map_err(net_err)? {
        true => {
            outln!("unpaired {device}");
            Ok(())
        }
        false => Err(format!("{device} is not paired with this store")),
    }
}

pub fn peers(store: &Store) -> Result<()> {
    for (device, access) in identity::paired(store).map_err(net_err)? {
        outln!("{device} {}", describe(&access));
    }
    Ok(())
}

fn describe(access: &Access) -> String {
    match &access.docs {
        Docs::All => "every document".into(),
        Docs::Only(docs) => {
            let ids: Vec<String> = docs.iter().map(|d| d.to_string()).collect();
            format!("{} documents: {}", ids.len(), ids.join(" "))
        }
    }
}

pub fn serve(store: Store, args: &ServeArgs) -> Result<()> {
    let addr: SocketAddr = args.listen.parse().map_err(|_| {
        format!(
            "--listen {:?} is not an address such as 127.0.0.1:8080",
            args.listen
        )
    })?;
    let unpaired = match (args.allow_unpaired, args.unpaired_on_any_address) {
        (false, _) => Unpaired::Refused,
        (true, false) => Unpaired::Loopback,
        (true, true) => Unpaired::AnyAddress,
    };
    let device = id(&store)?;
    let paired = identity::paired(&store).map_err(net_err)?.len();
    runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        outln!("device {device}");
        outln!("serving {paired} paired devices on wss://{local}");
        match unpaired {
            Unpaired::Refused => {}
            Unpaired::Loopback => outln!("serving unpaired peers on loopback on ws://{local}"),
            _ => outln!("serving unpaired peers from any address on ws://{local}"),
        }
        let _announced = match args.announce {
            true => {
                let a = mergedb::net::mdns::announce(&device, local.port()).map_err(net_err)?;
                outln!("announcing {} on the LAN", mergedb::net::mdns::SERVICE);
                Some(a)
            }
            false => None,
        };
        let options = ServeOptions {
            unpaired,
            access: Access::all(),
            log: Some(Arc::new(|line: &str| eprintln!("{line}"))),
            ..ServeOptions::default()
        };
        tokio::select! {
            r = ws::serve(store, listener, options) => r.map_err(net_err),
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })
}

/// A document id as any of the forms people have: 32 hex digits (as
/// `docs` lists them), automerge-repo's bs58check id, or an `automerge:` URL.
pub fn parse_doc(text: &str) -> Result<DocId> {
    if let Some(id) = DocId::parse(text) {
        return Ok(id);
    }
    let parsed = match text.starts_with("automerge:") {
        true => text.parse::<mergedb::net::AutomergeUrl>().map(|u| u.id),
        false => text.parse::<DocumentId>(),
    };
    parsed.map(DocId::from).map_err(|e| {
        format!("{text:?} is not a document id (32 hex digits, an automerge-repo id or URL): {e}")
    })
}

pub fn sync(store: Store, args: &SyncArgs) -> Result<()> {
    let docs = args
        .docs
        .iter()
        .map(|d| parse_doc(d))
        .collect::<Result<Vec<_>>>()?;
    let timeout = Duration::from_secs(args.timeout.max(1));
    let peers = match &args.peer {
        Some(peer) if peer.starts_with("ws://") || peer.starts_with("wss://") => {
            vec![(None, vec![peer.clone()])]
        }
        Some(peer) => {
            return Err(format!(
                "--peer {peer:?} is not a wss:// (paired device) or ws:// address"
            ))
        }
        None => discovered(&store, Duration::from_secs(args.wait.max(1)))?,
    };
    let runtime = runtime()?;
    let mut failed = Vec::new();
    for (device, urls) in &peers {
        match sync_device(&runtime, &store, device.as_ref(), urls, &docs, timeout) {
            Ok(Some(why)) | Err(why) => failed.push(why),
            Ok(None) => {}
        }
    }
    match failed.is_empty() {
        true => Ok(()),
        false => Err(failed.join("; ")),
    }
}

/// Syncs with one peer at the first of its addresses that answers; why
/// the sync fell short, if it did.
fn sync_device(
    runtime: &tokio::runtime::Runtime,
    store: &Store,
    device: Option<&DeviceId>,
    urls: &[String],
    docs: &[DocId],
    timeout: Duration,
) -> Result<Option<String>> {
    let mut last = String::from("no address");
    for url in urls {
        if let Some(d) = device {
            outln!("device {d} at {url}");
        }
        let synced = async {
            match docs.is_empty() {
                true => ws::sync_all(store, url, timeout).await,
                false => ws::sync(store, url, docs.to_vec(), timeout).await,
            }
        };
        match runtime.block_on(synced) {
            Ok(report) => return Ok(print_report(&report).map(|why| format!("{url}: {why}"))),
            Err(e) => last = format!("sync with {url}: {e}"),
        }
    }
    Err(last)
}

/// The paired devices announced on the LAN within `wait`, with their
/// addresses, IPv4 first.
fn discovered(store: &Store, wait: Duration) -> Result<Vec<(Option<DeviceId>, Vec<String>)>> {
    let paired: std::collections::BTreeSet<DeviceId> = identity::paired(store)
        .map_err(net_err)?
        .into_iter()
        .map(|(d, _)| d)
        .collect();
    if paired.is_empty() {
        return Err("no device is paired with this store: `mergedb pair DEVICE` first".into());
    }
    // Done as soon as every paired device has been heard from.
    let all =
        |found: &BTreeMap<DeviceId, Vec<SocketAddr>>| paired.iter().all(|d| found.contains_key(d));
    let found = mergedb::net::mdns::discover(wait, all).map_err(net_err)?;
    let peers: Vec<_> = found
        .into_iter()
        .filter(|(d, _)| paired.contains(d))
        .map(|(d, addrs)| {
            (
                Some(d),
                addrs.iter().map(|a| format!("wss://{a}")).collect(),
            )
        })
        .collect();
    match peers.is_empty() {
        true => Err(format!(
            "no paired device announced itself on the LAN in {wait:?}"
        )),
        false => Ok(peers),
    }
}

/// Prints a line per document; why the sync fell short, if it did.
fn print_report(report: &BTreeMap<DocId, DocReport>) -> Option<String> {
    let mut missing = 0;
    for (id, r) in report {
        let url = mergedb::net::AutomergeUrl::new((*id).into());
        match r.unavailable {
            true => {
                missing += 1;
                outln!("{id} {url}: the peer does not have it, or does not share it");
            }
            false => outln!(
                "{id} {url}: {} changes in, {} chunks out ({} bytes in, {} out)",
                r.changes_in,
                r.chunks_out,
                r.bytes_in,
                r.bytes_out
            ),
        }
    }
    (missing > 0).then(|| {
        format!(
            "{missing} of {} documents were not available from the peer",
            report.len()
        )
    })
}

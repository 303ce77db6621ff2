//! `serve` and `sync`: the store's documents over automerge-repo's
//! protocol on WebSocket (SPEC.md §6B).

use crate::Result;
use mergedb::engine::store::{DocId, Store};
use mergedb::net::ws::{self, ServeOptions};
use mergedb::net::{Access, DocumentId};
use std::net::SocketAddr;
use std::time::Duration;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// The address to listen on: `127.0.0.1:8080`, `[::1]:8080`.
    #[arg(long)]
    listen: String,
    /// Serve plain, unauthenticated WebSocket, for automerge-repo clients:
    /// every peer may read, write and create every document.
    #[arg(long)]
    allow_unpaired: bool,
    /// With --allow-unpaired, listen on an address other than loopback.
    /// Anyone who reaches it then reads and writes the store.
    #[arg(long, requires = "allow_unpaired")]
    unpaired_on_any_address: bool,
}

#[derive(clap::Args)]
pub struct SyncArgs {
    /// The peer's address: `ws://host:port`.
    #[arg(long)]
    peer: String,
    /// The documents to sync (hex, automerge-repo id or `automerge:` URL);
    /// every document of the store if none.
    docs: Vec<String>,
    /// Seconds to wait for the peer before giving up.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

pub fn serve(store: Store, args: &ServeArgs) -> Result<()> {
    let addr: SocketAddr = args.listen.parse().map_err(|_| {
        format!(
            "--listen {:?} is not an address such as 127.0.0.1:8080",
            args.listen
        )
    })?;
    if !args.allow_unpaired {
        return Err(
            "serve needs --allow-unpaired: this version serves only plain \
                    WebSocket (paired devices over mutual TLS are not in it yet)"
                .into(),
        );
    }
    if !addr.ip().is_loopback() && !args.unpaired_on_any_address {
        return Err(format!(
            "{addr} is not loopback: unpaired peers are served on loopback only \
             unless --unpaired-on-any-address says otherwise"
        ));
    }
    runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        println!("serving on ws://{local}");
        let options = ServeOptions {
            access: Access::all(),
            ..ServeOptions::default()
        };
        tokio::select! {
            r = ws::serve(store, listener, options) => r.map_err(|e| e.to_string()),
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
    let docs = match args.docs.is_empty() {
        true => store.list_docs().map_err(|e| e.to_string())?,
        false => args
            .docs
            .iter()
            .map(|d| parse_doc(d))
            .collect::<Result<_>>()?,
    };
    if !args.peer.starts_with("ws://") {
        return Err(format!("--peer {:?} is not a ws:// address", args.peer));
    }
    let timeout = Duration::from_secs(args.timeout.max(1));
    let report = runtime()?
        .block_on(ws::sync(&store, &args.peer, docs, timeout))
        .map_err(|e| format!("sync with {}: {e}", args.peer))?;
    let mut missing = 0;
    for (id, r) in &report {
        let url = mergedb::net::AutomergeUrl::new((*id).into());
        match r.unavailable {
            true => {
                missing += 1;
                println!("{id} {url}: the peer does not have it, or does not share it");
            }
            false => println!(
                "{id} {url}: {} changes in, {} chunks out ({} bytes in, {} out)",
                r.changes_in, r.chunks_out, r.bytes_in, r.bytes_out
            ),
        }
    }
    match missing {
        0 => Ok(()),
        n => Err(format!(
            "{n} of {} documents were not available from the peer",
            report.len()
        )),
    }
}

//! The loop of one connection: the peer's frames and the store's changes
//! go to the core, on blocking threads (its store calls wait for
//! durability), and the core's frames go to the peer.

use super::ServeOptions;
use crate::conn::{Connection, DocReport};
use crate::NetError;
use futures_util::{SinkExt, StreamExt};
use mergedb_engine::store::{DocId, Store};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Weak};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// Documents that changed since the connection last looked, and a wake-up.
#[derive(Default)]
struct Dirty {
    docs: Mutex<HashSet<DocId>>,
    wake: Notify,
}

/// Registers a watcher that fills `dirty` for as long as it lives.
fn watch(store: &Store) -> Arc<Dirty> {
    let dirty = Arc::new(Dirty::default());
    let weak: Weak<Dirty> = Arc::downgrade(&dirty);
    store.watch(move |id| match weak.upgrade() {
        Some(d) => {
            d.docs.lock().insert(*id);
            d.wake.notify_one();
            true
        }
        None => false,
    });
    dirty
}

/// What one turn of the core gave: frames to send, and whether the
/// connection is over (by the core, or because a client is done).
struct Turn {
    frames: Vec<Vec<u8>>,
    over: bool,
    error: Option<NetError>,
}

/// Runs `f` on the core on a blocking thread: the store's sync calls wait
/// for durability. `None` when the runtime is shutting down.
async fn turn<F>(core: Connection, client: bool, f: F) -> Option<(Connection, Turn)>
where
    F: FnOnce(&mut Connection) -> Result<(), NetError> + Send + 'static,
{
    let run = tokio::task::spawn_blocking(move || {
        let mut core = core;
        let mut error = f(&mut core).err();
        let mut over = core.is_closed();
        if client && !over && error.is_none() {
            match core.is_done() {
                Ok(true) => {
                    core.leave();
                    over = true;
                }
                Ok(false) => {}
                Err(e) => error = Some(e),
            }
        }
        over |= error.is_some();
        let frames = core.take_outgoing();
        (
            core,
            Turn {
                frames,
                over,
                error,
            },
        )
    });
    match run.await {
        Ok(done) => Some(done),
        // The blocking task panicked: a bug, not the peer's doing.
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => None,
    }
}

/// The connection's loop: the peer's frames and the store's changes go to
/// the core, and the core's frames to the peer.
pub(super) async fn drive<S>(
    mut ws: WebSocketStream<S>,
    mut core: Connection,
    store: &Store,
    options: &ServeOptions,
    client: bool,
) -> Result<BTreeMap<DocId, DocReport>, NetError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let dirty = watch(store);
    let mut frames = core.take_outgoing();
    let result = loop {
        if let Err(e) = send_all(&mut ws, &mut frames).await {
            // A peer that has left may be gone before our last answer
            // reaches it: that is the end of the connection, not a fault.
            if core.is_closed() {
                break Ok(());
            }
            break Err(NetError::Io(format!("cannot write to the peer: {e}")));
        }
        if core.is_closed() {
            break Ok(());
        }
        let event = tokio::select! {
            m = tokio::time::timeout(options.idle_timeout, ws.next()) => Event::Frame(m),
            _ = dirty.wake.notified() => Event::Changed,
        };
        let next_turn = match event {
            Event::Changed => {
                let ids: Vec<DocId> = dirty.docs.lock().drain().collect();
                turn(core, client, move |c| {
                    ids.iter().try_for_each(|id| c.doc_changed(id))
                })
                .await
            }
            Event::Frame(Err(_)) => {
                break Err(NetError::Io(format!(
                    "the peer was silent for {:?}",
                    options.idle_timeout
                )))
            }
            Event::Frame(Ok(None)) => {
                break Err(NetError::Io("the peer closed the connection".into()))
            }
            Event::Frame(Ok(Some(Err(e)))) => break Err(refused(&mut core, &mut ws, e).await),
            Event::Frame(Ok(Some(Ok(message)))) => match message {
                Message::Binary(bytes) => turn(core, client, move |c| c.receive(&bytes)).await,
                Message::Text(_) => {
                    break Err(refused_frame(&mut core, &mut ws, "a text frame".into()).await)
                }
                Message::Close(_) => {
                    break Err(NetError::Io("the peer closed the connection".into()))
                }
                _ => continue,
            },
        };
        let Some((next, t)) = next_turn else {
            return Err(NetError::Io("the runtime is shutting down".into()));
        };
        core = next;
        frames = t.frames;
        if t.over {
            let _ = send_all(&mut ws, &mut frames).await;
            break match t.error {
                Some(e) => Err(e),
                None => Ok(()),
            };
        }
    };
    let _ = ws.close(None).await;
    let report = core.report();
    let _ = turn(core, false, |c| {
        c.close();
        Ok(())
    })
    .await;
    result.map(|()| report)
}

enum Event {
    Frame(
        Result<
            Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
            tokio::time::error::Elapsed,
        >,
    ),
    Changed,
}

/// A read error from the WebSocket layer: a frame over the limit or a
/// broken frame gets an `error` frame, if the socket still takes one.
async fn refused<S>(
    core: &mut Connection,
    ws: &mut WebSocketStream<S>,
    e: tokio_tungstenite::tungstenite::Error,
) -> NetError
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    use tokio_tungstenite::tungstenite::Error as E;
    match e {
        E::Capacity(c) => refused_frame(core, ws, format!("a frame over the limit: {c}")).await,
        E::Protocol(p) => refused_frame(core, ws, format!("the WebSocket protocol: {p}")).await,
        e => NetError::Io(e.to_string()),
    }
}

async fn refused_frame<S>(
    core: &mut Connection,
    ws: &mut WebSocketStream<S>,
    what: String,
) -> NetError
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let e = core.refuse(what);
    let _ = send_all(ws, &mut core.take_outgoing()).await;
    e
}

/// Sends the frames in order, then flushes once.
async fn send_all<S>(
    ws: &mut WebSocketStream<S>,
    frames: &mut Vec<Vec<u8>>,
) -> Result<(), tokio_tungstenite::tungstenite::Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if frames.is_empty() {
        return Ok(());
    }
    for frame in frames.drain(..) {
        ws.feed(Message::Binary(frame.into())).await?;
    }
    ws.flush().await
}

//! A server under hostile peers: garbage, frames over the limit, unknown
//! types, a peer that sends one byte at a time, a hundred connections at
//! once. The server must keep serving the others and its store must stay
//! whole.

mod common;

use common::{json, put, store};

use futures_util::{SinkExt, StreamExt};
use mergedb_engine::store::{DocId, Store};
use mergedb_net::wire::MAX_FRAME;
use mergedb_net::ws::{self, ServeOptions};
use mergedb_net::WireMessage;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(60);

async fn server(store: Store, options: ServeOptions) -> (String, std::net::SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(ws::serve(store, listener, options));
    (format!("ws://{addr}"), addr)
}

/// A server store with one document, and a check that a fresh client
/// still gets it whole.
fn served() -> (Store, DocId) {
    let s = store();
    let id = s.create_doc().unwrap();
    put(&s, &id, "sets", 5);
    (s, id)
}

async fn still_serves(url: &str, id: DocId) {
    let c = store();
    ws::sync(&c, url, vec![id], WAIT).await.unwrap();
    assert_eq!(json(&c, &id), r#"{"sets":5}"#);
}

/// The next binary frame, decoded; `None` if the server closed instead.
async fn next_message<S>(raw: &mut tokio_tungstenite::WebSocketStream<S>) -> Option<WireMessage>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        match tokio::time::timeout(WAIT, raw.next()).await.unwrap() {
            Some(Ok(Message::Binary(b))) => return Some(WireMessage::decode(&b).unwrap()),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            _ => return None,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_over_the_limit_is_refused() {
    let (s, id) = served();
    let (url, _) = server(s.clone(), ServeOptions::unpaired_on_loopback()).await;
    let (mut raw, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let big = vec![0u8; MAX_FRAME + 1];
    // The server may cut the connection while this is still being written.
    let _ = raw.send(Message::Binary(big.into())).await;
    match next_message(&mut raw).await {
        Some(WireMessage::Error { message }) => assert!(message.contains("limit"), "{message}"),
        None => {}
        Some(m) => panic!("answered {m:?}"),
    }
    still_serves(&url, id).await;
    assert_eq!(s.verify().unwrap().docs, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_types_are_skipped_and_the_sync_goes_on() {
    let (s, id) = served();
    let (url, _) = server(s.clone(), ServeOptions::unpaired_on_loopback()).await;
    let (mut raw, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let join = WireMessage::Join {
        sender_id: "odd".into(),
        supported_protocol_versions: vec!["1".into()],
        metadata: None,
    };
    raw.send(Message::Binary(join.encode().into()))
        .await
        .unwrap();
    assert!(matches!(
        next_message(&mut raw).await,
        Some(WireMessage::Peer { .. })
    ));
    // {"type": "gossip", "x": 1}: a type from a newer protocol.
    let gossip = b"\xa2\x64type\x66gossip\x61x\x01".to_vec();
    raw.send(Message::Binary(gossip.into())).await.unwrap();
    let empty = mergedb_engine::Document::new()
        .generate_sync_message(&mut mergedb_engine::SyncState::new())
        .unwrap();
    let request = WireMessage::Request {
        sender_id: "odd".into(),
        target_id: "server".into(),
        document_id: id.into(),
        data: empty.encode(),
    };
    raw.send(Message::Binary(request.encode().into()))
        .await
        .unwrap();
    let Some(WireMessage::Sync { data, .. }) = next_message(&mut raw).await else {
        panic!("no sync answer after the unknown type");
    };
    let answer = mergedb_engine::format::sync::Message::decode(&data).unwrap();
    assert_eq!(answer.heads, s.doc(&id).unwrap().heads().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_sends_a_byte_at_a_time_is_cut_off() {
    let (s, id) = served();
    let options = ServeOptions {
        handshake_timeout: Duration::from_secs(2),
        idle_timeout: Duration::from_secs(2),
        ..ServeOptions::unpaired_on_loopback()
    };
    let (url, addr) = server(s.clone(), options).await;
    // Before the upgrade: the request line, a byte every 100 ms.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    let trickle = tokio::spawn(async move {
        let request = b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n";
        for b in request.iter().cycle().take(600) {
            if slow.write_all(&[*b]).await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut buf = [0u8; 64];
        matches!(slow.read(&mut buf).await, Ok(0) | Err(_))
    });
    // After the upgrade: half a frame, then a byte every 100 ms.
    let (mut raw, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let join = WireMessage::Join {
        sender_id: "slow".into(),
        supported_protocol_versions: vec!["1".into()],
        metadata: None,
    };
    raw.send(Message::Binary(join.encode().into()))
        .await
        .unwrap();
    assert!(matches!(
        next_message(&mut raw).await,
        Some(WireMessage::Peer { .. })
    ));
    // Others are served meanwhile.
    still_serves(&url, id).await;
    let mut stream = raw.into_inner();
    let frame_head = [0x82u8, 0xfe, 0x10, 0x00, 1, 2, 3, 4];
    let mut cut = false;
    for b in frame_head.iter().chain(std::iter::repeat(&0u8)).take(600) {
        if stream.write_all(&[*b]).await.is_err() {
            cut = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(cut, "a peer trickling a frame was never cut off");
    assert!(
        trickle.await.unwrap(),
        "a peer trickling its upgrade was never cut off"
    );
    still_serves(&url, id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_connections_at_once() {
    let (s, id) = served();
    let (url, _) = server(s.clone(), ServeOptions::unpaired_on_loopback()).await;
    let mut tasks = Vec::new();
    for i in 0..100i64 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let c = store();
            match i % 4 {
                // Garbage, then gone.
                0 => {
                    let (mut raw, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
                    let _ = raw.send(Message::Binary(vec![0xff; 1000].into())).await;
                    true
                }
                // A document of its own, which the server takes.
                1 => {
                    let mine = c.create_doc().unwrap();
                    put(&c, &mine, "n", i);
                    ws::sync(&c, &url, vec![mine], WAIT).await.unwrap();
                    true
                }
                // The shared document, with an edit of its own.
                _ => {
                    ws::sync(&c, &url, vec![id], WAIT).await.unwrap();
                    put(&c, &id, &format!("k{i}"), i);
                    ws::sync(&c, &url, vec![id], WAIT).await.unwrap();
                    json(&c, &id).contains(&format!("\"k{i}\":{i}"))
                }
            }
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap());
    }
    let shared = json(&s, &id);
    for i in (0..100).filter(|i| i % 4 >= 2) {
        assert!(
            shared.contains(&format!("\"k{i}\":{i}")),
            "k{i} is missing: {shared}"
        );
    }
    assert_eq!(s.list_docs().unwrap().len(), 1 + 25);
    assert_eq!(s.verify().unwrap().docs, 26);
}

//! The WebSocket adapter over loopback: a server and clients, each with a
//! store of its own, and peers that misbehave.

mod common;

use common::{json, put, store};

use futures_util::{SinkExt, StreamExt};
use mergedb_engine::store::{DocId, Store};
use mergedb_net::ws::{self, ServeOptions};
use mergedb_net::{NetError, WireMessage};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

async fn server(store: Store) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    tokio::spawn(ws::serve(
        store,
        listener,
        ServeOptions::unpaired_on_loopback(),
    ));
    url
}

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_sync_both_ways() {
    let (s, c) = (store(), store());
    let id = s.create_doc().unwrap();
    put(&s, &id, "sets", 3);
    let url = server(s.clone()).await;
    let report = ws::sync(&c, &url, vec![id], WAIT).await.unwrap();
    assert_eq!(json(&c, &id), r#"{"sets":3}"#);
    assert_eq!(report[&id].changes_in, 1);
    assert!(report[&id].created);
    put(&c, &id, "reps", 10);
    let report = ws::sync(&c, &url, vec![id], WAIT).await.unwrap();
    assert!(report[&id].chunks_out >= 1);
    assert_eq!(json(&s, &id), r#"{"reps":10,"sets":3}"#);
    // Nothing new: the sync still ends, and moves no change.
    let report = ws::sync(&c, &url, vec![id], WAIT).await.unwrap();
    assert_eq!((report[&id].changes_in, report[&id].chunks_out), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_nobody_has_is_unavailable() {
    let url = server(store()).await;
    let c = store();
    let id = DocId([9; 16]);
    let report = ws::sync(&c, &url, vec![id], WAIT).await.unwrap();
    assert!(report[&id].unavailable);
    assert!(!c.contains_doc(&id).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_gets_an_error_and_the_server_serves_on() {
    let s = store();
    let id = s.create_doc().unwrap();
    put(&s, &id, "k", 1);
    let url = server(s.clone()).await;
    let (mut raw, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    raw.send(Message::Binary(vec![0xff, 0xfe, 0x00].into()))
        .await
        .unwrap();
    let answer = tokio::time::timeout(WAIT, raw.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let Message::Binary(bytes) = answer else {
        panic!("not a binary frame: {answer:?}");
    };
    assert!(matches!(
        WireMessage::decode(&bytes).unwrap(),
        WireMessage::Error { .. }
    ));
    // A text frame is refused the same way.
    let (mut raw, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    raw.send(Message::Text("hello".into())).await.unwrap();
    let answer = tokio::time::timeout(WAIT, raw.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(matches!(answer, Message::Binary(_)));
    // Others are served as before, and the store is intact.
    let c = store();
    ws::sync(&c, &url, vec![id], WAIT).await.unwrap();
    assert_eq!(json(&c, &id), r#"{"k":1}"#);
    assert_eq!(s.verify().unwrap().docs, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_server_is_a_typed_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = ws::sync(&store(), &url, vec![DocId([1; 16])], WAIT)
        .await
        .unwrap_err();
    assert!(matches!(err, NetError::Io(_)), "{err}");
}

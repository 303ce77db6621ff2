//! A client that reconnects at once, again and again, while the server is
//! still closing its last connection: the two connections of one peer
//! overlap, and each must sync from a state of its own. When they shared
//! one open sync state, the server thought it had sent what the closing
//! connection sent, and the new one waited forever (about one reconnect in
//! 70 here).

use mergedb_engine::format::ObjId;
use mergedb_engine::store::{DocId, Durability, Store, StoreError, StoreOptions};
use mergedb_net::ws::{self, ServeOptions};
use std::time::Duration;

fn put(store: &Store, id: &DocId, value: i64) {
    store
        .transact(id, |tx| {
            Ok::<_, StoreError>(tx.put(&ObjId::Root, "reps", value)?)
        })
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_quick_reconnects_each_finish() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let grouped = || StoreOptions {
        durability: Durability::Grouped,
        ..StoreOptions::default()
    };
    let server = Store::open_with(d1.path(), grouped()).unwrap();
    let client = Store::open_with(d2.path(), grouped()).unwrap();
    let ids: Vec<DocId> = (0..300)
        .map(|_| {
            let id = server.create_doc().unwrap();
            put(&server, &id, 0);
            id
        })
        .collect();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    tokio::spawn(ws::serve(
        server.clone(),
        listener,
        ServeOptions::unpaired_on_loopback(),
    ));
    let wait = Duration::from_secs(10);
    ws::sync(&client, &url, ids.clone(), wait).await.unwrap();
    let changed: Vec<DocId> = ids.iter().step_by(30).copied().collect();
    for round in 1..=100 {
        for id in &changed {
            put(&server, id, round);
        }
        let report = ws::sync(&client, &url, changed.clone(), wait)
            .await
            .unwrap_or_else(|e| panic!("reconnect {round}: {e}"));
        let moved: usize = report.values().map(|r| r.changes_in).sum();
        assert_eq!(moved, changed.len(), "reconnect {round}");
    }
    for id in &changed {
        let json = client.doc(id).unwrap().to_json().unwrap().to_string();
        assert_eq!(json, r#"{"reps":100}"#);
    }
}

//! Paired devices over mutual TLS (SPEC.md §6B.6): each store has a device
//! id, the hash of its certificate; two stores that paired each other's ids
//! sync over `wss://`, and a device that is not paired gets nothing, not
//! even a document id.

mod common;

use common::{json, put, store};

use mergedb_engine::store::{DocId, Store};
use mergedb_net::identity::{self, Identity};
use mergedb_net::ws::{self, ServeOptions};
use mergedb_net::{Access, NetError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

fn pair(a: &Store, b: &Store, access: Access) {
    let b_id = Identity::of_store(b).unwrap().id();
    identity::pair(a, &b_id, &access).unwrap();
}

/// Serves `store` to paired devices only; gives the `wss://` URL and what
/// the server logged.
async fn server(store: Store) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("wss://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = Arc::clone(&log);
    let options = ServeOptions {
        log: Some(Arc::new(move |line: &str| {
            l.lock().unwrap().push(line.to_string())
        })),
        ..ServeOptions::default()
    };
    tokio::spawn(ws::serve(store, listener, options));
    (url, log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paired_devices_sync_both_ways_over_tls() {
    let (phone, laptop) = (store(), store());
    pair(&phone, &laptop, Access::all());
    pair(&laptop, &phone, Access::all());
    let id = phone.create_doc().unwrap();
    put(&phone, &id, "sets", 3);
    let (url, _) = server(phone.clone()).await;
    // The laptop has no documents, and takes the ones the phone offers.
    let report = ws::sync_all(&laptop, &url, WAIT).await.unwrap();
    assert_eq!(report.keys().copied().collect::<Vec<_>>(), vec![id]);
    assert_eq!(json(&laptop, &id), r#"{"sets":3}"#);
    put(&laptop, &id, "reps", 10);
    let mine = laptop.create_doc().unwrap();
    put(&laptop, &mine, "notes", 1);
    let report = ws::sync_all(&laptop, &url, WAIT).await.unwrap();
    assert_eq!(report.len(), 2);
    assert_eq!(json(&phone, &id), r#"{"reps":10,"sets":3}"#);
    assert_eq!(json(&phone, &mine), r#"{"notes":1}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unpaired_device_learns_nothing() {
    let (phone, stranger) = (store(), store());
    let id = phone.create_doc().unwrap();
    put(&phone, &id, "sets", 3);
    // The stranger paired the phone, but the phone never paired it.
    pair(&stranger, &phone, Access::all());
    let (url, log) = server(phone.clone()).await;
    let err = ws::sync(&stranger, &url, vec![id], WAIT).await.unwrap_err();
    assert!(matches!(err, NetError::Io(_)), "{err}");
    assert!(!stranger.contains_doc(&id).unwrap());
    let stranger_id = Identity::of_store(&stranger).unwrap().id().to_string();
    let logged = log.lock().unwrap().join("\n");
    assert!(
        logged.contains(&stranger_id),
        "the server names the device: {logged}"
    );
    assert!(logged.contains("not paired"), "{logged}");
    // A plain WebSocket peer is refused too: this server takes none.
    let plain = url.replace("wss://", "ws://");
    assert!(ws::sync(&stranger, &plain, vec![id], WAIT).await.is_err());
    assert!(!stranger.contains_doc(&id).unwrap());
    phone.verify().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_not_paired_is_refused_by_the_client() {
    let (phone, laptop) = (store(), store());
    pair(&phone, &laptop, Access::all());
    let id = laptop.create_doc().unwrap();
    put(&laptop, &id, "secret", 1);
    let (url, _) = server(phone.clone()).await;
    let err = ws::sync(&laptop, &url, vec![id], WAIT).await.unwrap_err();
    let phone_id = Identity::of_store(&phone).unwrap().id().to_string();
    assert_eq!(err, NetError::NotPaired(phone_id));
    assert!(!phone.contains_doc(&id).unwrap(), "nothing went to it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pairing_for_some_documents_shares_those_only() {
    let (phone, laptop) = (store(), store());
    let (shared, private) = (phone.create_doc().unwrap(), phone.create_doc().unwrap());
    put(&phone, &shared, "a", 1);
    put(&phone, &private, "b", 2);
    pair(&phone, &laptop, Access::only([shared]));
    // The laptop shares everything with the phone; the phone's rule holds.
    pair(&laptop, &phone, Access::all());
    let (url, _) = server(phone.clone()).await;
    let report = ws::sync(&laptop, &url, vec![shared, private], WAIT)
        .await
        .unwrap();
    assert!(!report[&shared].unavailable);
    assert!(report[&private].unavailable, "as if the phone lacked it");
    assert!(!laptop.contains_doc(&private).unwrap());
    assert_eq!(json(&laptop, &shared), r#"{"a":1}"#);
    // The other way: a laptop that shares one document refuses to sync
    // another with the phone, and sync_all leaves it out.
    pair(&laptop, &phone, Access::only([shared]));
    let own = laptop.create_doc().unwrap();
    let err = ws::sync(&laptop, &url, vec![own], WAIT).await.unwrap_err();
    assert!(
        matches!(err, NetError::Protocol(ref m) if m.contains("not shared")),
        "{err}"
    );
    put(&laptop, &shared, "b", 2);
    let report = ws::sync_all(&laptop, &url, WAIT).await.unwrap();
    assert_eq!(report.keys().copied().collect::<Vec<_>>(), vec![shared]);
    assert!(!phone.contains_doc(&own).unwrap());
    assert_eq!(json(&phone, &shared), r#"{"a":1,"b":2}"#);
}

#[test]
fn the_identity_lasts_and_a_pairing_can_be_undone() {
    let dir = tempfile::tempdir().unwrap();
    let (id, other) = {
        let s = Store::open(dir.path()).unwrap();
        let id = Identity::of_store(&s).unwrap().id();
        assert_eq!(Identity::of_store(&s).unwrap().id(), id);
        let other = Identity::generate().unwrap().id();
        identity::pair(&s, &other, &Access::only([DocId([1; 16])])).unwrap();
        (id, other)
    };
    let s = Store::open(dir.path()).unwrap();
    assert_eq!(Identity::of_store(&s).unwrap().id(), id);
    let paired = identity::paired(&s).unwrap();
    assert_eq!(paired, vec![(other, Access::only([DocId([1; 16])]))]);
    assert!(identity::unpair(&s, &other).unwrap());
    assert!(!identity::unpair(&s, &other).unwrap());
    assert!(identity::paired(&s).unwrap().is_empty());
    s.verify().unwrap();
}

//! Between paired mergedb devices a reconnect moves what changed, not every
//! document (SPEC.md §6B.8): the server lists the documents that changed
//! for the peer, the client adds its own changed ones, and only those are
//! synced.

mod common;

use common::{json, put, store};

use mergedb_engine::store::{DocId, Store};
use mergedb_net::identity::{self, Identity};
use mergedb_net::ws::{self, ServeOptions};
use mergedb_net::Access;
use std::collections::BTreeSet;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// Two paired stores and the phone served over TLS.
async fn paired() -> (Store, Store, String) {
    let (phone, laptop) = (store(), store());
    let url = pair_and_serve(&phone, &laptop).await;
    (phone, laptop, url)
}

/// Pairs the two, serves the phone over TLS, and gives its URL.
async fn pair_and_serve(phone: &Store, laptop: &Store) -> String {
    let ids = |s: &Store| Identity::of_store(s).unwrap().id();
    identity::pair(phone, &ids(laptop), &Access::all()).unwrap();
    identity::pair(laptop, &ids(phone), &Access::all()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("wss://{}", listener.local_addr().unwrap());
    tokio::spawn(ws::serve(phone.clone(), listener, ServeOptions::default()));
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_syncs_only_the_documents_that_changed() {
    let (phone, laptop, url) = paired().await;
    let docs: Vec<DocId> = (0..50)
        .map(|i| {
            let id = phone.create_doc().unwrap();
            put(&phone, &id, "n", i);
            id
        })
        .collect();
    let first = ws::sync_all(&laptop, &url, WAIT).await.unwrap();
    assert_eq!(first.len(), 50, "a first sync takes every document");

    // In sync: a reconnect moves nothing.
    let again = ws::sync_all(&laptop, &url, WAIT).await.unwrap();
    assert!(again.is_empty(), "{again:?}");

    // Two changed on the phone, one on the laptop, one new on each.
    put(&phone, &docs[3], "n", 100);
    put(&phone, &docs[40], "n", 101);
    put(&laptop, &docs[7], "n", 102);
    let new_on_phone = phone.create_doc().unwrap();
    put(&phone, &new_on_phone, "new", 1);
    let new_on_laptop = laptop.create_doc().unwrap();
    put(&laptop, &new_on_laptop, "new", 2);
    let report = ws::sync_all(&laptop, &url, WAIT).await.unwrap();
    let moved: BTreeSet<DocId> = report.keys().copied().collect();
    let expected: BTreeSet<DocId> = [docs[3], docs[40], docs[7], new_on_phone, new_on_laptop]
        .into_iter()
        .collect();
    assert_eq!(moved, expected);
    for id in docs.iter().chain([&new_on_phone, &new_on_laptop]) {
        assert_eq!(json(&phone, id), json(&laptop, id));
    }
    let bytes: usize = report.values().map(|r| r.bytes_in + r.bytes_out).sum();
    assert!(bytes < 5 * 2_000, "{bytes} bytes for 5 documents");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_documents_take_no_others_and_a_restart_keeps_the_digest() {
    let dir = tempfile::tempdir().unwrap();
    let laptop = Store::open(dir.path()).unwrap();
    let (phone, _, url) = paired().await;
    // `paired` made its own laptop: pair this one, which lasts on disk.
    let ids = |s: &Store| Identity::of_store(s).unwrap().id();
    identity::pair(&phone, &ids(&laptop), &Access::all()).unwrap();
    identity::pair(&laptop, &ids(&phone), &Access::all()).unwrap();
    let (a, b) = (phone.create_doc().unwrap(), phone.create_doc().unwrap());
    put(&phone, &a, "a", 1);
    put(&phone, &b, "b", 1);
    let report = ws::sync(&laptop, &url, vec![a], WAIT).await.unwrap();
    assert_eq!(report.keys().copied().collect::<Vec<_>>(), vec![a]);
    assert!(
        !laptop.contains_doc(&b).unwrap(),
        "b was offered, not named"
    );

    // After a restart the laptop still knows the phone holds all of `a`.
    drop(laptop);
    let laptop = Store::open(dir.path()).unwrap();
    let report = ws::sync(&laptop, &url, vec![a], WAIT).await.unwrap();
    assert!(report.is_empty(), "{report:?}");
    put(&phone, &a, "a", 2);
    let report = ws::sync(&laptop, &url, vec![a], WAIT).await.unwrap();
    assert_eq!(report[&a].changes_in, 1);
    assert_eq!(json(&laptop, &a), r#"{"a":2}"#);
}

/// A store on disk that keeps no document in memory, so that every look
/// at a document is a load the cache counts.
fn uncached(dir: &std::path::Path) -> Store {
    let options = mergedb_engine::store::StoreOptions {
        cache_bytes: 1,
        ..Default::default()
    };
    Store::open_with(dir, options).unwrap()
}

fn loads(store: &Store) -> u64 {
    store.stats().cache.loads
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_looks_only_at_the_documents_that_changed() {
    const DOCS: usize = 200;
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (phone, laptop) = (uncached(a.path()), uncached(b.path()));
    let url = pair_and_serve(&phone, &laptop).await;
    let docs: Vec<DocId> = (0..DOCS as i64)
        .map(|i| {
            let id = phone.create_doc().unwrap();
            put(&phone, &id, "n", i);
            id
        })
        .collect();
    assert_eq!(ws::sync_all(&laptop, &url, WAIT).await.unwrap().len(), DOCS);
    // The server keeps its mark as its side closes, just after the
    // client's returns.
    let deadline = std::time::Instant::now() + WAIT;
    while phone.settings("digest/").unwrap().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the server kept no mark"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The laptop's copies are new since its first mark: one more look.
    assert!(ws::sync_all(&laptop, &url, WAIT).await.unwrap().is_empty());

    put(&phone, &docs[5], "n", 100);
    put(&phone, &docs[150], "n", 101);
    put(&laptop, &docs[60], "n", 102);
    let (phone_before, laptop_before) = (loads(&phone), loads(&laptop));
    let report = ws::sync_all(&laptop, &url, WAIT).await.unwrap();
    let moved: BTreeSet<DocId> = report.keys().copied().collect();
    assert_eq!(moved, [docs[5], docs[150], docs[60]].into_iter().collect());
    let (phone_loads, laptop_loads) =
        (loads(&phone) - phone_before, loads(&laptop) - laptop_before);
    eprintln!("{phone_loads} and {laptop_loads} loads for 3 changed of {DOCS} documents");
    // A few loads per changed document (to list it, sync it, settle it),
    // not one per document.
    assert!(
        phone_loads <= 30 && laptop_loads <= 30,
        "{phone_loads} and {laptop_loads} loads for 3 changed of {DOCS} documents"
    );
    for id in [docs[5], docs[150], docs[60]] {
        assert_eq!(json(&phone, &id), json(&laptop, &id));
    }
    assert!(ws::sync_all(&laptop, &url, WAIT).await.unwrap().is_empty());
}

/// Copies the store at `from` (closed) to `to`, as a user copying a store
/// to a new device would, and gives the copy a device key of its own: it
/// keeps the storage id.
fn copied_to_another_device(from: &std::path::Path, to: &std::path::Path) -> Store {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
    let copy = Store::open(to).unwrap();
    copy.remove_setting("device/key").unwrap();
    copy.remove_setting("device/certificate").unwrap();
    copy
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_shares_a_storage_id_does_not_speak_for_the_other() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let phone = store();
    let laptop = Store::open(a.path()).unwrap();
    let url = pair_and_serve(&phone, &laptop).await;
    let doc = phone.create_doc().unwrap();
    put(&phone, &doc, "n", 1);
    ws::sync_all(&laptop, &url, WAIT).await.unwrap();
    drop(laptop);
    let tablet = copied_to_another_device(a.path(), b.path());
    assert_eq!(
        tablet.storage_id(),
        Store::open(a.path()).unwrap().storage_id()
    );
    let ids = |s: &Store| Identity::of_store(s).unwrap().id();
    identity::pair(&phone, &ids(&tablet), &Access::all()).unwrap();
    identity::pair(&tablet, &ids(&phone), &Access::all()).unwrap();
    let laptop = Store::open(a.path()).unwrap();
    assert_ne!(ids(&tablet), ids(&laptop));

    // The tablet takes a change; the phone must not think the laptop has it.
    put(&phone, &doc, "n", 2);
    ws::sync_all(&tablet, &url, WAIT).await.unwrap();
    assert_eq!(json(&tablet, &doc), r#"{"n":2}"#);
    ws::sync_all(&laptop, &url, WAIT).await.unwrap();
    assert_eq!(
        json(&laptop, &doc),
        r#"{"n":2}"#,
        "the laptop missed a change"
    );
}

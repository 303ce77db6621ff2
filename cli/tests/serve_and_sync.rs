//! `serve` and `sync` as a script from outside runs them: two stores, two
//! processes, one WebSocket between them.

mod common;

use common::mergedb;

use std::path::Path;
use std::process::{Child, Stdio};

fn serve_with(db: &Path, flags: &[&str], scheme: &str) -> (Child, String) {
    common::serve_with(db, flags, scheme, Stdio::inherit())
}

/// `serve` for unpaired peers, and its `ws://` URL.
fn serve(db: &Path) -> (Child, String) {
    serve_with(db, &["--allow-unpaired"], "ws")
}

#[test]
fn two_stores_sync_over_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let (ok, doc, _) = mergedb(&a, &["create"]);
    assert!(ok);
    assert!(mergedb(&a, &["put", &doc, "/sets", "[5, 5, 3]"]).0);
    let (mut server, url) = serve(&a);

    // A new device: sync makes its store and takes the document.
    let (ok, out, err) = mergedb(&b, &["sync", "--peer", &url, &doc]);
    assert!(ok, "{err}");
    assert!(out.contains("1 changes in"), "{out}");
    assert_eq!(mergedb(&b, &["get", &doc]).1, r#"{"sets":[5,5,3]}"#);

    // An edit there goes back, and the server keeps it.
    assert!(mergedb(&b, &["put", &doc, "/reps", "8"]).0);
    let (ok, out, err) = mergedb(&b, &["sync", "--peer", &url]);
    assert!(ok, "{err}");
    assert!(out.contains("0 changes in, 1 chunks out"), "{out}");
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(
        mergedb(&a, &["get", &doc]).1,
        r#"{"reps":8,"sets":[5,5,3]}"#
    );
}

#[test]
fn bad_arguments_get_one_line_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let (_, doc, _) = mergedb(&a, &["create"]);
    let cases: &[(&[&str], &str)] = &[
        (
            &["serve", "--listen", "nowhere", "--allow-unpaired"],
            "not an address",
        ),
        (&["sync", "--peer", "http://127.0.0.1:1"], "not a wss://"),
        (&["pair", "ABCD"], "not a device id"),
        (&["unpair", "ABCD"], "not a device id"),
        (
            &["sync", "--peer", "ws://127.0.0.1:1", "--timeout", "2"],
            "cannot connect",
        ),
        (
            &["sync", "--peer", "ws://127.0.0.1:1", "not-an-id"],
            "not a document id",
        ),
    ];
    for (args, expected) in cases {
        let (ok, _, err) = mergedb(&a, args);
        assert!(!ok, "{args:?} succeeded");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
    assert_eq!(mergedb(&a, &["docs"]).1, doc);
}

#[test]
fn a_document_the_peer_lacks_is_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    assert!(mergedb(&a, &["create"]).0);
    let (mut server, url) = serve(&a);
    let missing = "00112233445566778899aabbccddeeff";
    let (ok, out, err) = mergedb(&b, &["sync", "--peer", &url, missing]);
    server.kill().unwrap();
    let _ = server.wait();
    assert!(!ok);
    assert!(out.contains("does not have it"), "{out}");
    assert!(err.contains("1 of 1 documents"), "{err}");
    assert_eq!(mergedb(&b, &["docs"]).1, "");
}

#[test]
fn paired_devices_sync_over_tls_and_others_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (phone, laptop, stranger) = (
        dir.path().join("phone"),
        dir.path().join("laptop"),
        dir.path().join("stranger"),
    );
    let (_, doc, _) = mergedb(&phone, &["create"]);
    assert!(mergedb(&phone, &["put", &doc, "/exercise", "\"squat\""]).0);
    let (ok, phone_id, _) = mergedb(&phone, &["id"]);
    assert!(ok);
    let laptop_id = mergedb(&laptop, &["id"]).1;
    assert_eq!(mergedb(&laptop, &["id"]).1, laptop_id, "the id lasts");
    assert!(mergedb(&phone, &["pair", &laptop_id]).0);
    let (ok, out, err) = mergedb(&laptop, &["pair", &phone_id, "--docs", &doc]);
    assert!(ok, "{err}");
    assert!(out.contains("1 documents"), "{out}");
    assert_eq!(
        mergedb(&phone, &["peers"]).1,
        format!("{laptop_id} every document")
    );
    let (ok, _, err) = mergedb(&phone, &["pair", &phone_id]);
    assert!(!ok && err.contains("own device id"), "{err}");

    let (mut server, url) = serve_with(&phone, &[], "wss");
    // With no document named, the laptop takes what the phone shares.
    let (ok, out, err) = mergedb(&laptop, &["sync", "--peer", &url]);
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!("{doc} ")) && out.contains("1 changes in"),
        "{out}"
    );
    // In sync: naming it again moves nothing.
    let (ok, out, err) = mergedb(&laptop, &["sync", "--peer", &url, &doc]);
    assert!(ok, "{err}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(
        mergedb(&laptop, &["get", &doc]).1,
        r#"{"exercise":"squat"}"#
    );

    // A device the phone never paired: refused, and it has nothing.
    let (ok, _, err) = mergedb(&stranger, &["sync", "--peer", &url, &doc]);
    assert!(!ok);
    assert!(err.contains("is not paired"), "{err}");
    // Without --allow-unpaired, plain WebSocket is refused.
    let plain = url.replace("wss://", "ws://");
    let (ok, _, _) = mergedb(&stranger, &["sync", "--peer", &plain, &doc]);
    assert!(!ok);
    assert_eq!(mergedb(&stranger, &["docs"]).1, "");
    server.kill().unwrap();
    let _ = server.wait();
    assert!(mergedb(&phone, &["unpair", &laptop_id]).0);
    assert_eq!(mergedb(&phone, &["peers"]).1, "");
    let (ok, _, err) = mergedb(&phone, &["unpair", &laptop_id]);
    assert!(!ok && err.contains("not paired"), "{err}");
}

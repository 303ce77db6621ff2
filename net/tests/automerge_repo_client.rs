//! A real automerge-repo client: node runs `js/repo_client.mjs` with the
//! npm packages `@automerge/automerge-repo` and
//! `@automerge/automerge-repo-network-websocket` (installed by `.ci/run`
//! into `$MERGEDB_JS_DIR`), against a mergedb server on a redb store.
//!
//! Without node, or without the packages, the test says so and passes;
//! under CI (`CI` set) with node on the machine it fails instead.

use mergedb_engine::format::{ObjId, ObjType};
use mergedb_engine::store::{DocId, Store, StoreError};
use mergedb_net::ws::{self, ServeOptions};
use mergedb_net::AutomergeUrl;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(60);

fn node_runs() -> bool {
    Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The directory whose node_modules holds the two packages, if there is one.
fn js_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("MERGEDB_JS_DIR")?);
    let ws = dir.join("node_modules/@automerge/automerge-repo-network-websocket");
    ws.is_dir().then_some(dir)
}

fn json(store: &Store, id: &DocId) -> String {
    match store.doc(id) {
        Ok(d) => d.to_json().map(|j| j.to_string()).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Waits until `ok` holds of the store, or fails the test.
fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < WAIT, "waited {WAIT:?} for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The next line the script prints.
fn line(lines: &mpsc::Receiver<String>, prefix: &str) -> String {
    let l = lines
        .recv_timeout(WAIT)
        .unwrap_or_else(|_| panic!("no {prefix:?} line"));
    match l.strip_prefix(prefix) {
        Some(rest) => rest.trim().to_string(),
        None => panic!("expected {prefix:?}, the script said {l:?}"),
    }
}

#[test]
fn a_real_automerge_repo_client_syncs_both_ways() {
    let (js, node) = (js_dir(), node_runs());
    let Some(js) = js.filter(|_| node) else {
        assert!(
            std::env::var_os("CI").is_none() || !node,
            "CI has node, so it must run the node client test: set MERGEDB_JS_DIR"
        );
        eprintln!("skipped: node or MERGEDB_JS_DIR with the automerge-repo packages is missing");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    // A document mergedb made, with text in it, for the client to find.
    let ours = store.create_doc().unwrap();
    store
        .transact(&ours, |tx| {
            let t = tx.put_object(&ObjId::Root, "title", ObjType::Text)?;
            tx.splice_text(&t, 0, 0, "Leg day ✓")?;
            Ok::<_, StoreError>(tx.put(&ObjId::Root, "weight", 60i64)?)
        })
        .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let server = format!("ws://{}", listener.local_addr().unwrap());
    runtime.spawn(ws::serve(
        store.clone(),
        listener,
        ServeOptions::unpaired_on_loopback(),
    ));

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/js/repo_client.mjs");
    let mut child = Command::new("node")
        .arg(script)
        .arg(&server)
        .arg(AutomergeUrl::new(ours.into()).to_string())
        .env("MERGEDB_JS_DIR", &js)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for l in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(l);
        }
    });

    // mergedb -> JS.
    let found: serde_json::Value = serde_json::from_str(&line(&lines, "found ")).unwrap();
    assert_eq!(
        found,
        serde_json::json!({"title": "Leg day ✓", "weight": 60})
    );

    // JS -> mergedb: the server makes the document and keeps it.
    let url: AutomergeUrl = line(&lines, "created ").parse().unwrap();
    let theirs = DocId::from(url.id);
    wait_for("the client's document", || {
        json(&store, &theirs).contains("squat")
    });
    assert_eq!(
        json(&store, &theirs),
        r#"{"exercise":"squat","sets":[5,5,3]}"#
    );

    // mergedb edits it while the client is connected; the client sees the
    // edit and answers with one of its own.
    store
        .transact(&theirs, |tx| {
            Ok::<_, StoreError>(tx.put(&ObjId::Root, "reps", 8i64)?)
        })
        .unwrap();
    let saw: serde_json::Value = serde_json::from_str(&line(&lines, "saw ")).unwrap();
    assert_eq!(saw["reps"], 8);
    wait_for("the client's answer", || {
        json(&store, &theirs).contains("felt good")
    });
    let _ = child.kill();
    let _ = child.wait();
    let mut heads = store.doc(&theirs).unwrap().heads().unwrap();
    heads.sort();
    assert_eq!(
        heads.len(),
        1,
        "the client's edit came after ours: one head"
    );
    assert_eq!(store.verify().unwrap().docs, 2);
}

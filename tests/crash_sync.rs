//! kill -9 during a store-level sync (SPEC.md §6A). A child process holds two
//! stores, edits the first and syncs it to the second, printing each change
//! the second has acknowledged (received, durably). The parent kills it at a
//! random moment, reopens both stores, checks that `verify` passes (no stored
//! sync state claims a change its store lacks) and that every acknowledged
//! change is on both sides, then finishes the sync and finds them equal.

mod common;

use common::Rng;
use mergedb::engine::format::{ChangeHash, ObjId, ObjType};
use mergedb::engine::store::{DocId, Durability, Store, StoreError, StoreOptions};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

const DIR: &str = "MERGEDB_SYNC_CRASH_DIR";
const DOC: &str = "MERGEDB_SYNC_CRASH_DOC";

fn open(dir: &Path) -> Store {
    let options = StoreOptions {
        durability: Durability::Grouped,
        ..StoreOptions::default()
    };
    Store::open_with(dir, options).unwrap()
}

/// One round of messages each way; whether anything was said.
fn round(a: &Store, b: &Store, id: &DocId, mut acked: impl FnMut(&[ChangeHash])) -> bool {
    let mut said = false;
    if let Some(m) = a.generate_sync_message(id, b"b").unwrap() {
        said = true;
        let before = b.doc(id).unwrap().heads().unwrap();
        b.receive_sync_message(id, b"a", m).unwrap();
        let after = b.doc(id).unwrap().heads().unwrap();
        if after != before {
            acked(&after);
        }
    }
    if let Some(m) = b.generate_sync_message(id, b"a").unwrap() {
        said = true;
        a.receive_sync_message(id, b"b", m).unwrap();
    }
    said
}

#[test]
#[ignore = "the sync crash test runs this as its child process"]
fn sync_crash_child() {
    let (Ok(dir), Ok(doc)) = (std::env::var(DIR), std::env::var(DOC)) else {
        return;
    };
    let dir = Path::new(&dir);
    let (a, b) = (open(&dir.join("a")), open(&dir.join("b")));
    let id = DocId::parse(&doc).unwrap();
    let text = match a.doc(&id).unwrap().get(&ObjId::Root, "t").unwrap() {
        Some((_, t)) => t,
        None => {
            a.transact(&id, |tx| {
                Ok::<_, StoreError>(tx.put_object(&ObjId::Root, "t", ObjType::Text)?)
            })
            .unwrap()
            .value
        }
    };
    let mut out = std::io::stdout().lock();
    for i in 0usize.. {
        a.transact(&id, |tx| {
            let len = tx.length(&text)?;
            Ok::<_, StoreError>(tx.splice_text(&text, i % (len + 1), 0, "s")?)
        })
        .unwrap();
        if i % 3 == 0 {
            while round(&a, &b, &id, |heads| {
                for h in heads {
                    writeln!(out, "ack {}", h.to_hex()).unwrap();
                }
                out.flush().unwrap();
            }) {}
        }
    }
}

fn run_child(dir: &Path, doc: &DocId, delay: Duration) -> Vec<ChangeHash> {
    let envs = [(DIR, dir.display().to_string()), (DOC, doc.to_string())];
    common::kill_after("sync_crash_child", &envs, delay)
        .iter()
        .filter_map(|l| l.strip_prefix("ack ").and_then(ChangeHash::from_hex))
        .collect()
}

#[test]
fn kill_nine_during_sync_loses_no_acknowledged_change() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let (a, b) = (open(&dir.path().join("a")), open(&dir.path().join("b")));
        let id = a.create_doc().unwrap();
        b.create_doc_as(id).unwrap();
        id
    };
    let mut rng = Rng::new(9);
    let mut acked_total = 0;
    for i in 0..60 {
        let delay = Duration::from_millis(20 + rng.below(120) as u64);
        let acked = run_child(dir.path(), &id, delay);
        let (a, b) = (open(&dir.path().join("a")), open(&dir.path().join("b")));
        a.verify().unwrap_or_else(|e| panic!("kill {i}: a: {e}"));
        b.verify().unwrap_or_else(|e| panic!("kill {i}: b: {e}"));
        for h in &acked {
            for (name, s) in [("a", &a), ("b", &b)] {
                let doc = s.doc(&id).unwrap().read().unwrap();
                assert!(
                    doc.has_change(h),
                    "kill {i}: acknowledged {h} is missing on {name}"
                );
            }
        }
        acked_total += acked.len();
        // After the restart the sync completes.
        let mut rounds = 0;
        while round(&a, &b, &id, |_| {}) {
            rounds += 1;
            assert!(rounds < 20, "kill {i}: the sync does not end");
        }
        assert_eq!(
            a.doc(&id).unwrap().heads().unwrap(),
            b.doc(&id).unwrap().heads().unwrap()
        );
        assert_eq!(
            a.doc(&id).unwrap().to_json().unwrap(),
            b.doc(&id).unwrap().to_json().unwrap()
        );
    }
    assert!(acked_total > 60, "only {acked_total} acknowledgements");
    println!("60 kills during sync, {acked_total} acknowledged heads, all on both sides");
}

//! kill -9 at a random moment: every acknowledged commit survives, and the
//! store verifies.
//!
//! The test binary runs itself again as a child writer (`crash_child`). The
//! child commits to one document through a real store and prints each change's
//! hash the moment it is acknowledged: for `Immediate`, when the commit returns;
//! for `Grouped`, when its ticket completes. The parent kills it with SIGKILL
//! after a random delay (during open and load too), reopens the store, checks
//! that every acknowledged change is there, and runs `verify`. Every 40th
//! commit the child also compacts the document (SPEC.md §6), so kills land
//! during compaction too.
//!
//! The child also prints every change it makes, with its actor and seq, the
//! moment its commit returns: for `Grouped`, before it is durable, as an app
//! that sends it to a peer would. No `(actor, seq)` may ever name two
//! different changes, across all the kills (SPEC.md §5.7).

mod common;

use common::Rng;
use mergedb::engine::format::{ChangeHash, ObjId, ObjType};
use mergedb::engine::store::{DocId, Durability, Store, StoreError, StoreOptions};
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

const DIR: &str = "MERGEDB_CRASH_DIR";
const DOC: &str = "MERGEDB_CRASH_DOC";
const MODE: &str = "MERGEDB_CRASH_MODE";
const BACKEND: &str = "MERGEDB_CRASH_BACKEND";

fn open(dir: &Path, backend: &str, durability: Durability) -> Store {
    let options = StoreOptions {
        durability,
        ..StoreOptions::default()
    };
    match backend {
        #[cfg(feature = "sled")]
        "sled" => {
            let b = open_sled(&dir.join("sled"));
            Store::with_backend(std::sync::Arc::new(b), options, dir).unwrap()
        }
        _ => Store::open_with(dir, options).unwrap(),
    }
}

/// Opens sled, waiting out a lock that a process spawned meanwhile by the
/// other crash test may hold: sled's lock is a flock, which a child shares
/// between its fork and its exec, when close-on-exec drops it. Any other
/// error fails at once.
#[cfg(feature = "sled")]
fn open_sled(path: &Path) -> mergedb::engine::store::SledBackend {
    let mut tries = 0;
    loop {
        match mergedb::engine::store::SledBackend::open(path) {
            Ok(b) => return b,
            Err(e) if e.to_string().contains("could not acquire lock") && tries < 100 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => {
                let files: Vec<String> = std::fs::read_dir(path)
                    .map(|d| {
                        d.flatten()
                            .map(|e| e.file_name().to_string_lossy().into_owned())
                            .collect()
                    })
                    .unwrap_or_default();
                panic!("sled does not open: {e}; its directory holds {files:?}")
            }
        }
    }
}

/// The child writer: commits until it is killed. Not a test of its own.
#[test]
#[ignore = "the crash tests run this as their child process"]
fn crash_child() {
    let (Ok(dir), Ok(doc)) = (std::env::var(DIR), std::env::var(DOC)) else {
        return;
    };
    let durability = match std::env::var(MODE).as_deref() {
        Ok("grouped") => Durability::Grouped,
        _ => Durability::Immediate,
    };
    let backend = std::env::var(BACKEND).unwrap_or_default();
    let store = open(Path::new(&dir), &backend, durability);
    let id = DocId::parse(&doc).unwrap();
    let text = {
        let doc = store.doc(&id).unwrap();
        doc.get(&ObjId::Root, "text").unwrap().map(|(_, t)| t)
    };
    let text = match text {
        Some(t) => t,
        None => {
            let mut t = ObjId::Root;
            let c = store.transact(&id, |tx| {
                t = tx.put_object(&ObjId::Root, "text", ObjType::Text)?;
                Ok::<_, StoreError>(())
            });
            c.unwrap().ticket.wait().unwrap();
            t
        }
    };
    let actor = store.actor();
    let mut seq = store.doc(&id).unwrap().read().unwrap().last_seq(&actor);
    let mut out = std::io::stdout().lock();
    let mut waiting: VecDeque<(ChangeHash, mergedb::engine::store::Ticket)> = VecDeque::new();
    for i in 0u64.. {
        let commit = store
            .transact(&id, |tx| {
                let len = tx.length(&text)?;
                Ok::<_, StoreError>(tx.splice_text(&text, (i as usize * 7) % (len + 1), 0, "x")?)
            })
            .unwrap();
        let Some(hash) = commit.hash else { continue };
        seq += 1;
        writeln!(out, "made {actor} {seq} {}", hash.to_hex()).unwrap();
        out.flush().unwrap();
        waiting.push_back((hash, commit.ticket));
        if i % 40 == 20 {
            store.compact(&id).unwrap();
            writeln!(out, "compacted").unwrap();
        }
        // Pipeline a few commits, then acknowledge the oldest once it is durable.
        while waiting.len() > 8 || waiting.front().is_some_and(|(_, t)| t.is_durable()) {
            let Some((hash, ticket)) = waiting.pop_front() else {
                break;
            };
            ticket.wait().unwrap();
            writeln!(out, "ack {}", hash.to_hex()).unwrap();
            out.flush().unwrap();
        }
    }
}

/// What one child printed before it was killed.
#[derive(Default)]
struct Printed {
    /// The hashes it acknowledged.
    acked: Vec<ChangeHash>,
    /// Every change it handed out: actor (in hex), seq and hash.
    made: Vec<(String, u64, ChangeHash)>,
    /// The compactions it finished.
    compactions: usize,
}

fn parse_made(line: &str) -> Option<(String, u64, ChangeHash)> {
    let mut parts = line.strip_prefix("made ")?.split(' ');
    let actor = parts.next()?.to_string();
    let seq = parts.next()?.parse().ok()?;
    let hash = ChangeHash::from_hex(parts.next()?)?;
    Some((actor, seq, hash))
}

/// One kill: what the child printed before it died.
fn run_child(dir: &Path, doc: &DocId, mode: &str, backend: &str, delay: Duration) -> Printed {
    let envs = [
        (DIR, dir.display().to_string()),
        (DOC, doc.to_string()),
        (MODE, mode.to_string()),
        (BACKEND, backend.to_string()),
    ];
    let lines = common::kill_after("crash_child", &envs, delay);
    Printed {
        compactions: lines.iter().filter(|l| *l == "compacted").count(),
        acked: lines
            .iter()
            .filter_map(|l| l.strip_prefix("ack ").and_then(ChangeHash::from_hex))
            .collect(),
        made: lines.iter().filter_map(|l| parse_made(l)).collect(),
    }
}

/// Kills `iterations` children and checks the store after each.
fn crash_loop(backend: &str, iterations: usize, seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let doc = open(dir.path(), backend, Durability::Immediate)
        .create_doc()
        .unwrap();
    let mut rng = Rng::new(seed);
    let mut acked_total = 0;
    let mut compactions = 0;
    let mut handed: HashMap<(String, u64), ChangeHash> = HashMap::new();
    let mut actors = HashSet::new();
    for i in 0..iterations {
        let mode = if i % 2 == 0 { "immediate" } else { "grouped" };
        let delay = Duration::from_millis(rng.below(60) as u64);
        let printed = run_child(dir.path(), &doc, mode, backend, delay);
        compactions += printed.compactions;
        let acked = printed.acked;
        for (actor, seq, hash) in printed.made {
            actors.insert(actor.clone());
            let before = handed.insert((actor.clone(), seq), hash);
            assert!(
                before.is_none_or(|h| h == hash),
                "iteration {i} ({mode}): {actor} seq {seq} was handed out as two changes"
            );
        }
        let store = open(dir.path(), backend, Durability::Immediate);
        let report = store
            .verify()
            .unwrap_or_else(|e| panic!("iteration {i} ({mode}): {e}"));
        let handle = store.doc(&doc).unwrap();
        let d = handle.read().unwrap();
        for hash in &acked {
            assert!(
                d.change_by_hash(hash).is_some(),
                "iteration {i} ({mode}): acknowledged {hash} is lost"
            );
        }
        for ((actor, seq), hash) in &handed {
            let Some(actor) = mergedb::engine::format::ActorId::from_hex(actor) else {
                panic!("the child printed actor {actor:?}");
            };
            let stored = d.hash_by_seq(&actor, *seq);
            assert!(
                stored.is_none_or(|h| h == *hash),
                "iteration {i} ({mode}): {actor} seq {seq} is stored as another change than the one handed out"
            );
        }
        acked_total += acked.len();
        assert!(d.change_count() >= acked_total);
        assert!(report.snapshots <= 1);
    }
    assert!(compactions > 0, "no child compacted before it was killed");
    assert!(
        acked_total > iterations,
        "the children acknowledged only {acked_total} commits"
    );
    println!(
        "{backend}: {iterations} kills, {acked_total} acknowledged commits, all kept; {compactions} compactions finished; {} changes handed out by {} actors, no (actor, seq) twice",
        handed.len(),
        actors.len()
    );
}

#[test]
fn kill_nine_keeps_every_acknowledged_commit() {
    crash_loop("redb", 200, 1);
}

#[test]
#[ignore = "long: cargo test --release --test crash_kill -- --ignored long"]
fn kill_nine_long() {
    crash_loop("redb", 5_000, 2);
}

#[cfg(feature = "sled")]
#[test]
fn kill_nine_keeps_every_acknowledged_commit_on_sled() {
    crash_loop("sled", 200, 3);
}

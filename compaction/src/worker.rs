//! The background worker: every `interval`, ask the store for its logs, ask
//! the policy, and compact what it chose.

use crate::policy::{choose, Choice, Config, DocLog, State};
use mergedb_engine::store::{Store, StoreError};
use parking_lot::{Condvar, Mutex};
use std::sync::Arc;
use std::thread::JoinHandle;

/// What the worker has done.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkerStats {
    /// Rounds: times it asked the policy.
    pub rounds: u64,
    /// Documents compacted.
    pub compactions: u64,
    /// The last compaction error, if any. The worker keeps going: a document
    /// that cannot be compacted now may be compacted later, and a poisoned
    /// store fails every write with its own error.
    pub last_error: Option<String>,
}

#[derive(Debug, Default)]
struct Shared {
    stop: bool,
    stats: WorkerStats,
}

/// A background compaction thread. Dropping it stops it (after the round in
/// progress) and waits for it.
#[derive(Debug)]
pub struct Worker {
    shared: Arc<(Mutex<Shared>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts a worker for `store`.
    pub fn start(store: Store, config: Config) -> Worker {
        let shared = Arc::new((Mutex::new(Shared::default()), Condvar::new()));
        let theirs = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("mergedb-compaction".into())
            .spawn(move || run(&store, &config, &theirs))
            .ok();
        Worker { shared, thread }
    }

    /// What it has done so far.
    pub fn stats(&self) -> WorkerStats {
        self.shared.0.lock().stats.clone()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.shared.0.lock().stop = true;
        self.shared.1.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(store: &Store, config: &Config, shared: &(Mutex<Shared>, Condvar)) {
    loop {
        {
            let mut s = shared.0.lock();
            if !s.stop {
                shared.1.wait_for(&mut s, config.interval);
            }
            if s.stop {
                return;
            }
        }
        let done = round(store, config);
        let mut s = shared.0.lock();
        s.stats.rounds += 1;
        s.stats.compactions += done.0;
        if let Some(e) = done.1 {
            s.stats.last_error = Some(e.to_string());
        }
    }
}

/// One round: how many documents it compacted, and the last error.
fn round(store: &Store, config: &Config) -> (u64, Option<StoreError>) {
    let state = State {
        logs: store
            .log_stats()
            .into_iter()
            .map(|(doc, l)| DocLog {
                doc,
                records: l.records,
                bytes: l.bytes,
            })
            .collect(),
    };
    let Choice::Compact(docs) = choose(&state, config) else {
        return (0, None);
    };
    let mut done = 0;
    let mut error = None;
    for doc in docs {
        match store.compact(&doc) {
            Ok(_) => done += 1,
            Err(e) => error = Some(e),
        }
    }
    (done, error)
}

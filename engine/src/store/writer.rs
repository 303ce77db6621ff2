//! Group commit (SPEC.md §5.4). Commits with `Durability::Grouped` hand their
//! batch to one log writer thread and return a ticket at once. The writer
//! takes every batch queued so far, writes them as one backend batch with one
//! fsync, and then marks all their tickets durable. A single writer can thus
//! pipeline, and concurrent writers share fsyncs.
//!
//! A failed write poisons the writer: the batches in flight and every later
//! one fail, and no ticket ever reports them durable.

use super::{Backend, Batch, StoreError};
use parking_lot::{Condvar, Mutex};
use std::sync::Arc;
use std::thread::JoinHandle;

#[derive(Debug, Default)]
struct State {
    /// Batches waiting for the writer, with their tickets.
    pending: Vec<(u64, Batch)>,
    /// The ticket the next batch gets.
    next: u64,
    /// Every ticket below this is durable.
    durable: u64,
    poisoned: Option<String>,
    shutdown: bool,
    fsyncs: u64,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    /// Wakes the writer when there is work or it must stop.
    work: Condvar,
    /// Wakes waiters when tickets become durable or the writer is poisoned.
    done: Condvar,
}

/// A commit's promise of durability.
#[derive(Clone, Debug)]
pub struct Ticket {
    shared: Option<Arc<Shared>>,
    id: u64,
}

impl Ticket {
    /// A ticket for a write that is already durable.
    pub(crate) fn durable() -> Self {
        Ticket {
            shared: None,
            id: 0,
        }
    }

    /// Waits until the commit is durable; an error if the store was poisoned
    /// before it got there.
    pub fn wait(&self) -> Result<(), StoreError> {
        let Some(shared) = &self.shared else {
            return Ok(());
        };
        let mut state = shared.state.lock();
        loop {
            if state.durable > self.id {
                return Ok(());
            }
            if let Some(why) = &state.poisoned {
                return Err(StoreError::Poisoned(why.clone()));
            }
            shared.done.wait(&mut state);
        }
    }

    /// The ticket's number in the log writer's order, if it waits for one.
    pub(crate) fn id(&self) -> Option<u64> {
        self.shared.as_ref().map(|_| self.id)
    }

    /// Whether the commit is durable now.
    pub fn is_durable(&self) -> bool {
        self.shared
            .as_ref()
            .is_none_or(|s| s.state.lock().durable > self.id)
    }
}

#[derive(Debug)]
pub(crate) struct LogWriter {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl LogWriter {
    pub fn start(backend: Arc<dyn Backend>) -> Self {
        let shared = Arc::new(Shared::default());
        let for_thread = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("mergedb-log-writer".into())
            .spawn(move || run(&for_thread, backend.as_ref()))
            .ok();
        LogWriter { shared, thread }
    }

    /// Queues a batch for the next group; the ticket says when it is durable.
    pub fn submit(&self, batch: Batch) -> Result<Ticket, StoreError> {
        let mut state = self.shared.state.lock();
        if let Some(why) = &state.poisoned {
            return Err(StoreError::Poisoned(why.clone()));
        }
        if self.thread.is_none() {
            return Err(StoreError::Poisoned(
                "the log writer thread could not be started".into(),
            ));
        }
        let id = state.next;
        state.next += 1;
        state.pending.push((id, batch));
        self.shared.work.notify_one();
        Ok(Ticket {
            shared: Some(Arc::clone(&self.shared)),
            id,
        })
    }

    /// A ticket that is durable when everything submitted so far is.
    pub fn last_ticket(&self) -> Ticket {
        let state = self.shared.state.lock();
        match state.next {
            0 => Ticket::durable(),
            next => Ticket {
                shared: Some(Arc::clone(&self.shared)),
                id: next - 1,
            },
        }
    }

    /// Whether every ticket up to `id` is durable (so nothing of a document
    /// waits in memory only).
    pub fn is_durable_through(&self, id: Option<u64>) -> bool {
        id.is_none_or(|id| self.shared.state.lock().durable > id)
    }

    pub fn poison(&self, why: String) {
        let mut state = self.shared.state.lock();
        state.poisoned.get_or_insert(why);
        self.shared.done.notify_all();
    }

    pub fn poisoned(&self) -> Option<String> {
        self.shared.state.lock().poisoned.clone()
    }

    pub fn fsyncs(&self) -> u64 {
        self.shared.state.lock().fsyncs
    }
}

impl LogWriter {
    /// Writes what is queued, then stops the thread; later submits fail.
    pub fn stop(&mut self) {
        self.shared.state.lock().shutdown = true;
        self.shared.work.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(shared: &Shared, backend: &dyn Backend) {
    loop {
        let group = {
            let mut state = shared.state.lock();
            while state.pending.is_empty() && !state.shutdown {
                shared.work.wait(&mut state);
            }
            if state.pending.is_empty() || state.poisoned.is_some() {
                return;
            }
            std::mem::take(&mut state.pending)
        };
        let Some(last) = group.last().map(|(id, _)| *id) else {
            continue;
        };
        let mut merged = Batch::new();
        for (_, batch) in group {
            merged.append(batch);
        }
        let merged = super::log_group::coalesce(merged);
        let result = backend.write(&merged, true);
        let mut state = shared.state.lock();
        match result {
            Ok(()) => {
                state.durable = last + 1;
                state.fsyncs += 1;
            }
            Err(e) => {
                state.poisoned = Some(format!(
                    "a durable write failed, and nothing after it is safe: {e}"
                ));
            }
        }
        shared.done.notify_all();
    }
}

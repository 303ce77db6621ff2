//! `mergedb bench`: the whole life of a document, timed. A typing session is
//! ingested one commit per keystroke with grouped durability, compacted,
//! closed, reopened, read lazily from its snapshot's state, and loaded whole;
//! the text is checked against the session's own at both reads.

use mergedb::engine::format::{ObjId, ObjType};
use mergedb::engine::store::{DocId, Durability, Store, StoreError, StoreOptions};
use mergedb_traces::trace::{Trace, TraceError};
use serde_json::{json, Value as Json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// A trace in the format of `../shared/traces`; `None` for a generated session.
    pub trace: Option<PathBuf>,
    /// The generated session's length and seed.
    pub keystrokes: usize,
    pub seed: u64,
    /// Where the store goes; `None` for a temporary directory.
    pub dir: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            trace: None,
            keystrokes: 260_000,
            seed: 1,
            dir: None,
        }
    }
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// The trace could not be read.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The engine refused an edit of the trace.
    #[error("keystroke {index} does not apply: {source}")]
    Edit {
        /// Which keystroke.
        index: usize,
        /// Why.
        source: StoreError,
    },
    /// The scratch directory could not be made.
    #[error("cannot make a directory for the store: {0}")]
    Dir(std::io::Error),
    /// A read gave another text than the trace ends with.
    #[error("the text read {phase} is not the trace's final text")]
    WrongText {
        /// Which read.
        phase: &'static str,
    },
}

/// What a run measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// Where the session came from.
    pub source: String,
    /// Keystrokes, each one commit.
    pub keystrokes: usize,
    /// Code points in the final text.
    pub final_chars: usize,
    /// From the first commit until `flush()` returned.
    pub ingest: Duration,
    /// Group fsyncs during ingest.
    pub fsyncs: u64,
    /// Bytes of log records per change, and of the whole redb file.
    pub log_bytes_per_change: f64,
    pub file_bytes_per_change: f64,
    /// `Store::compact` of the document.
    pub compaction: Duration,
    /// The snapshot's size.
    pub snapshot_bytes: u64,
    /// Opening the store again.
    pub open: Duration,
    /// `doc()` and reading the text, from the snapshot's state.
    pub first_read: Duration,
    /// Loading the whole document (history decoded), ready to merge.
    pub full_load: Duration,
    /// The process's peak resident memory, where the platform reports it.
    pub peak_rss_bytes: Option<u64>,
}

impl Report {
    /// Commits per second during ingest.
    pub fn commits_per_sec(&self) -> f64 {
        self.keystrokes as f64 / self.ingest.as_secs_f64()
    }

    /// The report as one JSON object; durations in milliseconds.
    pub fn to_json(&self) -> Json {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        json!({
            "source": self.source,
            "keystrokes": self.keystrokes,
            "final_chars": self.final_chars,
            "ingest_ms": ms(self.ingest),
            "commits_per_sec": self.commits_per_sec(),
            "fsyncs": self.fsyncs,
            "log_bytes_per_change": self.log_bytes_per_change,
            "file_bytes_per_change": self.file_bytes_per_change,
            "compaction_ms": ms(self.compaction),
            "snapshot_bytes": self.snapshot_bytes,
            "open_ms": ms(self.open),
            "first_read_ms": ms(self.first_read),
            "open_and_first_read_ms": ms(self.open + self.first_read),
            "full_load_ms": ms(self.full_load),
            "peak_rss_bytes": self.peak_rss_bytes,
        })
    }
}

/// The process's peak resident set, from /proc (Linux); `None` elsewhere.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Runs the benchmark; `progress` hears of each phase and of every 1,000
/// keystrokes ingested, as (phase, done, total).
pub fn run(
    config: &Config,
    progress: &mut dyn FnMut(&str, u64, u64),
) -> Result<Report, BenchError> {
    progress("load", 0, 1);
    let (trace, source) = match &config.trace {
        Some(path) => (Trace::load(path)?, path.display().to_string()),
        None => (
            mergedb_traces::synth::typing_session(config.seed, config.keystrokes),
            format!(
                "generated: {} keystrokes, seed {}",
                config.keystrokes, config.seed
            ),
        ),
    };
    let scratch;
    let dir: &Path = match &config.dir {
        Some(d) => d,
        None => {
            scratch = tempfile_dir()?;
            scratch.path()
        }
    };
    let options = StoreOptions {
        durability: Durability::Grouped,
        ..StoreOptions::default()
    };
    let store = Store::open_with(dir, options.clone())?;
    let (id, text, ingest, fsyncs, log_bytes) = ingest(&store, &trace, progress)?;
    let keystrokes = trace.patches();
    let file_bytes = std::fs::metadata(dir.join("mergedb.redb")).map_or(0, |m| m.len());

    progress("compact", 0, 1);
    // The document is loaded, as it is in an app that just typed it.
    let t = Instant::now();
    let compacted = store.compact(&id)?;
    let compaction = t.elapsed();
    drop(store);

    progress("reopen", 0, 1);
    let t = Instant::now();
    let store = Store::open_with(dir, options)?;
    let open = t.elapsed();
    let t = Instant::now();
    let handle = store.doc(&id)?;
    let lazy = handle.text(&text)?;
    let first_read = t.elapsed();
    if lazy != trace.end_content {
        return Err(BenchError::WrongText { phase: "lazily" });
    }
    let t = Instant::now();
    let full = handle.read()?;
    let full_load = t.elapsed();
    if full.text(&text).map_err(StoreError::from)? != trace.end_content {
        return Err(BenchError::WrongText {
            phase: "after a full load",
        });
    }
    Ok(Report {
        source,
        keystrokes,
        final_chars: trace.end_content.chars().count(),
        ingest,
        fsyncs,
        log_bytes_per_change: log_bytes as f64 / keystrokes.max(1) as f64,
        file_bytes_per_change: file_bytes as f64 / keystrokes.max(1) as f64,
        compaction,
        snapshot_bytes: compacted.snapshot_bytes,
        open,
        first_read,
        full_load,
        peak_rss_bytes: peak_rss_bytes(),
    })
}

/// A temporary directory that is removed when dropped.
fn tempfile_dir() -> Result<tempfile::TempDir, BenchError> {
    tempfile::tempdir().map_err(BenchError::Dir)
}

/// Ingests the trace as one commit per keystroke; gives the document, its
/// text object, the time to durable, the group fsyncs and the log's bytes.
fn ingest(
    store: &Store,
    trace: &Trace,
    progress: &mut dyn FnMut(&str, u64, u64),
) -> Result<(DocId, ObjId, Duration, u64, u64), BenchError> {
    let id = store.create_doc()?;
    let mut text = ObjId::Root;
    let total = trace.patches() as u64;
    let t = Instant::now();
    store.transact(&id, |tx| {
        text = tx.put_object(&ObjId::Root, "text", ObjType::Text)?;
        Ok::<_, StoreError>(())
    })?;
    for (i, txn) in trace.txns.iter().enumerate() {
        store
            .transact(&id, |tx| {
                Ok::<_, StoreError>(
                    txn.iter()
                        .try_for_each(|p| tx.splice_text(&text, p.pos, p.del, &p.ins))?,
                )
            })
            .map_err(|source| BenchError::Edit { index: i, source })?;
        if i % 1000 == 0 {
            progress("ingest", i as u64, total);
        }
    }
    store.flush()?;
    let ingest = t.elapsed();
    progress("ingest", total, total);
    let fsyncs = store.stats().group_fsyncs;
    // What the log holds on disk: its records as the writer grouped them
    // (SPEC.md §5.3), which `verify` reads back.
    let log_bytes = store.verify()?.bytes;
    Ok((id, text, ingest, fsyncs, log_bytes))
}

//! Editing traces: the format of `../shared/traces` (see TRACES.txt there).
//!
//! A sequential trace is gzipped JSON: `endContent`, the text it must end as,
//! and `txns`, each a list of patches `[pos, delete_count, inserted text]` in
//! Unicode code points, applied in order.

use std::io::Read;
use std::path::{Path, PathBuf};

/// One patch: delete `del` code points at `pos`, then insert `ins` there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Patch {
    /// Where, in code points.
    pub pos: usize,
    /// How many code points to delete.
    pub del: usize,
    /// What to insert.
    pub ins: String,
}

/// A sequential editing trace.
#[derive(Clone, Debug)]
pub struct Trace {
    /// The transactions, each a list of patches.
    pub txns: Vec<Vec<Patch>>,
    /// The text after every patch.
    pub end_content: String,
}

/// Why a trace could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// The file could not be read or decompressed.
    #[error("cannot read trace {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The file is not a sequential trace.
    #[error("{path} is not an editing trace: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl Trace {
    /// Reads a trace from a `.json.gz` or `.json` file.
    pub fn load(path: &Path) -> Result<Trace, TraceError> {
        let json = read_json(path)?;
        let bad = |reason: &str| TraceError::Format {
            path: path.to_owned(),
            reason: reason.to_string(),
        };
        let end_content = json["endContent"]
            .as_str()
            .ok_or_else(|| bad("no endContent"))?
            .to_string();
        let txns = json["txns"].as_array().ok_or_else(|| bad("no txns"))?;
        let txns = txns
            .iter()
            .map(|t| {
                let patches = t["patches"]
                    .as_array()
                    .ok_or_else(|| bad("a txn has no patches"))?;
                patches
                    .iter()
                    .map(|p| parse_patch(p).ok_or_else(|| bad("a patch is not [pos, del, text]")))
                    .collect()
            })
            .collect::<Result<_, _>>()?;
        Ok(Trace { txns, end_content })
    }

    /// The trace named by `MERGEDB_TRACE`, or else automerge-paper from
    /// `../shared/traces` beside the repository.
    pub fn default_path() -> PathBuf {
        match std::env::var_os("MERGEDB_TRACE") {
            Some(p) => PathBuf::from(p),
            // This crate is one folder down in the repository.
            None => Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../shared/traces/automerge-paper.json.gz"),
        }
    }

    /// How many patches the trace has.
    pub fn patches(&self) -> usize {
        self.txns.iter().map(Vec::len).sum()
    }
}

/// A `.json.gz` or `.json` file's JSON.
pub(crate) fn read_json(path: &Path) -> Result<serde_json::Value, TraceError> {
    let io = |source| TraceError::Io {
        path: path.to_owned(),
        source,
    };
    let raw = std::fs::read(path).map_err(io)?;
    let mut text = String::new();
    if raw.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_string(&mut text)
            .map_err(io)?;
    } else {
        text = String::from_utf8(raw).map_err(|e| io(std::io::Error::other(e)))?;
    }
    serde_json::from_str(&text).map_err(|e| TraceError::Format {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

pub(crate) fn parse_patch(p: &serde_json::Value) -> Option<Patch> {
    Some(Patch {
        pos: usize::try_from(p.get(0)?.as_u64()?).ok()?,
        del: usize::try_from(p.get(1)?.as_u64()?).ok()?,
        ins: p.get(2)?.as_str()?.to_string(),
    })
}

//! Concurrent editing traces (`../shared/traces/concurrent`, see TRACES.txt
//! there): a DAG of transactions by several agents. Each transaction names
//! the earlier transactions it follows (its parents; none for the empty
//! document) and its patches are positions in the text as its agent saw it
//! at those parents.

use crate::trace::{parse_patch, read_json, Patch, TraceError};
use std::path::{Path, PathBuf};

/// One transaction.
#[derive(Clone, Debug)]
pub struct ConcurrentTxn {
    /// The earlier transactions it follows, by index.
    pub parents: Vec<usize>,
    /// The agent that made it.
    pub agent: usize,
    /// Its patches, applied in order.
    pub patches: Vec<Patch>,
}

/// A concurrent trace.
#[derive(Clone, Debug)]
pub struct ConcurrentTrace {
    /// How many agents edit.
    pub agents: usize,
    /// The transactions; each one's parents come before it.
    pub txns: Vec<ConcurrentTxn>,
    /// The text once every transaction is merged.
    pub end_content: String,
}

impl ConcurrentTrace {
    /// Reads a concurrent trace from a `.json.gz` or `.json` file.
    pub fn load(path: &Path) -> Result<ConcurrentTrace, TraceError> {
        let json = read_json(path)?;
        let bad = |reason: String| TraceError::Format {
            path: path.to_owned(),
            reason,
        };
        if json["kind"].as_str() != Some("concurrent") {
            return Err(bad("not a concurrent trace".into()));
        }
        let agents = json["numAgents"]
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| bad("no numAgents".into()))?;
        let end_content = json["endContent"]
            .as_str()
            .ok_or_else(|| bad("no endContent".into()))?
            .to_string();
        let list = json["txns"]
            .as_array()
            .ok_or_else(|| bad("no txns".into()))?;
        let mut txns = Vec::with_capacity(list.len());
        for (i, t) in list.iter().enumerate() {
            let index = |v: &serde_json::Value| v.as_u64().and_then(|n| usize::try_from(n).ok());
            let parents = t["parents"]
                .as_array()
                .ok_or_else(|| bad(format!("txn {i} has no parents")))?
                .iter()
                .map(|p| index(p).filter(|p| *p < i))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad(format!("txn {i} names a parent that is not earlier")))?;
            let agent = index(&t["agent"])
                .filter(|a| *a < agents)
                .ok_or_else(|| bad(format!("txn {i} has no valid agent")))?;
            let patches = t["patches"]
                .as_array()
                .ok_or_else(|| bad(format!("txn {i} has no patches")))?
                .iter()
                .map(|p| parse_patch(p).ok_or_else(|| bad(format!("txn {i}: a bad patch"))))
                .collect::<Result<_, _>>()?;
            txns.push(ConcurrentTxn {
                parents,
                agent,
                patches,
            });
        }
        Ok(ConcurrentTrace {
            agents,
            txns,
            end_content,
        })
    }

    /// `name` (such as `friendsforever`) in `../shared/traces/concurrent`
    /// beside the repository.
    pub fn shared_path(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/traces/concurrent")
            .join(format!("{name}.json.gz"))
    }
}

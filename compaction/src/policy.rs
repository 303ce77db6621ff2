//! The compaction policy: which documents to compact now, and why.

use mergedb_engine::store::DocId;
use std::time::Duration;

/// When to compact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Compact a document whose log holds at least this many records...
    pub min_records: u64,
    /// ...or at least this many bytes.
    pub min_bytes: u64,
    /// Compact at most this many documents per round, largest log first, so
    /// one round never holds the store's compaction lock for long.
    pub max_per_round: usize,
    /// How often the worker asks.
    pub interval: Duration,
}

impl Default for Config {
    /// A snapshot of a typed text costs about 0.5 bytes per change, a log
    /// record about 100 (SPEC.md §4.5, §5.3): 10,000 records or 4 MiB of log
    /// is where a load starts to cost more in the log than in the snapshot.
    fn default() -> Self {
        Config {
            min_records: 10_000,
            min_bytes: 4 << 20,
            max_per_round: 4,
            interval: Duration::from_secs(5),
        }
    }
}

/// One document's log since its last snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DocLog {
    /// The document.
    pub doc: DocId,
    /// Its log records.
    pub records: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// What the policy looks at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    /// Every document whose log can have grown: those loaded now.
    pub logs: Vec<DocLog>,
}

/// What the policy decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Choice {
    /// Nothing needs compacting.
    Nothing,
    /// Compact these documents, in this order.
    Compact(Vec<DocId>),
}

/// The policy: documents whose log reached either threshold, the largest
/// log (in bytes, then records) first, at most `max_per_round` of them. Ties
/// go to the smaller document id, so the choice depends on nothing but its
/// input.
pub fn choose(state: &State, config: &Config) -> Choice {
    let mut due: Vec<&DocLog> = state
        .logs
        .iter()
        .filter(|l| l.records > 0)
        .filter(|l| l.records >= config.min_records || l.bytes >= config.min_bytes)
        .collect();
    due.sort_by(|a, b| {
        (b.bytes, b.records)
            .cmp(&(a.bytes, a.records))
            .then(a.doc.cmp(&b.doc))
    });
    due.truncate(config.max_per_round);
    match due.is_empty() {
        true => Choice::Nothing,
        false => Choice::Compact(due.into_iter().map(|l| l.doc).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(n: u8) -> DocId {
        DocId([n; 16])
    }

    fn log(n: u8, records: u64, bytes: u64) -> DocLog {
        DocLog {
            doc: doc(n),
            records,
            bytes,
        }
    }

    fn config() -> Config {
        Config {
            min_records: 100,
            min_bytes: 10_000,
            max_per_round: 2,
            interval: Duration::from_millis(1),
        }
    }

    #[test]
    fn nothing_below_both_thresholds() {
        let state = State {
            logs: vec![log(1, 99, 9_999), log(2, 0, 0)],
        };
        assert_eq!(choose(&state, &config()), Choice::Nothing);
        assert_eq!(choose(&State::default(), &config()), Choice::Nothing);
    }

    #[test]
    fn either_threshold_is_enough() {
        let state = State {
            logs: vec![log(1, 100, 10), log(2, 5, 10_000), log(3, 99, 9_999)],
        };
        assert_eq!(
            choose(&state, &config()),
            Choice::Compact(vec![doc(2), doc(1)])
        );
    }

    #[test]
    fn largest_first_and_at_most_max_per_round() {
        let state = State {
            logs: vec![
                log(1, 500, 50_000),
                log(2, 900, 90_000),
                log(3, 700, 70_000),
            ],
        };
        assert_eq!(
            choose(&state, &config()),
            Choice::Compact(vec![doc(2), doc(3)])
        );
    }

    #[test]
    fn ties_are_broken_by_document_id() {
        let state = State {
            logs: vec![log(9, 200, 20_000), log(4, 200, 20_000)],
        };
        assert_eq!(
            choose(&state, &config()),
            Choice::Compact(vec![doc(4), doc(9)])
        );
    }

    #[test]
    fn a_zero_threshold_still_skips_empty_logs() {
        let config = Config {
            min_records: 0,
            min_bytes: 0,
            ..config()
        };
        let state = State {
            logs: vec![log(1, 0, 0), log(2, 1, 80)],
        };
        assert_eq!(choose(&state, &config), Choice::Compact(vec![doc(2)]));
    }
}

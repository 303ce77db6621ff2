//! `Store::verify`: every record of every document read and checked, with
//! no cache and no write.

use super::keys::{self, DocId};
use super::store::corrupt;
use super::{Store, StoreError, VerifyReport};
use crate::Document;
use mergedb_format::snapshot::parse_snapshot;
use mergedb_format::{decode_log_value, ActorId};
use std::collections::{HashMap, HashSet};

impl Store {
    /// Reads every record of every document and checks it: the snapshot's
    /// checksums, that its state section is what its history gives, each log
    /// record's crc32 and change checksum, its key against its change,
    /// gap-free seqs per actor following the snapshot's, distinct positions,
    /// and that the document rebuilds with every change re-encoding to its
    /// hash. Uses no cache and changes nothing.
    pub fn verify(&self) -> Result<VerifyReport, StoreError> {
        let mut report = VerifyReport::default();
        for id in self.list_docs()? {
            let after_snapshot = self.verify_snapshot(&id, &mut report)?;
            let loaded = self.load_with(&id, false)?;
            if let Err(hash) = loaded.doc.verify_changes() {
                return Err(corrupt(
                    &id,
                    &[],
                    format!("change {hash} does not rebuild to its hash"),
                ));
            }
            self.verify_log(&id, &after_snapshot, &mut report)?;
            // A peer's sync state never claims a change the store lacks.
            for (key, value) in self.inner.backend.scan_prefix(&keys::sync_prefix(&id))? {
                let state = crate::SyncState::decode(&value).map_err(|e| corrupt(&id, &key, e))?;
                if let Some(h) = state
                    .shared_heads
                    .iter()
                    .find(|h| !loaded.doc.has_change(h))
                {
                    return Err(corrupt(
                        &id,
                        &key,
                        format!("a sync state claims change {h}, which the store lacks"),
                    ));
                }
            }
            let queue = self.inner.backend.scan_prefix(&keys::queue_prefix(&id))?;
            report.queued += queue.len() as u64;
            report.docs += 1;
        }
        Ok(report)
    }

    /// Checks a document's snapshot, if it has one; gives each actor's last
    /// seq in it.
    fn verify_snapshot(
        &self,
        id: &DocId,
        report: &mut VerifyReport,
    ) -> Result<HashMap<ActorId, u64>, StoreError> {
        let key = keys::snapshot_key(id);
        let Some(bytes) = self.inner.backend.get(&key)? else {
            return Ok(HashMap::new());
        };
        let bad = |e: &dyn std::fmt::Display| corrupt(id, &key, e);
        let state = parse_snapshot(&bytes)
            .and_then(|s| s.state())
            .map_err(|e| bad(&e))?;
        let doc = Document::load(&bytes, self.inner.actor).map_err(|e| bad(&e))?;
        if doc.state() != state {
            return Err(bad(&"the state section is not what the history gives"));
        }
        report.snapshots += 1;
        report.snapshot_bytes += bytes.len() as u64;
        Ok(doc
            .actors()
            .into_iter()
            .map(|a| (a, doc.last_seq(&a)))
            .collect())
    }

    fn verify_log(
        &self,
        id: &DocId,
        after: &HashMap<ActorId, u64>,
        report: &mut VerifyReport,
    ) -> Result<(), StoreError> {
        let mut positions = HashSet::new();
        let mut seqs: HashMap<ActorId, Vec<u64>> = HashMap::new();
        for (key, value) in self.inner.backend.scan_prefix(&keys::log_prefix(id))? {
            let (actor, seq) =
                keys::parse_log_key(&key).ok_or_else(|| corrupt(id, &key, "malformed key"))?;
            let entries = decode_log_value(&value).map_err(|e| corrupt(id, &key, e))?;
            for (k, entry) in entries.iter().enumerate() {
                let position = entry.position;
                if !positions.insert(position) {
                    return Err(corrupt(
                        id,
                        &key,
                        format!("position {position} is used twice"),
                    ));
                }
                seqs.entry(actor).or_default().push(seq + k as u64);
                report.changes += 1;
            }
            report.bytes += value.len() as u64;
        }
        for (actor, mut list) in seqs {
            list.sort_unstable();
            let first = after.get(&actor).copied().unwrap_or(0) + 1;
            if list.iter().enumerate().any(|(i, s)| *s != first + i as u64) {
                return Err(corrupt(
                    id,
                    &[],
                    format!(
                        "actor {actor}'s seqs in the log do not run on from {first} without a gap"
                    ),
                ));
            }
        }
        Ok(())
    }
}

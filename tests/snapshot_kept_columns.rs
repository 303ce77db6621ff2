//! A snapshot's history section comes from columns kept beside the document
//! as its history grows (SPEC.md §4.5). Saved at any point of a random
//! multi-actor history, with local commits, merges and failed batches (whose
//! rewind drops the columns) in between, it must be byte for byte the
//! snapshot that columns built anew give, and load back to the document.

mod common;

use common::pair::session_changes;
use common::Rng;
use mergedb::engine::Document;
use mergedb::format::{ActorId, Change, ObjId};

fn me() -> ActorId {
    ActorId::new(&[9]).unwrap()
}

/// Saves `doc` from its kept columns and from fresh ones; both must agree,
/// and load back to `doc`.
fn save_both_ways(doc: &Document, context: &str) {
    let kept = doc.save().unwrap();
    let mut fresh = doc.clone();
    fresh.forget_kept_columns();
    assert!(kept == fresh.save().unwrap(), "{context}: snapshots differ");
    doc.check();
    let loaded = Document::load(&kept, me()).unwrap();
    assert_eq!(loaded.to_json(), doc.to_json(), "{context}");
    assert_eq!(loaded.heads(), doc.heads(), "{context}");
}

/// `change` with another time: a different change at the same (actor, seq),
/// which a batch must refuse.
fn impostor(change: &Change) -> Change {
    let mut c = change.clone();
    c.time += 1;
    c
}

#[test]
fn kept_columns_save_as_fresh_ones_do() {
    let mut saves = 0;
    let mut rewinds = 0;
    for seed in 0..80 {
        let changes = session_changes(seed);
        let mut rng = Rng::new(seed + 1000);
        let mut doc = Document::with_actor(me());
        let mut next = 0;
        let mut local = 0;
        while next < changes.len() {
            let end = (next + 1 + rng.below(4)).min(changes.len());
            let batch = changes[next..end].to_vec();
            if next > 0 && rng.chance(20) {
                // The batch applies, then meets a change that clashes with an
                // applied one: all of it is rolled back.
                let mut bad = batch.clone();
                bad.push(impostor(&changes[rng.below(next)]));
                assert!(doc.apply_changes(bad).is_err());
                rewinds += 1;
            }
            doc.apply_changes(batch).unwrap();
            next = end;
            if rng.chance(30) {
                let mut tx = doc.transaction();
                tx.put(&ObjId::Root, format!("local{local}"), local as i64)
                    .unwrap();
                tx.commit();
                local += 1;
            }
            if rng.chance(35) || next == changes.len() {
                save_both_ways(&doc, &format!("seed {seed}, at change {next}"));
                saves += 1;
            }
        }
    }
    assert!(
        saves > 200 && rewinds > 50,
        "{saves} saves, {rewinds} rewinds"
    );
}

//! `AutoDoc`: edits one call at a time, committed on request or before any
//! read of history, a merge or a save; and the op-by-op helpers of
//! `Document`: `fork_with_actor`, `has_change`, `get_changes_added`,
//! `change_hashes`.

use mergedb_engine::format::{ActorId, ObjId, ObjType};
use mergedb_engine::{AutoDoc, CommitOptions, Document, EngineError};
use serde_json::json;

fn actor(b: u8) -> ActorId {
    ActorId::new(&[b; 16]).unwrap()
}

#[test]
fn edits_stay_open_across_calls_and_commit_as_one_change() {
    let mut doc = AutoDoc::with_actor(actor(1));
    let list = doc.put_object(&ObjId::Root, "sets", ObjType::List).unwrap();
    doc.insert(&list, 0, 5).unwrap();
    doc.insert(&list, 1, 3).unwrap();
    // Reads of the state see the open edits; no change exists yet.
    assert_eq!(doc.to_json(), json!({"sets": [5, 3]}));
    assert_eq!(doc.pending_ops(), 3);
    let time = CommitOptions::default()
        .with_time(1_700_000_000)
        .with_message("leg day");
    let hash = doc.commit_with(time).unwrap();
    assert_eq!(doc.pending_ops(), 0);
    assert_eq!(doc.heads(), vec![hash]);
    // The same edits in one transaction make the same change.
    let mut plain = Document::with_actor(actor(1));
    let mut tx = plain.transaction();
    let l = tx.put_object(&ObjId::Root, "sets", ObjType::List).unwrap();
    tx.insert(&l, 0, 5).unwrap();
    tx.insert(&l, 1, 3).unwrap();
    let same = tx.commit_with(Some("leg day".into()), Some(1_700_000_000));
    assert_eq!(same, Some(hash));
    doc.document().check();
}

#[test]
fn history_reads_commit_first_and_rollback_undoes() {
    let mut doc = AutoDoc::with_actor(actor(1));
    doc.put(&ObjId::Root, "a", 1).unwrap();
    let heads = doc.heads();
    assert_eq!(heads.len(), 1, "heads did not commit the open edit");
    assert!(doc.has_change(&heads[0]));
    doc.put(&ObjId::Root, "b", 2).unwrap();
    doc.put(&ObjId::Root, "c", 3).unwrap();
    assert_eq!(doc.rollback(), 2);
    assert_eq!(doc.to_json(), json!({"a": 1}));
    assert_eq!(doc.heads(), heads);
    // A failed edit is refused and the open transaction goes on.
    doc.put(&ObjId::Root, "d", 4).unwrap();
    assert_eq!(doc.put(&ObjId::Root, "", 5), Err(EngineError::EmptyKey));
    doc.commit().unwrap();
    assert_eq!(doc.to_json(), json!({"a": 1, "d": 4}));
    assert_eq!(doc.document().change_count(), 2);
    doc.document().check();
}

#[test]
fn diverged_documents_find_what_each_lacks_and_merge() {
    let mut phone = AutoDoc::with_actor(actor(1));
    phone.put(&ObjId::Root, "exercise", "squat").unwrap();
    let mut laptop = phone.fork_with_actor(actor(2));
    assert_eq!(laptop.actor(), actor(2));
    phone.put(&ObjId::Root, "reps", 5).unwrap();
    laptop.put(&ObjId::Root, "weight", 100).unwrap();
    laptop.put(&ObjId::Root, "notes", "felt good").unwrap();
    laptop.commit();
    laptop.put(&ObjId::Root, "sets", 3).unwrap();
    // changes_since(other's heads) fails: the heads are unknown here.
    let laptop_heads = laptop.heads();
    assert!(phone.changes_since(&laptop_heads).is_err());
    let missing = phone.get_changes_added(&mut laptop);
    assert_eq!(missing.len(), 2);
    let hashes: Vec<_> = missing.iter().map(|c| c.hash()).collect();
    let all = laptop.document().change_hashes();
    assert!(hashes.iter().all(|h| all.contains(h)));
    assert!(hashes.iter().all(|h| !phone.has_change(h)));
    assert_eq!(laptop.get_changes_added(&mut phone).len(), 1);
    phone.merge(&mut laptop).unwrap();
    laptop
        .apply_changes(phone.changes_since(&[]).unwrap())
        .unwrap();
    assert_eq!(phone.heads(), laptop.heads());
    assert_eq!(
        phone.to_json(),
        json!({"exercise": "squat", "reps": 5, "weight": 100, "notes": "felt good", "sets": 3})
    );
    let old = phone.fork_at(&laptop_heads).unwrap();
    assert_eq!(
        old.to_json(),
        json!({"exercise": "squat", "weight": 100, "notes": "felt good", "sets": 3})
    );
    phone.document().check();
    let saved = phone.save().unwrap();
    assert_eq!(
        Document::load(&saved, actor(3)).unwrap().heads(),
        phone.heads()
    );
}

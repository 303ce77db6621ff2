//! `DocHandle` serves list ranges and reads at the current heads from a
//! compacted document's state section, without its history, and conflicts
//! and reads at past heads from the whole document (SPEC.md §5.5).

use mergedb_engine::format::{ObjId, ObjType, ScalarValue};
use mergedb_engine::store::{Store, StoreError, StoreOptions};
use mergedb_engine::{Document, Value};
use serde_json::json;

fn scalars(items: &[(Value, ObjId)]) -> Vec<ScalarValue> {
    items
        .iter()
        .filter_map(|(v, _)| match v {
            Value::Scalar(s) => Some(s.clone()),
            Value::Object(_) => None,
        })
        .collect()
}

#[test]
fn reads_at_the_current_heads_and_list_ranges_need_no_history() {
    let dir = tempfile::tempdir().unwrap();
    let (id, list, old_heads) = {
        let store = Store::open(dir.path()).unwrap();
        let id = store.create_doc().unwrap();
        let list = store
            .transact(&id, |tx| {
                let list = tx.put_object(&ObjId::Root, "reps", ObjType::List)?;
                for (i, n) in [5i64, 5, 3].into_iter().enumerate() {
                    tx.insert(&list, i, n)?;
                }
                tx.put(&ObjId::Root, "exercise", "squat")?;
                Ok::<_, StoreError>(list)
            })
            .unwrap()
            .value;
        let old_heads = store.doc(&id).unwrap().heads().unwrap();
        store
            .transact(&id, |tx| {
                tx.insert(&list, 3, 2i64)?;
                Ok::<_, StoreError>(tx.put(&ObjId::Root, "exercise", "deadlift")?)
            })
            .unwrap();
        store.compact(&id).unwrap();
        (id, list, old_heads)
    };
    let store = Store::open(dir.path()).unwrap();
    let handle = store.doc(&id).unwrap();
    let heads = handle.heads().unwrap();
    let range = handle.list_range(&list, 1..3).unwrap();
    assert_eq!(scalars(&range), [ScalarValue::Int(5), ScalarValue::Int(3)]);
    assert_eq!(handle.list_range(&list, 3..).unwrap().len(), 1);
    assert!(handle.list_range(&list, 9..12).unwrap().is_empty());
    let at = handle.get_at(&ObjId::Root, "exercise", &heads).unwrap();
    assert_eq!(at.map(|(v, _)| v), Some(Value::Scalar("deadlift".into())));
    assert_eq!(handle.length_at(&list, &heads).unwrap(), 4);
    assert_eq!(
        handle.keys_at(&ObjId::Root, &heads).unwrap(),
        ["exercise", "reps"]
    );
    assert_eq!(handle.list_range_at(&list, .., &heads).unwrap().len(), 4);
    assert_eq!(
        handle.to_json_at(&heads).unwrap(),
        json!({"exercise": "deadlift", "reps": [5, 5, 3, 2]})
    );
    assert!(!handle.is_fully_loaded());
    assert_eq!(store.stats().history_loads, 0);
    // A read at past heads needs the history.
    assert_eq!(
        handle.to_json_at(&old_heads).unwrap(),
        json!({"exercise": "squat", "reps": [5, 5, 3]})
    );
    let past = handle.list_range_at(&list, 2.., &old_heads).unwrap();
    assert_eq!(scalars(&past), [ScalarValue::Int(3)]);
    assert_eq!(handle.length_at(&list, &old_heads).unwrap(), 3);
    assert_eq!(store.stats().history_loads, 1);
    // A map is not a list.
    assert!(handle.list_range(&ObjId::Root, ..).is_err());
}

#[test]
fn get_all_gives_the_conflicts() {
    let store = Store::in_memory(StoreOptions::default()).unwrap();
    let id = store.create_doc().unwrap();
    store
        .transact(&id, |tx| {
            Ok::<_, StoreError>(tx.put(&ObjId::Root, "weight", 100)?)
        })
        .unwrap();
    let base = store.changes_since(&id, &[]).unwrap();
    let mut laptop = Document::new();
    laptop.apply_changes(base).unwrap();
    let mut tx = laptop.transaction();
    tx.put(&ObjId::Root, "weight", 105).unwrap();
    tx.commit();
    store
        .transact(&id, |tx| {
            Ok::<_, StoreError>(tx.put(&ObjId::Root, "weight", 102)?)
        })
        .unwrap();
    let heads_before = store.doc(&id).unwrap().heads().unwrap();
    store
        .apply_changes(&id, laptop.changes_since(&[]).unwrap())
        .unwrap();
    let handle = store.doc(&id).unwrap();
    let all = handle.get_all(&ObjId::Root, "weight").unwrap();
    let mut values = scalars(&all);
    values.sort_by_key(|v| format!("{v:?}"));
    assert_eq!(values, [ScalarValue::Int(102), ScalarValue::Int(105)]);
    let winner = handle.get(&ObjId::Root, "weight").unwrap().map(|(v, _)| v);
    assert_eq!(winner, all.last().map(|(v, _)| v.clone()));
    let before = handle
        .get_all_at(&ObjId::Root, "weight", &heads_before)
        .unwrap();
    assert_eq!(scalars(&before), [ScalarValue::Int(102)]);
}

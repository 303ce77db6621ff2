//! Settings are store-wide records the layers above keep in the store:
//! they survive a reopen, are found by prefix, and refuse bad names
//! without touching what is stored.

use mergedb_engine::store::{Store, StoreError, StoreOptions};

#[test]
fn a_setting_survives_reopen_and_is_found_by_prefix() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.setting("device/key").unwrap(), None);
        store.set_setting("device/key", b"k").unwrap();
        store.set_setting("peer/b", b"2").unwrap();
        store.set_setting("peer/a", b"1").unwrap();
        store.set_setting("peer/a", b"one").unwrap();
        store.set_setting("peers", b"not under peer/").unwrap();
        store.remove_setting("peer/b").unwrap();
        store.remove_setting("never set").unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.setting("device/key").unwrap(), Some(b"k".to_vec()));
    let peers = store.settings("peer/").unwrap();
    assert_eq!(peers, vec![("peer/a".to_string(), b"one".to_vec())]);
    assert_eq!(store.settings("").unwrap().len(), 3);
    store.verify().unwrap();
}

#[test]
fn a_bad_name_is_refused_and_changes_nothing() {
    let store = Store::in_memory(StoreOptions::default()).unwrap();
    store.set_setting("x", b"1").unwrap();
    let long = "n".repeat(256);
    for name in ["", long.as_str()] {
        assert!(matches!(
            store.set_setting(name, b"2"),
            Err(StoreError::BadSettingName(n)) if n == name.len()
        ));
        assert!(matches!(
            store.setting(name),
            Err(StoreError::BadSettingName(_))
        ));
    }
    assert!(store.set_setting(&"n".repeat(255), b"ok").is_ok());
    assert_eq!(store.setting("x").unwrap(), Some(b"1".to_vec()));
}

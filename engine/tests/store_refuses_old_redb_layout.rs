//! A redb file whose main table holds log keys was written before each
//! document's log had a table of its own (SPEC.md §5.6). This build would not
//! see those logs, so it refuses the file with a clear error instead of
//! opening a store that seems to have lost them.

use mergedb_engine::store::RedbBackend;
use redb::backends::InMemoryBackend;
use redb::{Builder, TableDefinition};

const MAIN: TableDefinition<&[u8], &[u8]> = TableDefinition::new("mergedb");

fn database_with(keys: &[&[u8]]) -> redb::Database {
    let db = Builder::new()
        .create_with_backend(InMemoryBackend::new())
        .unwrap();
    let txn = db.begin_write().unwrap();
    {
        let mut table = txn.open_table(MAIN).unwrap();
        for k in keys {
            table.insert(*k, b"v".as_slice()).unwrap();
        }
    }
    txn.commit().unwrap();
    db
}

#[test]
fn a_log_key_in_the_main_table_is_refused() {
    let mut log_key = vec![b'L'];
    log_key.extend_from_slice(&[7; 16]);
    log_key.extend_from_slice(&[1, 9, 0, 0, 0, 0, 0, 0, 0, 1]);
    let err = RedbBackend::from_database(database_with(&[b"M", &log_key])).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("layout"), "{text}");
    assert!(
        text.contains(&mergedb_engine::format::hex::encode(&log_key)),
        "{text}"
    );
}

#[test]
fn other_keys_in_the_main_table_open() {
    let db = database_with(&[b"M", b"L", b"La", &[b'D'; 17]]);
    assert!(RedbBackend::from_database(db).is_ok());
}

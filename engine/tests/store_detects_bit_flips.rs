//! Flipping any single bit of a stored change record makes reading the
//! document fail with a corruption error that names it; never wrong data.

use mergedb_engine::format::{ObjId, ObjType};
use mergedb_engine::store::{Backend, Batch, MemoryBackend, Store, StoreError, StoreOptions};
use std::path::Path;
use std::sync::Arc;

#[test]
fn every_bit_flip_in_a_log_record_is_caught() {
    let backend = Arc::new(MemoryBackend::new());
    let open =
        || Store::with_backend(backend.clone(), StoreOptions::default(), Path::new("mem")).unwrap();
    let id = {
        let store = open();
        let id = store.create_doc().unwrap();
        store
            .transact(&id, |tx| {
                let text = tx.put_object(&ObjId::Root, "t", ObjType::Text)?;
                Ok::<_, StoreError>(tx.splice_text(&text, 0, 0, "abc")?)
            })
            .unwrap();
        id
    };
    let records = backend.scan_prefix(b"L").unwrap();
    assert_eq!(records.len(), 1);
    let (key, good) = records[0].clone();
    let write = |value: Vec<u8>| {
        let mut b = Batch::new();
        b.put(key.clone(), value);
        backend.write(&b, true).unwrap();
    };
    for bit in 0..good.len() * 8 {
        let mut bad = good.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        write(bad);
        match open().doc(&id) {
            Err(StoreError::Corrupt { doc, .. }) => assert_eq!(doc, id),
            Err(other) => panic!("bit {bit}: expected a corruption error, got {other}"),
            Ok(_) => panic!("bit {bit}: a flipped record was read"),
        }
    }
    write(good);
    assert!(open().doc(&id).is_ok());
}

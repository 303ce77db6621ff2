//! A store of layout version 1 holds changes whose deps name hashes of the
//! whole framed encoding; this build hashes a change's version byte and body
//! (SPEC.md §3.6), so it would find none of those deps and queue every logged
//! change forever. It refuses such a store at open, naming what it found,
//! and leaves it as it was.

use mergedb_engine::store::{Backend, Batch, MemoryBackend, Store, StoreError, StoreOptions};
use std::path::Path;
use std::sync::Arc;

#[test]
fn a_layout_1_store_is_refused_and_left_alone() {
    let backend = Arc::new(MemoryBackend::new());
    let mut batch = Batch::new();
    batch.put(b"M".as_slice(), b"mergedb store 1".as_slice());
    batch.put(b"D0123456789abcdef".as_slice(), [1u8].as_slice());
    backend.write(&batch, true).unwrap();
    let before = backend.scan_prefix(b"").unwrap();
    let shared: Arc<dyn Backend> = backend.clone();
    match Store::with_backend(shared, StoreOptions::default(), Path::new("old")) {
        Err(StoreError::NotAStore { found, .. }) => assert_eq!(found, "mergedb store 1"),
        Err(e) => panic!("refused for another reason: {e}"),
        Ok(_) => panic!("a layout-1 store opened"),
    }
    assert_eq!(backend.scan_prefix(b"").unwrap(), before);
}

#[test]
fn a_new_store_is_written_as_layout_2_and_reopens() {
    let backend = Arc::new(MemoryBackend::new());
    let shared: Arc<dyn Backend> = backend.clone();
    drop(Store::with_backend(shared.clone(), StoreOptions::default(), Path::new("new")).unwrap());
    assert_eq!(
        backend.get(b"M").unwrap().as_deref(),
        Some(b"mergedb store 2".as_slice())
    );
    drop(Store::with_backend(shared, StoreOptions::default(), Path::new("new")).unwrap());
}

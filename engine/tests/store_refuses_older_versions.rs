//! Stores of older layouts are refused at open, naming what was found, and
//! left as they were. Layout 1 hashed whole framed changes; layout 2 named
//! changes by mergedb's own hash and logged mergedb's change encoding; this
//! build names them by Automerge's hash and logs Automerge change chunks
//! (SPEC.md §4A, §5.3), so it would find none of an older store's deps.
//! Layout 3 wrote snapshots of version 2, whose history section has no
//! columns for marks (§4.3).

use mergedb_engine::store::{Backend, Batch, MemoryBackend, Store, StoreError, StoreOptions};
use std::path::Path;
use std::sync::Arc;

fn refused(version: &str) {
    let backend = Arc::new(MemoryBackend::new());
    let mut batch = Batch::new();
    batch.put(b"M".as_slice(), version.as_bytes());
    batch.put(b"D0123456789abcdef".as_slice(), [1u8].as_slice());
    backend.write(&batch, true).unwrap();
    let before = backend.scan_prefix(b"").unwrap();
    let shared: Arc<dyn Backend> = backend.clone();
    match Store::with_backend(shared, StoreOptions::default(), Path::new("old")) {
        Err(StoreError::NotAStore { found, .. }) => assert_eq!(found, version),
        Err(e) => panic!("refused for another reason: {e}"),
        Ok(_) => panic!("a store of {version:?} opened"),
    }
    assert_eq!(backend.scan_prefix(b"").unwrap(), before);
}

#[test]
fn layout_1_2_and_3_stores_are_refused_and_left_alone() {
    refused("mergedb store 1");
    refused("mergedb store 2");
    refused("mergedb store 3");
}

#[test]
fn a_new_store_is_written_as_layout_4_and_reopens() {
    let backend = Arc::new(MemoryBackend::new());
    let shared: Arc<dyn Backend> = backend.clone();
    drop(Store::with_backend(shared.clone(), StoreOptions::default(), Path::new("new")).unwrap());
    assert_eq!(
        backend.get(b"M").unwrap().as_deref(),
        Some(b"mergedb store 4".as_slice())
    );
    drop(Store::with_backend(shared, StoreOptions::default(), Path::new("new")).unwrap());
}

//! sled 0.34 counts a half-written `snap.<lsn>.generating` file as its newest
//! snapshot and then refuses to open ("Read corrupted data"), which a kill -9
//! during its snapshot write leaves behind (the sled crash test found it).
//! The sled backend must open such a directory with every synced write.
#![cfg(feature = "sled")]

use mergedb_engine::store::{Backend, Batch, SledBackend};
use std::path::Path;

fn open(path: &Path) -> SledBackend {
    // sled's flusher thread can hold its file lock a moment past the drop.
    for _ in 0..100 {
        match SledBackend::open(path) {
            Ok(b) => return b,
            Err(e) if e.to_string().contains("could not acquire lock") => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("sled does not open: {e}"),
        }
    }
    panic!("sled's lock was never released")
}

fn put(b: &SledBackend, key: &[u8], value: &[u8]) {
    let mut w = Batch::default();
    w.put(key.to_vec(), value.to_vec());
    b.write(&w, true).unwrap();
}

#[test]
fn a_half_written_snapshot_file_does_not_stop_the_store_opening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sled");
    {
        let b = open(&path);
        for i in 0..200u32 {
            put(&b, &i.to_be_bytes(), b"synced");
        }
    }
    // The highest snapshot name, as sled would write it for a later lsn, cut
    // off mid-write (no length or crc at its end yet).
    let torn = path.join("snap.7FFFFFFFFFFFFFFF.generating");
    std::fs::write(&torn, [0x5a; 40]).unwrap();
    let b = open(&path);
    for i in 0..200u32 {
        assert_eq!(
            b.get(&i.to_be_bytes()).unwrap().as_deref(),
            Some(&b"synced"[..])
        );
    }
    assert!(!torn.exists(), "the unfinished snapshot is still there");
    // And the store goes on taking writes that survive the next opening.
    put(&b, b"after", b"1");
    drop(b);
    let b = open(&path);
    assert_eq!(b.get(b"after").unwrap().as_deref(), Some(&b"1"[..]));
}

#[test]
fn an_empty_snapshot_file_does_not_stop_the_store_opening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sled");
    drop(open(&path));
    // A kill between sled's create and its first write leaves an empty file.
    std::fs::write(path.join("snap.0000000000000000.generating"), []).unwrap();
    let b = open(&path);
    put(&b, b"k", b"v");
    assert_eq!(b.get(b"k").unwrap().as_deref(), Some(&b"v"[..]));
}

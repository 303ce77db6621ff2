//! The header shield under redb: reads and writes across its edge, the
//! fallback to the older slot, and the errors when no slot is valid.

use mergedb_engine::store::{Backend, Batch, HeaderShield, RedbBackend};
use redb::StorageBackend;
use std::io::Error;
use std::sync::{Arc, Mutex};

/// A file in memory that the test can reach into after redb has it.
#[derive(Debug, Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl StorageBackend for Shared {
    fn len(&self) -> Result<u64, Error> {
        Ok(self.0.lock().unwrap().len() as u64)
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), Error> {
        let data = self.0.lock().unwrap();
        let at = offset as usize;
        let src = data
            .get(at..at + out.len())
            .ok_or_else(|| Error::other("read past the end"))?;
        out.copy_from_slice(src);
        Ok(())
    }
    fn set_len(&self, len: u64) -> Result<(), Error> {
        self.0.lock().unwrap().resize(len as usize, 0);
        Ok(())
    }
    fn sync_data(&self) -> Result<(), Error> {
        Ok(())
    }
    fn write(&self, offset: u64, data: &[u8]) -> Result<(), Error> {
        let mut file = self.0.lock().unwrap();
        let end = offset as usize + data.len();
        if file.len() < end {
            file.resize(end, 0);
        }
        file[offset as usize..end].copy_from_slice(data);
        Ok(())
    }
}

fn put(backend: &RedbBackend, key: &[u8], value: &[u8]) {
    let mut batch = Batch::new();
    batch.put(key, value);
    backend.write(&batch, true).unwrap();
}

/// The generation stored in slot `i` (bytes 8..16 of it).
fn generation(file: &Shared, slot: usize) -> u64 {
    let data = file.0.lock().unwrap();
    let at = slot * 8192 + 8;
    u64::from_le_bytes(data[at..at + 8].try_into().unwrap())
}

#[test]
fn bytes_across_the_shield_edge_read_back() {
    let shield = HeaderShield::open(Shared::default()).unwrap();
    shield.set_len(10_000).unwrap();
    let data: Vec<u8> = (0..6000u32).map(|i| (i % 251) as u8).collect();
    shield.write(1000, &data).unwrap();
    shield.sync_data().unwrap();
    let mut back = vec![0; 6000];
    shield.read(1000, &mut back).unwrap();
    assert_eq!(back, data);
    assert!(shield.read(9000, &mut [0; 2000]).is_err(), "past the end");
}

#[test]
fn a_zeroed_newest_slot_falls_back_to_the_previous_commit() {
    let file = Shared::default();
    let backend = RedbBackend::from_storage(file.clone()).unwrap();
    put(&backend, b"a", b"1");
    put(&backend, b"b", b"2");
    drop(backend);
    let newest = usize::from(generation(&file, 1) > generation(&file, 0));
    let older_generation = generation(&file, 1 - newest);
    assert!(older_generation > 0);
    file.0.lock().unwrap()[newest * 8192..newest * 8192 + 8192].fill(0);

    // The older slot is the header as of the sync before the last one: the
    // store opens, with everything that sync had made durable.
    let backend = RedbBackend::from_storage(file.clone()).unwrap();
    assert_eq!(backend.get(b"a").unwrap().as_deref(), Some(&b"1"[..]));
    put(&backend, b"c", b"3");
    assert_eq!(backend.get(b"c").unwrap().as_deref(), Some(&b"3"[..]));
    drop(backend);
    assert!(
        generation(&file, newest) > older_generation,
        "slots alternate"
    );
}

#[test]
fn no_valid_slot_is_a_clear_error() {
    let file = Shared::default();
    drop(RedbBackend::from_storage(file.clone()).unwrap());
    file.0.lock().unwrap()[..16384].fill(0);
    let err = RedbBackend::from_storage(file.clone()).unwrap_err();
    assert!(err.to_string().contains("neither header slot"), "{err}");

    let short = Shared(Arc::new(Mutex::new(vec![7; 100])));
    let err = RedbBackend::from_storage(short).unwrap_err();
    assert!(err.to_string().contains("shorter than"), "{err}");
}

#[test]
fn a_crash_while_creating_leaves_no_half_made_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    // What a crash during creation leaves: the temporary file, never `path`.
    std::fs::write(dir.path().join("store.redb.creating"), [1, 2, 3]).unwrap();
    let backend = RedbBackend::open(&path).unwrap();
    put(&backend, b"k", b"v");
    drop(backend);
    let backend = RedbBackend::open(&path).unwrap();
    assert_eq!(backend.get(b"k").unwrap().as_deref(), Some(&b"v"[..]));
    assert!(!dir.path().join("store.redb.creating").exists());
}

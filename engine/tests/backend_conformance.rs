//! One conformance suite for every storage backend: memory, redb, and sled
//! (with `--features sled`). Each check runs against each backend.

use mergedb_engine::store::{Backend, Batch, MemoryBackend, RedbBackend};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// How to open one kind of backend, fresh or again at the same place.
struct Kind {
    name: &'static str,
    /// Opens the backend at `dir` (ignored by the memory backend).
    open: fn(&Path) -> Arc<dyn Backend>,
    /// Whether data survives closing and reopening.
    durable: bool,
}

fn kinds() -> Vec<Kind> {
    let mut kinds = vec![
        Kind {
            name: "memory",
            open: |_| Arc::new(MemoryBackend::new()),
            durable: false,
        },
        Kind {
            name: "redb",
            open: |dir| Arc::new(RedbBackend::open(&dir.join("store.redb")).unwrap()),
            durable: true,
        },
    ];
    #[cfg(feature = "sled")]
    kinds.push(Kind {
        name: "sled",
        open: |dir| Arc::new(mergedb_engine::store::SledBackend::open(&dir.join("sled")).unwrap()),
        durable: true,
    });
    kinds
}

/// Runs `check` on a fresh instance of every backend.
fn each(check: impl Fn(&Kind, &Path, Arc<dyn Backend>)) {
    for kind in kinds() {
        let dir = tempfile::tempdir().unwrap();
        let backend = (kind.open)(dir.path());
        assert_eq!(backend.name(), kind.name);
        check(&kind, dir.path(), backend);
    }
}

fn batch(entries: &[(&[u8], Option<&[u8]>)]) -> Batch {
    let mut b = Batch::new();
    for (k, v) in entries {
        match v {
            Some(v) => b.put(*k, *v),
            None => b.delete(*k),
        }
    }
    b
}

#[test]
fn empty_store_has_nothing() {
    each(|_, _, b| {
        assert_eq!(b.get(b"k").unwrap(), None);
        assert!(b.scan_prefix(b"").unwrap().is_empty());
        b.fsync().unwrap();
    });
}

#[test]
fn put_overwrite_delete() {
    each(|kind, _, b| {
        b.write(&batch(&[(b"k", Some(b"one"))]), true).unwrap();
        assert_eq!(
            b.get(b"k").unwrap().as_deref(),
            Some(&b"one"[..]),
            "{}",
            kind.name
        );
        b.write(&batch(&[(b"k", Some(b"two"))]), false).unwrap();
        assert_eq!(b.get(b"k").unwrap().as_deref(), Some(&b"two"[..]));
        b.write(&batch(&[(b"k", None), (b"gone", None)]), true)
            .unwrap();
        assert_eq!(b.get(b"k").unwrap(), None);
    });
}

#[test]
fn later_entries_in_a_batch_win() {
    each(|kind, _, b| {
        b.write(
            &batch(&[
                (b"a", Some(b"1")),
                (b"a", Some(b"2")),
                (b"b", Some(b"x")),
                (b"b", None),
            ]),
            true,
        )
        .unwrap();
        assert_eq!(
            b.get(b"a").unwrap().as_deref(),
            Some(&b"2"[..]),
            "{}",
            kind.name
        );
        assert_eq!(b.get(b"b").unwrap(), None, "{}", kind.name);
    });
}

#[test]
fn prefix_scans_are_ordered_and_bounded() {
    each(|kind, _, b| {
        let keys: [&[u8]; 6] = [
            b"\x02",
            b"\x01\xff\xff",
            b"\x01",
            b"\x01\x00",
            b"\x01\xff",
            b"\x00\xff",
        ];
        let mut w = Batch::new();
        for (i, k) in keys.iter().enumerate() {
            w.put(*k, vec![i as u8]);
        }
        b.write(&w, true).unwrap();
        let scan = |p: &[u8]| {
            b.scan_prefix(p)
                .unwrap()
                .into_iter()
                .map(|(k, _)| k)
                .collect::<Vec<_>>()
        };
        let want: Vec<Vec<u8>> = vec![
            b"\x01".to_vec(),
            b"\x01\x00".to_vec(),
            b"\x01\xff".to_vec(),
            b"\x01\xff\xff".to_vec(),
        ];
        assert_eq!(scan(b"\x01"), want, "{}", kind.name);
        assert_eq!(
            scan(b"\x01\xff"),
            vec![b"\x01\xff".to_vec(), b"\x01\xff\xff".to_vec()]
        );
        assert_eq!(scan(b"").len(), 6);
        assert!(scan(b"\x03").is_empty());
        assert_eq!(
            b.scan_prefix(b"\x01\x00").unwrap(),
            vec![(b"\x01\x00".to_vec(), vec![3])]
        );
    });
}

#[test]
fn a_prefix_deletion_takes_exactly_its_keys() {
    each(|kind, _, b| {
        let keys: [&[u8]; 6] = [b"L", b"L\x00", b"L\xff\xff", b"La", b"M", b"K\xff"];
        let mut w = Batch::new();
        for k in keys {
            w.put(k, b"v".as_slice());
        }
        b.write(&w, true).unwrap();
        let mut w = Batch::new();
        w.put(b"Lz".as_slice(), b"put before".as_slice());
        w.delete_prefix(b"L".as_slice());
        w.put(b"Lb".as_slice(), b"put after".as_slice());
        b.write(&w, true).unwrap();
        let left: Vec<Vec<u8>> = b
            .scan_prefix(b"")
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            left,
            vec![b"K\xff".to_vec(), b"Lb".to_vec(), b"M".to_vec()],
            "{}",
            kind.name
        );
        let mut w = Batch::new();
        w.delete_prefix(b"".as_slice());
        b.write(&w, true).unwrap();
        assert!(b.scan_prefix(b"").unwrap().is_empty(), "{}", kind.name);
    });
}

#[test]
fn empty_and_large_values() {
    each(|kind, _, b| {
        let big: Vec<u8> = (0..1 << 20).map(|i| (i * 7 % 251) as u8).collect();
        let mut w = Batch::new();
        w.put(&b"empty"[..], Vec::new());
        w.put(&b"big"[..], big.clone());
        b.write(&w, true).unwrap();
        assert_eq!(b.get(b"empty").unwrap(), Some(vec![]), "{}", kind.name);
        assert_eq!(b.get(b"big").unwrap(), Some(big));
    });
}

#[test]
fn synced_writes_survive_reopening() {
    for kind in kinds().into_iter().filter(|k| k.durable) {
        let dir = tempfile::tempdir().unwrap();
        {
            let b = (kind.open)(dir.path());
            b.write(&batch(&[(b"synced", Some(b"1"))]), true).unwrap();
            b.write(&batch(&[(b"later", Some(b"2"))]), false).unwrap();
            b.fsync().unwrap();
        }
        let b = (kind.open)(dir.path());
        assert_eq!(
            b.get(b"synced").unwrap().as_deref(),
            Some(&b"1"[..]),
            "{}",
            kind.name
        );
        assert_eq!(
            b.get(b"later").unwrap().as_deref(),
            Some(&b"2"[..]),
            "{}",
            kind.name
        );
    }
}

#[test]
fn threads_share_a_backend() {
    each(|kind, _, b| {
        let threads: Vec<_> = (0..8u8)
            .map(|t| {
                let b = Arc::clone(&b);
                std::thread::spawn(move || {
                    for i in 0..50u8 {
                        b.write(&batch(&[(&[t, i], Some(&[i, t]))]), i % 10 == 0)
                            .unwrap();
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(b.scan_prefix(b"").unwrap().len(), 400, "{}", kind.name);
        assert_eq!(b.get(&[7, 49]).unwrap(), Some(vec![49, 7]));
    });
}

/// Seeded random batches against a `BTreeMap` model: every backend must agree
/// with it after every batch.
#[test]
fn random_batches_match_the_model() {
    each(|kind, _, b| {
        let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..200 {
            let mut w = Batch::new();
            for _ in 0..1 + next() % 8 {
                let key = vec![(next() % 4) as u8, (next() % 16) as u8];
                if next() % 16 == 0 {
                    // A prefix deletion, of one byte (up to a quarter of the
                    // keys) or of two (one key).
                    let prefix = key[..1 + (next() % 2) as usize].to_vec();
                    model.retain(|k, _| !k.starts_with(&prefix));
                    w.delete_prefix(prefix);
                } else if next() % 4 == 0 {
                    model.remove(&key);
                    w.delete(key);
                } else {
                    let value = vec![round as u8; (next() % 5) as usize];
                    model.insert(key.clone(), value.clone());
                    w.put(key, value);
                }
            }
            b.write(&w, round % 50 == 0).unwrap();
            let prefix = [(next() % 4) as u8];
            let want: Vec<_> = model
                .iter()
                .filter(|(k, _)| k.starts_with(&prefix))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            assert_eq!(
                b.scan_prefix(&prefix).unwrap(),
                want,
                "{} round {round}",
                kind.name
            );
        }
    });
}

/// Keys shaped as the store's are: log keys (`L`, a 16-byte document id, an
/// actor and a seq), which redb keeps in a table per document, beside short
/// keys that start with `L` too and keys of other kinds. Every prefix length
/// across that boundary must scan, test and delete as one ordered map does.
#[test]
fn store_shaped_keys_match_the_model() {
    each(|kind, dir, mut b| {
        let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let docs: [[u8; 16]; 3] = [[1; 16], [2; 16], [0xff; 16]];
        for round in 0..300 {
            let mut key = Vec::new();
            let random_key = |key: &mut Vec<u8>, n: u64| {
                key.clear();
                match n % 5 {
                    0 => key.extend_from_slice(b"L"),
                    1 => key.extend_from_slice(&[b'L', (n % 3) as u8]),
                    2 => key.extend_from_slice(&[b'D', 1, 2]),
                    _ => {
                        key.push(b'L');
                        key.extend_from_slice(&docs[(n / 5 % 3) as usize]);
                        key.extend_from_slice(&(n / 15 % 7).to_be_bytes()[6..]);
                    }
                }
            };
            let mut w = Batch::new();
            for _ in 0..1 + next() % 6 {
                let n = next();
                random_key(&mut key, n);
                match next() % 10 {
                    0 | 1 => {
                        let prefix = key[..(next() % (key.len() as u64 + 1)) as usize].to_vec();
                        model.retain(|k, _| !k.starts_with(&prefix));
                        w.delete_prefix(prefix);
                    }
                    2 | 3 => {
                        model.remove(&key);
                        w.delete(key.clone());
                    }
                    _ => {
                        let value = vec![round as u8; (next() % 4) as usize];
                        model.insert(key.clone(), value.clone());
                        w.put(key.clone(), value);
                    }
                }
            }
            b.write(&w, round % 60 == 0).unwrap();
            // Reopening checks that redb finds its log tables again. sled's
            // flusher thread can hold its file lock a moment past the drop, and
            // its reopening is covered by `synced_writes_survive_reopening`.
            if round % 100 == 99 && kind.name == "redb" {
                drop(b);
                b = (kind.open)(dir);
            }
            let n = next();
            random_key(&mut key, n);
            let prefix = &key[..(next() % (key.len() as u64 + 1)) as usize];
            let want: Vec<_> = model
                .iter()
                .filter(|(k, _)| k.starts_with(prefix))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let at = format!("{} round {round} prefix {prefix:?}", kind.name);
            assert_eq!(b.scan_prefix(prefix).unwrap(), want, "{at}");
            assert_eq!(b.any_with_prefix(prefix).unwrap(), !want.is_empty(), "{at}");
            assert_eq!(b.get(&key).unwrap(), model.get(&key).cloned(), "{at}");
        }
    });
}

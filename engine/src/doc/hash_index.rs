//! Change indices by hash (SPEC.md §5.5).
//!
//! A loaded snapshot brings a quarter of a million hashes at once, and a
//! hash table takes them one cache miss (or two) at a time: a fifth of the
//! hashing thread's work. So the changes a load brings are indexed in bulk,
//! by a counting sort on their hashes' first bits, into buckets of about two
//! that are scanned; changes added later go into an ordinary table.
//! SHA-256 is uniform, so its first eight bytes serve as the hash of both.

use hashbrown::HashTable;
use mergedb_format::ChangeHash;

#[derive(Clone, Debug, Default)]
pub(crate) struct HashIndex {
    /// Changes `0..bulk.slots.len()`, indexed in bulk.
    bulk: Bulk,
    /// The changes after those.
    recent: HashTable<u32>,
}

/// Change indices grouped by the top `bits` bits of their hashes: bucket
/// `b` is `slots[starts[b]..starts[b + 1]]`, in ascending order.
#[derive(Clone, Debug, Default)]
struct Bulk {
    bits: u32,
    starts: Vec<u32>,
    slots: Vec<u32>,
}

pub(crate) fn table_hash(hash: &ChangeHash) -> u64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash.0[..8]);
    u64::from_le_bytes(first)
}

impl Bulk {
    /// Indexes `hashes`, change `i` at `hashes[i]`.
    fn new(hashes: &[ChangeHash]) -> Bulk {
        // About two changes a bucket, and at least two buckets, so that the
        // shift in `bucket` is below 64.
        let bits = (hashes.len() / 2)
            .max(2)
            .next_power_of_two()
            .trailing_zeros();
        let mut bulk = Bulk {
            bits,
            starts: vec![0; (1 << bits) + 1],
            slots: vec![0; hashes.len()],
        };
        for h in hashes {
            let b = bulk.bucket(h);
            bulk.starts[b] += 1;
        }
        // Each bucket's end; filling from the last change back then leaves
        // each `starts[b]` at its bucket's start, with the slots ascending.
        let mut end = 0;
        for s in bulk.starts.iter_mut() {
            end += *s;
            *s = end;
        }
        for (i, h) in hashes.iter().enumerate().rev() {
            let b = bulk.bucket(h);
            bulk.starts[b] -= 1;
            bulk.slots[bulk.starts[b] as usize] = i as u32;
        }
        bulk
    }

    fn bucket(&self, hash: &ChangeHash) -> usize {
        (table_hash(hash) >> (64 - self.bits)) as usize
    }

    fn find(&self, hash: &ChangeHash, hashes: &[ChangeHash]) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let b = self.bucket(hash);
        let (start, end) = (*self.starts.get(b)?, *self.starts.get(b + 1)?);
        let slots = self.slots.get(start as usize..end as usize)?;
        slots
            .iter()
            .copied()
            .find(|i| hashes.get(*i as usize) == Some(hash))
    }
}

impl HashIndex {
    /// An index of `hashes` as they stand; later changes go in with `insert`.
    pub fn bulk(hashes: &[ChangeHash]) -> HashIndex {
        HashIndex {
            bulk: Bulk::new(hashes),
            recent: HashTable::new(),
        }
    }

    fn bulk_len(&self) -> usize {
        self.bulk.slots.len()
    }

    /// The change with `hash`, where change `i`'s hash is `hashes[i]`.
    pub fn find(&self, hash: &ChangeHash, hashes: &[ChangeHash]) -> Option<u32> {
        self.bulk.find(hash, hashes).or_else(|| {
            self.recent
                .find(table_hash(hash), |i| hashes.get(*i as usize) == Some(hash))
                .copied()
        })
    }

    /// Makes room for `n` more changes.
    pub fn reserve(&mut self, n: usize, hashes: &[ChangeHash]) {
        self.recent.reserve(n, |i| table_hash(&hashes[*i as usize]));
    }

    /// Adds change `i`, the last of `hashes`.
    pub fn insert(&mut self, i: u32, hashes: &[ChangeHash]) {
        let hash = table_hash(&hashes[i as usize]);
        self.recent
            .insert_unique(hash, i, |x| table_hash(&hashes[*x as usize]));
    }

    /// Drops changes `len..`, while `hashes` still holds them.
    pub fn truncate(&mut self, len: usize, hashes: &[ChangeHash]) {
        if len < self.bulk_len() {
            // Only a batch that failed on a loaded document rewinds, and it
            // rewinds to after the load; this keeps the index right anyway.
            *self = HashIndex::bulk(hashes.get(..len).unwrap_or_default());
            return;
        }
        for (i, hash) in hashes.iter().enumerate().skip(len) {
            if let Ok(entry) = self
                .recent
                .find_entry(table_hash(hash), |x| *x as usize == i)
            {
                entry.remove();
            }
        }
    }

    /// Heap bytes.
    pub fn heap_bytes(&self) -> usize {
        (self.bulk.starts.capacity() + self.bulk.slots.capacity()) * 4 + self.recent.capacity() * 5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Uniform enough, as SHA-256 is: splitmix64 of the index, four times.
    fn hash(i: u32) -> ChangeHash {
        let mut out = [0u8; 32];
        let mut x = u64::from(i).wrapping_mul(4);
        for chunk in out.chunks_exact_mut(8) {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
        }
        ChangeHash(out)
    }

    #[test]
    fn finds_bulk_and_recent_changes_and_forgets_truncated_ones() {
        for n in [0u32, 1, 2, 3, 5, 100, 1000] {
            let mut hashes: Vec<ChangeHash> = (0..n).map(hash).collect();
            let mut index = HashIndex::bulk(&hashes);
            for i in n..n + 40 {
                hashes.push(hash(i));
                index.insert(i, &hashes);
            }
            for (i, h) in hashes.iter().enumerate() {
                assert_eq!(index.find(h, &hashes), Some(i as u32), "n {n}, change {i}");
            }
            assert_eq!(index.find(&hash(n + 40), &hashes), None);
            // Into the recent part, then into the bulk one.
            for len in [n as usize + 10, n as usize / 2] {
                index.truncate(len, &hashes);
                hashes.truncate(len);
                for (i, h) in hashes.iter().enumerate() {
                    assert_eq!(index.find(h, &hashes), Some(i as u32));
                }
                for gone in len as u32..n + 40 {
                    assert_eq!(index.find(&hash(gone), &hashes), None, "n {n}, len {len}");
                }
            }
        }
    }

    #[test]
    fn equal_prefixes_share_a_bucket_and_are_told_apart() {
        let mut hashes: Vec<ChangeHash> = (0..64).map(hash).collect();
        for (i, h) in hashes.iter_mut().enumerate() {
            h.0[..8].copy_from_slice(&[7; 8]);
            h.0[31] = i as u8;
        }
        let index = HashIndex::bulk(&hashes);
        for (i, h) in hashes.iter().enumerate() {
            assert_eq!(index.find(h, &hashes), Some(i as u32));
        }
    }
}

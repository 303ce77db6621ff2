//! Fuzz inputs kept as tests, so that every `cargo test` replays them.
//!
//! - `fuzz/seeds/change_decode/*` are real encoded changes: each must decode and
//!   re-encode to the same bytes.
//! - `fuzz/seeds/snapshot_decode/*` are a real snapshot and a state section:
//!   each must decode.
//! - `fuzz/seeds/snapshot_load/seed-history` is a real raw history section:
//!   it must decode.

//! - `format/tests/regressions/*` are inputs that once crashed or misled a fuzz
//!   target (see fuzz/README.md). Each must decode to an error, or else to a
//!   change that re-encodes to exactly its bytes; never a panic.

use mergedb_format::snapshot::{decode_history, decode_state, parse_snapshot};
use mergedb_format::{decode_change, encode_change};
use std::path::Path;

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            (path.display().to_string(), bytes)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_seed_is_a_canonical_change() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/change_decode");
    let seeds = files(&dir);
    assert!(
        seeds.len() >= 4,
        "the seed corpus is missing: {}",
        dir.display()
    );
    for (name, bytes) in seeds {
        let change = decode_change(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(encode_change(&change).unwrap(), bytes, "{name}");
    }
}

#[test]
fn every_regression_input_is_handled() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    for (name, bytes) in files(&dir) {
        if name.ends_with(".md") {
            continue;
        }
        if let Ok(change) = decode_change(&bytes) {
            assert_eq!(encode_change(&change).unwrap(), bytes, "{name}");
        }
    }
}

#[test]
fn the_snapshot_load_seed_decodes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/snapshot_load");
    let seeds = files(&dir);
    assert_eq!(seeds.len(), 1, "the seed is missing: {}", dir.display());
    for (name, bytes) in seeds {
        let changes = decode_history(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!changes.is_empty(), "{name}");
    }
}

#[test]
fn the_snapshot_seeds_decode() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/snapshot_decode");
    let seeds = files(&dir);
    assert_eq!(
        seeds.len(),
        2,
        "the snapshot seeds are missing: {}",
        dir.display()
    );
    for (name, bytes) in seeds {
        if name.ends_with("seed-state") {
            decode_state(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        } else {
            let snapshot = parse_snapshot(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            snapshot.state().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!snapshot.history().unwrap().is_empty(), "{name}");
        }
    }
}

//! mergedb against the `automerge` crate: the same sessions, the same actor ids,
//! the same deliveries (shuffled, duplicated, delayed), the same documents.
//!
//! Every seed drives 2 to 5 actors through local sessions (nested maps and
//! lists, text edits, conflicting puts, counters, deletes) and deliveries
//! between them. After every delivery the receiver's two documents must agree
//! on the whole JSON, every conflict set with its op ids, and the heads count.
//! At the end every replica's heads must be automerge's by value, every
//! change's chunk automerge's byte for byte, and the document must survive
//! both saves loaded by the other system and change chunks passed both ways
//! (`common::round_trip`). A seed that diverges names itself in the panic
//! message.

mod common;

use common::pair::{Counts, Pair};
use common::Rng;

/// A held-back change, in both systems' forms.
type Held = (mergedb::format::Change, automerge::Change);

fn actors(rng: &mut Rng, n: usize) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    while out.len() < n {
        // Short ids from a tiny alphabet, so that some are prefixes of others.
        let id: Vec<u8> = (0..1 + rng.below(3))
            .map(|_| *rng.pick(&[0u8, 1, 2, 255]))
            .collect();
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// The changes `from` has and `to` lacks, in both forms, matched by (actor, seq).
fn missing(pairs: &mut [Pair], from: usize, to: usize) -> Vec<Held> {
    let md: Vec<mergedb::format::Change> = pairs[from]
        .md
        .changes_since(&[])
        .unwrap()
        .into_iter()
        .filter(|c| {
            let hash = c.hash();
            pairs[to].md.change_by_hash(&hash).is_none()
        })
        .collect();
    let am_all = pairs[from].am.get_changes(&[]);
    md.into_iter()
        .map(|c| {
            let am = am_all
                .iter()
                .find(|a| a.actor_id().to_bytes() == c.actor.as_bytes() && a.seq() == c.seq)
                .expect("automerge has the same changes")
                .clone();
            (c, am)
        })
        .collect()
}

fn deliver(
    pairs: &mut [Pair],
    from: usize,
    to: usize,
    held: &mut Vec<Held>,
    rng: &mut Rng,
    counts: &mut Counts,
) {
    let mut batch = missing(pairs, from, to);
    batch.append(held);
    rng.shuffle(&mut batch);
    if rng.chance(25) && !batch.is_empty() {
        let keep = rng.below(batch.len());
        held.extend(batch.drain(keep..));
    }
    if rng.chance(25) && !batch.is_empty() {
        let dup = batch[rng.below(batch.len())].clone();
        batch.push(dup);
    }
    let (md, am): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
    pairs[to].md.apply_changes(md).unwrap();
    pairs[to].am.apply_changes(am).unwrap();
    counts.merges += 1;
}

/// Runs one seed; panics, naming it, if the two implementations diverge.
fn run_seed(seed: u64, steps: usize, counts: &mut Counts) {
    let mut rng = Rng::new(seed);
    let n = 2 + rng.below(4);
    let mut pairs: Vec<Pair> = actors(&mut rng, n).iter().map(|a| Pair::new(a)).collect();
    let mut held: Vec<Vec<Held>> = vec![Vec::new(); n];
    for step in 0..steps {
        let r = rng.below(n);
        if rng.chance(55) {
            pairs[r].session(&mut rng, counts);
            pairs[r].check_same(&format!("seed {seed} step {step} (session on {r})"));
        } else {
            let from = rng.below(n);
            deliver(&mut pairs, from, r, &mut held[r], &mut rng, counts);
            pairs[r].check_same(&format!("seed {seed} step {step} (delivery {from} -> {r})"));
        }
    }
    // Everyone gets everything: then all replicas of both systems agree.
    for to in 0..n {
        for from in 0..n {
            let batch: Vec<Held> = missing(&mut pairs, from, to)
                .into_iter()
                .chain(held[to].drain(..))
                .collect();
            let (md, am): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
            pairs[to].md.apply_changes(md).unwrap();
            pairs[to].am.apply_changes(am).unwrap();
        }
    }
    for to in 0..n {
        for from in 0..n {
            let batch = missing(&mut pairs, from, to);
            let (md, am): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
            pairs[to].md.apply_changes(md).unwrap();
            pairs[to].am.apply_changes(am).unwrap();
        }
        let context = format!("seed {seed} final, replica {to}");
        pairs[to].check_same(&context);
        common::round_trip::same_bytes(&mut pairs[to], &context);
        common::round_trip::round_trips(&mut pairs[to], &mut rng, &context);
        counts.merges += 1;
    }
    let json = pairs[0].md.to_json();
    for p in &pairs[1..] {
        assert_eq!(
            p.md.to_json(),
            json,
            "seed {seed}: replicas did not converge"
        );
        assert_eq!(
            p.md.heads(),
            pairs[0].md.heads(),
            "seed {seed}: heads differ"
        );
    }
}

fn run(seeds: std::ops::Range<u64>, steps: usize) -> Counts {
    let mut counts = Counts::default();
    for seed in seeds {
        run_seed(seed, steps, &mut counts);
    }
    println!(
        "{} ops in {} changes, {} merges compared with automerge",
        counts.ops, counts.changes, counts.merges
    );
    counts
}

#[test]
fn a_thousand_seeds_agree_with_automerge() {
    // SEED=n starts from seed n, to replay a failure quickly.
    let first = std::env::var("SEED").map_or(0, |s| s.parse().expect("SEED is a number"));
    let counts = run(first..1000, 30);
    assert!(counts.merges >= 1000 && counts.ops >= 10_000, "{counts:?}");
}

#[test]
#[ignore = "long: cargo test --release --test differential -- --ignored"]
fn many_seeds_agree_with_automerge() {
    let first = std::env::var("SEED").map_or(1000, |s| s.parse().expect("SEED is a number"));
    run(first..21_000, 60);
}

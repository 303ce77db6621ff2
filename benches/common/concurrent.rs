//! A concurrent trace replayed as Automerge changes, and split between two
//! peers: one holds what its users (agent 0) saw, the other what the other
//! agents saw. Each transaction is made on its agent's document brought to
//! exactly the trace's parents, so its positions mean what they meant.

use mergedb::engine::Document;
use mergedb::format::{ActorId, ChangeHash, ObjId, ObjType};
use mergedb_traces::concurrent::ConcurrentTrace;

/// The two sides' change chunks, each in an order that applies.
pub struct Sides {
    pub a: Vec<Vec<u8>>,
    pub b: Vec<Vec<u8>>,
}

struct Replay {
    /// Per txn: its change's hash and chunk.
    hash: Vec<ChangeHash>,
    chunk: Vec<Vec<u8>>,
    /// The change that makes the text, which every version holds.
    setup: Vec<u8>,
    setup_hash: ChangeHash,
}

impl Replay {
    /// The txns in the versions `from` name that `have` lacks, parents first.
    fn missing(&self, trace: &ConcurrentTrace, from: &[usize], have: &[bool]) -> Vec<usize> {
        let mut seen = have.to_vec();
        let mut out = Vec::new();
        // Iterative post-order: a trace's chains are tens of thousands long.
        let mut stack: Vec<(usize, bool)> = from.iter().map(|t| (*t, false)).collect();
        while let Some((t, done)) = stack.pop() {
            if done {
                out.push(t);
                continue;
            }
            if seen[t] {
                continue;
            }
            seen[t] = true;
            stack.push((t, true));
            for p in &trace.txns[t].parents {
                if !seen[*p] {
                    stack.push((*p, false));
                }
            }
        }
        out
    }

    fn version(&self, parents: &[usize]) -> Vec<ChangeHash> {
        let mut v: Vec<ChangeHash> = match parents {
            [] => vec![self.setup_hash],
            p => p.iter().map(|t| self.hash[*t]).collect(),
        };
        v.sort_unstable();
        v.dedup();
        v
    }
}

fn actor(agent: usize) -> ActorId {
    ActorId::new(&[agent as u8 + 1; 16]).unwrap()
}

/// Replays `trace` and returns each side's chunks; checks that all of it
/// merged gives the trace's end content.
pub fn sides(trace: &ConcurrentTrace) -> Sides {
    let mut setup_doc = Document::with_actor(ActorId::new(&[0xee; 16]).unwrap());
    let mut tx = setup_doc.transaction();
    tx.put_object(&ObjId::Root, "text", ObjType::Text).unwrap();
    let setup_hash = tx.commit().unwrap();
    let mut r = Replay {
        hash: Vec::new(),
        chunk: Vec::new(),
        setup: setup_doc.change_chunk(&setup_hash).unwrap(),
        setup_hash,
    };
    let n = trace.txns.len();
    let mut docs: Vec<Document> = (0..trace.agents)
        .map(|a| {
            let mut d = Document::with_actor(actor(a));
            d.apply_chunks([&r.setup[..]]).unwrap();
            d
        })
        .collect();
    let mut have = vec![vec![false; n]; trace.agents];
    let mut order: Vec<Vec<usize>> = vec![Vec::new(); trace.agents];
    for (i, t) in trace.txns.iter().enumerate() {
        let a = t.agent;
        let missing = r.missing(trace, &t.parents, &have[a]);
        let chunks: Vec<&[u8]> = missing.iter().map(|m| &r.chunk[*m][..]).collect();
        docs[a].apply_chunks(chunks).unwrap();
        for m in &missing {
            have[a][*m] = true;
        }
        order[a].extend(&missing);
        let version = r.version(&t.parents);
        // The agent's document is at the parents, unless it saw more since.
        let mut at = match docs[a].heads() == version {
            true => None,
            false => Some(fork_at(&r, trace, &t.parents, a)),
        };
        let doc = at.as_mut().unwrap_or(&mut docs[a]);
        let (_, text) = doc.get(&ObjId::Root, "text").unwrap().unwrap();
        let mut tx = doc.transaction();
        for p in &t.patches {
            tx.splice_text(&text, p.pos, p.del, &p.ins).unwrap();
        }
        let hash = tx
            .commit()
            .unwrap_or_else(|| panic!("txn {i} made no change"));
        let chunk = doc.change_chunk(&hash).unwrap();
        if at.is_some() {
            docs[a].apply_chunks([&chunk[..]]).unwrap();
        }
        r.hash.push(hash);
        r.chunk.push(chunk);
        have[a][i] = true;
        order[a].push(i);
    }
    let side = |agents: std::ops::Range<usize>| {
        let mut seen = vec![false; n];
        let mut out = vec![r.setup.clone()];
        for a in agents {
            for t in &order[a] {
                if !std::mem::replace(&mut seen[*t], true) {
                    out.push(r.chunk[*t].clone());
                }
            }
        }
        out
    };
    let s = Sides {
        a: side(0..1),
        b: side(1..trace.agents),
    };
    let mut all = Document::with_actor(ActorId::new(&[0xdd; 16]).unwrap());
    all.apply_chunks(s.a.iter().chain(&s.b).map(|c| &c[..]))
        .unwrap();
    let (_, text) = all.get(&ObjId::Root, "text").unwrap().unwrap();
    assert_eq!(all.text(&text).unwrap(), trace.end_content, "the replay");
    s
}

/// A document of agent `a` holding exactly the versions `parents` name.
fn fork_at(r: &Replay, trace: &ConcurrentTrace, parents: &[usize], a: usize) -> Document {
    let none = vec![false; trace.txns.len()];
    let mut d = Document::with_actor(actor(a));
    let chunks = std::iter::once(&r.setup[..]).chain(
        r.missing(trace, parents, &none)
            .into_iter()
            .map(|t| &r.chunk[t][..]),
    );
    d.apply_chunks(chunks.collect::<Vec<_>>()).unwrap();
    d
}

//! The actors of one document, by index, with their order by bytes.

use mergedb_format::ActorId;
use std::cmp::Ordering;
use std::collections::HashMap;

/// An op id inside the engine: the counter and an index into `Actors`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct Id {
    pub counter: u64,
    pub actor: u32,
}

/// Every actor a document has seen. Indices are given in order of arrival and
/// never change; `rank` gives each index's place in byte order, so comparing two
/// `Id`s in Automerge's order (SPEC.md §2.1) costs two array reads.
#[derive(Clone, Debug, Default)]
pub(crate) struct Actors {
    ids: Vec<ActorId>,
    index: HashMap<ActorId, u32>,
    rank: Vec<u32>,
}

impl Actors {
    /// The index of `actor`, adding it if it is new.
    pub fn intern(&mut self, actor: ActorId) -> u32 {
        if let Some(i) = self.lookup(&actor) {
            return i;
        }
        let i = self.ids.len() as u32;
        self.ids.push(actor);
        self.index.insert(actor, i);
        let mut by_bytes: Vec<u32> = (0..self.ids.len() as u32).collect();
        by_bytes.sort_by(|a, b| self.ids[*a as usize].cmp(&self.ids[*b as usize]));
        self.rank = vec![0; by_bytes.len()];
        for (rank, idx) in by_bytes.into_iter().enumerate() {
            self.rank[idx as usize] = rank as u32;
        }
        i
    }

    /// The index of `actor`, if the document has seen it. Most documents have
    /// a handful of actors, and comparing a few ids beats hashing one.
    pub fn lookup(&self, actor: &ActorId) -> Option<u32> {
        if self.ids.len() <= 8 {
            return self.ids.iter().position(|a| a == actor).map(|i| i as u32);
        }
        self.index.get(actor).copied()
    }

    /// Every actor, by index.
    pub fn all(&self) -> &[ActorId] {
        &self.ids
    }

    /// The index's place among all actors in byte order.
    pub fn rank(&self, index: u32) -> u32 {
        self.rank[index as usize]
    }

    pub fn get(&self, index: u32) -> ActorId {
        self.ids[index as usize]
    }

    /// Automerge's total order on op ids: counter, then actor bytes.
    pub fn cmp(&self, a: Id, b: Id) -> Ordering {
        a.counter
            .cmp(&b.counter)
            .then_with(|| self.rank[a.actor as usize].cmp(&self.rank[b.actor as usize]))
    }

    pub fn export(&self, id: Id) -> mergedb_format::OpId {
        mergedb_format::OpId::new(id.counter, self.get(id.actor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_follows_bytes_not_arrival() {
        let mut actors = Actors::default();
        let b = actors.intern(ActorId::new(&[2]).unwrap());
        let a = actors.intern(ActorId::new(&[1]).unwrap());
        assert_eq!(actors.intern(ActorId::new(&[2]).unwrap()), b);
        let id = |counter, actor| Id { counter, actor };
        assert_eq!(actors.cmp(id(1, a), id(1, b)), Ordering::Less);
        assert_eq!(actors.cmp(id(2, a), id(1, b)), Ordering::Greater);
    }
}

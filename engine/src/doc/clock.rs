//! Clocks: which ops a set of heads covers, for reads at past heads.

use crate::actors::Id;

/// For each actor index, the highest op counter covered (0: none). The ops an
/// actor makes have rising counters and each of its changes depends on the one
/// before, so one number per actor describes the history below some heads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Clock(pub Vec<u64>);

impl Clock {
    pub fn covers(&self, id: Id) -> bool {
        self.0
            .get(id.actor as usize)
            .is_some_and(|max| id.counter <= *max)
    }

    pub fn include(&mut self, actor: u32, max_op: u64) {
        let a = actor as usize;
        if self.0.len() <= a {
            self.0.resize(a + 1, 0);
        }
        self.0[a] = self.0[a].max(max_op);
    }
}

/// Whether `id` is covered by `clock`, where no clock means the current state.
pub(crate) fn covered(clock: Option<&Clock>, id: Id) -> bool {
    clock.is_none_or(|c| c.covers(id))
}

//! Mark ops in a sequence (SPEC.md §2.7, §2.10): elements that are never
//! visible, and that decide where a local insert next to them goes.

use super::seq::{Cursor, Seq};
use super::{OpSet, NONE};
use crate::value::Action;

impl OpSet {
    /// Where automerge puts a local insert whose visible neighbour is
    /// `after` (at cursor `before`; `NONE` and `None` for the head): past the
    /// invisible elements that follow it, after the last mark begin that
    /// expands or mark end that does not, but not inside a mark that both
    /// begins and ends there. Without marks, `after` itself.
    pub(crate) fn insert_spot(&self, seq: &Seq, before: Option<Cursor>, after: u32) -> u32 {
        if self.marks == 0 {
            return after;
        }
        let next = match before {
            None => Cursor { pos: 0, off: 0 },
            Some(c) => Cursor {
                pos: c.pos,
                off: c.off + 1,
            },
        };
        let ops = &self.ops;
        let mut spots = vec![after];
        for e in seq.iter_from(next) {
            if e.width > 0 {
                break;
            }
            let Action::Mark(m) = &ops[e.op as usize].action else {
                continue;
            };
            let id = ops[e.op as usize].id();
            if m.name.is_none() {
                // An end whose begin is a spot: no spot inside the pair.
                let begin = spots.iter().position(|s| {
                    *s != NONE && {
                        let b = ops[*s as usize].id();
                        b.actor == id.actor && b.counter.wrapping_add(1) == id.counter
                    }
                });
                if let Some(p) = begin {
                    spots.truncate(p);
                    continue;
                }
            }
            if m.expand == m.name.is_some() {
                spots.push(e.op);
            }
        }
        spots.last().copied().unwrap_or(after)
    }
}

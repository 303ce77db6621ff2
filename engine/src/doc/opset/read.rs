//! Visibility and values, now or at a past clock (SPEC.md §2.5–2.8).

use super::{ObjData, OpSet, NONE};
use crate::clock::{covered, Clock};
use crate::value::{Action, Val, Value};
use mergedb_format::ScalarValue;

impl OpSet {
    /// Whether op `k` is visible at `clock` (now, if `None`): a put or make that
    /// no covered op succeeds, except a counter succeeded only by increments.
    pub fn visible(&self, k: u32, clock: Option<&Clock>) -> bool {
        let op = &self.ops[k as usize];
        if !covered(clock, op.id()) {
            return false;
        }
        let is_counter = match &op.action {
            Action::Put(Val::Counter(_)) => true,
            Action::Put(_) | Action::Make(_) => false,
            Action::Delete | Action::Inc(_) | Action::Mark(_) => return false,
        };
        self.succ(k)
            .filter(|s| covered(clock, self.ops[*s as usize].id()))
            .all(|s| is_counter && matches!(self.ops[s as usize].action, Action::Inc(_)))
    }

    /// The highest of `ops` that is visible.
    fn winner(&self, ops: impl Iterator<Item = u32>, clock: Option<&Clock>) -> Option<u32> {
        ops.filter(|o| self.visible(*o, clock)).max_by(|a, b| {
            self.actors
                .cmp(self.ops[*a as usize].id(), self.ops[*b as usize].id())
        })
    }

    /// The visible ops at a map key, ascending by op id.
    pub fn map_ops(&self, obj: u32, key: &str, clock: Option<&Clock>) -> Vec<u32> {
        match &self.objects[obj as usize].data {
            ObjData::Map(keys) => keys.get(key).map_or_else(Vec::new, |list| {
                list.iter()
                    .copied()
                    .filter(|o| self.visible(*o, clock))
                    .collect()
            }),
            ObjData::Seq(..) => Vec::new(),
        }
    }

    /// The visible ops at a list element, ascending by op id.
    pub fn elem_ops(&self, obj: u32, elem: u32, clock: Option<&Clock>) -> Vec<u32> {
        let mut ops: Vec<u32> = self
            .ops_at_elem(obj, elem)
            .filter(|o| self.visible(*o, clock))
            .collect();
        ops.sort_by(|a, b| {
            self.actors
                .cmp(self.ops[*a as usize].id(), self.ops[*b as usize].id())
        });
        ops
    }

    pub fn elem_winner(&self, obj: u32, elem: u32, clock: Option<&Clock>) -> Option<u32> {
        self.winner(self.ops_at_elem(obj, elem), clock)
    }

    /// The keys of a map that have a visible value, in key order.
    pub fn map_keys(&self, obj: u32, clock: Option<&Clock>) -> Vec<(&str, u32)> {
        let ObjData::Map(keys) = &self.objects[obj as usize].data else {
            return Vec::new();
        };
        keys.iter()
            .filter_map(|(k, list)| Some((&**k, self.winner(list.iter().copied(), clock)?)))
            .collect()
    }

    /// The value that op `k` puts or makes, with a counter's increments applied.
    pub fn value(&self, k: u32, clock: Option<&Clock>) -> Value {
        match &self.ops[k as usize].action {
            Action::Make(ty) => Value::Object(*ty),
            Action::Put(Val::Counter(start)) => {
                let total = self
                    .succ(k)
                    .filter(|s| covered(clock, self.ops[*s as usize].id()))
                    .filter_map(|s| match self.ops[s as usize].action {
                        Action::Inc(by) => Some(by),
                        _ => None,
                    })
                    .fold(*start, i64::wrapping_add);
                Value::Scalar(ScalarValue::Counter(total))
            }
            Action::Put(v) => Value::Scalar(v.to_scalar()),
            Action::Delete | Action::Inc(_) | Action::Mark(_) => Value::Scalar(ScalarValue::Null),
        }
    }

    /// Each element of a sequence that is visible at `clock`, in order, as
    /// (insert op, winning op).
    pub fn seq_elems(&self, obj: u32, clock: Option<&Clock>) -> Vec<(u32, u32)> {
        let ObjData::Seq(seq, _) = &self.objects[obj as usize].data else {
            return Vec::new();
        };
        match clock {
            None => seq
                .iter()
                .filter(|e| e.winner != NONE)
                .map(|e| (e.op, e.winner))
                .collect(),
            Some(_) => seq
                .iter()
                .filter_map(|e| Some((e.op, self.elem_winner(obj, e.op, clock)?)))
                .collect(),
        }
    }

    /// The width of an element's winner in `obj` (code points in a text, else 1).
    pub fn elem_width(&self, obj: u32, winner: u32) -> usize {
        match (&self.objects[obj as usize].ty, self.val(winner)) {
            (mergedb_format::ObjType::Text, Some(v)) => v.text_width() as usize,
            _ => 1,
        }
    }
}

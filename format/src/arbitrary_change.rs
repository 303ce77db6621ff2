//! Generators of valid changes from unstructured bytes, for the structured fuzz
//! target and the property tests (feature `arbitrary`).
//!
//! The derived `Arbitrary` for `Change` almost never gives a valid change, so it
//! would only exercise the encoder's refusal. `ValidChange` builds ops whose
//! references all point at earlier counters, so that both the encoder and the
//! decoder's deep paths are reached.

use crate::{ActorId, Change, ChangeHash, ElemId, Key, ObjId, ObjType, Op, OpAction, OpId};
use arbitrary::{Arbitrary, Result, Unstructured};

/// A change that passes `Change::check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidChange(pub Change);

impl<'a> Arbitrary<'a> for ValidChange {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let actors = u.int_in_range(1..=4)?;
        let pool = (0..actors)
            .map(|_| ActorId::arbitrary(u))
            .collect::<Result<Vec<_>>>()?;
        let actor = *u.choose(&pool)?;
        let seq = small_or_any(u, 1)?;
        let start_op = small_or_any(u, 1)?;
        let room = u64::MAX - start_op + 1;
        let count = u.int_in_range(0..=32u64)?.min(room);
        let ops = (0..count)
            .map(|i| valid_op(u, start_op + i, &pool))
            .collect::<Result<Vec<_>>>()?;
        let mut deps = Vec::<ChangeHash>::arbitrary(u)?;
        deps.sort_unstable();
        deps.dedup();
        Ok(ValidChange(Change {
            actor,
            seq,
            start_op,
            time: i64::arbitrary(u)?,
            message: Option::<String>::arbitrary(u)?,
            deps,
            ops,
            extra: Vec::<u8>::arbitrary(u)?,
        }))
    }
}

/// Mostly small numbers, as real histories have, with the edges of the range too.
fn small_or_any(u: &mut Unstructured<'_>, min: u64) -> Result<u64> {
    Ok(match u.int_in_range(0..=3)? {
        0 => u.int_in_range(min..=u64::MAX)?,
        1 => u64::MAX - u.int_in_range(0..=40u64)?.min(u64::MAX - min),
        _ => u.int_in_range(min..=min + 300)?,
    })
}

/// An id earlier than `own`, if there is one: mostly a near one, as typing makes.
fn earlier(u: &mut Unstructured<'_>, own: u64, pool: &[ActorId]) -> Result<Option<OpId>> {
    if own <= 1 {
        return Ok(None);
    }
    let counter = if u.arbitrary()? {
        own - 1 - u.int_in_range(0..=3u64)?.min(own - 2)
    } else {
        u.int_in_range(1..=own - 1)?
    };
    Ok(Some(OpId::new(counter, *u.choose(pool)?)))
}

fn valid_op(u: &mut Unstructured<'_>, own: u64, pool: &[ActorId]) -> Result<Op> {
    let obj = match u.arbitrary::<bool>()? {
        true => earlier(u, own, pool)?.map_or(ObjId::Root, ObjId::Op),
        false => ObjId::Root,
    };
    let mut action = match u.int_in_range(0..=9)? {
        0 | 1 => OpAction::MakeObject(ObjType::arbitrary(u)?),
        2..=4 => OpAction::Put(crate::ScalarValue::arbitrary(u)?),
        5 | 6 => OpAction::Delete,
        7 => OpAction::Increment(i64::arbitrary(u)?),
        8 => OpAction::MarkBegin(Box::new(crate::MarkBegin {
            name: String::arbitrary(u)?,
            value: crate::ScalarValue::arbitrary(u)?,
            expand: u.arbitrary()?,
        })),
        _ => OpAction::MarkEnd {
            expand: u.arbitrary()?,
        },
    };
    let mut pred = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        pred.extend(earlier(u, own, pool)?);
    }
    pred.sort_unstable();
    pred.dedup();
    if pred.is_empty() && matches!(action, OpAction::Delete | OpAction::Increment(_)) {
        action = OpAction::Put(crate::ScalarValue::Null);
    }
    let elem = earlier(u, own, pool)?.map(ElemId::Op);
    let can_insert = matches!(action, OpAction::MakeObject(_) | OpAction::Put(_));
    let mark = matches!(action, OpAction::MarkBegin(_) | OpAction::MarkEnd { .. });
    // A mark always inserts.
    let insert = mark || (can_insert && u.arbitrary()?);
    let key = match (insert, elem) {
        (true, elem) => Key::Seq(elem.unwrap_or(ElemId::Head)),
        (false, Some(elem)) if u.arbitrary()? => Key::Seq(elem),
        (false, _) => Key::Map(String::arbitrary(u)?),
    };
    // The root is a map; an op that needs a list key goes into an earlier object.
    let (obj, key, insert) = match (obj, key) {
        (ObjId::Root, Key::Seq(elem)) => match earlier(u, own, pool)? {
            Some(list) => (ObjId::Op(list), Key::Seq(elem), insert),
            None => (ObjId::Root, Key::Map(String::arbitrary(u)?), false),
        },
        (obj, key) => (obj, key, insert),
    };
    if insert {
        pred.clear();
    }
    // A mark that could not be placed in a list puts null instead.
    if mark && !insert {
        action = OpAction::Put(crate::ScalarValue::Null);
    }
    Ok(Op {
        obj,
        key,
        insert,
        action,
        pred,
    })
}

//! The store's actor record (SPEC.md §5.7): the actor a store writes as, kept
//! from its creation on, and whether a session may have handed out changes of
//! that actor that never became durable.
//!
//! | Offset | Size | Field |
//! |---|---|---|
//! | 0 | 1 | state: `00` closed cleanly, `01` in use |
//! | 1 | 1 | actor length n (1 to 32) |
//! | 2 | n | the actor's bytes |
//!
//! A `Grouped` commit hands out its change (its hash, and the document that
//! holds it) before the change is durable. A crash then loses the change but
//! not what was handed out, and the actor's next session would give that
//! `(actor, seq)` to other content. So before a session's first `Grouped`
//! commit the record is made durable as "in use", a clean close makes it
//! "closed" again, and an open that finds it "in use" retires the actor and
//! writes as a new one. `Immediate` commits hand out only durable changes and
//! leave the record alone.

use super::{keys, Backend, Batch, StoreError};
use mergedb_format::ActorId;

const CLOSED: u8 = 0;
const IN_USE: u8 = 1;

fn encode(actor: &ActorId, state: u8) -> Vec<u8> {
    let bytes = actor.as_bytes();
    let mut out = Vec::with_capacity(2 + bytes.len());
    out.push(state);
    out.push(bytes.len() as u8);
    out.extend_from_slice(bytes);
    out
}

fn decode(value: &[u8]) -> Result<(ActorId, u8), StoreError> {
    let bad = |detail: String| StoreError::BadStoreRecord { key: "A", detail };
    let (&state, rest) = value
        .split_first()
        .ok_or_else(|| bad("the record is empty".into()))?;
    if state > IN_USE {
        return Err(bad(format!("state byte {state:#04x} is neither 00 nor 01")));
    }
    let (&len, actor) = rest
        .split_first()
        .ok_or_else(|| bad("the actor length is missing".into()))?;
    if actor.len() != usize::from(len) {
        return Err(bad(format!(
            "the actor is {} bytes, its length byte says {len}",
            actor.len()
        )));
    }
    let actor = ActorId::new(actor).map_err(|e| bad(format!("the actor: {e}")))?;
    Ok((actor, state))
}

/// Writes the record with `sync`.
pub(crate) fn write(
    backend: &dyn Backend,
    actor: &ActorId,
    in_use: bool,
) -> Result<(), StoreError> {
    let mut batch = Batch::new();
    let state = if in_use { IN_USE } else { CLOSED };
    batch.put(keys::ACTOR_KEY, encode(actor, state));
    backend.write(&batch, true)
}

/// The actor an opening store writes as: the recorded one if its last
/// session closed cleanly, else a new one, recorded (durably) before any
/// commit can use it. A store without the record (new) gets one.
pub(crate) fn open(backend: &dyn Backend) -> Result<ActorId, StoreError> {
    match backend.get(keys::ACTOR_KEY)? {
        Some(value) => match decode(&value)? {
            (actor, CLOSED) => Ok(actor),
            _ => {
                let actor = ActorId::random();
                write(backend, &actor, false)?;
                Ok(actor)
            }
        },
        None => {
            let actor = ActorId::random();
            write(backend, &actor, false)?;
            Ok(actor)
        }
    }
}

/// The recorded actor, for a store that cannot be written (a random one if
/// there is no record): it writes nothing, so it hands out nothing.
pub(crate) fn read(backend: &dyn Backend) -> Result<ActorId, StoreError> {
    match backend.get(keys::ACTOR_KEY)? {
        Some(value) => Ok(decode(&value)?.0),
        None => Ok(ActorId::random()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_bad_ones_are_refused() {
        let actor = ActorId::new(&[1, 2, 3]).unwrap();
        assert_eq!(decode(&encode(&actor, IN_USE)).unwrap(), (actor, IN_USE));
        for bad in [&[][..], &[2, 1, 5], &[0], &[0, 3, 1, 2], &[0, 0]] {
            assert!(matches!(
                decode(bad),
                Err(StoreError::BadStoreRecord { .. })
            ));
        }
    }
}

//! A peer is not trusted (SPEC.md §6A): each class of malformed sync message
//! gets a typed error, and leaves the document and the sync state as they
//! were; the sync then goes on as if the message had never come. (An empty
//! entry is no error: an empty Automerge file is an empty document, as
//! automerge reads it.)

use mergedb_engine::format::sync::{Bloom, Have, Message, Version};
use mergedb_engine::format::{ActorId, ChangeHash, ObjId};
use mergedb_engine::{Document, EngineError, SyncState};

fn doc(actor: u8, value: i64) -> Document {
    let mut d = Document::with_actor(ActorId::new(&[actor; 16]).unwrap());
    let mut tx = d.transaction();
    tx.put(&ObjId::Root, "k", value).unwrap();
    tx.commit();
    d
}

fn message(changes: Vec<Vec<u8>>) -> Message {
    Message {
        version: Version::V2,
        heads: vec![],
        need: vec![],
        have: vec![Have::default()],
        changes,
        flags: Some(4),
        extension: 0,
    }
}

/// One chunk of `d`'s, whole.
fn chunk(d: &Document) -> Vec<u8> {
    d.change_chunk(&d.heads()[0]).unwrap()
}

#[test]
fn each_class_of_bad_message_is_refused_and_changes_nothing() {
    let mut ours = doc(1, 1);
    let theirs = doc(2, 2);
    let good = chunk(&theirs);
    let mut flipped = good.clone();
    *flipped.last_mut().unwrap() ^= 0x55;
    let mut bad_checksum = good.clone();
    bad_checksum[4] ^= 1;
    // Our own actor's seq 1 again, with other content: a second change
    // under one (actor, seq).
    let twin = chunk(&doc(1, 99));
    let mut whole = theirs.save_automerge();
    let end = whole.len() - 3;
    whole.truncate(end);
    let classes: Vec<(&str, Message)> = vec![
        (
            "bytes that are no chunk",
            message(vec![vec![0xde, 0xad, 0xbe, 0xef]]),
        ),
        ("a chunk whose body was changed", message(vec![flipped])),
        (
            "a chunk whose checksum is wrong",
            message(vec![bad_checksum]),
        ),
        (
            "a chunk cut short",
            message(vec![good[..good.len() / 2].to_vec()]),
        ),
        (
            "a good chunk beside a bad one",
            message(vec![good.clone(), vec![0x85]]),
        ),
        (
            "a second change under one (actor, seq)",
            message(vec![twin]),
        ),
        ("a document chunk cut short", message(vec![whole])),
    ];
    let mut state = SyncState::new();
    let _ = ours.generate_sync_message(&mut state);
    for (class, m) in classes {
        let (heads, json, before) = (ours.heads(), ours.to_json(), state.clone());
        let err = ours.receive_sync_message(&mut state, m).expect_err(class);
        assert!(
            matches!(
                err,
                EngineError::BadChange { .. }
                    | EngineError::BadAutomerge(_)
                    | EngineError::DuplicateSeq { .. }
            ),
            "{class}: {err:?}"
        );
        assert_eq!(ours.heads(), heads, "{class}: heads");
        assert_eq!(ours.to_json(), json, "{class}: JSON");
        assert_eq!(state, before, "{class}: the sync state");
        ours.check();
    }
    // Filters a peer cannot have built: refused by the decoder.
    // V2, no heads, no need, one have (no last sync; a 4-byte filter of 100
    // entries at 200 bits each, past 64), no changes.
    let bytes = [0x43, 0, 0, 1, 0, 4, 100, 200, 1, 7, 0];
    assert!(Message::decode(&bytes).is_err(), "bits per entry past 64");
    assert!(
        Bloom::decode(&[3, 10, 0xff, 1], 0).is_err(),
        "probes past 64"
    );
    assert!(Bloom::decode(&[3, 0, 7], 0).is_err(), "entries but no bits");

    // After all that, the sync with the honest peer still converges.
    let mut theirs = theirs;
    let mut their_state = SyncState::new();
    for _ in 0..10 {
        let mut quiet = true;
        if let Some(m) = ours.generate_sync_message(&mut state) {
            theirs.receive_sync_message(&mut their_state, m).unwrap();
            quiet = false;
        }
        if let Some(m) = theirs.generate_sync_message(&mut their_state) {
            ours.receive_sync_message(&mut state, m).unwrap();
            quiet = false;
        }
        if quiet {
            break;
        }
    }
    let heads: Vec<ChangeHash> = ours.heads();
    assert_eq!(heads, theirs.heads());
    assert_eq!(heads.len(), 2, "both changes, and only them");
}

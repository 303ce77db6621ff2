//! A hostile peer's frames into the connection core of a server whose
//! store holds a document. The input is frames, each a 2-byte big-endian
//! length and its bytes; a first byte that is odd puts a valid `join`
//! before them, so the fuzzer reaches past the handshake, and bit 1 turns
//! on the digest of paired devices. Whatever the
//! frames, the core returns, the store verifies clean, and the document's
//! changes are all still there.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mergedb_engine::format::ObjId;
use mergedb_engine::store::{Store, StoreError, StoreOptions};
use mergedb_net::{Access, Config, Connection, WireMessage};

fuzz_target!(|data: &[u8]| {
    let store = Store::in_memory(StoreOptions::default()).unwrap();
    let id = store.create_doc().unwrap();
    store
        .transact(&id, |tx| {
            Ok::<_, StoreError>(tx.put(&ObjId::Root, "k", 1i64)?)
        })
        .unwrap();
    let before = store.doc(&id).unwrap().heads().unwrap();
    let Some((first, mut rest)) = data.split_first() else {
        return;
    };
    let mut config = Config::new(&store, Access::all());
    config.max_docs = 8;
    // Bit 1: between mergedb devices, with the digest (SPEC.md §6B.8).
    config.digest = first & 2 != 0;
    let mut conn = Connection::accept(store.clone(), config);
    if first % 2 == 1 {
        let join = WireMessage::Join {
            sender_id: "fuzz".into(),
            supported_protocol_versions: vec!["1".into()],
            metadata: None,
        };
        conn.receive(&join.encode()).unwrap();
    }
    while rest.len() >= 2 && !conn.is_closed() {
        let len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
        let frame = &rest[2..(2 + len).min(rest.len())];
        rest = &rest[(2 + len).min(rest.len())..];
        let _ = conn.receive(frame);
        for out in conn.take_outgoing() {
            WireMessage::decode(&out).expect("what the core sends decodes");
        }
    }
    conn.close();
    store.verify().expect("the store verifies after any frames");
    let doc = store.doc(&id).unwrap();
    for h in before {
        assert!(doc.read().unwrap().has_change(&h), "a change was lost");
    }
});

//! Raw bytes as an Automerge file: `Document::load_automerge`, which parses
//! and verifies document chunks and change chunks, rebuilds a document
//! chunk's changes and checks them against its heads. Whatever the bytes, it
//! returns (memory bounded by the input, as `max_rows` and the inflation
//! limit say). A document that loads keeps its invariants, and its own
//! `save_automerge` loads back to the same heads and JSON. Where the
//! one-pass build takes the bytes, the change-by-change reference takes them
//! too, to the same document.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mergedb_engine::format::ActorId;
use mergedb_engine::Document;

fuzz_target!(|data: &[u8]| {
    let Ok(actor) = ActorId::new(&[0xee]) else {
        return;
    };
    if let Ok(Some(fast)) = Document::load_automerge_one_pass(data, actor) {
        let reference =
            Document::load_automerge_reference(data, actor).expect("the reference takes it too");
        assert_eq!(fast.heads(), reference.heads());
        assert_eq!(fast.to_json(), reference.to_json());
    }
    if let Ok(doc) = Document::load_automerge(data, actor) {
        doc.check();
        let again = Document::load_automerge(&doc.save_automerge(), actor)
            .expect("a document's own save loads");
        assert_eq!(again.heads(), doc.heads());
        assert_eq!(again.to_json(), doc.to_json());
    }
});

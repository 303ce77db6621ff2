//! Raw bytes as a snapshot's history section (SPEC.md §4.3, §5.5), loaded two
//! ways: `Document::load_history`, which builds the document in one pass and
//! gives up on what it cannot vouch for, and `load_history_reference`, which
//! applies each change through every check of `apply_changes`. Neither may
//! panic, and they must agree: the same document, or the same error. A
//! document that loads keeps its invariants (`check`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mergedb_engine::format::ActorId;
use mergedb_engine::Document;

fuzz_target!(|data: &[u8]| {
    let Ok(actor) = ActorId::new(&[0xee]) else {
        return;
    };
    let fast = Document::load_history(data, actor);
    let slow = Document::load_history_reference(data, actor);
    match (fast, slow) {
        (Ok(fast), Ok(slow)) => {
            fast.check();
            assert_eq!(fast.to_json(), slow.to_json());
            assert_eq!(fast.heads(), slow.heads());
            assert_eq!(fast.missing_deps(&[]), slow.missing_deps(&[]));
        }
        (Err(fast), Err(slow)) => assert_eq!(fast.to_string(), slow.to_string()),
        (fast, slow) => panic!(
            "load gave {:?}, the reference {:?}",
            fast.map(|d| d.to_json()),
            slow.map(|d| d.to_json())
        ),
    }
});

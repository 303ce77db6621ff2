//! Mark ops (Automerge's rich-text spans) are kept, not refused: a document
//! with marks loads with the text automerge reads, its change chunks keep
//! automerge's bytes (re-encoded, not kept verbatim), its saves load back in
//! automerge with the same marks, they survive the store's log, a snapshot
//! and a reopen, and typing next to a mark makes the change automerge makes.

use automerge::marks::{ExpandMark, Mark};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ReadDoc, ROOT};
use mergedb::engine::store::Store;
use mergedb::engine::Document;
use mergedb::format::{ActorId, ChangeHash, ObjId};

const A: [u8; 16] = [0xaa; 16];
const B: [u8; 16] = [0xbb; 16];

/// A text with marks of every expand kind, an unmark, edits inside and at
/// the edges of marks, and a concurrent mark from a second actor.
fn marked() -> AutoCommit {
    let mut am = AutoCommit::new().with_actor(automerge::ActorId::from(&A[..]));
    let text = am
        .put_object(ROOT, "notes", automerge::ObjType::Text)
        .unwrap();
    am.splice_text(&text, 0, 0, "hello brave new world")
        .unwrap();
    am.commit();
    let marks = [
        ("bold", 0, 5, ExpandMark::After, true.into()),
        (
            "link",
            6,
            11,
            ExpandMark::None,
            "https://example.org".into(),
        ),
        ("italic", 12, 15, ExpandMark::Both, true.into()),
        ("size", 16, 21, ExpandMark::Before, 3i64.into()),
    ];
    for (name, start, end, expand, value) in marks {
        let m: automerge::ScalarValue = value;
        am.mark(&text, Mark::new(name.into(), m, start, end), expand)
            .unwrap();
        am.commit();
    }
    am.unmark(&text, "bold", 2, 4, ExpandMark::Before).unwrap();
    am.commit();
    am.splice_text(&text, 5, 0, "!").unwrap();
    am.splice_text(&text, 0, 0, "> ").unwrap();
    am.commit();
    let mut other = am.fork().with_actor(automerge::ActorId::from(&B[..]));
    other
        .mark(
            &text,
            Mark::new("comment".into(), "why?", 3, 9),
            ExpandMark::Both,
        )
        .unwrap();
    other.splice_text(&text, 8, 2, "").unwrap();
    other.commit();
    am.splice_text(&text, 10, 0, "very ").unwrap();
    am.commit();
    am.merge(&mut other).unwrap();
    am
}

fn notes(am: &AutoCommit) -> automerge::ObjId {
    am.get(ROOT, "notes").unwrap().unwrap().1
}

fn md_notes(md: &Document) -> ObjId {
    md.get(&ObjId::Root, "notes").unwrap().unwrap().1
}

fn heads(md: &Document) -> Vec<[u8; 32]> {
    md.heads().iter().map(|h| h.0).collect()
}

fn am_heads(am: &mut AutoCommit) -> Vec<[u8; 32]> {
    let mut h: Vec<[u8; 32]> = am.get_heads().iter().map(|h| h.0).collect();
    h.sort_unstable();
    h
}

/// Text, marks and heads agree between a mergedb document and automerge.
fn same(md: &Document, am: &mut AutoCommit, context: &str) {
    md.check();
    let text = notes(am);
    assert_eq!(
        md.text(&md_notes(md)).unwrap(),
        am.text(&text).unwrap(),
        "{context}: text"
    );
    assert_eq!(heads(md), am_heads(am), "{context}: heads");
    // What mergedb writes back, automerge reads with the same marks.
    let mut back = AutoCommit::load(&md.save_automerge()).unwrap();
    assert_eq!(
        back.marks(notes(&back)).unwrap(),
        am.marks(&text).unwrap(),
        "{context}: marks after save_automerge"
    );
    assert_eq!(am_heads(&mut back), am_heads(am), "{context}: saved heads");
}

#[test]
fn a_document_with_marks_loads_reads_and_saves_as_automerge_does() {
    let mut am = marked();
    assert!(am.marks(notes(&am)).unwrap().len() >= 4);
    let saved = am.save();
    let actor = ActorId::new(&[1]).unwrap();
    let one_pass = Document::load_automerge_one_pass(&saved, actor)
        .unwrap()
        .expect("the one pass takes automerge's save");
    let reference = Document::load_automerge_reference(&saved, actor).unwrap();
    for (md, how) in [(&one_pass, "one pass"), (&reference, "reference")] {
        same(md, &mut am, how);
        assert_eq!(md.to_json(), one_pass.to_json(), "{how}: JSON");
        assert_eq!(
            md.length(&md_notes(md)).unwrap(),
            am.length(notes(&am)),
            "{how}: length"
        );
    }
    assert_eq!(
        one_pass.save_automerge(),
        saved,
        "save_automerge writes automerge's bytes"
    );
}

#[test]
fn mark_changes_keep_automerge_bytes_one_at_a_time() {
    let mut am = marked();
    let mut md = Document::with_actor(ActorId::new(&[2]).unwrap());
    for c in am.get_changes(&[]) {
        md.apply_chunks([c.raw_bytes()]).unwrap();
        let hash = ChangeHash(c.hash().0);
        assert_eq!(md.change_chunk(&hash).as_deref(), Some(c.raw_bytes()));
        assert!(
            !md.is_verbatim(&hash),
            "change seq {} of {} re-encodes to automerge's bytes",
            c.seq(),
            c.actor_id()
        );
    }
    same(&md, &mut am, "change by change");
}

#[test]
fn marks_survive_the_log_a_snapshot_and_a_reopen() {
    let mut am = marked();
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let store = Store::open(dir.path()).unwrap();
        let id = store.create_doc().unwrap();
        store.apply_automerge(&id, &am.save()).unwrap();
        id
    };
    for step in ["the log", "the snapshot", "the snapshot again"] {
        let store = Store::open(dir.path()).unwrap();
        let d = store.doc(&id).unwrap().read().unwrap();
        same(&d, &mut am, step);
        store.verify().unwrap();
        store.compact(&id).unwrap();
    }
}

/// Typing at every place of a marked text, in mergedb and in automerge,
/// makes the same change: the insert goes where automerge's sticky marks
/// put it (inside a mark that expands there, outside one that does not).
#[test]
fn typing_next_to_marks_makes_the_change_automerge_makes() {
    let mut base = marked();
    let len = base.length(notes(&base));
    for index in 0..=len {
        let mut am = base.fork().with_actor(automerge::ActorId::from(&[9u8][..]));
        let mut md = Document::load_automerge(&base.save(), ActorId::new(&[9]).unwrap()).unwrap();
        let (text, md_text) = (notes(&am), md_notes(&md));
        am.splice_text(&text, index, 0, "x").unwrap();
        let a = am.commit().unwrap();
        let mut tx = md.transaction();
        tx.splice_text(&md_text, index, 0, "x").unwrap();
        let m = tx.commit().unwrap();
        assert_eq!(m.0, a.0, "typing at {index}: the same change");
        same(&md, &mut am, &format!("typing at {index}"));
    }
}

/// The fuzz seeds with marks: a document chunk and a change chunk, written
/// when missing (`fuzz/README.md`); each must load here.
#[test]
fn the_mark_seeds_exist_and_load() {
    let mut am = marked();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    let doc = root.join("automerge_document_load/seed-marks");
    let change = root.join("automerge_change_decode/change-marks");
    let mark_change = am
        .get_changes(&[])
        .into_iter()
        .find(|c| c.seq() == 2)
        .unwrap()
        .raw_bytes()
        .to_vec();
    for (path, bytes) in [(&doc, am.save()), (&change, mark_change)] {
        if !path.exists() {
            std::fs::write(path, bytes).unwrap();
        }
    }
    let actor = ActorId::new(&[3]).unwrap();
    Document::load_automerge(&std::fs::read(&doc).unwrap(), actor).unwrap();
    let c = mergedb::format::automerge::decode_automerge_change(&std::fs::read(&change).unwrap())
        .unwrap();
    assert!(c
        .change
        .ops
        .iter()
        .any(|op| matches!(op.action, mergedb::format::OpAction::MarkBegin(_))));
}

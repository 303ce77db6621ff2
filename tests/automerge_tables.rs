//! Automerge's tables (`ObjType::Table`, action 6) are kept, not refused: a
//! document with tables loads with the JSON automerge reads (a table reads
//! as a map), its changes keep automerge's bytes, its saves load back in
//! automerge with the tables still tables, they survive the store's log, a
//! snapshot (its history and its state section) and a reopen, and an edit
//! in a table makes the change automerge makes.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ReadDoc, ROOT};
use mergedb::engine::store::Store;
use mergedb::engine::Document;
use mergedb::format::{ActorId, ChangeHash, ObjId, ObjType};

const A: [u8; 16] = [0xaa; 16];
const B: [u8; 16] = [0xbb; 16];

/// Tables as automerge 0.12 makes them (it makes tables, but refuses any op
/// in one): at the root, in a list, two made at one key concurrently, one
/// made and deleted, beside ordinary maps and text.
fn tabled() -> AutoCommit {
    let mut am = AutoCommit::new().with_actor(automerge::ActorId::from(&A[..]));
    am.put_object(ROOT, "sets", automerge::ObjType::Table)
        .unwrap();
    let list = am
        .put_object(ROOT, "log", automerge::ObjType::List)
        .unwrap();
    am.insert_object(&list, 0, automerge::ObjType::Table)
        .unwrap();
    am.insert(&list, 1, "after").unwrap();
    let row = am.insert_object(&list, 2, automerge::ObjType::Map).unwrap();
    am.put(&row, "reps", 8i64).unwrap();
    am.put_object(ROOT, "gone", automerge::ObjType::Table)
        .unwrap();
    am.commit();
    am.delete(ROOT, "gone").unwrap();
    am.commit();
    let mut other = am.fork().with_actor(automerge::ActorId::from(&B[..]));
    other
        .put_object(ROOT, "both", automerge::ObjType::Table)
        .unwrap();
    other.commit();
    am.put_object(ROOT, "both", automerge::ObjType::Table)
        .unwrap();
    am.commit();
    am.merge(&mut other).unwrap();
    am
}

fn heads(md: &Document) -> Vec<[u8; 32]> {
    md.heads().iter().map(|h| h.0).collect()
}

fn am_heads(am: &mut AutoCommit) -> Vec<[u8; 32]> {
    let mut h: Vec<[u8; 32]> = am.get_heads().iter().map(|h| h.0).collect();
    h.sort_unstable();
    h
}

/// automerge's JSON of a document, tables as objects.
fn am_json(am: &AutoCommit) -> serde_json::Value {
    serde_json::to_value(automerge::AutoSerde::from(am)).unwrap()
}

fn same(md: &Document, am: &mut AutoCommit, context: &str) {
    md.check();
    assert_eq!(md.to_json(), am_json(am), "{context}: JSON");
    assert_eq!(heads(md), am_heads(am), "{context}: heads");
    let (_, sets) = md.get(&ObjId::Root, "sets").unwrap().unwrap();
    assert_eq!(md.object_type(&sets).unwrap(), ObjType::Table, "{context}");
    assert_eq!(md.keys(&sets).unwrap(), Vec::<String>::new(), "{context}");
    let both = md.get_all(&ObjId::Root, "both").unwrap();
    assert_eq!(
        both.len(),
        am.get_all(ROOT, "both").unwrap().len(),
        "{context}"
    );
    for (_, id) in &both {
        assert_eq!(md.object_type(id).unwrap(), ObjType::Table, "{context}");
    }
    // What mergedb writes back, automerge reads with the tables as tables.
    let mut back = AutoCommit::load(&md.save_automerge()).unwrap();
    let (value, _) = back.get(ROOT, "sets").unwrap().unwrap();
    assert_eq!(value, automerge::Value::Object(automerge::ObjType::Table));
    assert_eq!(am_json(&back), am_json(am), "{context}: saved JSON");
    assert_eq!(am_heads(&mut back), am_heads(am), "{context}: saved heads");
}

#[test]
fn a_document_with_tables_loads_reads_and_saves_as_automerge_does() {
    let mut am = tabled();
    let saved = am.save();
    let actor = ActorId::new(&[1]).unwrap();
    let one_pass = Document::load_automerge_one_pass(&saved, actor)
        .unwrap()
        .expect("the one pass takes automerge's save");
    let reference = Document::load_automerge_reference(&saved, actor).unwrap();
    for (md, how) in [(&one_pass, "one pass"), (&reference, "reference")] {
        same(md, &mut am, how);
    }
    assert_eq!(
        one_pass.save_automerge(),
        saved,
        "save_automerge writes automerge's bytes"
    );
}

#[test]
fn table_changes_keep_automerge_bytes_one_at_a_time() {
    let mut am = tabled();
    let mut md = Document::with_actor(ActorId::new(&[2]).unwrap());
    for c in am.get_changes(&[]) {
        md.apply_chunks([c.raw_bytes()]).unwrap();
        let hash = ChangeHash(c.hash().0);
        assert_eq!(md.change_chunk(&hash).as_deref(), Some(c.raw_bytes()));
        assert!(
            !md.is_verbatim(&hash),
            "seq {} re-encodes to automerge's bytes",
            c.seq()
        );
    }
    same(&md, &mut am, "change by change");
}

#[test]
fn tables_survive_the_log_a_snapshot_and_a_reopen() {
    let mut am = tabled();
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let store = Store::open(dir.path()).unwrap();
        let id = store.create_doc().unwrap();
        store.apply_automerge(&id, &am.save()).unwrap();
        id
    };
    for step in ["the log", "the snapshot", "the snapshot again"] {
        let store = Store::open(dir.path()).unwrap();
        // The state section answers first, without the history.
        let handle = store.doc(&id).unwrap();
        let (_, sets) = handle.get(&ObjId::Root, "sets").unwrap().unwrap();
        assert_eq!(handle.object_type(&sets).unwrap(), ObjType::Table, "{step}");
        assert_eq!(handle.to_json().unwrap(), am_json(&am), "{step}: JSON");
        same(&handle.read().unwrap(), &mut am, step);
        store.verify().unwrap();
        store.compact(&id).unwrap();
    }
}

/// Making a table in mergedb makes the change automerge makes; an op in a
/// table is refused, as automerge 0.12 refuses it, and changes nothing.
#[test]
fn making_a_table_makes_the_change_automerge_makes() {
    let mut base = tabled();
    let mut am = base.fork().with_actor(automerge::ActorId::from(&[9u8][..]));
    let mut md = Document::load_automerge(&base.save(), ActorId::new(&[9]).unwrap()).unwrap();
    let am_list = am.get(ROOT, "log").unwrap().unwrap().1;
    let (_, list) = md.get(&ObjId::Root, "log").unwrap().unwrap();
    am.put_object(ROOT, "new", automerge::ObjType::Table)
        .unwrap();
    am.insert_object(&am_list, 1, automerge::ObjType::Table)
        .unwrap();
    let a = am.commit().unwrap();
    let mut tx = md.transaction();
    tx.put_object(&ObjId::Root, "new", ObjType::Table).unwrap();
    tx.insert_object(&list, 1, ObjType::Table).unwrap();
    let m = tx.commit().unwrap();
    assert_eq!(m.0, a.0, "the same change");
    same(&md, &mut am, "after making tables");

    let am_sets = am.get(ROOT, "sets").unwrap().unwrap().1;
    assert!(am.put(&am_sets, "k", 1i64).is_err(), "automerge refuses it");
    let (_, sets) = md.get(&ObjId::Root, "sets").unwrap().unwrap();
    let before = md.heads();
    let mut tx = md.transaction();
    assert!(tx.put(&sets, "k", 1i64).is_err());
    assert!(tx.put_object(&sets, "k", ObjType::Map).is_err());
    assert!(tx.delete(&sets, "k").is_err());
    drop(tx);
    assert_eq!(md.heads(), before);
    same(&md, &mut am, "after the refused edits");
}

/// The fuzz seed with tables, a document chunk, written when missing
/// (`fuzz/README.md`); it must load here, with its tables.
#[test]
fn the_table_seed_exists_and_loads() {
    let mut am = tabled();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    let doc = root.join("automerge_document_load/seed-tables");
    if !doc.exists() {
        std::fs::write(&doc, am.save()).unwrap();
    }
    let md = Document::load_automerge(&std::fs::read(&doc).unwrap(), ActorId::new(&[3]).unwrap())
        .unwrap();
    same(&md, &mut am, "the seed");
}

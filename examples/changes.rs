//! Two people edit one shared document: alice starts a shopping list, bob edits
//! it at the same time on his device, and they merge. Then every change is
//! encoded, decoded again, checked, and printed, with the merged document.
//!
//!     cargo run --example changes
//!
//! With `--write-seeds DIR` it also writes each encoded change to
//! DIR/change_decode/ and each body to DIR/change_body/: the committed fuzz
//! seed corpus is made this way (see fuzz/README.md).

use mergedb::engine::Document;
use mergedb::format::{
    decode_change, encode_change_with_hash, ActorId, Change, ElemId, Key, ObjId, ObjType, OpAction,
    OpId, ScalarValue,
};
use std::error::Error;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const T0: i64 = 1_764_000_000_000; // 2025-11-24, in ms

/// The session; returns both replicas after they have merged.
fn session() -> Result<(Document, Document)> {
    let mut alice = Document::with_actor(ActorId::new(b"alice")?);
    let mut tx = alice.transaction();
    let title = tx.put_object(&ObjId::Root, "title", ObjType::Text)?;
    tx.splice_text(&title, 0, 0, "Groceries")?;
    let items = tx.put_object(&ObjId::Root, "items", ObjType::List)?;
    let milk = tx.insert_object(&items, 0, ObjType::Map)?;
    tx.put(&milk, "name", "milk")?;
    tx.put(&milk, "done", false)?;
    tx.put(&ObjId::Root, "visits", ScalarValue::Counter(0))?;
    tx.put(&ObjId::Root, "price", 1.25)?;
    tx.commit_with(Some("start a list".into()), Some(T0));

    // Bob gets a copy and edits while alice edits too.
    let mut bob = alice.fork();
    bob.set_actor(ActorId::new(b"bob")?);
    let mut tx = bob.transaction();
    tx.splice_text(&title, 9, 0, " list")?;
    tx.increment(&ObjId::Root, "visits", 2)?;
    tx.put(&milk, "done", true)?;
    tx.commit_with(None, Some(T0 + 4_000));

    let mut tx = alice.transaction();
    tx.splice_text(&title, 0, 1, "g")?;
    tx.put(&milk, "done", ScalarValue::Null)?;
    tx.put(&ObjId::Root, "id", vec![0xde, 0xad])?;
    tx.put(&ObjId::Root, "due", ScalarValue::Timestamp(T0 + 86_400_000))?;
    tx.put(&ObjId::Root, "limit", u64::MAX)?;
    tx.put(&ObjId::Root, "delta", -42i64)?;
    tx.commit_with(None, Some(T0 + 5_000));

    alice.merge(&bob)?;
    // One keystroke after the merge: one insert of one character.
    let mut tx = alice.transaction();
    let end = tx.length(&title)?;
    tx.splice_text(&title, end, 0, "!")?;
    tx.commit_with(None, Some(T0 + 9_000));
    bob.merge(&alice)?;
    Ok((alice, bob))
}

/// An op id as counter@name; the actors here are readable names.
fn id(id: &OpId) -> String {
    format!(
        "{}@{}",
        id.counter,
        String::from_utf8_lossy(id.actor.as_bytes())
    )
}

fn describe_op(change: &Change, i: usize) -> String {
    let op = &change.ops[i];
    let obj = match &op.obj {
        ObjId::Root => "root".to_string(),
        ObjId::Op(o) => id(o),
    };
    let key = match &op.key {
        Key::Map(k) => format!("{k:?}"),
        Key::Seq(ElemId::Head) => "head".to_string(),
        Key::Seq(ElemId::Op(e)) => id(e),
    };
    let what = match &op.action {
        OpAction::MakeObject(t) => format!("make {t:?}"),
        OpAction::Put(v) => format!("put {v:?}"),
        OpAction::Delete => "delete".to_string(),
        OpAction::Increment(by) => format!("increment {by}"),
        OpAction::MarkBegin(m) => {
            format!("mark {:?} = {:?} (expand {})", m.name, m.value, m.expand)
        }
        OpAction::MarkEnd { expand } => format!("end mark (expand {expand})"),
    };
    let verb = if op.insert { "insert after" } else { "at" };
    let own = id(&OpId::new(change.start_op + i as u64, change.actor));
    let pred: Vec<String> = op.pred.iter().map(id).collect();
    format!(
        "    {own}: {obj} {verb} {key}: {what}, pred [{}]",
        pred.join(", ")
    )
}

fn main() -> Result<()> {
    let seeds = match std::env::args().skip(1).collect::<Vec<_>>().as_slice() {
        [] => None,
        [flag, dir] if flag == "--write-seeds" => Some(std::path::PathBuf::from(dir)),
        _ => return Err("usage: changes [--write-seeds DIR]".into()),
    };
    let (alice, bob) = session()?;
    for (n, change) in alice.changes_since(&[])?.iter().enumerate() {
        let (bytes, hash) = encode_change_with_hash(change)?;
        let decoded = decode_change(&bytes)?;
        assert_eq!(&decoded, change, "a change must decode to itself");
        println!(
            "change {} by {} seq {}: {} ops, {} deps, {} bytes, hash {}",
            n + 1,
            String::from_utf8_lossy(change.actor.as_bytes()),
            change.seq,
            change.ops.len(),
            change.deps.len(),
            bytes.len(),
            &hash.to_hex()[..12],
        );
        for i in 0..change.ops.len() {
            println!("{}", describe_op(change, i));
        }
        if let Some(dir) = &seeds {
            write_seed(dir, n, &bytes)?;
        }
    }
    println!("every change decoded back to itself");
    if let Some(dir) = &seeds {
        // The snapshot target takes whole snapshots and bare state sections.
        let target = dir.join("snapshot_decode");
        std::fs::create_dir_all(&target)?;
        std::fs::write(target.join("seed-snapshot"), alice.save()?)?;
        let state = mergedb::format::snapshot::encode_state(&alice.state());
        std::fs::write(target.join("seed-state"), state)?;
        // The load target takes bare history sections.
        let target = dir.join("snapshot_load");
        std::fs::create_dir_all(&target)?;
        let history = mergedb::format::snapshot::parse_snapshot(&alice.save()?)?.history_raw()?;
        std::fs::write(target.join("seed-history"), history)?;
        // The Automerge file target takes a document chunk, and change chunks.
        let target = dir.join("automerge_document_load");
        std::fs::create_dir_all(&target)?;
        std::fs::write(target.join("seed-document"), alice.save_automerge())?;
        std::fs::write(
            target.join("seed-changes"),
            alice.chunks_since(&[])?.concat(),
        )?;
    }
    assert_eq!(
        alice.to_json(),
        bob.to_json(),
        "both replicas must converge"
    );
    println!("merged document, the same on both replicas:");
    println!("{}", serde_json::to_string_pretty(&alice.to_json())?);
    Ok(())
}

fn write_seed(dir: &std::path::Path, n: usize, bytes: &[u8]) -> Result<()> {
    let body_start = 9 + bytes[9..].iter().position(|b| b & 0x80 == 0).unwrap_or(0) + 1;
    for (target, data) in [
        ("change_decode", bytes),
        ("change_body", &bytes[body_start..]),
    ] {
        std::fs::create_dir_all(dir.join(target))?;
        std::fs::write(dir.join(target).join(format!("seed-{n:03}")), data)?;
    }
    Ok(())
}

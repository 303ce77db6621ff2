//! Builds a small shared document as two actors would, change by change, then
//! encodes every change, decodes it again, and prints what it holds.
//!
//!     cargo run --example changes
//!
//! With `--write-seeds DIR` it also writes each encoded change to
//! DIR/change_decode/ and each body to DIR/change_body/: the committed fuzz
//! seed corpus is made this way (see fuzz/README.md).

use mergedb::format::{
    decode_change, encode_change_with_hash, ActorId, Change, ChangeBuilder, ChangeHash, ElemId,
    Key, ObjId, ObjType, OpAction, OpId, ScalarValue,
};
use std::error::Error;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Types `text` into a text object after `after`, one insert per character.
fn type_text(b: &mut ChangeBuilder, text: OpId, mut after: ElemId, s: &str) -> ElemId {
    for c in s.chars() {
        after = b.insert(text.into(), after, ScalarValue::str(c)).into();
    }
    after
}

/// The session: alice starts a shopping list, bob edits it concurrently with her,
/// and alice merges and types one more key.
fn session() -> Result<Vec<Change>> {
    let alice = ActorId::new(b"alice")?;
    let bob = ActorId::new(b"bob")?;
    let t0 = 1_764_000_000_000; // 2025-11-24, in ms

    let mut a1 = ChangeBuilder::new(alice, 1, 1, vec![]);
    let title = a1.make(ObjId::Root, Key::map("title"), ObjType::Text, vec![]);
    let end = type_text(&mut a1, title, ElemId::Head, "Groceries");
    let items = a1.make(ObjId::Root, Key::map("items"), ObjType::List, vec![]);
    let milk = a1.insert_object(items.into(), ElemId::Head, ObjType::Map);
    a1.put(
        milk.into(),
        Key::map("name"),
        ScalarValue::str("milk"),
        vec![],
    );
    let done = a1.put(
        milk.into(),
        Key::map("done"),
        ScalarValue::Bool(false),
        vec![],
    );
    let count = a1.put(
        ObjId::Root,
        Key::map("visits"),
        ScalarValue::Counter(0),
        vec![],
    );
    a1.put(
        ObjId::Root,
        Key::map("price"),
        ScalarValue::F64(1.25),
        vec![],
    );
    let a1 = a1.build(t0, Some("start a list".into()))?;
    let h1 = hash(&a1)?;

    let mut b1 = ChangeBuilder::new(bob, 1, a1.max_op() + 1, vec![h1]);
    type_text(&mut b1, title, end, " list");
    b1.increment(ObjId::Root, Key::map("visits"), 2, vec![count]);
    b1.put(
        milk.into(),
        Key::map("done"),
        ScalarValue::Bool(true),
        vec![done],
    );
    let b1 = b1.build(t0 + 4_000, None)?;

    let mut a2 = ChangeBuilder::new(alice, 2, a1.max_op() + 1, vec![h1]);
    let g = OpId::new(title.counter + 1, alice);
    a2.delete(title.into(), Key::Seq(g.into()), vec![g]);
    a2.put(milk.into(), Key::map("done"), ScalarValue::Null, vec![done]);
    a2.put(
        ObjId::Root,
        Key::map("id"),
        ScalarValue::Bytes(vec![0xde, 0xad]),
        vec![],
    );
    a2.put(
        ObjId::Root,
        Key::map("due"),
        ScalarValue::Timestamp(t0 + 86_400_000),
        vec![],
    );
    a2.put(
        ObjId::Root,
        Key::map("limit"),
        ScalarValue::Uint(u64::MAX),
        vec![],
    );
    a2.put(
        ObjId::Root,
        Key::map("delta"),
        ScalarValue::Int(-42),
        vec![],
    );
    let a2 = a2.build(t0 + 5_000, None)?;

    // One keystroke after merging both: one insert of one character, two deps.
    let start = a2.max_op().max(b1.max_op()) + 1;
    let mut a3 = ChangeBuilder::new(alice, 3, start, vec![hash(&a2)?, hash(&b1)?]);
    a3.insert(title.into(), end, ScalarValue::str("!"));
    let a3 = a3.build(t0 + 9_000, None)?;
    Ok(vec![a1, b1, a2, a3])
}

fn hash(change: &Change) -> Result<ChangeHash> {
    Ok(encode_change_with_hash(change)?.1)
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
    let changes = session()?;
    for (n, change) in changes.iter().enumerate() {
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

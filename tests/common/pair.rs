//! One replica run twice: as a mergedb `Document` and as an automerge
//! `AutoCommit`, with the same actor id, fed the same edits and changes.

use super::Rng;
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ReadDoc, ScalarValue as AmScalar, Value as AmValue};
use mergedb::engine::{Document, Value};
use mergedb::format::{ActorId, Change, ObjId, ObjType, ScalarValue};
use serde_json::{Map, Value as Json};

pub struct Pair {
    pub md: Document,
    pub am: AutoCommit,
}

/// What a session did, for the closing figures.
#[derive(Default, Debug, Clone, Copy)]
pub struct Counts {
    pub ops: usize,
    pub merges: usize,
    pub changes: usize,
}

fn am_type(t: ObjType) -> automerge::ObjType {
    match t {
        ObjType::Map => automerge::ObjType::Map,
        ObjType::List => automerge::ObjType::List,
        ObjType::Text => automerge::ObjType::Text,
        ObjType::Table => automerge::ObjType::Table,
    }
}

pub fn am_scalar(v: &ScalarValue) -> AmScalar {
    match v {
        ScalarValue::Null => AmScalar::Null,
        ScalarValue::Bool(b) => AmScalar::Boolean(*b),
        ScalarValue::Int(i) => AmScalar::Int(*i),
        ScalarValue::Uint(u) => AmScalar::Uint(*u),
        ScalarValue::F64(f) => AmScalar::F64(*f),
        ScalarValue::Str(s) => AmScalar::Str(s.as_str().into()),
        ScalarValue::Bytes(b) => AmScalar::Bytes(b.clone()),
        ScalarValue::Counter(c) => AmScalar::counter(*c),
        ScalarValue::Timestamp(t) => AmScalar::Timestamp(*t),
    }
}

/// An automerge scalar in mergedb's terms (a counter as its current value).
fn md_scalar(v: &AmScalar) -> ScalarValue {
    match v {
        AmScalar::Null => ScalarValue::Null,
        AmScalar::Boolean(b) => ScalarValue::Bool(*b),
        AmScalar::Int(i) => ScalarValue::Int(*i),
        AmScalar::Uint(u) => ScalarValue::Uint(*u),
        AmScalar::F64(f) => ScalarValue::F64(*f),
        AmScalar::Str(s) => ScalarValue::Str(s.to_string()),
        AmScalar::Bytes(b) => ScalarValue::Bytes(b.clone()),
        AmScalar::Counter(_) => ScalarValue::Counter(v.as_i64().unwrap_or(i64::MIN)),
        AmScalar::Timestamp(t) => ScalarValue::Timestamp(*t),
        other => panic!("unexpected automerge scalar {other:?}"),
    }
}

fn md_value(v: &AmValue<'_>) -> Value {
    match v {
        AmValue::Object(t) => Value::Object(match t {
            automerge::ObjType::Map => ObjType::Map,
            automerge::ObjType::Table => ObjType::Table,
            automerge::ObjType::List => ObjType::List,
            automerge::ObjType::Text => ObjType::Text,
        }),
        AmValue::Scalar(s) => Value::Scalar(md_scalar(s)),
    }
}

/// An automerge object id as a mergedb one.
fn md_id(id: &automerge::ObjId) -> ObjId {
    match id {
        automerge::ObjId::Root => ObjId::Root,
        automerge::ObjId::Id(counter, actor, _) => ObjId::Op(mergedb::format::OpId::new(
            *counter,
            ActorId::new(actor.to_bytes()).unwrap(),
        )),
    }
}

/// An object reachable through winning values, in both documents.
#[derive(Clone, Debug)]
pub struct Obj {
    pub md: ObjId,
    pub am: automerge::ObjId,
    pub ty: ObjType,
}

impl Pair {
    pub fn new(actor: &[u8]) -> Self {
        let md = Document::with_actor(ActorId::new(actor).unwrap());
        let am = AutoCommit::new().with_actor(automerge::ActorId::from(actor));
        Pair { md, am }
    }

    /// Every object reachable from the root through winning values.
    pub fn objects(&self) -> Vec<Obj> {
        let mut out = vec![];
        let root = Obj {
            md: ObjId::Root,
            am: automerge::ROOT,
            ty: ObjType::Map,
        };
        self.walk(root, &mut out);
        out
    }

    fn walk(&self, obj: Obj, out: &mut Vec<Obj>) {
        out.push(obj.clone());
        let children: Vec<(ObjId, ObjType)> = self
            .md
            .values(&obj.md)
            .unwrap()
            .into_iter()
            .filter_map(|(v, id)| match v {
                Value::Object(t) => Some((id, t)),
                Value::Scalar(_) => None,
            })
            .collect();
        for (id, ty) in children {
            let am = self.am_obj(&id);
            self.walk(Obj { md: id, am, ty }, out);
        }
    }

    /// The automerge id of a mergedb object id.
    fn am_obj(&self, id: &ObjId) -> automerge::ObjId {
        match id {
            ObjId::Root => automerge::ROOT,
            ObjId::Op(op) => {
                let s = format!("{}@{}", op.counter, op.actor.to_hex());
                self.am
                    .import(&s)
                    .map(|(id, _)| id)
                    .unwrap_or_else(|e| panic!("no object {s} in automerge: {e}"))
            }
        }
    }

    /// The automerge document as JSON, in mergedb's conventions.
    pub fn am_json(&self, obj: &automerge::ObjId) -> Json {
        match self.am.object_type(obj).unwrap() {
            automerge::ObjType::Text => Json::String(self.am.text(obj).unwrap()),
            automerge::ObjType::List => Json::Array(
                (0..self.am.length(obj))
                    .map(|i| self.am_item_json(self.am.get(obj, i).unwrap().unwrap()))
                    .collect(),
            ),
            _ => {
                let mut map = Map::new();
                for k in self.am.keys(obj) {
                    let item = self.am.get(obj, &k).unwrap().unwrap();
                    map.insert(k, self.am_item_json(item));
                }
                Json::Object(map)
            }
        }
    }

    fn am_item_json(&self, (v, id): (AmValue<'_>, automerge::ObjId)) -> Json {
        match v {
            AmValue::Object(_) => self.am_json(&id),
            AmValue::Scalar(s) => mergedb::engine::scalar_to_json(&md_scalar(&s)),
        }
    }

    /// Asserts that both documents agree: JSON, every conflict set, heads count.
    pub fn check_same(&self, context: &str) {
        self.md.check();
        let md_json = self.md.to_json();
        let am_json = self.am_json(&automerge::ROOT);
        assert_eq!(md_json, am_json, "{context}: documents differ");
        for obj in self.objects() {
            let props: Vec<mergedb::engine::Prop> = match obj.ty {
                ObjType::Map | ObjType::Table => self
                    .md
                    .keys(&obj.md)
                    .unwrap()
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                _ => (0..self.md.length(&obj.md).unwrap())
                    .map(Into::into)
                    .collect(),
            };
            for prop in props {
                let md_all = self.md.get_all(&obj.md, prop.clone()).unwrap();
                let am_all: Vec<(Value, ObjId)> = match &prop {
                    mergedb::engine::Prop::Map(k) => self.am.get_all(&obj.am, k.as_str()),
                    mergedb::engine::Prop::Seq(i) => self.am.get_all(&obj.am, *i),
                }
                .unwrap()
                .iter()
                .map(|(v, id)| (md_value(v), md_id(id)))
                .collect();
                assert_eq!(
                    md_all, am_all,
                    "{context}: conflicts differ at {prop:?} of {:?}",
                    obj.md
                );
            }
        }
        let mut am = self.am.clone();
        assert_eq!(
            self.md.heads().len(),
            am.get_heads().len(),
            "{context}: heads differ"
        );
    }

    /// One local session: 1 to 4 random edits on both, then a commit on both.
    pub fn session(&mut self, rng: &mut Rng, counts: &mut Counts) {
        let am_heads = self.am.get_heads().len();
        assert_eq!(
            self.md.heads().len(),
            am_heads,
            "heads count differs before a session"
        );
        let objects = self.objects();
        let mut tx = self.md.transaction();
        let mut did = 0;
        for _ in 0..1 + rng.below(4) {
            let obj = rng.pick(&objects).clone();
            // An object made earlier in this session may have been overwritten; its id is still valid.
            let trace = format!("{:?} in {:?}", obj.ty, obj.md);
            did += edit(&mut tx, &mut self.am, &obj, rng);
            assert_eq!(
                tx.pending_ops(),
                self.am.pending_ops(),
                "an edit of {trace} made different ops"
            );
        }
        let md_hash = tx.commit();
        let am_hash = self.am.commit();
        assert_eq!(
            md_hash.is_some(),
            am_hash.is_some(),
            "one side made a change and the other did not"
        );
        if let (Some(m), Some(a)) = (md_hash, am_hash) {
            let mc = self.md.change_by_hash(&m).unwrap();
            let ac = self.am.get_change_by_hash(&a).unwrap();
            assert_eq!(
                (mc.seq, mc.start_op, mc.deps.len()),
                (ac.seq(), ac.start_op().get(), ac.deps().len()),
                "change metadata differs"
            );
        }
        counts.ops += did;
        counts.changes += usize::from(md_hash.is_some());
    }
}

fn random_scalar(rng: &mut Rng) -> ScalarValue {
    match rng.below(9) {
        0 => ScalarValue::Null,
        1 => ScalarValue::Bool(rng.chance(50)),
        2 => ScalarValue::Int(rng.next() as i64 % 1000),
        3 => ScalarValue::Uint(rng.next() % 1000),
        4 => ScalarValue::F64((rng.next() % 1000) as f64 / 8.0),
        5 => ScalarValue::Counter(rng.next() as i64 % 100),
        6 => ScalarValue::Timestamp(1_700_000_000_000 + (rng.next() % 1000) as i64),
        7 => ScalarValue::Bytes(vec![rng.next() as u8; rng.below(3)]),
        _ => ScalarValue::Str(random_text(rng, 3)),
    }
}

fn random_text(rng: &mut Rng, max: usize) -> String {
    const CHARS: &[char] = &['a', 'b', 'c', 'x', 'y', ' ', 'é', '世', '😀'];
    (0..rng.below(max + 1)).map(|_| *rng.pick(CHARS)).collect()
}

fn random_type(rng: &mut Rng) -> ObjType {
    *rng.pick(&[ObjType::Map, ObjType::List, ObjType::Text])
}

const KEYS: &[&str] = &["a", "b", "c", "d"];

/// One random edit on both documents; returns how many ops mergedb made.
fn edit(
    tx: &mut mergedb::engine::Transaction<'_>,
    am: &mut AutoCommit,
    obj: &Obj,
    rng: &mut Rng,
) -> usize {
    match obj.ty {
        ObjType::Map | ObjType::Table => map_edit(tx, am, obj, rng),
        ObjType::List => list_edit(tx, am, obj, rng),
        ObjType::Text => text_edit(tx, am, obj, rng),
    }
}

fn is_counter(tx: &Document, obj: &ObjId, prop: impl Into<mergedb::engine::Prop>) -> bool {
    matches!(
        tx.get(obj, prop).unwrap(),
        Some((Value::Scalar(ScalarValue::Counter(_)), _))
    )
}

fn map_edit(
    tx: &mut mergedb::engine::Transaction<'_>,
    am: &mut AutoCommit,
    obj: &Obj,
    rng: &mut Rng,
) -> usize {
    let key = *rng.pick(KEYS);
    match rng.below(10) {
        0..=4 => {
            let v = random_scalar(rng);
            tx.put(&obj.md, key, v.clone()).unwrap();
            am.put(&obj.am, key, am_scalar(&v)).unwrap();
        }
        5 | 6 => {
            let t = random_type(rng);
            tx.put_object(&obj.md, key, t).unwrap();
            am.put_object(&obj.am, key, am_type(t)).unwrap();
        }
        7 if is_counter(tx, &obj.md, key) => {
            let by = rng.next() as i64 % 10;
            tx.increment(&obj.md, key, by).unwrap();
            am.increment(&obj.am, key, by).unwrap();
        }
        _ => {
            tx.delete(&obj.md, key).unwrap();
            am.delete(&obj.am, key).unwrap();
        }
    }
    1
}

fn list_edit(
    tx: &mut mergedb::engine::Transaction<'_>,
    am: &mut AutoCommit,
    obj: &Obj,
    rng: &mut Rng,
) -> usize {
    let len = tx.length(&obj.md).unwrap();
    let at = rng.below(len + 1);
    match rng.below(10) {
        0..=3 => {
            let v = random_scalar(rng);
            tx.insert(&obj.md, at, v.clone()).unwrap();
            am.insert(&obj.am, at, am_scalar(&v)).unwrap();
        }
        4 => {
            let t = random_type(rng);
            tx.insert_object(&obj.md, at, t).unwrap();
            am.insert_object(&obj.am, at, am_type(t)).unwrap();
        }
        5 | 6 if at < len => {
            let v = random_scalar(rng);
            tx.put(&obj.md, at, v.clone()).unwrap();
            am.put(&obj.am, at, am_scalar(&v)).unwrap();
        }
        7 if at < len && is_counter(tx, &obj.md, at) => {
            tx.increment(&obj.md, at, 3).unwrap();
            am.increment(&obj.am, at, 3).unwrap();
        }
        _ if at < len => {
            tx.delete(&obj.md, at).unwrap();
            am.delete(&obj.am, at).unwrap();
        }
        _ => return 0,
    }
    1
}

fn text_edit(
    tx: &mut mergedb::engine::Transaction<'_>,
    am: &mut AutoCommit,
    obj: &Obj,
    rng: &mut Rng,
) -> usize {
    let len = tx.length(&obj.md).unwrap();
    let at = rng.below(len + 1);
    let del = if rng.chance(30) {
        rng.below(len - at + 1).min(3)
    } else {
        0
    };
    let text = random_text(rng, 4);
    tx.splice_text(&obj.md, at, del, &text).unwrap();
    am.splice_text(&obj.am, at, del as isize, &text).unwrap();
    del + text.chars().count()
}

/// Every change of a random multi-actor session with concurrent edits.
pub fn session_changes(seed: u64) -> Vec<Change> {
    let mut all = Document::with_actor(ActorId::new(&[9]).unwrap());
    for p in &session_pairs(seed) {
        all.apply_changes(p.md.changes_since(&[]).unwrap()).unwrap();
    }
    all.changes_since(&[]).unwrap()
}

/// The three replicas of a random multi-actor session with concurrent edits
/// and merges, each run in both systems; they have not all merged at the end.
pub fn session_pairs(seed: u64) -> Vec<Pair> {
    let mut rng = Rng::new(seed);
    let mut pairs: Vec<Pair> = (0..3u8).map(|i| Pair::new(&[i + 1])).collect();
    let mut counts = Counts::default();
    for _ in 0..24 {
        let r = rng.below(3);
        if rng.chance(70) {
            pairs[r].session(&mut rng, &mut counts);
        } else {
            let from = rng.below(3);
            let theirs = pairs[from].md.changes_since(&[]).unwrap();
            pairs[r].md.apply_changes(theirs).unwrap();
            let mut other = pairs[from].am.clone();
            pairs[r].am.merge(&mut other).unwrap();
        }
    }
    pairs
}

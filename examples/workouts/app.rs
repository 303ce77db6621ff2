//! The workout tracker's data, in one mergedb document that every device
//! of the user holds. Each workout is a map at the root under an id of its
//! own, so workouts added on two devices offline never collide; a field
//! edited on both shows both values until the user picks one.

use mergedb::engine::format::{ObjId, ObjType, ScalarValue};
use mergedb::engine::store::{DocId, Store, StoreError};
use mergedb::engine::{Prop, Value};

/// Every install of the app uses this document: two devices that started
/// apart hold the same document, and their workouts merge.
pub const WORKOUTS_DOC: DocId = DocId(*b"mergedb-workouts");

/// The fields of a workout, in the order they are shown.
pub const FIELDS: [&str; 6] = ["date", "exercise", "sets", "reps", "weight", "notes"];

pub type Result<T> = std::result::Result<T, String>;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// A new workout.
#[derive(Clone, Debug, Default)]
pub struct Workout {
    pub date: String,
    pub exercise: String,
    pub sets: i64,
    pub reps: i64,
    pub weight: f64,
    pub notes: String,
}

/// A workout as stored: each field's values, more than one while devices
/// disagree.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub id: String,
    pub fields: Vec<(String, Vec<String>)>,
}

/// The tracker over a store.
pub struct Workouts {
    pub store: Store,
}

impl Workouts {
    /// The tracker of `store`, its document made if this device has none.
    pub fn open(store: Store) -> Result<Workouts> {
        match store.create_doc_as(WORKOUTS_DOC) {
            Ok(()) | Err(StoreError::DocExists(_)) => Ok(Workouts { store }),
            Err(e) => Err(err(e)),
        }
    }

    /// Adds a workout; its id.
    pub fn add(&self, w: &Workout) -> Result<String> {
        let id = format!("w-{}", &DocId::random().to_string()[..8]);
        self.store
            .transact(&WORKOUTS_DOC, |tx| {
                let obj = tx.put_object(&ObjId::Root, id.as_str(), ObjType::Map)?;
                tx.put(&obj, "date", w.date.as_str())?;
                tx.put(&obj, "exercise", w.exercise.as_str())?;
                tx.put(&obj, "sets", w.sets)?;
                tx.put(&obj, "reps", w.reps)?;
                tx.put(&obj, "weight", w.weight)?;
                let notes = tx.put_object(&obj, "notes", ObjType::Text)?;
                tx.splice_text(&notes, 0, 0, &w.notes)?;
                Ok::<_, StoreError>(())
            })
            .map_err(err)?;
        Ok(id)
    }

    /// The object of workout `id`.
    fn workout(&self, id: &str) -> Result<ObjId> {
        let doc = self.store.doc(&WORKOUTS_DOC).map_err(err)?;
        match doc.get(&ObjId::Root, id).map_err(err)? {
            Some((Value::Object(ObjType::Map), obj)) => Ok(obj),
            _ => Err(format!("no workout {id}")),
        }
    }

    /// Sets `field` of workout `id` to `value`, which replaces every value
    /// the devices disagreed on: this is how the user picks one.
    pub fn edit(&self, id: &str, field: &str, value: &str) -> Result<()> {
        let obj = self.workout(id)?;
        let scalar: ScalarValue = match field {
            "date" | "exercise" => value.into(),
            "sets" | "reps" => value
                .parse::<i64>()
                .map_err(|_| format!("{field} is a whole number, not {value:?}"))?
                .into(),
            "weight" => value
                .parse::<f64>()
                .map_err(|_| format!("weight is a number, not {value:?}"))?
                .into(),
            "notes" => return self.edit_notes(&obj, value),
            _ => return Err(format!("no field {field:?}: one of {}", FIELDS.join(", "))),
        };
        self.store
            .transact(&WORKOUTS_DOC, |tx| {
                Ok::<_, StoreError>(tx.put(&obj, field, scalar)?)
            })
            .map_err(err)?;
        Ok(())
    }

    /// Notes are text: an edit replaces what the device sees, and edits of
    /// two devices to different parts of it both stay.
    fn edit_notes(&self, obj: &ObjId, value: &str) -> Result<()> {
        let doc = self.store.doc(&WORKOUTS_DOC).map_err(err)?;
        let Some((Value::Object(ObjType::Text), notes)) = doc.get(obj, "notes").map_err(err)?
        else {
            return Err("the workout has no notes".into());
        };
        let old = doc.text(&notes).map_err(err)?;
        // Keep the common start and end, so that a concurrent edit
        // elsewhere in the text survives.
        let start = old
            .chars()
            .zip(value.chars())
            .take_while(|(a, b)| a == b)
            .count();
        let (old_rest, new_rest): (Vec<char>, Vec<char>) = (
            old.chars().skip(start).collect(),
            value.chars().skip(start).collect(),
        );
        let end = old_rest
            .iter()
            .rev()
            .zip(new_rest.iter().rev())
            .take_while(|(a, b)| a == b)
            .count();
        let deleted = old_rest.len() - end;
        let inserted: String = new_rest[..new_rest.len() - end].iter().collect();
        self.store
            .transact(&WORKOUTS_DOC, |tx| {
                Ok::<_, StoreError>(tx.splice_text(&notes, start, deleted, &inserted)?)
            })
            .map_err(err)?;
        Ok(())
    }

    /// Every workout, by date then id.
    pub fn list(&self) -> Result<Vec<Row>> {
        let doc = self.store.doc(&WORKOUTS_DOC).map_err(err)?;
        let mut rows = Vec::new();
        for id in doc.keys(&ObjId::Root).map_err(err)? {
            let Some((Value::Object(ObjType::Map), obj)) =
                doc.get(&ObjId::Root, id.as_str()).map_err(err)?
            else {
                continue;
            };
            let mut fields = Vec::new();
            for field in FIELDS {
                let mut values = Vec::new();
                for (value, at) in doc.get_all(&obj, Prop::from(field)).map_err(err)? {
                    values.push(match value {
                        Value::Object(ObjType::Text) => doc.text(&at).map_err(err)?,
                        Value::Scalar(s) => show(&s),
                        Value::Object(_) => "?".into(),
                    });
                }
                fields.push((field.to_string(), values));
            }
            rows.push(Row { id, fields });
        }
        rows.sort_by(|a, b| (a.fields[0].1.first(), &a.id).cmp(&(b.fields[0].1.first(), &b.id)));
        Ok(rows)
    }
}

fn show(s: &ScalarValue) -> String {
    match s {
        ScalarValue::Str(t) => t.clone(),
        ScalarValue::Int(i) => i.to_string(),
        ScalarValue::Uint(u) => u.to_string(),
        ScalarValue::F64(f) => f.to_string(),
        other => format!("{other:?}"),
    }
}

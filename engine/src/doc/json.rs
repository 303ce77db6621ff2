//! JSON in and out.
//!
//! Out: maps are objects (keys in order), lists are arrays, texts are strings;
//! a counter is its value, a timestamp its milliseconds, bytes an array of
//! numbers, a non-finite float null. In: objects become maps, arrays lists,
//! strings scalar strings, integers `Int` (or `Uint` past i64), other numbers `F64`.

use crate::clock::Clock;
use crate::{Document, EngineError, Value};
use mergedb_format::{ChangeHash, ObjId, ObjType, ScalarValue};
use serde_json::{Map, Number, Value as Json};

/// A scalar as JSON, in the conventions above.
pub fn scalar_to_json(v: &ScalarValue) -> Json {
    scalar_json(v)
}

fn scalar_json(v: &ScalarValue) -> Json {
    match v {
        ScalarValue::Null => Json::Null,
        ScalarValue::Bool(b) => Json::Bool(*b),
        ScalarValue::Int(i) | ScalarValue::Counter(i) | ScalarValue::Timestamp(i) => Json::from(*i),
        ScalarValue::Uint(u) => Json::from(*u),
        ScalarValue::F64(f) => Number::from_f64(*f).map_or(Json::Null, Json::Number),
        ScalarValue::Str(s) => Json::String(s.clone()),
        ScalarValue::Bytes(b) => Json::Array(b.iter().map(|x| Json::from(*x)).collect()),
    }
}

impl Document {
    /// The whole document as JSON.
    pub fn to_json(&self) -> Json {
        self.json_of(&ObjId::Root, None).unwrap_or(Json::Null)
    }

    /// The document as it was at `heads`, as JSON.
    pub fn to_json_at(&self, heads: &[ChangeHash]) -> Result<Json, EngineError> {
        let clock = self.history.clock(heads, &self.ops)?;
        self.json_of(&ObjId::Root, Some(&clock))
    }

    /// One object, and everything below it, as JSON.
    pub fn object_to_json(&self, obj: &ObjId) -> Result<Json, EngineError> {
        self.json_of(obj, None)
    }

    fn json_of(&self, obj: &ObjId, clock: Option<&Clock>) -> Result<Json, EngineError> {
        let ty = self.ops.objects[self.obj_index(obj, clock)? as usize].ty;
        let value = |(v, id): (Value, ObjId)| match v {
            Value::Object(_) => self.json_of(&id, clock),
            Value::Scalar(s) => Ok(scalar_json(&s)),
        };
        Ok(match ty {
            ObjType::Text => Json::String(self.text_in(obj, clock)?),
            ObjType::List => Json::Array(
                self.values_in(obj, clock)?
                    .into_iter()
                    .map(value)
                    .collect::<Result<_, _>>()?,
            ),
            ObjType::Map | ObjType::Table => {
                let o = self.obj_index(obj, clock)?;
                let mut map = Map::new();
                let keys: Vec<String> = self
                    .ops
                    .map_keys(o, clock)
                    .into_iter()
                    .map(|(k, _)| k.to_string())
                    .collect();
                for (k, item) in keys.into_iter().zip(self.values_in(obj, clock)?) {
                    map.insert(k, value(item)?);
                }
                Json::Object(map)
            }
        })
    }

    /// A new document (with a random actor) whose root holds `json`, an object,
    /// made in one change.
    pub fn from_json(json: &Json) -> Result<Document, EngineError> {
        let Json::Object(map) = json else {
            return Err(EngineError::WrongObjectType {
                op: "from_json: the root must be a JSON object",
                found: ObjType::List,
            });
        };
        let mut doc = Document::new();
        let mut tx = doc.transaction();
        for (k, v) in map {
            put_json(&mut tx, &ObjId::Root, k.as_str().into(), v)?;
        }
        tx.commit();
        Ok(doc)
    }
}

fn json_scalar(v: &Json) -> Option<ScalarValue> {
    Some(match v {
        Json::Null => ScalarValue::Null,
        Json::Bool(b) => ScalarValue::Bool(*b),
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => ScalarValue::Int(i),
            (None, Some(u)) => ScalarValue::Uint(u),
            _ => ScalarValue::F64(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => ScalarValue::Str(s.clone()),
        Json::Array(_) | Json::Object(_) => return None,
    })
}

impl crate::Transaction<'_> {
    /// Puts a JSON value at a map key or list index: objects become maps,
    /// arrays lists, strings scalar strings, as `Document::from_json` does.
    pub fn put_json(
        &mut self,
        obj: &ObjId,
        prop: impl Into<crate::Prop>,
        value: &Json,
    ) -> Result<(), EngineError> {
        let prop = prop.into();
        // At a list index, replace the element there (or append at the end).
        if let crate::Prop::Seq(i) = prop {
            if i < self.length(obj)? {
                self.delete(obj, i)?;
            }
        }
        put_json(self, obj, prop, value)
    }
}

fn put_json(
    tx: &mut crate::Transaction<'_>,
    obj: &ObjId,
    prop: crate::Prop,
    v: &Json,
) -> Result<(), EngineError> {
    let insert = matches!(prop, crate::Prop::Seq(_));
    let made = match (v, &prop) {
        (Json::Object(_), crate::Prop::Seq(i)) => tx.insert_object(obj, *i, ObjType::Map)?,
        (Json::Array(_), crate::Prop::Seq(i)) => tx.insert_object(obj, *i, ObjType::List)?,
        (Json::Object(_), _) => tx.put_object(obj, prop.clone(), ObjType::Map)?,
        (Json::Array(_), _) => tx.put_object(obj, prop.clone(), ObjType::List)?,
        (scalar, crate::Prop::Seq(i)) if insert => {
            return tx.insert(obj, *i, json_scalar(scalar).unwrap_or(ScalarValue::Null));
        }
        (scalar, _) => {
            return tx.put(
                obj,
                prop.clone(),
                json_scalar(scalar).unwrap_or(ScalarValue::Null),
            )
        }
    };
    match v {
        Json::Object(map) => {
            for (k, child) in map {
                put_json(tx, &made, k.as_str().into(), child)?;
            }
        }
        Json::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                put_json(tx, &made, crate::Prop::Seq(i), child)?;
            }
        }
        _ => {}
    }
    Ok(())
}

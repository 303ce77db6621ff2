//! Scalar values and object types.

/// A value that is not an object.
///
/// Equality compares floats by their bits, so that a decoded change equals the
/// change it was encoded from even when it holds a NaN, and `Eq` holds.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum ScalarValue {
    /// JSON's null.
    Null,
    /// true or false.
    Bool(bool),
    /// A signed 64-bit integer.
    Int(i64),
    /// An unsigned 64-bit integer.
    Uint(u64),
    /// An IEEE 754 double.
    F64(f64),
    /// A UTF-8 string.
    Str(String),
    /// Opaque bytes.
    Bytes(Vec<u8>),
    /// A counter: its value is this plus every increment applied to it.
    Counter(i64),
    /// Milliseconds since the Unix epoch.
    Timestamp(i64),
}

impl PartialEq for ScalarValue {
    fn eq(&self, other: &Self) -> bool {
        use ScalarValue::*;
        match (self, other) {
            (Null, Null) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) | (Counter(a), Counter(b)) | (Timestamp(a), Timestamp(b)) => a == b,
            (Uint(a), Uint(b)) => a == b,
            (F64(a), F64(b)) => a.to_bits() == b.to_bits(),
            (Str(a), Str(b)) => a == b,
            (Bytes(a), Bytes(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for ScalarValue {}

impl ScalarValue {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Self {
        ScalarValue::Str(s.into())
    }
}

/// The kind of an object that an op makes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum ObjType {
    /// Keys to values; the root is one.
    Map,
    /// A sequence of values.
    List,
    /// A sequence of Unicode code points, one per element.
    Text,
    /// Automerge's table: keys to values, as a map (automerge 0.12 reads and
    /// merges it as one; it is kept apart so that it is written back as a
    /// table).
    Table,
}

impl ObjType {
    /// Whether its keys are strings: a map or a table.
    pub fn is_map(self) -> bool {
        matches!(self, ObjType::Map | ObjType::Table)
    }
}

#[cfg(test)]
mod tests {
    use super::ScalarValue;

    #[test]
    fn floats_compare_by_bits() {
        assert_eq!(ScalarValue::F64(f64::NAN), ScalarValue::F64(f64::NAN));
        assert_ne!(ScalarValue::F64(0.0), ScalarValue::F64(-0.0));
        assert_ne!(ScalarValue::Int(1), ScalarValue::Counter(1));
    }
}

macro_rules! scalar_from {
    ($($t:ty => $variant:ident),* $(,)?) => {
        $(impl From<$t> for ScalarValue {
            fn from(v: $t) -> Self {
                ScalarValue::$variant(v.into())
            }
        })*
    };
}

scalar_from!(
    bool => Bool,
    i64 => Int,
    i32 => Int,
    u64 => Uint,
    u32 => Uint,
    f64 => F64,
    String => Str,
    &str => Str,
    Vec<u8> => Bytes,
);

impl From<char> for ScalarValue {
    fn from(c: char) -> Self {
        ScalarValue::Str(c.to_string())
    }
}

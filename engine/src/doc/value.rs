//! Values as the engine stores them, and as it returns them.

use mergedb_format::snapshot::{ActionView, ValueRef};
use mergedb_format::{ObjType, ScalarValue};

/// What a read returns at a key: an object of some type, or a scalar. A counter
/// reads as `ScalarValue::Counter` with its current value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An object; its id is the op id returned with it.
    Object(ObjType),
    /// A scalar value.
    Scalar(ScalarValue),
}

impl Value {
    /// The scalar, if this is one.
    pub fn scalar(&self) -> Option<&ScalarValue> {
        match self {
            Value::Scalar(s) => Some(s),
            Value::Object(_) => None,
        }
    }
}

/// A scalar as stored in the op set: 16 bytes. A string of one code point, the
/// value of every typed character, is kept inline as `Char`, so a 100k-character
/// text costs no heap allocation per character; longer strings and bytes sit
/// behind a thin box, which keeps every op record at 48 bytes.
// A `String` is three words and a `Box<String>` one: the extra allocation is
// paid only by multi-character strings, which are rare in a text.
#[allow(clippy::box_collection)]
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Val {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    F64(f64),
    Char(char),
    Str(Box<String>),
    Bytes(Box<Vec<u8>>),
    Counter(i64),
    Timestamp(i64),
}

impl Val {
    pub fn from_scalar(v: &ScalarValue) -> Val {
        Val::from_ref(ValueRef::of(v))
    }

    #[inline]
    pub fn from_ref(v: ValueRef<'_>) -> Val {
        match v {
            ValueRef::Null => Val::Null,
            ValueRef::Bool(b) => Val::Bool(b),
            ValueRef::Int(i) => Val::Int(i),
            ValueRef::Uint(u) => Val::Uint(u),
            ValueRef::F64(f) => Val::F64(f),
            ValueRef::Str(s) => {
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Val::Char(c),
                    _ => Val::Str(Box::new(s.to_string())),
                }
            }
            ValueRef::Bytes(b) => Val::Bytes(Box::new(b.to_vec())),
            ValueRef::Counter(c) => Val::Counter(c),
            ValueRef::Timestamp(t) => Val::Timestamp(t),
        }
    }

    /// Borrowed as a value of the format; a typed character is written into
    /// `buf` as UTF-8 and borrowed from there.
    pub fn as_ref<'a>(&'a self, buf: &'a mut [u8; 4]) -> ValueRef<'a> {
        match self {
            Val::Null => ValueRef::Null,
            Val::Bool(b) => ValueRef::Bool(*b),
            Val::Int(i) => ValueRef::Int(*i),
            Val::Uint(u) => ValueRef::Uint(*u),
            Val::F64(f) => ValueRef::F64(*f),
            Val::Char(c) => ValueRef::Str(c.encode_utf8(buf)),
            Val::Str(s) => ValueRef::Str(s),
            Val::Bytes(b) => ValueRef::Bytes(b),
            Val::Counter(c) => ValueRef::Counter(*c),
            Val::Timestamp(t) => ValueRef::Timestamp(*t),
        }
    }

    pub fn to_scalar(&self) -> ScalarValue {
        self.as_ref(&mut [0; 4]).to_scalar()
    }

    /// Its width in a text, in code points: a non-string stands for U+FFFC.
    pub fn text_width(&self) -> u32 {
        match self {
            Val::Str(s) => s.chars().count() as u32,
            _ => 1,
        }
    }

    /// Appends it to a text's content.
    pub fn push_text(&self, out: &mut String) {
        match self {
            Val::Char(c) => out.push(*c),
            Val::Str(s) => out.push_str(s),
            _ => out.push('\u{fffc}'),
        }
    }
}

/// What an op does, as stored.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Action {
    Make(ObjType),
    Put(Val),
    Delete,
    Inc(i64),
    /// A mark's begin or end: an element that is never visible. Boxed, as
    /// marks are rare and an op record stays 48 bytes.
    Mark(Box<Mark>),
}

/// A mark op as stored (SPEC.md §2.7): mergedb keeps it, and writes it
/// back, but gives it no width.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Mark {
    /// The name for a begin; `None` for an end.
    pub name: Option<Box<str>>,
    /// The begin's value (null for an end).
    pub value: Val,
    pub expand: bool,
}

impl Action {
    #[inline]
    pub fn from_view(a: ActionView<'_>) -> Action {
        match a {
            ActionView::Make(ty) => Action::Make(ty),
            ActionView::Put(v) => Action::Put(Val::from_ref(v)),
            ActionView::Delete => Action::Delete,
            ActionView::Increment(by) => Action::Inc(by),
            ActionView::MarkBegin {
                name,
                value,
                expand,
            } => Action::Mark(Box::new(Mark {
                name: Some(name.into()),
                value: Val::from_ref(value),
                expand,
            })),
            ActionView::MarkEnd { expand } => Action::Mark(Box::new(Mark {
                name: None,
                value: Val::Null,
                expand,
            })),
        }
    }

    /// As a change holds it.
    pub fn to_op_action(&self) -> mergedb_format::OpAction {
        self.view(&mut [0; 4]).to_owned()
    }

    /// Borrowed; a typed character is written into `buf` (`Val::as_ref`).
    #[inline]
    pub fn view<'a>(&'a self, buf: &'a mut [u8; 4]) -> ActionView<'a> {
        match self {
            Action::Make(ty) => ActionView::Make(*ty),
            Action::Put(v) => ActionView::Put(v.as_ref(buf)),
            Action::Delete => ActionView::Delete,
            Action::Inc(by) => ActionView::Increment(*by),
            Action::Mark(m) => match &m.name {
                Some(name) => ActionView::MarkBegin {
                    name,
                    value: m.value.as_ref(buf),
                    expand: m.expand,
                },
                None => ActionView::MarkEnd { expand: m.expand },
            },
        }
    }
}

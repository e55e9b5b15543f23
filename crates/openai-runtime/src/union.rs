//! Decoding the API's unions (`oneOf`/`anyOf`): the one hand-written
//! decoder every generated union enum uses.
//!
//! serde's derives cannot do it: an internally tagged enum strips its tag
//! and has no catch-all that keeps the raw JSON; an untagged one tries
//! variants blindly, says "data did not match any variant" without a place,
//! and buffers through serde's private `Content`, which loses the exact
//! bytes. Here [`union!`] gives a generated enum [`Union`] (a table: how a
//! value picks its variant, and how to decode each), `Deserialize` through
//! that table, and `Serialize`:
//!
//! 1. The value is read as its exact JSON text ([`RawValue`]).
//! 2. Its top level is peeked at: the JSON kind and, for an object, each key
//!    with its value when that is a string. Nothing nested is built.
//! 3. The candidates: for a tagged union, those listed for the tag's value
//!    (a value not listed is an unknown variant, kept); for an untagged one,
//!    all variants. With several candidates, only those whose [`Shape`]
//!    matches the peek stay, in order (most specific first).
//! 4. They are tried in order; the first that decodes wins. If none is left,
//!    the value is kept as [`RawJson`] in the catch-all; if all fail, the
//!    first one's error is the error, with the JSON pointer of the bad value.
//!
//! The catch-all serializes back the bytes it got, so a variant the spec
//! does not list yet survives a round trip unchanged.
//!
//! A type holding a union must not use `#[serde(flatten)]`, or serde's own
//! untagged or internally tagged enums, above it: those buffer the input,
//! and [`RawValue`] needs serde_json's own deserializer. The generator never
//! emits them.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use serde_json::value::RawValue;

/// JSON text kept exactly as received; serializes back byte for byte.
#[derive(Clone)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// The text parsed, to look inside.
    pub fn to_value(&self) -> serde_json::Value {
        // A RawValue holds valid JSON; `Null` can only come from a bug there.
        serde_json::from_str(self.0.get()).unwrap_or(serde_json::Value::Null)
    }

    /// A value's compact JSON text, e.g. to send a variant the spec does not
    /// list yet.
    pub fn from_value(value: &serde_json::Value) -> Self {
        match serde_json::value::to_raw_value(value) {
            Ok(raw) => Self(raw),
            // A `Value` always serializes; keep `null` rather than panic.
            Err(_) => Self(RawValue::NULL.to_owned()),
        }
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawJson({})", self.get())
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(Self)
    }
}

/// What values a variant may take, judged from their top level only.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    Null,
    Boolean,
    /// A number that is an `i64` (no fraction, no exponent, in range).
    Integer,
    /// Any number.
    Number,
    /// Any string.
    String,
    /// One of these strings (a constant, or a closed list).
    StringIn(&'static [&'static str]),
    Array,
    Object {
        /// Keys that must be present.
        required: &'static [&'static str],
        /// Keys whose value, when it is a string, must be one of these.
        closed: &'static [(&'static str, &'static [&'static str])],
    },
    /// Anything.
    Any,
}

/// How a union picks its variant.
#[derive(Debug, Clone, Copy)]
pub enum Dispatch {
    /// By the string value of the property `tag`: `values` maps each listed
    /// value to the variants to try, most specific first; `absent` lists
    /// those to try when the property is missing or `null`.
    Tagged {
        tag: &'static str,
        values: &'static [(&'static str, &'static [usize])],
        absent: &'static [usize],
    },
    /// By shape: every variant whose [`Shape`] matches is tried, in order.
    Untagged,
}

/// Implemented by each generated union enum, through [`union!`].
pub trait Union: Sized {
    /// The type's name, for errors.
    const NAME: &'static str;
    const DISPATCH: Dispatch;
    /// One per variant, the catch-all excepted, in declaration order.
    const SHAPES: &'static [Shape];

    /// Decodes `raw` as the variant `index`; the error names the place with
    /// a JSON pointer ([`parse`] does that).
    fn decode(index: usize, raw: &RawValue) -> Result<Self, String>;

    /// The catch-all, keeping `raw` as sent.
    fn unknown(raw: RawJson) -> Self;

    /// Whether this is the catch-all.
    fn is_unknown(&self) -> bool;
}

/// The `Deserialize` of every union: see the [module docs](self).
pub fn deserialize<'de, U: Union, D: Deserializer<'de>>(deserializer: D) -> Result<U, D::Error> {
    let raw = Box::<RawValue>::deserialize(deserializer)?;
    decode_raw(raw).map_err(de::Error::custom)
}

fn decode_raw<U: Union>(raw: Box<RawValue>) -> Result<U, String> {
    let peek: Peek = serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
    let (candidates, tagged) = match U::DISPATCH {
        Dispatch::Tagged {
            tag,
            values,
            absent,
        } => {
            if !matches!(peek, Peek::Object(_)) {
                return Err(format!(
                    "at /: expected an object for {}, found {}",
                    U::NAME,
                    peek.kind()
                ));
            }
            let candidates = match peek.field(tag) {
                Some(Field::Str(value)) => match values.iter().find(|(v, _)| *v == value) {
                    Some((_, indices)) => indices.to_vec(),
                    None => return Ok(U::unknown(RawJson(raw))),
                },
                // A `null` tag is an absent one (tags may be nullable).
                Some(Field::Null) | None if !absent.is_empty() => absent.to_vec(),
                Some(Field::Other) => {
                    return Err(format!(
                        "at /{}: expected a string tag for {}",
                        escape_token(tag),
                        U::NAME
                    ));
                }
                Some(Field::Null) | None => {
                    return Err(format!("at /: missing field `{tag}` for {}", U::NAME));
                }
            };
            (candidates, true)
        }
        Dispatch::Untagged => ((0..U::SHAPES.len()).collect(), false),
    };
    // With one tagged candidate, its own decode explains a mismatch best.
    let candidates: Vec<usize> = if tagged && candidates.len() == 1 {
        candidates
    } else {
        candidates
            .into_iter()
            .filter(|&i| U::SHAPES.get(i).is_some_and(|shape| peek.matches(shape)))
            .collect()
    };
    let mut first_error = None;
    for index in &candidates {
        match U::decode(*index, &raw) {
            Ok(value) => return Ok(value),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) => Err(error),
        // No variant has this shape: a value the spec does not list yet.
        None => Ok(U::unknown(RawJson(raw))),
    }
}

/// Parses `raw` as `T`; an error names the place inside `raw` as a JSON
/// pointer: `at /content/0/text: invalid type: ...`.
pub fn parse<T: DeserializeOwned>(raw: &RawValue) -> Result<T, String> {
    let mut deserializer = serde_json::Deserializer::from_str(raw.get());
    serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|e| at(e.path(), strip_position(&e.inner().to_string())))
}

/// [`parse`] for a nested union: a value it keeps only in its catch-all
/// does not count (the enclosing union then tries its next candidate).
pub fn parse_known<U: Union + DeserializeOwned>(raw: &RawValue) -> Result<U, String> {
    let value: U = parse(raw)?;
    if value.is_unknown() {
        return Err(format!("at /: not a listed variant of {}", U::NAME));
    }
    Ok(value)
}

/// `at <pointer>: <message>`: the path serde walked, joined with the pointer
/// a nested union already put in front of its message. A nested message's
/// own position is not wanted (it would be the fragment's), a top-level one
/// is: the caller says so by stripping it or not.
fn at(path: &serde_path_to_error::Path, message: &str) -> String {
    let mut pointer = String::new();
    for segment in path.iter() {
        use serde_path_to_error::Segment;
        let token = match segment {
            Segment::Seq { index } => index.to_string(),
            Segment::Map { key } => escape_token(key),
            Segment::Enum { variant } => escape_token(variant),
            Segment::Unknown => continue,
        };
        pointer.push('/');
        pointer.push_str(&token);
    }
    let message = match message.strip_prefix("at /") {
        Some(rest) => match rest.split_once(": ") {
            Some((inner, rest)) => {
                if !inner.is_empty() {
                    pointer.push('/');
                    pointer.push_str(inner);
                }
                rest
            }
            None => message,
        },
        None => message,
    };
    if pointer.is_empty() {
        pointer.push('/');
    }
    format!("at {pointer}: {message}")
}

/// serde_json appends ` at line L column C`, which is relative to the
/// fragment being parsed, so misleading once nested.
fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(i) if message[i..].contains(" column ") => &message[..i],
        _ => message,
    }
}

/// A JSON pointer reference token (RFC 6901).
fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Decodes a whole JSON reply as `T`, as the client does: a value of the
/// wrong type is named by its JSON pointer from the top
/// (`at /output/3/content/0/text: invalid type: ... at line 1 column 80`);
/// syntax errors and a cut-off body are serde_json's own.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        if !e.inner().is_data() {
            return e.into_inner();
        }
        // The position is the whole body's here, so it stays.
        let message = at(e.path(), &e.inner().to_string());
        <serde_json::Error as de::Error>::custom(message)
    })?;
    deserializer.end()?;
    Ok(value)
}

/// Makes a generated enum a union: implements [`Union`], `Deserialize`
/// (through [`deserialize`]) and `Serialize` (each variant as its payload,
/// a keyword as its string, the catch-all as the bytes it got).
///
/// The arguments: the enum; its catch-all variant (holding [`RawJson`]);
/// its [`Dispatch`]; then one `(Variant, decode, Shape)` per other variant,
/// in declaration order, where `decode` is `parse` (a payload, read with
/// [`parse`]), `parse_known` (a payload that is itself a union, read with
/// [`parse_known`]) or a string literal (a unit variant standing for that
/// string).
///
/// ```
/// use openai_runtime::union::{Dispatch, RawJson, Shape};
///
/// #[derive(Debug, PartialEq)]
/// enum Limit {
///     Auto,
///     Integer(i64),
///     Unknown(RawJson),
/// }
///
/// openai_runtime::union!(
///     Limit,
///     Unknown,
///     Dispatch::Untagged,
///     [
///         (Auto, "auto", Shape::StringIn(&["auto"])),
///         (Integer, parse, Shape::Integer),
///     ],
/// );
///
/// assert_eq!(serde_json::from_str::<Limit>(r#""auto""#).unwrap(), Limit::Auto);
/// assert_eq!(serde_json::from_str::<Limit>("3").unwrap(), Limit::Integer(3));
/// assert!(matches!(serde_json::from_str::<Limit>("2.5").unwrap(), Limit::Unknown(_)));
/// assert_eq!(serde_json::to_string(&Limit::Auto).unwrap(), r#""auto""#);
/// ```
#[macro_export]
macro_rules! union {
    (
        $ty:ident,
        $catch_all:ident,
        $dispatch:expr,
        [$(($variant:ident, $decode:tt, $shape:expr)),* $(,)?] $(,)?
    ) => {
        impl $crate::union::Union for $ty {
            const NAME: &'static str = ::std::stringify!($ty);
            const DISPATCH: $crate::union::Dispatch = $dispatch;
            const SHAPES: &'static [$crate::union::Shape] = &[$($shape),*];

            fn decode(
                index: usize,
                raw: &$crate::union::RawValue,
            ) -> ::std::result::Result<Self, ::std::string::String> {
                type Decode<T> =
                    fn(&$crate::union::RawValue) -> ::std::result::Result<T, ::std::string::String>;
                let variants: &[Decode<Self>] = &[$($crate::__union_decode!($variant, $decode)),*];
                match variants.get(index) {
                    ::std::option::Option::Some(decode) => decode(raw),
                    ::std::option::Option::None => ::std::result::Result::Err(
                        $crate::union::no_variant(Self::NAME, index),
                    ),
                }
            }

            fn unknown(raw: $crate::union::RawJson) -> Self {
                Self::$catch_all(raw)
            }

            fn is_unknown(&self) -> bool {
                ::std::matches!(self, Self::$catch_all(_))
            }
        }

        impl<'de> $crate::__serde::Deserialize<'de> for $ty {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::union::deserialize(deserializer)
            }
        }

        impl $crate::__serde::Serialize for $ty {
            fn serialize<S: $crate::__serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                $crate::__union_serialize!(self, serializer, $catch_all, [] $(($variant, $decode))*)
            }
        }
    };
}

/// One variant's decoder, for [`union!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __union_decode {
    ($variant:ident, parse) => {
        |raw| ::std::result::Result::Ok(Self::$variant($crate::union::parse(raw)?))
    };
    ($variant:ident, parse_known) => {
        |raw| ::std::result::Result::Ok(Self::$variant($crate::union::parse_known(raw)?))
    };
    ($variant:ident, $keyword:literal) => {
        |_| ::std::result::Result::Ok(Self::$variant)
    };
}

/// The `match` of a union's `Serialize`, one arm a variant, for [`union!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __union_serialize {
    ($self:ident, $serializer:ident, $catch_all:ident, [$($arms:tt)*]) => {
        match $self {
            $($arms)*
            Self::$catch_all(raw) => $crate::__serde::Serialize::serialize(raw, $serializer),
        }
    };
    (
        $self:ident, $serializer:ident, $catch_all:ident, [$($arms:tt)*]
        ($variant:ident, $keyword:literal) $($rest:tt)*
    ) => {
        $crate::__union_serialize!($self, $serializer, $catch_all, [
            $($arms)*
            Self::$variant => $crate::__serde::Serializer::serialize_str($serializer, $keyword),
        ] $($rest)*)
    };
    (
        $self:ident, $serializer:ident, $catch_all:ident, [$($arms:tt)*]
        ($variant:ident, $decode:ident) $($rest:tt)*
    ) => {
        $crate::__union_serialize!($self, $serializer, $catch_all, [
            $($arms)*
            Self::$variant(value) => $crate::__serde::Serialize::serialize(value, $serializer),
        ] $($rest)*)
    };
}

/// The top level of a JSON value: its kind, and for an object each key with
/// its value when that is a string. Nested values are skipped, not built.
enum Peek<'a> {
    Null,
    Boolean,
    Integer,
    Number,
    String(Cow<'a, str>),
    Array,
    Object(Vec<(Cow<'a, str>, Field<'a>)>),
}

/// An object's value, as far as shapes and tags look at it.
enum Field<'a> {
    Str(Cow<'a, str>),
    Null,
    Other,
}

impl Peek<'_> {
    fn field(&self, key: &str) -> Option<&Field<'_>> {
        match self {
            Peek::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn matches(&self, shape: &Shape) -> bool {
        match (shape, self) {
            (Shape::Any, _)
            | (Shape::Null, Peek::Null)
            | (Shape::Boolean, Peek::Boolean)
            | (Shape::Integer, Peek::Integer)
            | (Shape::Number, Peek::Integer | Peek::Number)
            | (Shape::String, Peek::String(_))
            | (Shape::Array, Peek::Array) => true,
            (Shape::StringIn(values), Peek::String(s)) => values.contains(&s.as_ref()),
            (Shape::Object { required, closed }, Peek::Object(_)) => {
                required.iter().all(|k| self.field(k).is_some())
                    && closed.iter().all(|(k, values)| match self.field(k) {
                        Some(Field::Str(s)) => values.contains(&s.as_ref()),
                        _ => true,
                    })
            }
            _ => false,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Peek::Null => "null",
            Peek::Boolean => "a boolean",
            Peek::Integer | Peek::Number => "a number",
            Peek::String(_) => "a string",
            Peek::Array => "an array",
            Peek::Object(_) => "an object",
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Peek<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PeekVisitor;

        impl<'de> Visitor<'de> for PeekVisitor {
            type Value = Peek<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }

            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Peek::Null)
            }

            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Peek::Boolean)
            }

            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Peek::Integer)
            }

            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(if i64::try_from(v).is_ok() {
                    Peek::Integer
                } else {
                    Peek::Number
                })
            }

            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Peek::Number)
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Peek::String(Cow::Borrowed(v)))
            }

            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Peek::String(Cow::Owned(v.to_owned())))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Peek::Array)
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let value: Field<'de> = map.next_value()?;
                    entries.push((key, value));
                }
                Ok(Peek::Object(entries))
            }
        }

        deserializer.deserialize_any(PeekVisitor)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Field<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;

        impl<'de> Visitor<'de> for FieldVisitor {
            type Value = Field<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Field::Str(Cow::Borrowed(v)))
            }

            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Field::Str(Cow::Owned(v.to_owned())))
            }

            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Field::Null)
            }

            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Field::Other)
            }

            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Field::Other)
            }

            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Field::Other)
            }

            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Field::Other)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Field::Other)
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Field::Other)
            }
        }

        deserializer.deserialize_any(FieldVisitor)
    }
}

/// The error for a variant index a union's own table does not have: a bug
/// in generated code, reported rather than panicking.
pub fn no_variant(name: &str, index: usize) -> String {
    format!("at /: {name} has no variant {index}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peek_sees_the_top_level_only() {
        let peek: Peek =
            serde_json::from_str(r#"{"type":"a","n":1,"x":null,"o":{"type":"b"}}"#).unwrap();
        assert!(matches!(peek.field("type"), Some(Field::Str(s)) if s == "a"));
        assert!(matches!(peek.field("n"), Some(Field::Other)));
        assert!(matches!(peek.field("x"), Some(Field::Null)));
        assert!(matches!(peek.field("o"), Some(Field::Other)));
        assert!(peek.field("missing").is_none());
        let big: Peek = serde_json::from_str("18446744073709551615").unwrap();
        assert!(big.matches(&Shape::Number) && !big.matches(&Shape::Integer));
        let small: Peek = serde_json::from_str("-3").unwrap();
        assert!(small.matches(&Shape::Integer) && small.matches(&Shape::Number));
    }

    #[test]
    fn object_shapes_check_required_keys_and_closed_values() {
        let shape = Shape::Object {
            required: &["name"],
            closed: &[("role", &["host", "guest"])],
        };
        let matches = |json: &str| serde_json::from_str::<Peek>(json).unwrap().matches(&shape);
        assert!(matches(r#"{"name":"a","role":"host"}"#));
        assert!(matches(r#"{"name":"a"}"#), "a closed key may be absent");
        assert!(
            matches(r#"{"name":"a","role":7}"#),
            "only strings are checked"
        );
        assert!(!matches(r#"{"name":"a","role":"critic"}"#));
        assert!(!matches(r#"{"role":"host"}"#));
        assert!(!matches(r#"["name"]"#));
    }

    #[test]
    fn top_level_errors_keep_their_kind_and_name_the_place() {
        #[derive(Debug, serde::Deserialize)]
        struct Thing {
            #[allow(dead_code)]
            items: Vec<u8>,
        }
        let err = from_slice::<Thing>(br#"{"items":[1,"x"]}"#).unwrap_err();
        assert!(err.is_data());
        assert!(
            err.to_string()
                .starts_with("at /items/1: invalid type: string \"x\""),
            "{err}"
        );
        assert!(from_slice::<Thing>(br#"{"items":[1"#).unwrap_err().is_eof());
        assert!(
            from_slice::<Thing>(br#"{"items":[1]} x"#)
                .unwrap_err()
                .is_syntax()
        );
        let err = from_slice::<Thing>(b"{}").unwrap_err();
        assert!(
            err.to_string().starts_with("at /: missing field `items`"),
            "{err}"
        );
    }

    #[test]
    fn raw_json_keeps_text_and_compares_by_it() {
        let raw: RawJson = serde_json::from_str("{ \"a\" : 1 }").unwrap();
        assert_eq!(raw.get(), "{ \"a\" : 1 }");
        assert_eq!(serde_json::to_string(&raw).unwrap(), "{ \"a\" : 1 }");
        assert_eq!(raw.to_value(), serde_json::json!({"a": 1}));
        assert_eq!(
            RawJson::from_value(&serde_json::json!({"a": 1})).get(),
            r#"{"a":1}"#
        );
        assert_ne!(raw, RawJson::from_value(&serde_json::json!({"a": 1})));
    }
}

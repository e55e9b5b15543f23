//! Unions as generated code declares them with `union!`: tagged and
//! untagged dispatch, shapes, the catch-all, nested unions, and errors that
//! name the bad value's place.

use openai_runtime::union::{self, Dispatch, RawJson, Shape};
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Deserialize, Serialize)]
struct Text {
    text: String,
}

#[derive(Debug, PartialEq, Deserialize, Serialize)]
struct Image {
    url: String,
    #[serde(default)]
    detail: Option<String>,
}

#[derive(Debug, PartialEq, Deserialize, Serialize)]
struct Note {
    note: u32,
}

/// Tagged by `type`; `image` has two candidates, the stricter first; an
/// absent tag means a note.
#[derive(Debug, PartialEq)]
enum Content {
    Text(Text),
    DetailedImage(Image),
    Image(Image),
    Note(Note),
    Unknown(RawJson),
}

openai_runtime::union!(
    Content,
    Unknown,
    Dispatch::Tagged {
        tag: "type",
        values: &[("text", &[0]), ("image", &[1, 2])],
        absent: &[3],
    },
    [
        (
            Text,
            parse,
            Shape::Object {
                required: &["text"],
                closed: &[]
            }
        ),
        (
            DetailedImage,
            parse,
            Shape::Object {
                required: &["url", "detail"],
                closed: &[("detail", &["low", "high"])]
            }
        ),
        (
            Image,
            parse,
            Shape::Object {
                required: &["url"],
                closed: &[]
            }
        ),
        (
            Note,
            parse,
            Shape::Object {
                required: &["note"],
                closed: &[]
            }
        ),
    ],
);

/// Tagged, with no variant for an absent tag.
#[derive(Debug, PartialEq)]
enum Strict {
    Text(Text),
    Unknown(RawJson),
}

openai_runtime::union!(
    Strict,
    Unknown,
    Dispatch::Tagged {
        tag: "kind",
        values: &[("text", &[0])],
        absent: &[],
    },
    [(
        Text,
        parse,
        Shape::Object {
            required: &["text"],
            closed: &[]
        }
    )],
);

/// Untagged, by shape.
#[derive(Debug, PartialEq)]
enum Value {
    Auto,
    Flag(bool),
    Count(i64),
    Ratio(f64),
    Name(String),
    List(Vec<u8>),
    Nothing(()),
    Content(Content),
    Unknown(RawJson),
}

openai_runtime::union!(
    Value,
    Unknown,
    Dispatch::Untagged,
    [
        (Auto, "auto", Shape::StringIn(&["auto"])),
        (Flag, parse, Shape::Boolean),
        (Count, parse, Shape::Integer),
        (Ratio, parse, Shape::Number),
        (Name, parse, Shape::String),
        (List, parse, Shape::Array),
        (Nothing, parse, Shape::Null),
        (Content, parse_known, Shape::Any),
    ],
);

fn decode<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, String> {
    serde_json::from_str(json).map_err(|e| e.to_string())
}

#[test]
fn a_tag_picks_its_variants_and_the_first_that_decodes_wins() {
    assert_eq!(
        decode::<Content>(r#"{"type":"text","text":"hi"}"#).unwrap(),
        Content::Text(Text { text: "hi".into() })
    );
    assert_eq!(
        decode::<Content>(r#"{"type":"image","url":"u","detail":"low"}"#).unwrap(),
        Content::DetailedImage(Image {
            url: "u".into(),
            detail: Some("low".into())
        })
    );
    // A detail outside the closed list skips the stricter variant.
    assert_eq!(
        decode::<Content>(r#"{"type":"image","url":"u","detail":"max"}"#).unwrap(),
        Content::Image(Image {
            url: "u".into(),
            detail: Some("max".into())
        })
    );
    assert_eq!(
        decode::<Content>(r#"{"type":"image","url":"u"}"#).unwrap(),
        Content::Image(Image {
            url: "u".into(),
            detail: None
        })
    );
}

#[test]
fn an_absent_or_null_tag_tries_the_absent_variants() {
    assert_eq!(
        decode::<Content>(r#"{"note":3}"#).unwrap(),
        Content::Note(Note { note: 3 })
    );
    assert_eq!(
        decode::<Content>(r#"{"type":null,"note":4}"#).unwrap(),
        Content::Note(Note { note: 4 })
    );
    let err = decode::<Strict>(r#"{"text":"x"}"#).unwrap_err();
    assert!(
        err.contains("at /: missing field `kind` for Strict"),
        "{err}"
    );
    let err = decode::<Strict>(r#"{"kind":null,"text":"x"}"#).unwrap_err();
    assert!(err.contains("missing field `kind`"), "{err}");
}

#[test]
fn an_unlisted_tag_value_is_kept_whole() {
    let json = r#"{"type":"audio", "data" : [1,2]}"#;
    let value = decode::<Content>(json).unwrap();
    match &value {
        Content::Unknown(raw) => assert_eq!(raw.get(), json),
        other => panic!("{other:?}"),
    }
    assert_eq!(serde_json::to_string(&value).unwrap(), json);
}

#[test]
fn a_tagged_union_needs_an_object_with_a_string_tag() {
    let err = decode::<Content>("[1]").unwrap_err();
    assert!(
        err.contains("at /: expected an object for Content, found an array"),
        "{err}"
    );
    let err = decode::<Content>(r#""text""#).unwrap_err();
    assert!(err.contains("found a string"), "{err}");
    let err = decode::<Strict>(r#"{"kind":7}"#).unwrap_err();
    assert!(
        err.contains("at /kind: expected a string tag for Strict"),
        "{err}"
    );
}

#[test]
fn a_single_tagged_candidate_explains_its_own_mismatch() {
    // `text` is missing: the shape does not match, but with one candidate
    // its decoding error is the one to show, not a silent catch-all.
    let err = decode::<Content>(r#"{"type":"text","text":5}"#).unwrap_err();
    assert!(err.contains("at /text: invalid type"), "{err}");
    let err = decode::<Content>(r#"{"type":"text"}"#).unwrap_err();
    assert!(err.contains("missing field `text`"), "{err}");
}

#[test]
fn when_every_candidate_fails_the_first_error_is_the_error() {
    let err = decode::<Content>(r#"{"type":"image","url":1,"detail":"low"}"#).unwrap_err();
    assert!(err.contains("at /url: invalid type"), "{err}");
}

#[test]
fn untagged_values_go_by_shape() {
    assert_eq!(decode::<Value>(r#""auto""#).unwrap(), Value::Auto);
    assert_eq!(
        decode::<Value>(r#""manual""#).unwrap(),
        Value::Name("manual".into())
    );
    assert_eq!(decode::<Value>("true").unwrap(), Value::Flag(true));
    assert_eq!(decode::<Value>("-7").unwrap(), Value::Count(-7));
    assert_eq!(decode::<Value>("2.5").unwrap(), Value::Ratio(2.5));
    assert_eq!(decode::<Value>("[1,2]").unwrap(), Value::List(vec![1, 2]));
    assert_eq!(decode::<Value>("null").unwrap(), Value::Nothing(()));
    assert_eq!(
        decode::<Value>(r#"{"type":"text","text":"t"}"#).unwrap(),
        Value::Content(Content::Text(Text { text: "t".into() }))
    );
    // A nested union's catch-all does not count: the only candidate
    // fails, and its error is the error.
    let err = decode::<Value>(r#"{"type":"video"}"#).unwrap_err();
    assert!(err.contains("not a listed variant of Content"), "{err}");
    assert_eq!(serde_json::to_string(&Value::Auto).unwrap(), r#""auto""#);
    assert_eq!(serde_json::to_string(&Value::Count(3)).unwrap(), "3");
}

#[test]
fn parse_names_the_place_without_the_fragments_position() {
    let raw = serde_json::value::RawValue::from_string(r#"{"text": 5}"#.into()).unwrap();
    let err = union::parse::<Text>(&raw).unwrap_err();
    assert!(
        err.starts_with("at /text: invalid type: integer `5`"),
        "{err}"
    );
    assert!(!err.contains(" at line "), "{err}");
    let raw = serde_json::value::RawValue::from_string("7".into()).unwrap();
    let err = union::parse::<Text>(&raw).unwrap_err();
    assert!(err.starts_with("at /: invalid type: integer `7`"), "{err}");
    let err = union::parse_known::<Content>(
        &serde_json::value::RawValue::from_string(r#"{"type":"video"}"#.into()).unwrap(),
    )
    .unwrap_err();
    assert_eq!(err, "at /: not a listed variant of Content");
}

#[test]
fn a_nested_error_keeps_the_whole_pointer() {
    #[derive(Debug, Deserialize)]
    struct Message {
        #[allow(dead_code)]
        content: Vec<Content>,
    }
    #[derive(Debug, Deserialize)]
    struct Keys {
        #[allow(dead_code)]
        #[serde(rename = "a/b~c")]
        odd: Content,
    }
    let err = union::from_slice::<Message>(
        br#"{"content":[{"type":"text","text":"ok"},{"type":"text","text":[]}]}"#,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("at /content/1/text: invalid type: sequence"),
        "{err}"
    );
    // The whole body's position stays at the top level.
    assert!(err.to_string().contains(" at line 1 column "), "{err}");
    let err = union::from_slice::<Keys>(br#"{"a/b~c":{"type":"text","text":1}}"#).unwrap_err();
    assert!(err.to_string().starts_with("at /a~1b~0c/text: "), "{err}");
}

#[test]
fn raw_json_is_equal_by_its_text_only() {
    let a: RawJson = serde_json::from_str(r#"{"a":1}"#).unwrap();
    let b: RawJson = serde_json::from_str(r#"{"a":1}"#).unwrap();
    let c: RawJson = serde_json::from_str(r#"{"a":2}"#).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(format!("{a:?}"), r#"RawJson({"a":1})"#);
    assert!(union::no_variant("Content", 9).contains("Content has no variant 9"));
}

/// Untagged, without a variant for every shape.
#[derive(Debug, PartialEq)]
enum Count {
    Count(i64),
    Unknown(RawJson),
}

openai_runtime::union!(
    Count,
    Unknown,
    Dispatch::Untagged,
    [(Count, parse, Shape::Integer)],
);

#[test]
fn a_value_no_variant_has_the_shape_of_is_kept_whole() {
    assert_eq!(decode::<Count>("5").unwrap(), Count::Count(5));
    for json in [r#" "five" "#, "5.5", r#"{"n":5}"#, "[5]", "null", "true"] {
        match decode::<Count>(json).unwrap() {
            Count::Unknown(raw) => assert_eq!(raw.get(), json.trim()),
            other => panic!("{json}: {other:?}"),
        }
    }
}

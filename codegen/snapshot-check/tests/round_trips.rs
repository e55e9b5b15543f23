//! Serde round trips of the generated fixture models: every union shape
//! (each listed variant, an unknown variant kept byte for byte, malformed
//! input giving an error with a JSON pointer), integer enums, and a
//! deprecated required field left out. The types are the snapshots
//! themselves, compiled by this crate, decoded the way the client decodes a
//! reply (`openai_runtime::union::from_slice`, which names the pointer).

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;
use snapshot_check::{
    deprecated_required as stored, integer_enum as audio, nested_union as journal,
    open_enum_or_string as jobs, recursive_union as search, scalar_or_array as embed,
    string_or_object as settings, tagged_union as drawing, untagged_union as transcripts,
};

/// Decodes as a reply is decoded.
fn decode<T: DeserializeOwned>(json: &str) -> Result<T, String> {
    openai_runtime::union::from_slice(json.as_bytes()).map_err(|e| e.to_string())
}

/// Decodes `json` and checks that it encodes back to the same bytes.
fn round_trip<T: DeserializeOwned + Serialize + Debug>(json: &str) -> T {
    let value: T = decode(json).unwrap_or_else(|e| panic!("{json}: {e}"));
    assert_eq!(
        serde_json::to_string(&value).unwrap(),
        json,
        "round trip of {value:?}"
    );
    value
}

/// The decoding error for `json`, which must start with `at <pointer>: <message>`.
fn error<T: DeserializeOwned + Debug>(json: &str, start: &str) {
    match decode::<T>(json) {
        Ok(value) => panic!("{json} decoded as {value:?}; expected an error"),
        Err(e) => assert!(
            e.starts_with(start),
            "{json}: expected {start:?}, got {e:?}"
        ),
    }
}

/// A union's catch-all keeps any value byte for byte: key order, float
/// spellings, integers beyond u64, whitespace.
fn keeps_unknown<T: DeserializeOwned + Serialize + Debug>(json: &str, is_unknown: fn(&T) -> bool) {
    let value: T = decode(json).unwrap_or_else(|e| panic!("{json}: {e}"));
    assert!(is_unknown(&value), "{json} decoded as {value:?}");
    assert_eq!(serde_json::to_string(&value).unwrap(), json);
}

const ODD_OBJECT: &str =
    r#"{"z":1,"type":"new","a":[1.0,2e3,{"b":null}],"n":12345678901234567890123}"#;
const ODD_PRETTY: &str = "{ \"type\" : \"new\",\n  \"a\": [1.0, 2e3] }";

#[test]
fn tagged_union_listed_variants() {
    use drawing::{Shape, SignalEvent};
    assert!(matches!(
        round_trip::<Shape>(r#"{"type":"circle","radius":2.5}"#),
        Shape::Circle(_)
    ));
    for (json, kind) in [
        (
            r#"{"type":"square","side":3.5}"#,
            drawing::PolygonType::Square,
        ),
        (
            r#"{"type":"triangle","side":1.5}"#,
            drawing::PolygonType::Triangle,
        ),
    ] {
        match round_trip::<Shape>(json) {
            Shape::Polygon(polygon) => assert_eq!(polygon.type_, kind),
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(
        round_trip::<SignalEvent>(r#"{"kind":"started","at":1700000000}"#),
        SignalEvent::Started(_)
    ));
    assert!(matches!(
        round_trip::<SignalEvent>(r#"{"kind":"stopped"}"#),
        SignalEvent::Stopped(_)
    ));
    let drawing: drawing::Drawing = round_trip(
        r#"{"id":"d1","shapes":[{"type":"circle","radius":1.5},{"type":"blob","z":[1,2]}],"last_event":null}"#,
    );
    assert!(matches!(drawing.shapes[1], Shape::Unknown(_)));
    assert_eq!(drawing.last_event, None);
}

#[test]
fn tagged_union_unknown_variants_are_kept() {
    use drawing::Shape;
    let unknown = |s: &Shape| matches!(s, Shape::Unknown(_));
    keeps_unknown(r#"{"type":"hexagon","side":1.0}"#, unknown);
    keeps_unknown(ODD_OBJECT, unknown);
    keeps_unknown(ODD_PRETTY, unknown);
    // Inside a struct, too.
    let json = format!(r#"{{"id":"d","shapes":[{ODD_OBJECT}],"last_event":null}}"#);
    let drawing: drawing::Drawing = round_trip(&json);
    assert!(unknown(&drawing.shapes[0]));
}

#[test]
fn tagged_union_errors_name_the_place() {
    use drawing::{Drawing, Shape};
    error::<Shape>(
        r#"{"type":"circle","radius":"big"}"#,
        "at /radius: invalid type: string \"big\", expected f64",
    );
    error::<Shape>(r#"{"radius":1.0}"#, "at /: missing field `type` for Shape");
    error::<Shape>(
        r#"{"type":7,"radius":1.0}"#,
        "at /type: expected a string tag for Shape",
    );
    error::<Shape>(
        r#""circle""#,
        "at /: expected an object for Shape, found a string",
    );
    error::<Drawing>(
        r#"{"id":"d1","shapes":[{"type":"circle","radius":1.0},{"type":"circle"}],"last_event":null}"#,
        "at /shapes/1: missing field `radius`",
    );
}

#[test]
fn nested_union_shared_and_optional_tags() {
    use journal::{Entry, Item};
    assert!(matches!(
        round_trip::<Entry>(r#"{"type":"note","id":"n1","text":"hi"}"#),
        Entry::Item(Item::Note(_))
    ));
    // The nested Item needs `id`: the short form is tried next.
    assert!(matches!(
        round_trip::<Entry>(r#"{"type":"note","text":"hi"}"#),
        Entry::QuickNote(_)
    ));
    assert!(matches!(
        round_trip::<Entry>(r#"{"text":"hi"}"#),
        Entry::QuickNote(_)
    ));
    assert!(matches!(
        round_trip::<Entry>(r#"{"type":"task","id":"t1","done":false}"#),
        Entry::Item(Item::Task(_))
    ));
    assert!(matches!(
        round_trip::<Entry>(r#"{"type":"ref","id":"n1"}"#),
        Entry::Reference(_)
    ));
    assert!(matches!(
        round_trip::<Entry>(r#"{"id":"n1"}"#),
        Entry::Reference(_)
    ));
    // A null tag is an absent one.
    assert!(matches!(
        decode::<Entry>(r#"{"type":null,"id":"n1"}"#).unwrap(),
        Entry::Reference(_)
    ));
    let unknown = |e: &Entry| matches!(e, Entry::Unknown(_));
    keeps_unknown(r#"{"type":"sketch","id":"s1"}"#, unknown);
    keeps_unknown(ODD_OBJECT, unknown);
    error::<Entry>(
        r#"{"type":"task","id":"t1","done":"yes"}"#,
        "at /done: invalid type: string \"yes\", expected a boolean",
    );
    error::<journal::JournalsEntriesCreateResponse>(
        r#"{"entries":[{"text":"ok"},{"type":"task","id":"t1","done":"yes"}]}"#,
        "at /entries/1/done: invalid type: string \"yes\"",
    );
}

#[test]
fn untagged_objects_most_specific_first() {
    use transcripts::{DetailedTranscriptSpeakersItem as Speaker, TranscriptsCreateResponse as T};
    assert!(matches!(
        round_trip::<T>(r#"{"text":"hi","language":"en","seconds":1.5}"#),
        T::DetailedTranscript(_)
    ));
    assert!(matches!(
        round_trip::<T>(r#"{"text":"hi"}"#),
        T::PlainTranscript(_)
    ));
    // The detailed shape matches but fails; the plain one accepts it.
    assert!(matches!(
        decode::<T>(r#"{"text":"hi","language":"en","seconds":"long"}"#).unwrap(),
        T::PlainTranscript(_)
    ));
    error::<T>(
        r#"{"text":5}"#,
        "at /text: invalid type: integer `5`, expected a string",
    );
    let unknown = |t: &T| matches!(t, T::Unknown(_));
    keeps_unknown(r#"{"words":[]}"#, unknown);
    keeps_unknown("[1]", unknown);
    keeps_unknown("true", unknown);
    assert!(matches!(
        round_trip::<Speaker>(r#"{"name":"a","role":"host"}"#),
        Speaker::KnownSpeaker(_)
    ));
    // `critic` is not a listed role: the free-text speaker.
    assert!(matches!(
        round_trip::<Speaker>(r#"{"name":"a","role":"critic"}"#),
        Speaker::GuestSpeaker(_)
    ));
}

#[test]
fn scalar_or_array() {
    use embed::{EmbedRequest, EmbedRequestInput as Input};
    assert!(matches!(
        round_trip::<Input>(r#""hello""#),
        Input::String(_)
    ));
    assert!(matches!(
        round_trip::<Input>(r#"["a","b"]"#),
        Input::StringArray(_)
    ));
    assert!(matches!(
        round_trip::<Input>("[1,2]"),
        Input::IntegerArray(_)
    ));
    assert!(matches!(
        round_trip::<Input>("[[1],[2,3]]"),
        Input::IntegerArrayArray(_)
    ));
    // An empty array: the first array variant.
    assert!(matches!(round_trip::<Input>("[]"), Input::StringArray(_)));
    let unknown = |i: &Input| matches!(i, Input::Unknown(_));
    keeps_unknown(r#"{"tokens":[1]}"#, unknown);
    keeps_unknown("true", unknown);
    // Every array variant fails: the first one's error.
    error::<Input>(
        r#"["a",1]"#,
        "at /1: invalid type: integer `1`, expected a string",
    );
    let request: EmbedRequest = round_trip(r#"{"input":"x"}"#);
    assert_eq!(request.stop, None);
    let request: EmbedRequest = decode(r#"{"input":"x","stop":null}"#).unwrap();
    assert_eq!(request.stop, None);
}

#[test]
fn keyword_or_number_and_mixed_scalars() {
    use settings::{
        Settings, SettingsAttempts as Attempts, SettingsLabelsValue as Label,
        SettingsScale as Scale,
    };
    assert_eq!(round_trip::<Attempts>(r#""auto""#), Attempts::Auto);
    assert_eq!(round_trip::<Attempts>("3"), Attempts::Integer(3));
    let unknown = |a: &Attempts| matches!(a, Attempts::Unknown(_));
    keeps_unknown(r#""max""#, unknown);
    keeps_unknown("2.5", unknown);
    // `3` is a number; it goes back as `3.0`.
    assert_eq!(decode::<Scale>("3").unwrap(), Scale::Number(3.0));
    assert_eq!(round_trip::<Scale>("0.5"), Scale::Number(0.5));
    let settings: Settings = round_trip(r#"{"labels":{"a":"x","b":3,"c":3.5,"d":true,"e":null}}"#);
    let labels = settings.labels.unwrap();
    assert_eq!(labels["a"], Label::String("x".into()));
    assert_eq!(labels["b"], Label::Integer(3));
    assert_eq!(labels["c"], Label::Number(3.5));
    assert_eq!(labels["d"], Label::Boolean(true));
    assert!(matches!(labels["e"], Label::Unknown(_)));
}

#[test]
fn string_or_object() {
    use settings::{AllowedToolsTools as Tools, ToolChoice, ToolChoiceMode as Mode};
    assert_eq!(
        round_trip::<ToolChoice>(r#""auto""#),
        ToolChoice::Mode(Mode::Auto)
    );
    assert_eq!(
        round_trip::<ToolChoice>(r#""sometimes""#),
        ToolChoice::Mode(Mode::Unknown("sometimes".into()))
    );
    assert!(matches!(
        round_trip::<ToolChoice>(r#"{"type":"named","name":"search"}"#),
        ToolChoice::NamedTool(_)
    ));
    match round_trip::<ToolChoice>(r#"{"type":"allowed","tools":["a"]}"#) {
        ToolChoice::AllowedTools(allowed) => {
            assert!(matches!(allowed.tools, Tools::StringArray(_)))
        }
        other => panic!("{other:?}"),
    }
    match round_trip::<ToolChoice>(r#"{"type":"allowed","tools":{"read_only":true}}"#) {
        ToolChoice::AllowedTools(allowed) => assert!(matches!(allowed.tools, Tools::ToolFilter(_))),
        other => panic!("{other:?}"),
    }
    let unknown = |t: &ToolChoice| matches!(t, ToolChoice::Unknown(_));
    keeps_unknown(r#"{"type":"mystery"}"#, unknown);
    // The named tool's shape needs `name`: not it, and not the other either.
    keeps_unknown(r#"{"type":"named"}"#, unknown);
    keeps_unknown(ODD_OBJECT, unknown);
    error::<ToolChoice>(
        r#"{"type":"named","name":7}"#,
        "at /name: invalid type: integer `7`, expected a string",
    );
}

#[test]
fn recursive_union() {
    use search::{CompoundFiltersItem, Filter};
    let json = r#"{"type":"and","filters":[{"type":"eq","key":"k","value":"v"},{"type":"or","filters":[{"type":"gt","key":"n","value":3.5},{"type":"lt","key":"b","value":true}]}]}"#;
    match round_trip::<Filter>(json) {
        Filter::Compound(compound) => {
            assert!(matches!(
                compound.filters[0],
                CompoundFiltersItem::Comparison(_)
            ));
            assert!(matches!(
                compound.filters[1],
                CompoundFiltersItem::Compound(_)
            ));
        }
        other => panic!("{other:?}"),
    }
    error::<Filter>(
        r#"{"type":"and","filters":[{"type":"or","filters":[{"type":"eq","key":1,"value":"v"}]}]}"#,
        "at /filters/0/filters/0/key: invalid type: integer `1`",
    );
    keeps_unknown(r#"{"type":"not","filter":{}}"#, |f: &Filter| {
        matches!(f, Filter::Unknown(_))
    });
}

#[test]
fn open_enum_or_string() {
    use jobs::ModelId;
    assert_eq!(round_trip::<ModelId>(r#""swift-1""#), ModelId::Swift1);
    assert_eq!(
        round_trip::<ModelId>(r#""gpt-x""#),
        ModelId::Unknown("gpt-x".into())
    );
    assert!(
        decode::<ModelId>("5")
            .unwrap_err()
            .contains("invalid type: integer `5`")
    );
}

#[test]
fn integer_enums() {
    use audio::{AudioFormat, AudioFormatRate as Rate};
    assert_eq!(round_trip::<Rate>("16000"), Rate::V16000);
    assert_eq!(round_trip::<Rate>("12000"), Rate::Unknown(12000));
    error::<AudioFormat>(r#"{"rate":"16000"}"#, "at /rate: invalid type: string");
    error::<AudioFormat>(
        r#"{"rate":16000.5}"#,
        "at /rate: invalid type: floating point",
    );
}

#[test]
fn deprecated_required_field_may_be_absent() {
    let file: stored::Stored = round_trip(r#"{"id":"f1","bytes":3}"#);
    assert_eq!(file.status, None);
    assert_eq!(file.status_details, None);
    round_trip::<stored::Stored>(r#"{"id":"f1","bytes":3,"status":"uploaded"}"#);
}

#[test]
fn unions_decode_from_values_as_the_cli_builds_them() {
    use drawing::Shape;
    let value = serde_json::json!({"type": "blob", "z": [1, 2]});
    let shape: Shape = serde_json::from_value(value).unwrap();
    assert!(matches!(shape, Shape::Unknown(_)));
    let value = serde_json::json!({"type": "circle", "radius": 1.5});
    assert!(matches!(
        serde_json::from_value::<Shape>(value).unwrap(),
        Shape::Circle(_)
    ));
}

#[test]
fn a_required_list_left_out_is_empty() {
    // The API's own examples leave out required lists (`logprobs`).
    let drawing: drawing::Drawing = decode(r#"{"id":"d1","last_event":null}"#).unwrap();
    assert!(drawing.shapes.is_empty());
    // Other required fields are still required.
    error::<drawing::Drawing>(
        r#"{"shapes":[],"last_event":null}"#,
        "at /: missing field `id`",
    );
}

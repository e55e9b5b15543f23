//! JSON request bodies, checked field by field with OpenAI-style errors.
//!
//! Bodies are parsed as JSON whatever their `Content-Type`: the API
//! reference's own curl example sends `-d '{...}'`, which curl labels
//! `application/x-www-form-urlencoded`.

use serde_json::{Map, Value};

use crate::error::ApiError;

/// The largest Upload, in bytes. The API says "8 GB"; we take the larger
/// reading (8 GiB) so a client that means either is never refused here.
pub const MAX_UPLOAD_BYTES: u64 = 8 * 1024 * 1024 * 1024;

/// The bounds the API sets on `expires_after.seconds` (1 hour to 30 days).
pub const EXPIRES_AFTER_SECONDS: std::ops::RangeInclusive<u64> = 3_600..=2_592_000;

/// A checked `POST /uploads` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUpload {
    pub filename: String,
    pub purpose: String,
    pub bytes: u64,
    pub mime_type: String,
    /// `expires_after.seconds`: how long the File lives after it is made.
    pub file_ttl_secs: Option<u64>,
}

/// A checked `POST /uploads/{id}/complete` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub part_ids: Vec<String>,
    /// Lowercase hex.
    pub md5: Option<String>,
}

pub fn parse_create(body: &[u8]) -> Result<NewUpload, ApiError> {
    let mut fields = object(body)?;
    only_known(
        &fields,
        &["filename", "purpose", "bytes", "mime_type", "expires_after"],
        "",
    )?;
    let filename = text(&mut fields, "filename")?;
    if filename.contains('\0') {
        return Err(ApiError::invalid_value(
            "filename",
            "'filename' must not contain NUL characters.".to_owned(),
        ));
    }
    let purpose = text(&mut fields, "purpose")?;
    let bytes = integer(&mut fields, "bytes", "bytes")?;
    if bytes < 1 {
        return Err(ApiError::invalid_value(
            "bytes",
            format!("'bytes' must be at least 1, but got {bytes}."),
        ));
    }
    let bytes = bytes.unsigned_abs();
    if bytes > MAX_UPLOAD_BYTES {
        return Err(ApiError::invalid_value(
            "bytes",
            format!(
                "'bytes' is {bytes}, but an Upload can hold at most {MAX_UPLOAD_BYTES} bytes (8 GiB)."
            ),
        ));
    }
    let mime_type = text(&mut fields, "mime_type")?;
    if !looks_like_mime_type(&mime_type) {
        return Err(ApiError::invalid_value(
            "mime_type",
            format!("'mime_type' must look like `type/subtype`, but got '{mime_type}'."),
        ));
    }
    let file_ttl_secs = match fields.remove("expires_after") {
        None | Some(Value::Null) => None,
        Some(Value::Object(after)) => Some(expires_after(after)?),
        Some(other) => {
            return Err(ApiError::invalid_type(
                "expires_after",
                "an object",
                kind(&other),
            ));
        }
    };
    Ok(NewUpload {
        filename,
        purpose,
        bytes,
        mime_type,
        file_ttl_secs,
    })
}

pub fn parse_complete(body: &[u8]) -> Result<Completion, ApiError> {
    let mut fields = object(body)?;
    only_known(&fields, &["part_ids", "md5"], "")?;
    let part_ids = match fields.remove("part_ids") {
        None | Some(Value::Null) => return Err(ApiError::missing_param("part_ids")),
        Some(Value::Array(items)) => items,
        Some(other) => return Err(ApiError::invalid_type("part_ids", "an array", kind(&other))),
    };
    let part_ids = part_ids
        .into_iter()
        .enumerate()
        .map(|(index, item)| match item {
            Value::String(id) if !id.is_empty() => Ok(id),
            Value::String(_) => Err(ApiError::invalid_value(
                "part_ids",
                format!("'part_ids[{index}]' is an empty string."),
            )),
            other => Err(ApiError::invalid_type(
                "part_ids",
                "an array of strings",
                &format!("{} at index {index}", kind(&other)),
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let md5 = match fields.remove("md5") {
        None | Some(Value::Null) => None,
        Some(Value::String(md5)) => {
            if md5.len() != 32 || !md5.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ApiError::invalid_value(
                    "md5",
                    format!("'md5' must be 32 hexadecimal digits, but got '{md5}'."),
                ));
            }
            Some(md5.to_ascii_lowercase())
        }
        Some(other) => return Err(ApiError::invalid_type("md5", "a string", kind(&other))),
    };
    Ok(Completion { part_ids, md5 })
}

fn object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "The request body is empty; send a JSON object.".to_owned(),
        ));
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(other) => Err(ApiError::bad_request(format!(
            "The request body must be a JSON object, but it is {}.",
            kind(&other)
        ))),
        Err(e) => Err(ApiError::bad_request(format!(
            "We could not parse the JSON body of your request: {e}."
        ))),
    }
}

fn only_known(fields: &Map<String, Value>, known: &[&str], prefix: &str) -> Result<(), ApiError> {
    match fields.keys().find(|key| !known.contains(&key.as_str())) {
        Some(key) => Err(ApiError::unknown_param(&format!("{prefix}{key}"))),
        None => Ok(()),
    }
}

fn text(fields: &mut Map<String, Value>, param: &'static str) -> Result<String, ApiError> {
    match fields.remove(param) {
        None | Some(Value::Null) => Err(ApiError::missing_param(param)),
        Some(Value::String(value)) if value.trim().is_empty() => Err(ApiError::invalid_value(
            param,
            format!("'{param}' must not be empty."),
        )),
        Some(Value::String(value)) => Ok(value),
        Some(other) => Err(ApiError::invalid_type(param, "a string", kind(&other))),
    }
}

/// `fields[key]` as an integer; errors name `param` (`key`, or a dotted
/// path for nested fields).
fn integer(
    fields: &mut Map<String, Value>,
    key: &str,
    param: &'static str,
) -> Result<i64, ApiError> {
    match fields.remove(key) {
        None | Some(Value::Null) => Err(ApiError::missing_param(param)),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_u64()) {
            (Some(value), _) => Ok(value),
            // Above i64::MAX: surely over any limit.
            (None, Some(_)) => Ok(i64::MAX),
            (None, None) => Err(ApiError::invalid_type(
                param,
                "an integer",
                "a decimal number",
            )),
        },
        Some(other) => Err(ApiError::invalid_type(param, "an integer", kind(&other))),
    }
}

fn expires_after(mut after: Map<String, Value>) -> Result<u64, ApiError> {
    only_known(&after, &["anchor", "seconds"], "expires_after.")?;
    match after.remove("anchor") {
        None | Some(Value::Null) => return Err(ApiError::missing_param("expires_after.anchor")),
        Some(Value::String(anchor)) if anchor == "created_at" => {}
        Some(Value::String(anchor)) => {
            return Err(ApiError::invalid_value(
                "expires_after.anchor",
                format!("'expires_after.anchor' must be 'created_at', but got '{anchor}'."),
            ));
        }
        Some(other) => {
            return Err(ApiError::invalid_type(
                "expires_after.anchor",
                "a string",
                kind(&other),
            ));
        }
    }
    let seconds = integer(&mut after, "seconds", "expires_after.seconds")?;
    match u64::try_from(seconds) {
        Ok(seconds) if EXPIRES_AFTER_SECONDS.contains(&seconds) => Ok(seconds),
        _ => Err(ApiError::invalid_value(
            "expires_after.seconds",
            format!(
                "'expires_after.seconds' must be between {} and {}, but got {seconds}.",
                EXPIRES_AFTER_SECONDS.start(),
                EXPIRES_AFTER_SECONDS.end()
            ),
        )),
    }
}

/// `type/subtype`, each a non-empty token without spaces.
fn looks_like_mime_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim();
    match essence.split_once('/') {
        Some((kind, sub)) => {
            let token = |t: &str| {
                !t.is_empty()
                    && t.bytes()
                        .all(|b| b.is_ascii_graphic() && !b"/()<>@,;:\\\"[]?={}".contains(&b))
            };
            token(kind) && token(sub)
        }
        None => false,
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a decimal number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(body: &str) -> Result<NewUpload, ApiError> {
        parse_create(body.as_bytes())
    }

    fn error(result: Result<impl std::fmt::Debug, ApiError>) -> (Option<&'static str>, String) {
        let e = result.unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        (e.param, e.message)
    }

    const GOOD: &str =
        r#"{"filename":"a.jsonl","purpose":"fine-tune","bytes":1024,"mime_type":"text/jsonl"}"#;

    #[test]
    fn a_full_create_body_parses() {
        let upload = create(
            r#"{"filename":"a.jsonl","purpose":"batch","bytes":8589934592,"mime_type":"text/jsonl; charset=utf-8",
                "expires_after":{"anchor":"created_at","seconds":3600}}"#,
        )
        .unwrap();
        assert_eq!(
            upload,
            NewUpload {
                filename: "a.jsonl".into(),
                purpose: "batch".into(),
                bytes: MAX_UPLOAD_BYTES,
                mime_type: "text/jsonl; charset=utf-8".into(),
                file_ttl_secs: Some(3600),
            }
        );
        assert_eq!(create(GOOD).unwrap().file_ttl_secs, None);
        let null_after = GOOD.replace('}', r#","expires_after":null}"#);
        assert_eq!(create(&null_after).unwrap().file_ttl_secs, None);
        // Any purpose string: the API adds purposes over time.
        let other = GOOD.replace("fine-tune", "user_data");
        assert_eq!(create(&other).unwrap().purpose, "user_data");
    }

    #[test]
    fn each_missing_create_field_is_named() {
        for field in ["filename", "purpose", "bytes", "mime_type"] {
            let mut value: Value = serde_json::from_str(GOOD).unwrap();
            value.as_object_mut().unwrap().remove(field);
            let (param, message) = error(create(&value.to_string()));
            assert_eq!(param, Some(field));
            assert_eq!(message, format!("Missing required parameter: '{field}'."));
            value[field] = Value::Null;
            assert_eq!(error(create(&value.to_string())).0, Some(field));
        }
    }

    #[test]
    fn bad_create_values_are_refused() {
        let cases = [
            (r#""bytes":0"#, "bytes", "at least 1"),
            (r#""bytes":-5"#, "bytes", "at least 1"),
            (r#""bytes":8589934593"#, "bytes", "at most 8589934592"),
            (r#""bytes":18446744073709551615"#, "bytes", "at most"),
            (
                r#""bytes":1.5"#,
                "bytes",
                "expected an integer, but got a decimal number",
            ),
            (
                r#""bytes":"1024""#,
                "bytes",
                "expected an integer, but got a string",
            ),
            (r#""filename":"""#, "filename", "must not be empty"),
            (
                r#""filename":7"#,
                "filename",
                "expected a string, but got an integer",
            ),
            (r#""purpose":"  ""#, "purpose", "must not be empty"),
            (r#""mime_type":"jsonl""#, "mime_type", "type/subtype"),
            (r#""mime_type":"text/""#, "mime_type", "type/subtype"),
            (r#""mime_type":"te xt/plain""#, "mime_type", "type/subtype"),
            (
                r#""expires_after":3600"#,
                "expires_after",
                "expected an object",
            ),
            (
                r#""expires_after":{"seconds":3600}"#,
                "expires_after.anchor",
                "Missing",
            ),
            (
                r#""expires_after":{"anchor":"last_used","seconds":3600}"#,
                "expires_after.anchor",
                "'created_at'",
            ),
            (
                r#""expires_after":{"anchor":"created_at"}"#,
                "expires_after.seconds",
                "Missing",
            ),
            (
                r#""expires_after":{"anchor":"created_at","seconds":3599}"#,
                "expires_after.seconds",
                "between 3600 and 2592000",
            ),
            (
                r#""expires_after":{"anchor":"created_at","seconds":2592001}"#,
                "expires_after.seconds",
                "between",
            ),
        ];
        for (field, param, needle) in cases {
            let (key, _) = field.split_once(':').unwrap();
            let mut value: Value = serde_json::from_str(GOOD).unwrap();
            let patch: Value = serde_json::from_str(&format!("{{{field}}}")).unwrap();
            let key = key.trim_matches('"');
            value[key] = patch[key].clone();
            let (got_param, message) = error(create(&value.to_string()));
            assert_eq!(got_param, Some(param), "{field}: {message}");
            assert!(message.contains(needle), "{field}: {message}");
        }
    }

    #[test]
    fn unknown_fields_and_non_objects_are_refused() {
        let body = GOOD.replace('}', r#","colour":"blue"}"#);
        let (_, message) = error(create(&body));
        assert_eq!(message, "Unrecognized request argument supplied: colour");
        let body = GOOD.replace(
            '}',
            r#","expires_after":{"anchor":"created_at","seconds":3600,"x":1}}"#,
        );
        let (_, message) = error(create(&body));
        assert!(message.ends_with("expires_after.x"), "{message}");
        for body in ["", "  \n", "[]", "\"x\"", "{", "{\"bytes\":}"] {
            let (param, message) = error(create(body));
            assert_eq!(param, None, "{body:?}");
            assert!(message.contains("body"), "{body:?}: {message}");
        }
    }

    #[test]
    fn complete_bodies() {
        let done = parse_complete(
            br#"{"part_ids":["part_a","part_b"],"md5":"D41D8CD98F00B204E9800998ECF8427E"}"#,
        )
        .unwrap();
        assert_eq!(done.part_ids, ["part_a", "part_b"]);
        assert_eq!(
            done.md5.as_deref(),
            Some("d41d8cd98f00b204e9800998ecf8427e")
        );
        assert_eq!(
            parse_complete(br#"{"part_ids":[],"md5":null}"#)
                .unwrap()
                .md5,
            None
        );

        let cases: [(&str, &str, &str); 7] = [
            (
                r#"{}"#,
                "part_ids",
                "Missing required parameter: 'part_ids'.",
            ),
            (r#"{"part_ids":"part_a"}"#, "part_ids", "expected an array"),
            (
                r#"{"part_ids":["a",2]}"#,
                "part_ids",
                "an integer at index 1",
            ),
            (
                r#"{"part_ids":[""]}"#,
                "part_ids",
                "'part_ids[0]' is an empty string",
            ),
            (
                r#"{"part_ids":[],"md5":"abc"}"#,
                "md5",
                "32 hexadecimal digits",
            ),
            (
                r#"{"part_ids":[],"md5":"zz1d8cd98f00b204e9800998ecf8427e"}"#,
                "md5",
                "32 hexadecimal",
            ),
            (r#"{"part_ids":[],"md5":5}"#, "md5", "expected a string"),
        ];
        for (body, param, needle) in cases {
            let (got, message) = error(parse_complete(body.as_bytes()));
            assert_eq!(got, Some(param), "{body}");
            assert!(message.contains(needle), "{body}: {message}");
        }
        let (_, message) = error(parse_complete(br#"{"part_ids":[],"parts":[]}"#));
        assert_eq!(message, "Unrecognized request argument supplied: parts");
    }
}

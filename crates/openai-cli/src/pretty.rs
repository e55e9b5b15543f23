//! `--format pretty`: a rendering for people rather than programs.
//!
//! Objects become aligned `key: value` lines, nested objects and arrays are indented,
//! strings are unquoted unless they would be ambiguous, and integer `*_at` fields
//! (Unix timestamps in this API) are followed by their UTC date.

use serde_json::{Map, Value};

use crate::color;

/// Renders `value`; keys are coloured when `colour` is set. No trailing newline.
pub fn render(value: &Value, colour: bool) -> String {
    let mut lines = Vec::new();
    match value {
        Value::Object(map) if !map.is_empty() => object(&mut lines, map, 0, colour),
        Value::Array(items) if !items.is_empty() => array(&mut lines, items, 0, colour),
        scalar => lines.push(inline(scalar, None)),
    }
    lines.join("\n")
}

fn object(lines: &mut Vec<String>, map: &Map<String, Value>, depth: usize, colour: bool) {
    let width = map
        .keys()
        .map(|k| key(k).chars().count())
        .max()
        .unwrap_or(0);
    let pad = " ".repeat(depth * 2);
    for (k, v) in map {
        let shown = key(k);
        let name = if colour {
            color::key(&shown)
        } else {
            shown.clone()
        };
        match v {
            Value::Object(inner) if !inner.is_empty() => {
                lines.push(format!("{pad}{name}:"));
                object(lines, inner, depth + 1, colour);
            }
            Value::Array(items) if !items.is_empty() => {
                lines.push(format!("{pad}{name}:"));
                array(lines, items, depth + 1, colour);
            }
            Value::String(s) if s.contains('\n') && !has_control(s, true) => {
                lines.push(format!("{pad}{name}: |"));
                for line in s.lines() {
                    lines.push(format!("{pad}  {line}"));
                }
            }
            scalar => {
                let gap = " ".repeat(width - shown.chars().count());
                lines.push(format!("{pad}{name}:{gap} {}", inline(scalar, Some(k))));
            }
        }
    }
}

fn array(lines: &mut Vec<String>, items: &[Value], depth: usize, colour: bool) {
    let pad = " ".repeat(depth * 2);
    for item in items {
        match item {
            Value::Object(map) if !map.is_empty() => {
                // Rendered one level deeper, then its first line takes the "- " marker.
                let start = lines.len();
                object(lines, map, depth + 1, colour);
                mark_item(&mut lines[start], &pad);
            }
            Value::Array(inner) if !inner.is_empty() => {
                lines.push(format!("{pad}-"));
                array(lines, inner, depth + 1, colour);
            }
            scalar => lines.push(format!("{pad}- {}", inline(scalar, None))),
        }
    }
}

fn mark_item(line: &mut String, pad: &str) {
    let rest = line.split_off(pad.len() + 2);
    *line = format!("{pad}- {rest}");
}

/// A key as shown: quoted like a JSON string when it holds control characters (a server
/// chose it).
fn key(k: &str) -> String {
    if has_control(k, false) {
        color::quote(k)
    } else {
        k.to_owned()
    }
}

/// A scalar (or an empty container) on one line.
fn inline(value: &Value, key: Option<&str>) -> String {
    match value {
        Value::String(s) if s.is_empty() || s.trim() != s || has_control(s, false) => {
            color::quote(s)
        }
        Value::String(s) => s.clone(),
        Value::Number(n) => match (key, n.as_i64()) {
            (Some(k), Some(secs)) if k.ends_with("_at") => match utc(secs) {
                Some(date) => format!("{n} ({date})"),
                None => n.to_string(),
            },
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// Control characters would let a server rewrite the user's terminal, and bidi controls
/// reorder what it shows ([`openai_runtime::text::is_unsafe`]); such strings are quoted.
fn has_control(s: &str, allow_newline: bool) -> bool {
    s.chars()
        .any(|c| openai_runtime::text::is_unsafe(c) && !(allow_newline && c == '\n'))
}

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds in years 1970..=9999.
fn utc(secs: i64) -> Option<String> {
    if !(0..=253_402_300_799).contains(&secs) {
        return None;
    }
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (rem / 3600, rem % 3600 / 60, rem % 60);
    Some(format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z"))
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dates() {
        assert_eq!(utc(0).unwrap(), "1970-01-01T00:00:00Z");
        assert_eq!(utc(1_719_184_911).unwrap(), "2024-06-23T23:21:51Z");
        assert_eq!(utc(951_782_400).unwrap(), "2000-02-29T00:00:00Z");
        assert_eq!(utc(253_402_300_799).unwrap(), "9999-12-31T23:59:59Z");
        assert_eq!(utc(-1), None);
        assert_eq!(utc(253_402_300_800), None);
    }

    #[test]
    fn nested_objects_and_arrays() {
        let value = json!({
            "id": "upload_1",
            "created_at": 0,
            "size_at": "not a number",
            "tags": ["a", "", " padded "],
            "parts": [{"id": "p1", "n": 1}, {"id": "p2", "n": 2}],
            "matrix": [[1, 2], []],
            "empty": {},
            "none": null,
            "note": "line one\nline two",
            "evil": "\u{1b}[2J",
            "file": {"id": "file_1", "ok": true}
        });
        let expected = "\
id:         upload_1
created_at: 0 (1970-01-01T00:00:00Z)
size_at:    not a number
tags:
  - a
  - \"\"
  - \" padded \"
parts:
  - id: p1
    n:  1
  - id: p2
    n:  2
matrix:
  -
    - 1
    - 2
  - []
empty:      {}
none:       null
note: |
  line one
  line two
evil:       \"\\u001b[2J\"
file:
  id: file_1
  ok: true";
        assert_eq!(render(&value, false), expected);
    }

    #[test]
    fn keys_with_control_characters_are_quoted() {
        let out = render(&json!({"a\u{1b}]0;x\u{7}": 1, "b": 2}), false);
        assert_eq!(out, "\"a\\u001b]0;x\\u0007\": 1\nb:                   2");
    }

    #[test]
    fn strings_with_bidi_controls_are_quoted_and_escaped() {
        let out = render(
            &json!({"name": "invoice\u{202e}fdp.exe", "k\u{2067}": "two\nlines\u{200f}"}),
            false,
        );
        assert!(!out.contains(['\u{202e}', '\u{2067}', '\u{200f}']), "{out}");
        assert!(out.contains(r#""invoice\u202efdp.exe""#), "{out}");
        assert!(out.contains(r#""two\nlines\u200f""#), "{out}");
    }

    #[test]
    fn scalars_and_empty_containers() {
        assert_eq!(render(&json!("cancelled"), false), "cancelled");
        assert_eq!(render(&json!(3), false), "3");
        assert_eq!(render(&json!(null), false), "null");
        assert_eq!(render(&json!({}), false), "{}");
        assert_eq!(render(&json!([]), false), "[]");
    }

    #[test]
    fn colour_keeps_alignment() {
        let out = render(&json!({"a": 1, "bbb": 2}), true);
        assert_eq!(color::strip(&out), "a:   1\nbbb: 2");
        assert!(out.contains("\x1b[1;34ma\x1b[0m"));
    }
}

//! Indented JSON with ANSI colours, laid out exactly like `serde_json::to_string_pretty`.

use serde_json::Value;

const KEY: &str = "\x1b[1;34m";
const STRING: &str = "\x1b[32m";
const NUMBER: &str = "\x1b[36m";
const BOOL: &str = "\x1b[33m";
const NULL: &str = "\x1b[90m";
const RESET: &str = "\x1b[0m";

/// Whether to colour output going to a stream: `NO_COLOR` (non-empty) wins, then
/// `CLICOLOR_FORCE` (non-empty, not `0`), then "is it a terminal, and not TERM=dumb".
pub fn enabled(is_terminal: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("NO_COLOR") {
        return false;
    }
    if set("CLICOLOR_FORCE") && std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
        return true;
    }
    is_terminal && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

/// Wraps `text` in the key colour.
pub fn key(text: &str) -> String {
    format!("{KEY}{text}{RESET}")
}

/// Coloured, indented JSON without a trailing newline.
pub fn json(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0);
    out
}

fn write_value(out: &mut String, value: &Value, depth: usize) {
    match value {
        Value::Null => paint(out, NULL, "null"),
        Value::Bool(b) => paint(out, BOOL, if *b { "true" } else { "false" }),
        Value::Number(n) => paint(out, NUMBER, &n.to_string()),
        Value::String(s) => paint(out, STRING, &quote(s)),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                write_value(out, item, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                paint(out, KEY, &quote(k));
                out.push_str(": ");
                write_value(out, v, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push('}');
        }
    }
}

fn paint(out: &mut String, colour: &str, text: &str) {
    out.push_str(colour);
    out.push_str(text);
    out.push_str(RESET);
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// A JSON string literal, escaped as serde_json does, and with the rest of what must not
/// reach a terminal ([`openai_runtime::text::is_unsafe`]) as JSON escapes too.
pub fn quote(s: &str) -> String {
    json_safe(&serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\"")))
}

/// JSON text with every character unsafe on a terminal, other than a newline between
/// tokens, written as a `\uXXXX` escape. serde_json escapes only C0 controls, so what is
/// left (DEL, C1 and bidi controls) can only be inside strings, where the escape means
/// the same character: the JSON is unchanged.
pub fn json_safe(json: &str) -> String {
    use std::fmt::Write as _;
    if !json
        .chars()
        .any(|c| c != '\n' && openai_runtime::text::is_unsafe(c))
    {
        return json.to_owned();
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c != '\n' && openai_runtime::text::is_unsafe(c) {
            // All of them are in the Basic Multilingual Plane.
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
pub(crate) fn strip(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn layout_matches_serde_pretty() {
        let values = [
            json!({"id": "x", "n": 1.5, "ok": true, "no": false, "none": null,
                   "list": [1, "two", {"three": []}], "empty": {}, "arr": [],
                   "esc": "a\"b\\c\n\u{1b}[31m", "é": "ü"}),
            json!([]),
            json!("just a string"),
            json!(42),
            json!([[], [{}], {"a": {"b": {"c": [null]}}}]),
        ];
        for v in values {
            let coloured = json(&v);
            assert!(coloured.contains('\x1b') || !v.is_string());
            assert_eq!(strip(&coloured), serde_json::to_string_pretty(&v).unwrap());
        }
    }

    #[test]
    fn escapes_control_characters() {
        let coloured = json(&json!({"k": "\u{1b}]0;pwned\u{7}"}));
        let stripped = strip(&coloured);
        assert!(stripped.contains(r"\u001b]0;pwned\u0007"), "{stripped}");
    }

    #[test]
    fn escapes_bidi_and_c1_controls_as_json_does() {
        let value = json!({"name\u{202e}": "txt.\u{202e}exe \u{2066}\u{9b}2J"});
        let stripped = strip(&json(&value));
        assert!(
            !stripped.contains(['\u{202e}', '\u{2066}', '\u{9b}']),
            "{stripped}"
        );
        assert!(
            stripped.contains(r"txt.\u202eexe \u2066\u009b2J"),
            "{stripped}"
        );
        // The escapes are JSON: the text is the same value again.
        let back: Value = serde_json::from_str(&stripped).unwrap();
        assert_eq!(back, value);
        assert_eq!(json_safe("{\n  \"a\": 1\n}"), "{\n  \"a\": 1\n}");
    }

    #[test]
    fn colours_each_kind() {
        let coloured = json(&json!({"k": "v", "n": 1, "b": true, "z": null}));
        assert!(coloured.contains("\x1b[1;34m\"k\"\x1b[0m: \x1b[32m\"v\"\x1b[0m"));
        assert!(coloured.contains("\x1b[36m1\x1b[0m"));
        assert!(coloured.contains("\x1b[33mtrue\x1b[0m"));
        assert!(coloured.contains("\x1b[90mnull\x1b[0m"));
    }
}

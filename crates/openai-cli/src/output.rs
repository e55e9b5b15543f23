//! Turning a reply body into the text printed for `--format`, `--transform` and `-r`.

use std::io::IsTerminal;
use std::process::ExitCode;

use openai_uploads::Error;
use serde_json::Value;

use crate::color;
use crate::exit::{FAILURE, USAGE, fail, print_stdout, print_stdout_bytes, write};
use crate::options::{Format, Global};
use crate::pretty;

/// A reply body, or the part of it a `--transform` path selected.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    /// The text as the server sent it (or as GJSON cut it out), for `--format raw`.
    pub raw: String,
    /// The parsed JSON, with key order kept; `None` when `raw` is not JSON.
    pub json: Option<Value>,
    /// The bytes as received when they are not UTF-8 (`raw` then has U+FFFD in their place),
    /// so that a pipe gets them unchanged.
    pub received: Option<Vec<u8>>,
}

impl Doc {
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let raw = String::from_utf8_lossy(bytes).into_owned();
        let json = serde_json::from_str(&raw).ok();
        let received = (raw.as_bytes() != bytes).then(|| bytes.to_vec());
        Self {
            raw,
            json,
            received,
        }
    }

    /// A body that is not JSON, with control characters other than newline
    /// and tab escaped, so a server cannot drive the terminal through it.
    pub fn printable(self) -> Self {
        if self.json.is_some() {
            return self;
        }
        let raw = escape(&self.raw, true);
        Self {
            raw,
            json: None,
            received: None,
        }
    }

    /// Applies a GJSON path; `None` when the path matches nothing (or the body is not JSON).
    pub fn transform(&self, path: &str) -> Option<Self> {
        self.json.as_ref()?;
        let found = gjson::get(&self.raw, path);
        if !found.exists() {
            return None;
        }
        let raw = found.json().to_owned();
        let json = serde_json::from_str(&raw).ok();
        Some(Self {
            raw,
            json,
            received: None,
        })
    }
}

/// How to print.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub format: Format,
    /// `-r`: a string result is printed without quotes.
    pub raw_output: bool,
    /// Whether the target stream gets colours (see [`color::enabled`]).
    pub colour: bool,
    /// Whether the target stream is a terminal: text printed as it came (`raw`, `-r`, a body
    /// that is not JSON) then has its control characters escaped.
    pub terminal: bool,
}

/// `text` with what a server could use to drive the terminal escaped (see
/// [`openai_runtime::text::printable`]). `keep_lines` keeps newline and tab (for a
/// multi-line body); without it the result is one line.
pub fn escape(text: &str, keep_lines: bool) -> String {
    openai_runtime::text::printable(text, keep_lines)
}

/// The text to print, always ending in a newline.
pub fn render(doc: &Doc, style: Style) -> String {
    // JSON escapes only C0 controls: on a terminal, the rest of what is unsafe there
    // (C1 controls, bidi controls, all inside strings) as JSON escapes too.
    let on_terminal = |text: String| {
        if style.terminal {
            color::json_safe(&text)
        } else {
            text
        }
    };
    let as_received = |text: &str| {
        if style.terminal {
            escape(text, true)
        } else {
            text.to_owned()
        }
    };
    let mut text = match &doc.json {
        Some(Value::String(s)) if style.raw_output => as_received(s),
        Some(value) => match style.format {
            Format::Raw => as_received(&doc.raw),
            // There is no interactive viewer: `explore` is `auto`.
            Format::Auto | Format::Explore if style.colour => color::json(value),
            Format::Auto | Format::Explore | Format::Json => on_terminal(pretty_json(value)),
            Format::Jsonl => on_terminal(value.to_string()),
            Format::Pretty => pretty::render(value, style.colour),
            Format::Yaml if style.terminal => escape(&yaml(value), true),
            Format::Yaml => yaml(value),
        },
        // Not JSON (an HTML error page from a proxy, say): shown as received in every format.
        None => as_received(&doc.raw),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

fn pretty_json(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

fn yaml(value: &Value) -> String {
    serde_yaml::to_string(value).unwrap_or_else(|_| pretty_json(value))
}

pub fn print_result(global: &Global, body: &Doc) -> ExitCode {
    if body.json.is_none() {
        return print_not_json(global, body);
    }
    let doc = match &global.transform {
        None => body.clone(),
        Some(path) => match body.transform(path) {
            Some(doc) => doc,
            None => {
                return fail(
                    FAILURE,
                    &format!("--transform path `{path}` matched nothing in the result"),
                );
            }
        },
    };
    let terminal = std::io::stdout().is_terminal();
    explore_warning(global.format, terminal);
    let style = Style {
        format: global.format,
        raw_output: global.raw_output,
        colour: color::enabled(terminal),
        terminal,
    };
    match print_stdout(&render(&doc, style)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

/// A successful reply that is not JSON (cut short, an HTML page from a proxy, bytes that are
/// not text): printed as received, since the call succeeded, with a warning on stderr, so
/// that a script that expected JSON learns why it got none. A terminal gets it escaped.
fn print_not_json(global: &Global, body: &Doc) -> ExitCode {
    if let Some(path) = &global.transform {
        return fail(
            FAILURE,
            &format!("--transform path `{path}` matched nothing in the result: it is not JSON"),
        );
    }
    let size = body.received.as_ref().map_or(body.raw.len(), Vec::len);
    let _ = write(
        &mut std::io::stderr().lock(),
        &format!(
            "Warning: the server's reply ({size} bytes) is not JSON; it is printed as received\n"
        ),
    );
    let terminal = std::io::stdout().is_terminal();
    let printed = match (&body.received, terminal) {
        (Some(bytes), false) => {
            let mut bytes = bytes.clone();
            if bytes.last() != Some(&b'\n') {
                bytes.push(b'\n');
            }
            print_stdout_bytes(&bytes)
        }
        _ => {
            let style = Style {
                format: global.format,
                raw_output: global.raw_output,
                colour: false,
                terminal,
            };
            print_stdout(&render(body, style))
        }
    };
    match printed {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

/// The official CLI's warning when `explore` cannot be shown (its text, for scripts that
/// look for it).
fn explore_warning(format: Format, terminal: bool) {
    if format == Format::Explore && !terminal {
        let _ = write(
            &mut std::io::stderr().lock(),
            "Warning: Output format 'explore' not supported for non-terminal output; falling back to 'json'\n",
        );
    }
}

/// Prints an error to stderr (stdout stays empty) and returns its exit status.
pub fn print_error(global: &Global, err: &Error) -> ExitCode {
    let (code, text) = error_text(global, err);
    let _ = write(&mut std::io::stderr().lock(), &text);
    ExitCode::from(code)
}

/// The exit status for an error and the text to print for it on stderr: `Error: ...`, then,
/// for an API error, the error object in `--format-error` with `--transform-error`.
pub fn error_text(global: &Global, err: &Error) -> (u8, String) {
    let code = match err {
        Error::InvalidArgument { .. } | Error::Config { .. } => USAGE,
        _ => FAILURE,
    };
    let mut text = format!("Error: {}\n", summary(err, global));
    let Error::Api { raw, .. } = err else {
        return (code, text);
    };
    let body = Doc::from_bytes(raw.as_bytes()).printable();
    let doc = match &global.transform_error {
        None => Some(body),
        Some(path) => {
            let found = body.transform(path);
            if found.is_none() {
                text.push_str(&format!(
                    "Error: --transform-error path `{path}` matched nothing in the error object\n"
                ));
            }
            found
        }
    };
    if let Some(doc) = doc.filter(|d| !d.raw.trim().is_empty()) {
        let terminal = std::io::stderr().is_terminal();
        explore_warning(global.format_error, terminal);
        let style = Style {
            format: global.format_error,
            raw_output: global.raw_output,
            colour: color::enabled(terminal),
            terminal,
        };
        text.push_str(&render(&doc, style));
    }
    (code, text)
}

/// [`summary_for`] with the base URL the client uses, on one line and with control
/// characters escaped: the server chose part of it (an error message, an id).
pub fn summary(err: &Error, global: &Global) -> String {
    escape(&summary_for(err, global.base_url()), false)
}

/// One line naming the request and, for network failures, the host.
fn summary_for(err: &Error, base_url: &str) -> String {
    let request = match (err.method(), err.path()) {
        (Some(method), Some(path)) => format!("{method} {path}: "),
        _ => String::new(),
    };
    match err {
        // Which of the two timeouts fired: this one, or `ConnectTimeout`.
        Error::Timeout { timeout, .. } => format!(
            "{request}no complete reply from {} within {timeout:?} (--timeout)",
            host(base_url)
        ),
        // `Api` reads `404 Not Found: No such upload (request id req_123)`;
        // `Connection` reads `could not connect to host:port: ...`.
        _ => format!("{request}{err}"),
    }
}

/// `host[:port]` of a URL, without any `user:password@`.
fn host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    authority.rsplit('@').next().unwrap_or(authority)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_of_url() {
        assert_eq!(host("https://api.openai.com/v1"), "api.openai.com");
        assert_eq!(host("http://127.0.0.1:8080/v1?x#y"), "127.0.0.1:8080");
        assert_eq!(host("http://user:secret@proxy:3128/v1"), "proxy:3128");
        assert_eq!(host("https://[::1]:443"), "[::1]:443");
    }

    #[test]
    fn non_json_bodies_lose_their_terminal_escapes() {
        let doc = Doc::from_bytes(b"<h1>Bad\x1b[2J gateway</h1>\n\tend\x07").printable();
        assert_eq!(doc.raw, "<h1>Bad\\u{1b}[2J gateway</h1>\n\tend\\u{7}");
        let json = Doc::from_bytes(b"{\"a\": \"\\u001b\"}");
        assert_eq!(json.clone().printable(), json);
    }

    const SEED: &str = r#"{"id":"upload_1","bytes":5,"object":"upload","status":"cancelled","zeta":1,"alpha":{"b":[1,2]},"file":null}"#;

    fn style(format: Format) -> Style {
        Style {
            format,
            raw_output: false,
            colour: false,
            terminal: false,
        }
    }

    #[test]
    fn text_as_received_is_escaped_on_a_terminal_only() {
        let doc = Doc::from_bytes(b"\"\\u001b]0;x\\u0007\"");
        let raw = Style {
            raw_output: true,
            ..style(Format::Json)
        };
        assert_eq!(render(&doc, raw), "\u{1b}]0;x\u{7}\n");
        let on_terminal = Style {
            terminal: true,
            ..raw
        };
        assert_eq!(render(&doc, on_terminal), "\\u{1b}]0;x\\u{7}\n");
        let html = Doc::from_bytes(b"<p>\x1b[2J\r\n</p>");
        let shown = render(
            &html,
            Style {
                terminal: true,
                ..style(Format::Raw)
            },
        );
        assert_eq!(shown, "<p>\\u{1b}[2J\\r\n</p>\n");
    }

    #[test]
    fn bidi_controls_reach_a_terminal_in_no_format() {
        let body = "{\"name\":\"invoice\u{202e}fdp.exe\",\"c1\":\"\u{9b}2J\"}";
        let doc = Doc::from_bytes(body.as_bytes());
        for format in [
            Format::Json,
            Format::Jsonl,
            Format::Raw,
            Format::Yaml,
            Format::Pretty,
        ] {
            let on_terminal = Style {
                terminal: true,
                ..style(format)
            };
            let shown = render(&doc, on_terminal);
            assert!(
                !shown.contains(['\u{202e}', '\u{9b}']),
                "{format:?}: {shown}"
            );
        }
        // JSON formats stay JSON that means the same.
        let shown = render(
            &doc,
            Style {
                terminal: true,
                ..style(Format::Jsonl)
            },
        );
        assert_eq!(
            serde_json::from_str::<Value>(&shown).unwrap(),
            serde_json::from_str::<Value>(body).unwrap()
        );
        // Not on a terminal: the bytes as received.
        assert_eq!(render(&doc, style(Format::Raw)), format!("{body}\n"));
        let text = Doc::from_bytes("a\u{202e}b".as_bytes()).printable();
        assert_eq!(text.raw, "a\\u{202e}b");
    }

    #[test]
    fn explore_is_json() {
        let doc = Doc::from_bytes(br#"{"a":1}"#);
        assert_eq!(
            render(&doc, style(Format::Explore)),
            render(&doc, style(Format::Json))
        );
    }

    #[test]
    fn escape_keeps_lines_only_when_asked() {
        assert_eq!(escape("a\nb\tc\x1b", true), "a\nb\tc\\u{1b}");
        assert_eq!(escape("a\nb\r", false), "a\\nb\\r");
        assert_eq!(escape("abc.\u{202e}txt", false), "abc.\\u{202e}txt");
        assert_eq!(escape("plain é", false), "plain é");
    }

    #[test]
    fn keeps_key_order_and_unknown_fields() {
        let doc = Doc::from_bytes(SEED.as_bytes());
        assert_eq!(render(&doc, style(Format::Jsonl)), format!("{SEED}\n"));
    }

    #[test]
    fn json_and_auto_without_colour_are_indented() {
        let doc = Doc::from_bytes(br#"{"a":{"b":[1]}}"#);
        let expected = "{\n  \"a\": {\n    \"b\": [\n      1\n    ]\n  }\n}\n";
        assert_eq!(render(&doc, style(Format::Json)), expected);
        assert_eq!(render(&doc, style(Format::Auto)), expected);
    }

    #[test]
    fn auto_with_colour_is_coloured_json() {
        let doc = Doc::from_bytes(br#"{"a":"b"}"#);
        let out = render(
            &doc,
            Style {
                colour: true,
                ..style(Format::Auto)
            },
        );
        assert!(out.contains("\x1b["));
        assert_eq!(color::strip(&out), "{\n  \"a\": \"b\"\n}\n");
    }

    #[test]
    fn raw_is_the_body_as_received_with_one_newline() {
        let body = "{ \"a\" :1 }";
        let doc = Doc::from_bytes(body.as_bytes());
        assert_eq!(render(&doc, style(Format::Raw)), "{ \"a\" :1 }\n");
        let doc = Doc::from_bytes(b"{\"a\":1}\n");
        assert_eq!(render(&doc, style(Format::Raw)), "{\"a\":1}\n");
    }

    #[test]
    fn yaml_keeps_order() {
        let doc = Doc::from_bytes(br#"{"z":1,"a":"x","n":{"k":null}}"#);
        assert_eq!(
            render(&doc, style(Format::Yaml)),
            "z: 1\na: x\nn:\n  k: null\n"
        );
    }

    #[test]
    fn transform_selects_and_reports_missing_paths() {
        let doc = Doc::from_bytes(SEED.as_bytes());
        let status = doc.transform("status").unwrap();
        assert_eq!(render(&status, style(Format::Json)), "\"cancelled\"\n");
        let raw = Style {
            raw_output: true,
            ..style(Format::Json)
        };
        assert_eq!(render(&status, raw), "cancelled\n");
        let nested = doc.transform("alpha.b.1").unwrap();
        assert_eq!(render(&nested, style(Format::Jsonl)), "2\n");
        let null = doc.transform("file").unwrap();
        assert_eq!(render(&null, style(Format::Json)), "null\n");
        assert_eq!(doc.transform("nope"), None);
        assert_eq!(doc.transform("alpha.c"), None);
    }

    #[test]
    fn raw_output_leaves_non_strings_alone() {
        let doc = Doc::from_bytes(SEED.as_bytes()).transform("bytes").unwrap();
        let raw = Style {
            raw_output: true,
            ..style(Format::Json)
        };
        assert_eq!(render(&doc, raw), "5\n");
    }

    #[test]
    fn non_json_is_printed_as_is_and_never_transformed() {
        let doc = Doc::from_bytes(b"<html>502 Bad Gateway</html>");
        assert_eq!(doc.json, None);
        for format in [Format::Auto, Format::Json, Format::Yaml, Format::Pretty] {
            assert_eq!(
                render(&doc, style(format)),
                "<html>502 Bad Gateway</html>\n"
            );
        }
        assert_eq!(doc.transform("error"), None);
    }
}

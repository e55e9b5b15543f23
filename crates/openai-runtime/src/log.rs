//! `debug(true)`: every request and reply on stderr, secrets redacted.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};

use crate::text::printable;

const PREFIX: &str = "[openai-uploads]";
/// Bodies are shown up to this many bytes.
const MAX_BODY: usize = 4096;

pub(super) fn request(
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    body: Option<&[u8]>,
    attempt: u32,
    attempts: u32,
) {
    let mut out = format!("{PREFIX} --> {method} {url} (attempt {attempt} of {attempts})\n");
    write_headers(&mut out, headers);
    write_body(&mut out, body.unwrap_or_default());
    emit(&out);
}

/// A reply; `body` is `None` when it is streamed to the caller, unread.
pub(super) fn response(
    status: StatusCode,
    headers: &HeaderMap,
    body: Option<&[u8]>,
    elapsed: Duration,
) {
    let mut out = format!("{PREFIX} <-- {status} after {elapsed:.1?}\n");
    write_headers(&mut out, headers);
    match body {
        Some(body) => write_body(&mut out, body),
        None => {
            let _ = writeln!(out, "{PREFIX}     (body streamed to the caller)");
        }
    }
    emit(&out);
}

pub(super) fn failure(error: &super::Error, elapsed: Duration) {
    emit(&format!(
        "{PREFIX} <-- failed after {elapsed:.1?}: {error}\n"
    ));
}

pub(super) fn retry(wait: Duration) {
    emit(&format!("{PREFIX} retrying in {wait:.3?}\n"));
}

fn write_headers(out: &mut String, headers: &HeaderMap) {
    for (name, value) in headers {
        let _ = writeln!(out, "{PREFIX}     {name}: {}", shown_value(name, value));
    }
}

/// Header values as shown: credentials are replaced, never printed.
fn shown_value(name: &HeaderName, value: &HeaderValue) -> String {
    let secret = value.is_sensitive()
        || matches!(
            name.as_str(),
            "authorization"
                | "proxy-authorization"
                | "cookie"
                | "set-cookie"
                | "api-key"
                | "x-api-key"
        );
    if !secret {
        return printable(&String::from_utf8_lossy(value.as_bytes()), true);
    }
    let bytes = value.as_bytes();
    if bytes.len() >= 7 && bytes[..7].eq_ignore_ascii_case(b"bearer ") {
        "Bearer <REDACTED>".to_owned()
    } else {
        "<REDACTED>".to_owned()
    }
}

fn write_body(out: &mut String, body: &[u8]) {
    if body.is_empty() {
        let _ = writeln!(out, "{PREFIX}     (no body)");
        return;
    }
    let shown = super::error::snippet(body, MAX_BODY);
    for line in shown.lines() {
        let _ = writeln!(out, "{PREFIX}     {}", printable(line, true));
    }
    if shown.len() < body.len() {
        let more = body.len() - shown.len();
        let _ = writeln!(out, "{PREFIX}     ... ({more} more bytes)");
    }
}

fn emit(text: &str) {
    // A closed stderr must not turn into a panic, so no eprint!.
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_redacted() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer sk-secret".parse().unwrap());
        headers.insert("x-api-key", "sk-secret".parse().unwrap());
        headers.insert("accept", "application/json".parse().unwrap());
        let mut out = String::new();
        write_headers(&mut out, &headers);
        assert!(!out.contains("sk-secret"), "{out}");
        assert!(out.contains("authorization: Bearer <REDACTED>"), "{out}");
        assert!(out.contains("x-api-key: <REDACTED>"), "{out}");
        assert!(out.contains("accept: application/json"), "{out}");
    }

    #[test]
    fn bodies_are_bounded_and_escaped() {
        let mut out = String::new();
        write_body(&mut out, &[b'x'; MAX_BODY + 10]);
        assert!(out.ends_with("... (10 more bytes)\n"), "{out}");
        let mut out = String::new();
        write_body(&mut out, b"{\"a\":\n\"\x1b[2J\"}");
        assert!(!out.contains('\x1b'), "{out}");
        assert!(out.contains(r#""\u{1b}[2J"}"#), "{out}");
        assert_eq!(out.lines().count(), 2, "{out}");
        let mut out = String::new();
        write_body(&mut out, "{\"message\":\"txt.\u{202e}exe\"}".as_bytes());
        assert!(!out.contains('\u{202e}'), "{out}");
        assert!(out.contains(r"txt.\u{202e}exe"), "{out}");
    }
}

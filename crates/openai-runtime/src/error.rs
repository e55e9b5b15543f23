//! The one error type of the crate.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::{Deserialize, Deserializer, Serialize};

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when calling the API.
///
/// `Display` is always a single line. Neither `Display` nor `Debug` ever
/// contains the API key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server replied with a non-2xx status (after any retries).
    #[error("{}", ApiLine { status: *status, body: body.as_deref(), raw, request_id: request_id.as_deref() })]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// The `x-request-id` header, to quote in support requests.
        request_id: Option<String>,
        /// The request's method, e.g. `POST`.
        method: Method,
        /// The request's path relative to the base URL, as sent,
        /// e.g. `/uploads/upload_x/cancel`.
        path: String,
        /// The OpenAI error object, when the body holds one
        /// (boxed to keep `Error` small).
        body: Option<Box<ApiErrorBody>>,
        /// The raw body, kept even when it is not JSON (a proxy's HTML page).
        raw: String,
    },
    /// No complete reply arrived within the per-attempt timeout
    /// ([`ClientBuilder::timeout`](crate::ClientBuilder::timeout)).
    #[error("no complete reply within {timeout:?} (the per-attempt timeout)")]
    Timeout {
        /// The request's method.
        method: Method,
        /// The request's path relative to the base URL.
        path: String,
        /// The per-attempt timeout that ran out.
        timeout: Duration,
    },
    /// The connection could not be made, or broke before the reply was read.
    #[error(
        "{}{host}{}: {message}",
        if *connect { "could not connect to " } else { "connection to " },
        if *connect { "" } else { " failed" }
    )]
    Connection {
        /// The request's method.
        method: Method,
        /// The request's path relative to the base URL.
        path: String,
        /// `host:port` of the server.
        host: String,
        /// True when no connection was made at all (refused, DNS, TLS).
        connect: bool,
        /// The innermost cause, e.g. `Connection refused (os error 111)`.
        message: String,
        /// The underlying error (without the URL).
        #[source]
        source: reqwest::Error,
    },
    /// No connection, TLS handshake included, within the connect timeout
    /// ([`ClientBuilder::connect_timeout`](crate::ClientBuilder::connect_timeout)).
    /// Nothing was sent.
    #[error(
        "could not connect to {host} within {timeout:?} (the connect timeout, TLS handshake included)"
    )]
    ConnectTimeout {
        /// The request's method.
        method: Method,
        /// The request's path relative to the base URL.
        path: String,
        /// `host:port` of the server (or of the proxy, when one is used).
        host: String,
        /// The connect timeout that ran out.
        timeout: Duration,
    },
    /// The proxy (from `HTTPS_PROXY`, `HTTP_PROXY` or `ALL_PROXY`) could not
    /// be reached, or refused to open a tunnel to the server.
    #[error("could not connect through the proxy {proxy}: {message}")]
    Proxy {
        /// The request's method.
        method: Method,
        /// The request's path relative to the base URL.
        path: String,
        /// The proxy's `host:port`, never its credentials.
        proxy: String,
        /// The innermost cause, e.g. `Connection refused (os error 111)`.
        message: String,
        /// The underlying error (without the URL).
        #[source]
        source: reqwest::Error,
    },
    /// The TLS handshake failed: an untrusted or invalid certificate, a
    /// server that does not speak TLS, a refused client certificate.
    /// Never retried: trying again cannot help.
    #[error("TLS handshake with {host} failed: {message}")]
    Tls {
        /// The request's method.
        method: Method,
        /// The request's path relative to the base URL.
        path: String,
        /// `host:port` of the server.
        host: String,
        /// What went wrong, with a hint when the cause is likely
        /// (e.g. a plain-HTTP server behind an `https://` URL).
        message: String,
        /// The underlying error (without the URL).
        #[source]
        source: reqwest::Error,
    },
    /// A redirect was refused: too many of them, or one from `https://`
    /// to `http://`. Never retried.
    #[error("{message}")]
    Redirect {
        /// The request's method.
        method: Method,
        /// The request's path relative to the base URL.
        path: String,
        /// What was refused.
        message: String,
    },
    /// A reply body was larger than the limit for its kind; reading
    /// stopped there. Never retried.
    #[error(
        "the {} reply is larger than the {} limit for {kind}; reading stopped there",
        status.as_u16(),
        Size(*limit)
    )]
    ResponseTooLarge {
        /// The request's method.
        method: Method,
        /// The request's path relative to the base URL.
        path: String,
        /// The HTTP status of the reply.
        status: StatusCode,
        /// The limit, in bytes.
        limit: u64,
        /// Which limit: `JSON replies (ClientBuilder::max_response_size)`,
        /// `error replies`, or `downloads (ClientBuilder::max_download_size)`.
        kind: &'static str,
    },
    /// A 2xx reply whose body does not decode into the expected type.
    #[error(
        "could not decode the {status} reply: {source}; body: {}{}",
        one_line(snippet, 200),
        RequestIdSuffix(request_id.as_deref())
    )]
    Decode {
        /// The serde error, with line and column.
        #[source]
        source: serde_json::Error,
        /// The start of the body (at most 512 bytes, lossy UTF-8).
        snippet: String,
        /// The whole body as received (never more than
        /// `ClientBuilder::max_response_size`), so a caller that only
        /// relays the reply, like the CLI, can still show it.
        body: bytes::Bytes,
        /// The `x-request-id` header.
        request_id: Option<String>,
        /// The HTTP status.
        status: StatusCode,
    },
    /// An argument was rejected before anything was sent.
    #[error("invalid {name}: {reason}")]
    InvalidArgument {
        /// The parameter's name, e.g. `upload_id`.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The client is misconfigured (missing API key, bad base URL, ...).
    #[error("configuration error: {0}")]
    Config(String),
    /// A file being sent could not be read, or changed while it was read.
    #[error("could not read {}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be written, or was not to be overwritten
    /// ([`download::Destination`](crate::download::Destination)).
    #[error("could not write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// One server-sent event grew past the size cap
    /// ([`sse::Options::max_event_size`](crate::sse::Options::max_event_size));
    /// the stream was abandoned there rather than buffered further.
    #[error("a server-sent event is larger than the {} limit; the stream was abandoned", Size(*limit))]
    EventTooLarge {
        /// The cap, in bytes.
        limit: u64,
    },
    /// An event stream sent nothing at all, not even a keep-alive comment,
    /// for its idle timeout
    /// ([`sse::Options::idle_timeout`](crate::sse::Options::idle_timeout)).
    #[error("the event stream sent nothing for {timeout:?} (its idle timeout)")]
    StreamIdle {
        /// The idle timeout that ran out.
        timeout: Duration,
    },
    /// An event stream reported an error: an `error` event, or an event
    /// whose JSON data holds an `error` object. The stream ends with it.
    #[error("{}", StreamLine { body: body.as_deref(), raw, request_id: request_id.as_deref() })]
    Stream {
        /// The event's type (`error`), when it had one.
        event: Option<String>,
        /// The error object found in the event's data (boxed to keep
        /// `Error` small).
        body: Option<Box<ApiErrorBody>>,
        /// The event's data as received.
        raw: String,
        /// The `x-request-id` of the reply that carried the stream.
        request_id: Option<String>,
    },
}

impl Error {
    /// The HTTP status, for `Api` and `Decode` errors.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api { status, .. } | Self::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The `x-request-id` of the reply, when there was one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Api { request_id, .. }
            | Self::Decode { request_id, .. }
            | Self::Stream { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The request's method, when a request was attempted.
    pub fn method(&self) -> Option<&Method> {
        match self {
            Self::Api { method, .. }
            | Self::Timeout { method, .. }
            | Self::Connection { method, .. }
            | Self::ConnectTimeout { method, .. }
            | Self::Proxy { method, .. }
            | Self::Tls { method, .. }
            | Self::Redirect { method, .. }
            | Self::ResponseTooLarge { method, .. } => Some(method),
            _ => None,
        }
    }

    /// The request's path relative to the base URL, when a request was attempted.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::Api { path, .. }
            | Self::Timeout { path, .. }
            | Self::Connection { path, .. }
            | Self::ConnectTimeout { path, .. }
            | Self::Proxy { path, .. }
            | Self::Tls { path, .. }
            | Self::Redirect { path, .. }
            | Self::ResponseTooLarge { path, .. } => Some(path),
            _ => None,
        }
    }

    /// Whether trying again could help: timeouts, connection and proxy
    /// errors, and 408, 409, 429 and 5xx replies. TLS and redirect errors
    /// and oversized replies never heal, so they are not retryable.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Api { status, .. } => super::retry::retryable_status(*status),
            Self::Timeout { .. }
            | Self::Connection { .. }
            | Self::ConnectTimeout { .. }
            | Self::Proxy { .. } => true,
            _ => false,
        }
    }

    /// Whether the request surely never reached the server, so that even a
    /// request that must not run twice can be sent again.
    pub(crate) fn surely_not_sent(&self) -> bool {
        matches!(
            self,
            Self::Connection { connect: true, .. }
                | Self::ConnectTimeout { .. }
                | Self::Proxy { .. }
        )
    }

    /// An [`Error::InvalidArgument`] for the parameter `name`.
    pub fn invalid_argument(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidArgument {
            name: name.into(),
            reason: reason.into(),
        }
    }
}

/// The `error` object of an OpenAI error reply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// A human-readable message.
    #[serde(default, deserialize_with = "lenient_string")]
    pub message: String,
    /// The error type, e.g. `invalid_request_error`.
    #[serde(
        rename = "type",
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub type_: Option<String>,
    /// The parameter the error is about.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub param: Option<String>,
    /// A machine-readable code, e.g. `rate_limit_exceeded`.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub code: Option<String>,
}

impl ApiErrorBody {
    /// Finds the error object in a reply body: `{"error": {...}}`,
    /// `{"error": "text"}` or a bare `{"message": ...}`.
    pub(crate) fn parse(raw: &[u8]) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_slice(raw).ok()?;
        let object = value.as_object()?;
        match object.get("error") {
            Some(serde_json::Value::String(message)) => Some(Self {
                message: message.clone(),
                ..Self::default()
            }),
            Some(error @ serde_json::Value::Object(_)) => Self::deserialize(error).ok(),
            _ if object.get("message").is_some_and(|m| m.is_string()) => {
                Self::deserialize(&value).ok()
            }
            _ => None,
        }
    }
}

/// Accepts any JSON value: strings as they are, numbers and booleans as text.
fn lenient<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Null => None,
        serde_json::Value::String(text) => Some(text),
        other => Some(other.to_string()),
    })
}

fn lenient_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    lenient(deserializer).map(Option::unwrap_or_default)
}

/// `404 Not Found: message (request id req_123)`.
struct ApiLine<'a> {
    status: StatusCode,
    body: Option<&'a ApiErrorBody>,
    raw: &'a str,
    request_id: Option<&'a str>,
}

impl fmt::Display for ApiLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.status.as_u16())?;
        if let Some(reason) = self.status.canonical_reason() {
            write!(f, " {reason}")?;
        }
        let detail = match self.body {
            Some(body) if !body.message.trim().is_empty() => one_line(&body.message, 500),
            _ => one_line(self.raw, 200),
        };
        if !detail.is_empty() {
            write!(f, ": {detail}")?;
        }
        write!(f, "{}", RequestIdSuffix(self.request_id))
    }
}

/// `the stream reported an error: message (request id req_123)`, with the
/// server's text escaped: it may hold anything.
struct StreamLine<'a> {
    body: Option<&'a ApiErrorBody>,
    raw: &'a str,
    request_id: Option<&'a str>,
}

impl fmt::Display for StreamLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (text, max) = match self.body {
            Some(body) if !body.message.trim().is_empty() => (body.message.as_str(), 500),
            _ => (self.raw, 200),
        };
        write!(f, "the stream reported an error")?;
        let text = text.trim();
        if !text.is_empty() {
            let mut escaped = crate::text::printable(text, false);
            if let Some((cut, _)) = escaped.char_indices().nth(max) {
                escaped.truncate(cut);
                escaped.push('…');
            }
            write!(f, ": {escaped}")?;
        }
        write!(f, "{}", RequestIdSuffix(self.request_id))
    }
}

/// A byte count as people write it: `64 MiB`, `1.5 GiB`, `100 bytes`.
pub(crate) struct Size(pub(crate) u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
        if self.0 < 1024 {
            return write!(f, "{} bytes", self.0);
        }
        let mut value = self.0 as f64 / 1024.0;
        let mut unit = 0;
        while value >= 1024.0 && unit + 1 < UNITS.len() {
            value /= 1024.0;
            unit += 1;
        }
        if value.fract() == 0.0 {
            write!(f, "{value} {}", UNITS[unit])
        } else {
            write!(f, "{value:.1} {}", UNITS[unit])
        }
    }
}

struct RequestIdSuffix<'a>(Option<&'a str>);

impl fmt::Display for RequestIdSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => write!(f, " (request id {})", one_line(id, 100)),
            None => Ok(()),
        }
    }
}

/// Squeezes text onto one line: control characters and runs of whitespace
/// become one space (no terminal escapes from a hostile server), and the
/// result is cut to `max` characters with a trailing `…`.
///
/// ```
/// assert_eq!(openai_runtime::one_line("a\x1b]0;title\x07 \n b", 20), "a ]0;title b");
/// ```
pub fn one_line(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max + 4));
    let mut chars = 0;
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
            continue;
        }
        if chars + usize::from(pending_space) >= max {
            out.push('…');
            return out;
        }
        if pending_space {
            out.push(' ');
            chars += 1;
            pending_space = false;
        }
        out.push(c);
        chars += 1;
    }
    out
}

/// The first `max` bytes of a body as text, cut on a character boundary.
pub(crate) fn snippet(body: &[u8], max: usize) -> String {
    // Look a few bytes past `max` so a character cut by the slice is not
    // turned into U+FFFD when the whole character would have fit.
    let head = &body[..body.len().min(max + 3)];
    let mut text = String::from_utf8_lossy(head).into_owned();
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, raw: &str, request_id: Option<&str>) -> Error {
        Error::Api {
            status: StatusCode::from_u16(status).unwrap(),
            request_id: request_id.map(str::to_owned),
            method: Method::POST,
            path: "/uploads/upload_x/cancel".into(),
            body: ApiErrorBody::parse(raw.as_bytes()).map(Box::new),
            raw: raw.into(),
        }
    }

    #[test]
    fn api_display_is_one_line() {
        let raw = r#"{"error":{"message":"No such upload: 'upload_x'","type":"invalid_request_error","param":null,"code":null}}"#;
        assert_eq!(
            api(404, raw, Some("req_123")).to_string(),
            "404 Not Found: No such upload: 'upload_x' (request id req_123)"
        );
        let html =
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\n<body>\x1b[31m</body></html>";
        assert_eq!(
            api(502, html, None).to_string(),
            "502 Bad Gateway: <html> <head><title>502 Bad Gateway</title></head> <body> [31m</body></html>"
        );
        assert_eq!(api(500, "", None).to_string(), "500 Internal Server Error");
        assert_eq!(api(599, "x", None).to_string(), "599: x");
        let long = "y".repeat(10_000);
        let line = api(503, &long, None).to_string();
        assert!(line.len() < 300, "{}", line.len());
        assert!(line.ends_with('…'));
    }

    #[test]
    fn parses_error_bodies_leniently() {
        let body =
            ApiErrorBody::parse(br#"{"error":{"message":"m","type":"t","param":"p","code":429}}"#)
                .unwrap();
        assert_eq!(body.message, "m");
        assert_eq!(body.type_.as_deref(), Some("t"));
        assert_eq!(body.param.as_deref(), Some("p"));
        assert_eq!(body.code.as_deref(), Some("429"));
        let body = ApiErrorBody::parse(br#"{"error":"plain"}"#).unwrap();
        assert_eq!(body.message, "plain");
        let body = ApiErrorBody::parse(br#"{"message":"top","code":"c"}"#).unwrap();
        assert_eq!(
            (body.message.as_str(), body.code.as_deref()),
            ("top", Some("c"))
        );
        assert_eq!(ApiErrorBody::parse(b"<html>"), None);
        assert_eq!(ApiErrorBody::parse(b"[1]"), None);
        assert_eq!(ApiErrorBody::parse(br#"{"other":1}"#), None);
    }

    #[test]
    fn one_line_collapses_and_bounds() {
        assert_eq!(one_line("  a \n\t b  ", 10), "a b");
        assert_eq!(one_line("abcdef", 3), "abc…");
        assert_eq!(one_line("ééé", 2), "éé…");
        assert_eq!(one_line("", 3), "");
    }

    #[test]
    fn snippet_cuts_on_char_boundary() {
        assert_eq!(snippet(b"abc", 512), "abc");
        assert_eq!(snippet("aé".as_bytes(), 2), "a");
        assert_eq!(snippet("aéb".as_bytes(), 3), "aé");
        assert_eq!(snippet(&[b'a', 0xff, b'b'], 512), "a\u{fffd}b");
        assert_eq!(snippet(&[b'x'; 2000], 512).len(), 512);
    }

    #[test]
    fn error_stays_small() {
        // Large errors make every `Result` expensive to move (clippy::result_large_err).
        assert!(
            std::mem::size_of::<Error>() <= 128,
            "{}",
            std::mem::size_of::<Error>()
        );
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(Size(100).to_string(), "100 bytes");
        assert_eq!(Size(64 << 20).to_string(), "64 MiB");
        assert_eq!(Size(1536 << 20).to_string(), "1.5 GiB");
        assert_eq!(Size(1 << 10).to_string(), "1 KiB");
    }

    #[test]
    fn file_errors_name_the_file() {
        let file = Error::File {
            path: "a/b.jsonl".into(),
            source: std::io::Error::other("it changed"),
        };
        assert_eq!(file.to_string(), "could not read a/b.jsonl: it changed");
    }

    #[test]
    fn retryable() {
        assert!(api(429, "", None).is_retryable());
        assert!(api(500, "", None).is_retryable());
        assert!(!api(400, "", None).is_retryable());
        assert!(!Error::Config("x".into()).is_retryable());
        assert_eq!(api(404, "", Some("r")).request_id(), Some("r"));
        assert_eq!(api(404, "", None).status(), Some(StatusCode::NOT_FOUND));
    }
    fn stream(raw: &str, request_id: Option<&str>) -> Error {
        Error::Stream {
            event: Some("error".into()),
            body: ApiErrorBody::parse(raw.as_bytes()).map(Box::new),
            raw: raw.into(),
            request_id: request_id.map(str::to_owned),
        }
    }

    #[test]
    fn errors_name_their_request() {
        let timeout = Error::Timeout {
            method: Method::GET,
            path: "/files?limit=2".into(),
            timeout: Duration::from_secs(1),
        };
        assert_eq!(timeout.method(), Some(&Method::GET));
        assert_eq!(timeout.path(), Some("/files?limit=2"));
        assert_eq!(timeout.status(), None);
        assert_eq!(timeout.request_id(), None);
        let api = api(404, "", Some("req_a"));
        assert_eq!(api.method(), Some(&Method::POST));
        assert_eq!(api.path(), Some("/uploads/upload_x/cancel"));
        let decode = Error::Decode {
            source: <serde_json::Error as serde::de::Error>::custom("bad"),
            snippet: String::new(),
            body: bytes::Bytes::new(),
            request_id: Some("req_d".into()),
            status: StatusCode::CREATED,
        };
        assert_eq!(decode.status(), Some(StatusCode::CREATED));
        assert_eq!(decode.request_id(), Some("req_d"));
        assert_eq!(decode.method(), None);
        assert_eq!(decode.path(), None);
        assert_eq!(stream("{}", Some("req_s")).request_id(), Some("req_s"));
        let config = Error::Config("x".into());
        assert_eq!((config.method(), config.path()), (None, None));
    }

    #[test]
    fn transport_errors_may_heal_and_others_not() {
        let (method, path) = (Method::GET, String::from("/x"));
        let timeout = Error::Timeout {
            method: method.clone(),
            path: path.clone(),
            timeout: Duration::from_secs(1),
        };
        let connect = Error::ConnectTimeout {
            method: method.clone(),
            path: path.clone(),
            host: "h:1".into(),
            timeout: Duration::from_secs(1),
        };
        assert!(timeout.is_retryable());
        assert!(connect.is_retryable());
        assert!(!timeout.surely_not_sent(), "the request may have gone");
        assert!(connect.surely_not_sent());
        let large = Error::ResponseTooLarge {
            method,
            path,
            status: StatusCode::OK,
            limit: 1,
            kind: "k",
        };
        assert!(!large.is_retryable());
        assert!(!large.surely_not_sent());
        assert!(!api(500, "", None).surely_not_sent());
        assert!(!stream("{}", None).is_retryable());
    }

    #[test]
    fn a_blank_message_falls_back_to_the_raw_body() {
        let raw = r#"{"error":{"message":"   ","type":"t"}}"#;
        assert_eq!(
            api(400, raw, None).to_string(),
            r#"400 Bad Request: {"error":{"message":" ","type":"t"}}"#
        );
        let body = ApiErrorBody::parse(br#"{"error":{"message":null,"code":true}}"#).unwrap();
        assert_eq!(body.message, "");
        assert_eq!(body.code.as_deref(), Some("true"));
        assert_eq!(body.type_, None);
        // A bare object whose message is not text is not an error body.
        assert_eq!(ApiErrorBody::parse(br#"{"message":3}"#), None);
    }

    #[test]
    fn stream_errors_are_escaped_and_bounded() {
        let err = stream(
            r#"{"error":{"message":"bad \u001b[2J thing"}}"#,
            Some("req_9"),
        );
        assert_eq!(
            err.to_string(),
            r"the stream reported an error: bad \u{1b}[2J thing (request id req_9)"
        );
        // Without a message, the raw data, cut at 200 characters.
        let raw = format!(r#"{{"error":{{"detail":"{}"}}}}"#, "z".repeat(300));
        let line = stream(&raw, None).to_string();
        let shown = line.strip_prefix("the stream reported an error: ").unwrap();
        assert_eq!(shown.chars().count(), 201, "{shown}");
        assert!(shown.ends_with('…'));
        // A long message is cut at 500 characters.
        let raw = format!(r#"{{"error":{{"message":"{}"}}}}"#, "m".repeat(600));
        let line = stream(&raw, None).to_string();
        let shown = line.strip_prefix("the stream reported an error: ").unwrap();
        assert_eq!(shown, format!("{}…", "m".repeat(500)));
        // Exactly at the limit: nothing cut.
        let raw = format!(r#"{{"error":{{"message":"{}"}}}}"#, "m".repeat(500));
        assert!(!stream(&raw, None).to_string().ends_with('…'));
        assert_eq!(
            stream("   ", None).to_string(),
            "the stream reported an error"
        );
    }

    #[test]
    fn sizes_at_the_unit_edges() {
        assert_eq!(Size(0).to_string(), "0 bytes");
        assert_eq!(Size(1023).to_string(), "1023 bytes");
        assert_eq!(Size(1536).to_string(), "1.5 KiB");
        assert_eq!(Size((1 << 20) - 1).to_string(), "1024.0 KiB");
        assert_eq!(Size(1 << 20).to_string(), "1 MiB");
        assert_eq!(Size(1 << 30).to_string(), "1 GiB");
        assert_eq!(Size(1 << 40).to_string(), "1 TiB");
        // TiB is the largest unit.
        assert_eq!(Size(1 << 50).to_string(), "1024 TiB");
    }

    #[test]
    fn one_line_counts_the_space_it_keeps() {
        assert_eq!(one_line("ab cd", 5), "ab cd");
        assert_eq!(one_line("ab cd", 4), "ab c…");
        assert_eq!(one_line("ab cd", 3), "ab…");
        assert_eq!(one_line("ab\n\ncd", 10), "ab cd");
        assert_eq!(one_line("\x1b[31m", 10), "[31m");
        assert_eq!(one_line("abc", 3), "abc");
        assert_eq!(one_line("abcd", 0), "…");
    }

    #[test]
    fn snippet_at_its_bounds() {
        assert_eq!(snippet(b"abcd", 4), "abcd");
        assert_eq!(snippet(b"abcd", 3), "abc");
        assert_eq!(snippet("éé".as_bytes(), 3), "é");
        assert_eq!(snippet("abé".as_bytes(), 3), "ab");
        assert_eq!(snippet(b"", 3), "");
    }
}

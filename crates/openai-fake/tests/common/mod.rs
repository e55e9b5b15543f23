//! A tiny blocking HTTP/1.1 client for the tests.
//!
//! Plain sockets on purpose: they show exactly which bytes came back (or
//! that none did), and a test client should not need TLS anyway. The
//! `client` module is a reqwest client, to see faults as a real HTTP
//! client does.

// Each test binary uses a different subset.
#![allow(dead_code)]

pub mod client;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request with `Connection: close` and reads the whole reply,
/// whose body must be JSON.
pub fn send(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    send_body(addr, method, path, headers, b"")
}

/// [`send`] with a body (and its `Content-Length`).
pub fn send_body(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut stream = connect(addr);
    stream
        .write_all(&head(addr, method, path, headers, Some(body.len())))
        .expect("write");
    stream.write_all(body).expect("write body");
    read_reply(stream)
}

/// Sends only a request head, declaring `Content-Length: declared`, and
/// reads the reply the server gives without waiting for the body.
pub fn send_head_only(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    declared: usize,
) -> Reply {
    let mut stream = connect(addr);
    stream
        .write_all(&head(addr, "POST", path, headers, Some(declared)))
        .expect("write");
    read_reply(stream)
}

/// Sends one request and returns every byte that came back before the
/// connection ended (a reset counts as an end): empty when the server
/// dropped the request without a reply.
pub fn send_raw(addr: SocketAddr, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut stream = connect(addr);
    stream
        .write_all(&head(addr, "POST", path, headers, Some(body.len())))
        .expect("write");
    stream.write_all(body).expect("write body");
    let mut raw = Vec::new();
    if let Err(e) = stream.read_to_end(&mut raw) {
        assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}");
    }
    raw
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream
}

fn head(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    length: Option<usize>,
) -> Vec<u8> {
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(length) = length {
        request.push_str(&format!("Content-Length: {length}\r\n"));
    }
    request.push_str("\r\n");
    request.into_bytes()
}

fn read_reply(mut stream: TcpStream) -> Reply {
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    parse(&raw)
}

pub const BOUNDARY: &str = "fake-test-boundary-7MA4YWxkTrZu0gW";

/// One multipart field: name, filename (a file field) or `None` (text).
pub type Field<'a> = (&'a str, Option<&'a str>, &'a [u8]);

/// A `multipart/form-data` body with [`BOUNDARY`], built by hand.
pub fn multipart(fields: &[Field<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, filename, data) in fields {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let disposition = match filename {
            Some(file) => format!("form-data; name=\"{name}\"; filename=\"{file}\""),
            None => format!("form-data; name=\"{name}\""),
        };
        body.extend_from_slice(format!("Content-Disposition: {disposition}\r\n").as_bytes());
        if filename.is_some() {
            body.extend_from_slice(b"Content-Type: application/octet-stream\r\n");
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

fn parse(raw: &[u8]) -> Reply {
    let text = String::from_utf8(raw.to_vec()).expect("UTF-8 reply");
    let (head, body) = text.split_once("\r\n\r\n").expect("a header block");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line.split_once(':').expect("header");
            (name.trim().to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect();
    let reply = Reply {
        status,
        headers,
        body: Value::Null,
    };
    assert_eq!(reply.header("transfer-encoding"), None, "chunked reply");
    let length: usize = reply
        .header("content-length")
        .expect("content-length")
        .parse()
        .expect("a number");
    assert_eq!(body.len(), length, "body length");
    let body = serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    Reply { body, ..reply }
}

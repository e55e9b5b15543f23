//! Replies other than "JSON decoded as a type" (none, text, JSON with the
//! bad value's place named) and bodies read as a stream, against servers on
//! 127.0.0.1: what each returns, and the limits each reads under.

use std::time::Duration;

use futures_util::StreamExt;
use openai_runtime::{ApiResponse, ByteStream, Client, Error, Method, Request, Result};
use test_support::hostile::{Behaviour, Server, json_reply};

fn client(server: &Server) -> Client {
    Client::builder()
        .api_key("sk-test")
        .base_url(server.url("http"))
        .max_retries(0)
        .build()
        .unwrap()
}

fn get() -> Request {
    Request::new(Method::GET, "/things/t".into())
}

/// A whole HTTP reply: status line, the given headers, then `body` with its length.
fn reply(status: &str, headers: &str, body: &[u8]) -> String {
    format!(
        "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\n\r\n{}",
        body.len(),
        String::from_utf8_lossy(body)
    )
}

/// A reply whose body comes in `chunked` transfer encoding, without a
/// declared length, one HTTP chunk per piece.
fn chunked(status: &str, pieces: &[&str]) -> String {
    let mut out = format!("HTTP/1.1 {status}\r\ntransfer-encoding: chunked\r\n\r\n");
    for piece in pieces {
        out.push_str(&format!("{:x}\r\n{piece}\r\n", piece.len()));
    }
    out.push_str("0\r\n\r\n");
    out
}

/// Runs `future` with a hang guard: a test that hangs fails instead.
async fn guarded<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), future)
        .await
        .expect("finished (hang guard)")
}

async fn stream(client: &Client) -> ApiResponse<ByteStream> {
    guarded(client.execute_bytes_stream(get())).await.unwrap()
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Outer {
    inner: Inner,
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Inner {
    count: u32,
}

#[tokio::test]
async fn execute_decodes_json_and_keeps_what_came_with_it() {
    let body = r#"{"inner":{"count":7}}"#;
    let server = Server::plain(Behaviour::Reply(reply(
        "200 OK",
        "x-request-id: req_json\r\n",
        body.as_bytes(),
    )));
    let response = guarded(client(&server).execute::<Outer>(get()))
        .await
        .unwrap();
    assert_eq!(response.data.inner.count, 7);
    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(response.request_id.as_deref(), Some("req_json"));
    assert_eq!(response.body, body.as_bytes());
}

#[tokio::test]
async fn execute_names_a_bad_json_value_by_its_place() {
    let body = r#"{"inner":{"count":"many"}}"#;
    let server = Server::plain(Behaviour::Reply(reply(
        "200 OK",
        "x-request-id: req_bad\r\n",
        body.as_bytes(),
    )));
    let err = guarded(client(&server).execute::<Outer>(get()))
        .await
        .unwrap_err();
    match &err {
        Error::Decode {
            source,
            snippet,
            body: kept,
            request_id,
            status,
        } => {
            assert!(source.to_string().contains("/inner/count"), "{source}");
            assert_eq!(snippet, body);
            assert_eq!(kept, body.as_bytes());
            assert_eq!(request_id.as_deref(), Some("req_bad"));
            assert_eq!(status.as_u16(), 200);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn execute_empty_returns_the_status_and_ignores_a_body() {
    let server = Server::plain(Behaviour::Reply(reply(
        "202 Accepted",
        "x-request-id: req_empty\r\n",
        b"{\"not\":\"decoded\"",
    )));
    let response = guarded(client(&server).execute_empty(get())).await.unwrap();
    assert_eq!(response.status.as_u16(), 202);
    assert_eq!(response.request_id.as_deref(), Some("req_empty"));
    assert!(response.body.is_empty());
}

#[tokio::test]
async fn execute_empty_reads_a_short_unexpected_body_so_the_connection_is_reused() {
    // 32 KiB: well under what is drained, in more than one read.
    let body = "x".repeat(32 * 1024);
    let server = Server::plain(Behaviour::Reply(reply("200 OK", "", body.as_bytes())));
    let client = client(&server);
    for _ in 0..3 {
        guarded(client.execute_empty(get())).await.unwrap();
    }
    assert_eq!(server.requests(), 3);
    assert_eq!(server.connections(), 1, "one connection for all three");
}

#[tokio::test]
async fn execute_text_returns_the_text_and_what_came_with_it() {
    let text = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=é\r\n";
    let server = Server::plain(Behaviour::Reply(reply(
        "201 Created",
        "content-type: application/sdp\r\nx-request-id: req_text\r\n",
        text.as_bytes(),
    )));
    let response = guarded(client(&server).execute_text(get())).await.unwrap();
    assert_eq!(response.data, text);
    assert_eq!(response.body, text.as_bytes());
    assert_eq!(response.status.as_u16(), 201);
    assert_eq!(response.request_id.as_deref(), Some("req_text"));
    assert_eq!(
        response.headers.get("content-type").unwrap(),
        "application/sdp"
    );
}

#[tokio::test]
async fn execute_text_refuses_a_body_that_is_not_utf8() {
    // The declared length cuts "é" in two: the body is "a" and its first byte.
    let server = Server::plain(Behaviour::Reply(
        "HTTP/1.1 200 OK\r\nx-request-id: req_bin\r\ncontent-length: 2\r\n\r\naé".into(),
    ));
    let err = guarded(client(&server).execute_text(get()))
        .await
        .unwrap_err();
    match &err {
        Error::Decode {
            source,
            body,
            request_id,
            status,
            snippet,
        } => {
            assert!(source.to_string().contains("not UTF-8"), "{source}");
            assert_eq!(body.as_ref(), b"a\xc3");
            assert!(snippet.starts_with('a'), "{snippet:?}");
            assert_eq!(request_id.as_deref(), Some("req_bin"));
            assert_eq!(status.as_u16(), 200);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn execute_text_reads_up_to_the_response_size_limit() {
    let at_limit = "t".repeat(1000);
    let server = Server::plain(Behaviour::Reply(reply("200 OK", "", at_limit.as_bytes())));
    let exact = Client::builder()
        .api_key("sk-test")
        .base_url(server.url("http"))
        .max_response_size(1000)
        .build()
        .unwrap();
    let text = guarded(exact.execute_text(get())).await.unwrap().data;
    assert_eq!(text, at_limit);

    let smaller = Client::builder()
        .api_key("sk-test")
        .base_url(server.url("http"))
        .max_response_size(999)
        .build()
        .unwrap();
    let err = guarded(smaller.execute_text(get())).await.unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { limit: 999, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_byte_stream_gives_every_chunk_then_the_end() {
    let server = Server::plain(Behaviour::Reply(chunked("200 OK", &["abc", "defg", "h"])));
    let mut response = stream(&client(&server)).await;
    assert_eq!(response.data.content_length(), None);
    let mut got = Vec::new();
    while let Some(chunk) = guarded(response.data.chunk()).await.unwrap() {
        assert!(!chunk.is_empty());
        got.extend_from_slice(&chunk);
    }
    assert_eq!(got, b"abcdefgh");
    assert!(guarded(response.data.chunk()).await.unwrap().is_none());
}

#[tokio::test]
async fn a_byte_stream_is_a_stream_and_names_its_length() {
    let server = Server::plain(Behaviour::Reply(reply("200 OK", "", b"0123456789")));
    let response = stream(&client(&server)).await;
    assert_eq!(response.data.content_length(), Some(10));
    assert!(
        format!("{:?}", response.data).contains("Some(10)"),
        "{:?}",
        response.data
    );
    let chunks: Vec<Result<bytes::Bytes>> = guarded(StreamExt::collect(response.data)).await;
    let mut got = Vec::new();
    for chunk in chunks {
        got.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(got, b"0123456789");
}

#[tokio::test]
async fn collect_reads_up_to_its_limit_and_no_further() {
    let server = Server::plain(Behaviour::Reply(chunked("200 OK", &["abcd", "efgh", "ij"])));
    let client = client(&server);
    let whole = guarded(stream(&client).await.data.collect(10))
        .await
        .unwrap();
    assert_eq!(whole.as_ref(), b"abcdefghij");

    let err = guarded(stream(&client).await.data.collect(9))
        .await
        .unwrap_err();
    match &err {
        Error::ResponseTooLarge {
            limit,
            status,
            path,
            ..
        } => {
            assert_eq!(*limit, 9);
            assert_eq!(status.as_u16(), 200);
            assert_eq!(path, "/things/t");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_download_past_its_limit_ends_with_an_error() {
    let server = Server::plain(Behaviour::Reply(chunked("200 OK", &["abcd", "efgh"])));
    let exact = Client::builder()
        .api_key("sk-test")
        .base_url(server.url("http"))
        .max_download_size(8)
        .build()
        .unwrap();
    let whole = guarded(stream(&exact).await.data.collect(100))
        .await
        .unwrap();
    assert_eq!(whole.as_ref(), b"abcdefgh");

    let smaller = Client::builder()
        .api_key("sk-test")
        .base_url(server.url("http"))
        .max_download_size(7)
        .build()
        .unwrap();
    let mut data = stream(&smaller).await.data;
    let mut got = Vec::new();
    let err = loop {
        match guarded(data.chunk()).await {
            Ok(Some(chunk)) => got.extend_from_slice(&chunk),
            Ok(None) => panic!("ended without an error after {got:?}"),
            Err(err) => break err,
        }
    };
    assert!(got.len() <= 7, "{got:?}");
    assert!(
        matches!(err, Error::ResponseTooLarge { limit: 7, .. }),
        "{err:?}"
    );
    assert!(
        guarded(data.chunk()).await.unwrap().is_none(),
        "over after an error"
    );
}

#[tokio::test]
async fn json_replies_without_a_declared_length_are_read_up_to_the_limit() {
    let body = r#"{"inner":{"count":1}}"#;
    let (head, tail) = body.split_at(10);
    let server = Server::plain(Behaviour::Reply(chunked("200 OK", &[head, tail])));
    let exact = Client::builder()
        .api_key("sk-test")
        .base_url(server.url("http"))
        .max_response_size(body.len() as u64)
        .build()
        .unwrap();
    let response = guarded(exact.execute::<serde_json::Value>(get()))
        .await
        .unwrap();
    assert_eq!(response.data["inner"]["count"], 1);
    assert_eq!(response.body, body.as_bytes());

    let smaller = Client::builder()
        .api_key("sk-test")
        .base_url(server.url("http"))
        .max_response_size(body.len() as u64 - 1)
        .build()
        .unwrap();
    let err = guarded(smaller.execute::<serde_json::Value>(get()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ResponseTooLarge { .. }), "{err:?}");
}

#[tokio::test]
async fn a_declared_length_at_the_limit_is_read() {
    let body = r#"{"inner":{"count":2}}"#;
    let server = Server::plain(Behaviour::Reply(json_reply("200 OK", body)));
    let exact = Client::builder()
        .api_key("sk-test")
        .base_url(server.url("http"))
        .max_response_size(body.len() as u64)
        .build()
        .unwrap();
    let response = guarded(exact.execute::<serde_json::Value>(get()))
        .await
        .unwrap();
    assert_eq!(response.data["inner"]["count"], 2);
}

#[tokio::test]
async fn an_error_reply_of_some_size_is_read_whole() {
    // Error replies are read up to 1 MiB; this one is 100 KiB.
    let message = "m".repeat(100 * 1024);
    let body = format!(r#"{{"error":{{"message":"{message}","type":"server_error"}}}}"#);
    let server = Server::plain(Behaviour::Reply(json_reply(
        "500 Internal Server Error",
        &body,
    )));
    let err = guarded(client(&server).execute::<serde_json::Value>(get()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { .. }), "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
}

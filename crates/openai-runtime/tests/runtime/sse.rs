//! Server-sent event streams against servers on 127.0.0.1: a small TCP
//! server that writes a scripted reply piece by piece (to split events
//! anywhere, stall, or never finish), and wiremock for whole replies.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use openai_runtime::sse::{Event, EventStream, Options};
use openai_runtime::{Client, Error, Method, Request};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// One step of a scripted reply body.
#[derive(Clone)]
enum Step {
    /// Written and flushed on its own.
    Send(Vec<u8>),
    /// Every byte written and flushed on its own.
    Trickle(Vec<u8>),
    /// Keep the connection open and say nothing, until the test ends.
    Hold,
}

fn send(text: &str) -> Step {
    Step::Send(text.as_bytes().to_vec())
}

/// A server answering every request with a 200 `text/event-stream` reply
/// written as `steps`; it keeps each request's head.
struct Scripted {
    url: String,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Scripted {
    async fn start(steps: Vec<Step>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = heads.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                socket.set_nodelay(true).unwrap();
                let steps = steps.clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        if socket.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    // Read the body too: closing on unread bytes would reset
                    // the connection under the client's feet.
                    let length = head
                        .lines()
                        .filter_map(|line| line.split_once(':'))
                        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    let mut body = vec![0; length];
                    if socket.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    seen.lock().unwrap().push(head);
                    let reply = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                                 x-request-id: req_sse\r\nconnection: close\r\n\r\n";
                    if socket.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                    for step in steps {
                        let pieces: Vec<Vec<u8>> = match step {
                            Step::Send(bytes) => vec![bytes],
                            Step::Trickle(bytes) => bytes.iter().map(|b| vec![*b]).collect(),
                            Step::Hold => {
                                std::future::pending::<()>().await;
                                return;
                            }
                        };
                        for piece in pieces {
                            if socket.write_all(&piece).await.is_err()
                                || socket.flush().await.is_err()
                            {
                                return;
                            }
                            // Let each piece go out on its own.
                            tokio::task::yield_now().await;
                        }
                    }
                });
            }
        });
        Self { url, heads }
    }

    fn client(&self) -> Client {
        Client::builder()
            .api_key("sk-test-SECRET")
            .base_url(&self.url)
            .max_retries(0)
            .build()
            .unwrap()
    }
}

fn request() -> Request {
    Request::new(Method::POST, "/chat/completions".into())
        .json(&serde_json::json!({"stream": true}))
        .unwrap()
}

/// Every item of `events`, with a hang guard: a test that hangs fails.
async fn collect(mut events: EventStream) -> (Vec<Result<Event, Error>>, EventStream) {
    let mut out = Vec::new();
    let read = async {
        while let Some(item) = events.next().await {
            out.push(item);
        }
    };
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .expect("the stream ended (hang guard)");
    (out, events)
}

fn data(items: &[Result<Event, Error>]) -> Vec<&str> {
    items
        .iter()
        .filter_map(|item| item.as_ref().ok())
        .map(|event| event.data.as_str())
        .collect()
}

#[tokio::test]
async fn events_split_byte_by_byte_over_the_network_arrive_whole() {
    let body = "\u{feff}: hello\r\nevent: delta\r\ndata: {\"text\": \"héllo 中文 🎉\"}\r\n\r\ndata: a\rdata: b\r\rdata: [DONE]\n\n";
    let server = Scripted::start(vec![Step::Trickle(body.as_bytes().to_vec())]).await;
    let events = server.client().stream_events(request()).await.unwrap();
    assert_eq!(events.request_id(), Some("req_sse"));
    let (items, events) = collect(events).await;
    assert_eq!(data(&items), [r#"{"text": "héllo 中文 🎉"}"#, "a\nb"]);
    assert_eq!(items[0].as_ref().unwrap().event.as_deref(), Some("delta"));
    assert!(events.is_done());
    let head = server.heads.lock().unwrap()[0].to_ascii_lowercase();
    assert!(head.contains("accept: text/event-stream"), "{head}");
}

#[tokio::test]
async fn nothing_after_done_is_read() {
    let server = Scripted::start(vec![
        send("data: 1\n\ndata: [DONE]\n\ndata: 2\n\n"),
        Step::Hold,
    ])
    .await;
    let events = server.client().stream_events(request()).await.unwrap();
    let (items, events) = collect(events).await;
    assert_eq!(data(&items), ["1"]);
    assert!(events.is_done());
}

#[tokio::test]
async fn a_stream_without_done_simply_ends() {
    let server = Scripted::start(vec![send("data: 1\n\n: bye\n\ndata: 2\n\n")]).await;
    let events = server.client().stream_events(request()).await.unwrap();
    let (items, events) = collect(events).await;
    assert_eq!(data(&items), ["1", "2"]);
    assert!(items.iter().all(Result::is_ok), "{items:?}");
    assert!(!events.is_done());
}

#[tokio::test]
async fn an_error_event_mid_stream_ends_it_with_the_message() {
    let server = Scripted::start(vec![
        send("data: {\"n\": 1}\n\n"),
        send("event: error\ndata: {\"error\": {\"message\": \"overloaded \\u001b[2J\", \"type\": \"server_error\"}}\n\n"),
        send("data: {\"n\": 2}\n\n"),
    ])
    .await;
    let events = server.client().stream_events(request()).await.unwrap();
    let (items, events) = collect(events).await;
    assert_eq!(items.len(), 2, "nothing after the error");
    assert_eq!(items[0].as_ref().unwrap().data, r#"{"n": 1}"#);
    let err = items[1].as_ref().unwrap_err();
    match err {
        Error::Stream {
            event, body, raw, ..
        } => {
            assert_eq!(event.as_deref(), Some("error"));
            let body = body.as_ref().unwrap();
            assert_eq!(body.message, "overloaded \u{1b}[2J");
            assert_eq!(body.type_.as_deref(), Some("server_error"));
            assert!(raw.contains("overloaded"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.request_id(), Some("req_sse"));
    let shown = err.to_string();
    assert!(!shown.contains('\u{1b}'), "escaped when shown: {shown:?}");
    assert!(shown.contains(r"overloaded \u{1b}[2J"), "{shown}");
    assert!(!events.is_done());
}

#[tokio::test]
async fn an_error_object_in_plain_data_ends_the_stream_too() {
    let server = Scripted::start(vec![send(
        "data: {\"id\": 1}\n\ndata: {\"error\": {\"message\": \"quota\", \"code\": \"insufficient_quota\"}}\n\n",
    )])
    .await;
    let events = server.client().stream_events(request()).await.unwrap();
    let (items, _) = collect(events).await;
    assert_eq!(data(&items), [r#"{"id": 1}"#]);
    assert!(
        matches!(&items[1], Err(Error::Stream { event: None, body: Some(body), .. })
            if body.code.as_deref() == Some("insufficient_quota")),
        "{:?}",
        items[1]
    );
}

#[tokio::test]
async fn an_event_over_the_cap_is_an_error_not_a_buffer() {
    let huge = format!("data: {}\n\n", "x".repeat(64 * 1024));
    let server = Scripted::start(vec![send("data: small\n\n"), send(&huge), Step::Hold]).await;
    let options = Options::default().max_event_size(16 * 1024);
    let events = server
        .client()
        .stream_events_with(request(), &options)
        .await
        .unwrap();
    let (items, _) = collect(events).await;
    assert_eq!(data(&items), ["small"]);
    assert!(
        matches!(items[1], Err(Error::EventTooLarge { limit: 16384 })),
        "{:?}",
        items[1]
    );
    assert!(
        items[1]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("16 KiB")
    );
}

#[tokio::test]
async fn a_silent_server_trips_the_idle_timeout() {
    // Headers, one event, half of the next, then nothing.
    let server = Scripted::start(vec![send("data: 1\n\ndata: 2"), Step::Hold]).await;
    let options = Options::default().idle_timeout(Some(Duration::from_millis(200)));
    let events = server
        .client()
        .stream_events_with(request(), &options)
        .await
        .unwrap();
    let (items, _) = collect(events).await;
    assert_eq!(data(&items), ["1"]);
    assert!(
        matches!(items[1], Err(Error::StreamIdle { timeout }) if timeout == Duration::from_millis(200)),
        "{:?}",
        items[1]
    );
}

#[tokio::test]
async fn the_per_attempt_timeout_bounds_the_headers_not_the_stream() {
    // Were the client's short per-attempt timeout applied to the body, it
    // would end the stream first, as an `Error::Timeout`.
    let server = Scripted::start(vec![send("data: 1\n\n"), Step::Hold]).await;
    let client = Client::builder()
        .api_key("sk-test")
        .base_url(&server.url)
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let options = Options::default().idle_timeout(Some(Duration::from_secs(2)));
    let events = client
        .stream_events_with(request(), &options)
        .await
        .unwrap();
    let (items, _) = collect(events).await;
    assert_eq!(data(&items), ["1"]);
    assert!(
        matches!(items[1], Err(Error::StreamIdle { .. })),
        "{:?}",
        items[1]
    );
}

#[derive(Debug, Deserialize, PartialEq)]
struct Delta {
    n: u32,
}

#[tokio::test]
async fn typed_events_decode_and_name_the_bad_value() {
    let server = Scripted::start(vec![send(
        "data: {\"n\": 1}\n\ndata: {\"n\": 2}\n\ndata: {\"n\": \"three\"}\n\ndata: {\"n\": 4}\n\n",
    )])
    .await;
    let mut deltas = server
        .client()
        .stream_json::<Delta>(request())
        .await
        .unwrap();
    let mut out = Vec::new();
    while let Some(item) = deltas.next().await {
        out.push(item);
    }
    assert_eq!(out.len(), 3, "the decode error ends the stream");
    assert_eq!(out[0].as_ref().unwrap(), &Delta { n: 1 });
    assert_eq!(out[1].as_ref().unwrap(), &Delta { n: 2 });
    let err = out[2].as_ref().unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("at /n: invalid type"), "{err}");
}

#[tokio::test]
async fn retries_happen_before_the_first_byte_and_errors_are_api_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("accept", "text/event-stream"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/event-stream")
                .set_body_string("data: ok\n\ndata: [DONE]\n\n"),
        )
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_key("sk-test")
        .base_url(format!("{}/v1", server.uri()))
        .max_retries(2)
        .build()
        .unwrap();
    let events = client.stream_events(request()).await.unwrap();
    let (items, events) = collect(events).await;
    assert_eq!(data(&items), ["ok"]);
    assert!(events.is_done());
    assert_eq!(server.received_requests().await.unwrap().len(), 2);

    let failing = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_string(
            r#"{"error":{"message":"stream is not supported","type":"invalid_request_error"}}"#,
        ))
        .mount(&failing)
        .await;
    let client = Client::builder()
        .api_key("sk-test")
        .base_url(format!("{}/v1", failing.uri()))
        .build()
        .unwrap();
    let err = client.stream_events(request()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { status, .. } if status.as_u16() == 400),
        "{err:?}"
    );
    assert!(err.to_string().contains("stream is not supported"), "{err}");
}

#[tokio::test]
async fn a_request_may_name_its_own_accept() {
    let server = Scripted::start(vec![send("data: x\n\n")]).await;
    let request = request()
        .header("Accept", "text/event-stream; q=1")
        .unwrap();
    let events = server.client().stream_events(request).await.unwrap();
    let (items, _) = collect(events).await;
    assert_eq!(data(&items), ["x"]);
    let head = server.heads.lock().unwrap()[0].to_ascii_lowercase();
    assert_eq!(head.matches("accept:").count(), 1, "{head}");
    assert!(head.contains("accept: text/event-stream; q=1"), "{head}");
}

#[tokio::test]
async fn any_byte_stream_can_be_read() {
    let chunks: Vec<Result<bytes::Bytes, Error>> =
        [&b"data: \xe4\xb8"[..], b"\xad\r", b"\n\r\ndata: [DONE]\n\n"]
            .into_iter()
            .map(|chunk| Ok(bytes::Bytes::from_static(chunk)))
            .collect();
    let events = EventStream::new(futures_util::stream::iter(chunks), &Options::default());
    let (items, events) = collect(events).await;
    assert_eq!(data(&items), ["中"]);
    assert!(events.is_done());
}

#[tokio::test]
async fn a_stream_keeps_its_reply_s_status_and_headers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(203)
                .insert_header("content-type", "text/event-stream")
                .insert_header("x-request-id", "req_kept")
                .insert_header("openai-processing-ms", "7")
                .set_body_string("data: {\"n\": 1}\n\n"),
        )
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_key("sk-test-SECRET")
        .base_url(server.uri())
        .build()
        .unwrap();
    let events = client.stream_events(request()).await.unwrap();
    assert_eq!(events.status(), 203);
    assert_eq!(events.headers()["openai-processing-ms"], "7");
    let shown = format!("{events:?}");
    assert!(
        shown.starts_with("EventStream {") && shown.contains("203") && shown.contains("req_kept"),
        "{shown}"
    );
    let deltas = client.stream_json::<Delta>(request()).await.unwrap();
    let shown = format!("{deltas:?}");
    assert!(shown.starts_with("JsonStream(EventStream {"), "{shown}");
    assert!(!shown.contains("SECRET"), "{shown}");
}

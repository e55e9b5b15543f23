//! Retry sequences. Waits are kept short with `retry-after-ms`; a few cases
//! use the 0.5 s first backoff on purpose.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::common::{
    Act, KEY, RawServer, UPLOAD_JSON, assert_no_key, bounded, builder, client, ok_reply,
    upload_reply,
};
use openai_uploads::Error;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Mounts `first` for the first `times` requests, then the Upload reply.
async fn mock(first: ResponseTemplate, times: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(first)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(upload_reply())
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

fn fast(status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status).insert_header("retry-after-ms", "10")
}

#[tokio::test]
async fn rate_limited_then_ok_is_two_requests() {
    let server = mock(fast(429), 1).await;
    let upload = bounded(client(&server.uri()).uploads().cancel("u"))
        .await
        .unwrap();
    assert_eq!(upload.id, "upload_abc123");
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn server_errors_are_retried_twice_then_reported() {
    let reply = fast(500)
        .insert_header("x-request-id", "req_500")
        .set_body_string(
            r#"{"error":{"message":"boom","type":"server_error","param":null,"code":null}}"#,
        );
    let server = mock(reply, 100).await;
    let err = bounded(client(&server.uri()).uploads().cancel("u"))
        .await
        .unwrap_err();
    assert_eq!(requests(&server).await, 3);
    match &err {
        Error::Api {
            status,
            request_id,
            body,
            ..
        } => {
            assert_eq!(status.as_u16(), 500);
            assert_eq!(request_id.as_deref(), Some("req_500"));
            assert_eq!(body.as_ref().unwrap().message, "boom");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
    assert_eq!(
        err.to_string(),
        "500 Internal Server Error: boom (request id req_500)"
    );
}

#[tokio::test]
async fn every_retryable_status_is_retried() {
    // 409 too, except on state transitions (below).
    for status in [408, 429, 500, 502, 503, 504, 529] {
        let server = mock(fast(status), 1).await;
        bounded(client(&server.uri()).uploads().cancel("u"))
            .await
            .unwrap();
        assert_eq!(requests(&server).await, 2, "{status}");
    }
}

/// A 409 on `cancel` or `complete` means the Upload has already moved on
/// (completed, cancelled, expired): one attempt, whatever `x-should-retry`
/// says. Elsewhere a 409 (a lock held elsewhere) is retried, as the SDKs do.
#[tokio::test]
async fn conflicts_are_final_on_cancel_and_complete_only() {
    let conflict = || fast(409).insert_header("x-should-retry", "true");
    let server = mock(conflict(), 100).await;
    let err = bounded(client(&server.uri()).uploads().cancel("u"))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409));
    assert_eq!(requests(&server).await, 1, "cancel");

    let server = mock(conflict(), 100).await;
    let done = openai_uploads::CompleteUploadRequest {
        part_ids: vec!["part_a".into()],
        md5: None,
    };
    let err = bounded(client(&server.uri()).uploads().complete("u", &done))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409));
    assert_eq!(requests(&server).await, 1, "complete");

    let server = mock(conflict(), 1).await;
    let create = openai_uploads::CreateUploadRequest {
        filename: "a.jsonl".into(),
        purpose: "fine-tune".into(),
        bytes: 1,
        mime_type: "text/jsonl".into(),
        expires_after: None,
    };
    bounded(client(&server.uri()).uploads().create(&create))
        .await
        .unwrap();
    assert_eq!(requests(&server).await, 2, "create");
}

#[tokio::test]
async fn other_client_errors_are_not_retried() {
    for status in [400, 401, 403, 404, 410, 422] {
        let server = mock(fast(status), 100).await;
        let err = bounded(client(&server.uri()).uploads().cancel("u"))
            .await
            .unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        assert!(!err.is_retryable());
        assert_eq!(requests(&server).await, 1, "{status}");
    }
}

#[tokio::test]
async fn should_retry_header_overrides_the_status() {
    let no = fast(500).insert_header("x-should-retry", "false");
    let server = mock(no, 100).await;
    let err = bounded(client(&server.uri()).uploads().cancel("u"))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(requests(&server).await, 1);

    let yes = fast(400).insert_header("x-should-retry", "true");
    let server = mock(yes, 1).await;
    bounded(client(&server.uri()).uploads().cancel("u"))
        .await
        .unwrap();
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn zero_retries_means_one_request() {
    let server = mock(fast(500), 100).await;
    let client = builder(&server.uri()).max_retries(0).build().unwrap();
    bounded(client.uploads().cancel("u")).await.unwrap_err();
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn more_retries_when_configured() {
    let server = mock(fast(503), 4).await;
    let client = builder(&server.uri()).max_retries(4).build().unwrap();
    bounded(client.uploads().cancel("u")).await.unwrap();
    assert_eq!(requests(&server).await, 5);
}

#[tokio::test]
async fn hour_long_retry_after_falls_back_to_backoff() {
    // An honoured hint would sleep an hour; `bounded` fails after 20 s.
    let reply = ResponseTemplate::new(429).insert_header("retry-after", "3600");
    let server = mock(reply, 1).await;
    bounded(client(&server.uri()).uploads().cancel("u"))
        .await
        .unwrap();
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn retry_after_in_seconds_and_as_a_date_are_accepted() {
    let reply = ResponseTemplate::new(503).insert_header("retry-after", "0.01");
    let server = mock(reply, 1).await;
    bounded(client(&server.uri()).uploads().cancel("u"))
        .await
        .unwrap();
    assert_eq!(requests(&server).await, 2);

    // A date in the past is out of range: backoff.
    let reply =
        ResponseTemplate::new(503).insert_header("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT");
    let server = mock(reply, 1).await;
    bounded(client(&server.uri()).uploads().cancel("u"))
        .await
        .unwrap();
    assert_eq!(requests(&server).await, 2);
}

/// Resolves `flaky.test` to a closed address the first time, then to the server.
struct FlakyDns {
    calls: AtomicUsize,
    server: SocketAddr,
}

impl reqwest::dns::Resolve for FlakyDns {
    fn resolve(&self, _: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let first = self.calls.fetch_add(1, Ordering::SeqCst) == 0;
        // Nothing listens on 127.0.0.2 at the server's port: connection refused.
        let addr = if first {
            SocketAddr::new([127, 0, 0, 2].into(), self.server.port())
        } else {
            self.server
        };
        Box::pin(async move { Ok(Box::new(std::iter::once(addr)) as reqwest::dns::Addrs) })
    }
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn connection_refused_then_success() {
    let server = RawServer::start(vec![ok_reply(UPLOAD_JSON)]).await;
    let dns = Arc::new(FlakyDns {
        calls: AtomicUsize::new(0),
        server: server.addr,
    });
    let builder = openai_uploads::Client::builder()
        .api_key(KEY)
        .base_url(format!("http://flaky.test:{}/v1", server.addr.port()));
    let http = reqwest::Client::builder()
        .dns_resolver(dns.clone())
        .no_proxy()
        .build()
        .unwrap();
    let client = builder.http_client(http).build().unwrap();
    let upload = bounded(client.uploads().cancel("u")).await.unwrap();
    assert_eq!(upload.id, "upload_abc123");
    assert_eq!(dns.calls.load(Ordering::SeqCst), 2);
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn connection_refused_is_a_connection_error_naming_the_host() {
    // Bind and drop a listener to find a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = builder(&format!("http://127.0.0.1:{port}"))
        .max_retries(0)
        .build()
        .unwrap();
    let err = bounded(client.uploads().cancel("u")).await.unwrap_err();
    match &err {
        Error::Connection {
            host,
            connect,
            method,
            path,
            ..
        } => {
            assert_eq!(host, &format!("127.0.0.1:{port}"));
            assert!(connect);
            assert_eq!(method.as_str(), "POST");
            assert_eq!(path, "/uploads/u/cancel");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
    assert!(
        err.to_string()
            .starts_with(&format!("could not connect to 127.0.0.1:{port}: ")),
        "{err}"
    );
    assert_no_key(&err);
}

#[tokio::test]
async fn dropped_connection_is_retried() {
    let server = RawServer::start(vec![Act::Close, ok_reply(UPLOAD_JSON)]).await;
    let upload = bounded(client(&server.uri()).uploads().cancel("u"))
        .await
        .unwrap();
    assert_eq!(upload.id, "upload_abc123");
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn dropped_connections_give_up_after_retries() {
    let server = RawServer::start(vec![Act::Close]).await;
    let client = builder(&server.uri()).max_retries(1).build().unwrap();
    let err = bounded(client.uploads().cancel("u")).await.unwrap_err();
    assert_eq!(server.requests(), 2);
    match &err {
        Error::Connection { connect, host, .. } => {
            assert!(!connect, "{err:?}");
            assert_eq!(host, &server.addr.to_string());
        }
        other => panic!("{other:?}"),
    }
    assert_no_key(&err);
}

#[tokio::test]
async fn slow_reply_times_out() {
    let server = RawServer::start(vec![Act::Hang]).await;
    let client = builder(&server.uri())
        .timeout(Duration::from_millis(200))
        .max_retries(0)
        .build()
        .unwrap();
    let err = bounded(client.uploads().cancel("u")).await.unwrap_err();
    match &err {
        Error::Timeout { timeout, path, .. } => {
            assert_eq!(*timeout, Duration::from_millis(200));
            assert_eq!(path, "/uploads/u/cancel");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
    assert_eq!(
        err.to_string(),
        "no complete reply within 200ms (the per-attempt timeout)"
    );
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn timeouts_are_retried() {
    let server = RawServer::start(vec![Act::Hang, ok_reply(UPLOAD_JSON)]).await;
    let client = builder(&server.uri())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    bounded(client.uploads().cancel("u")).await.unwrap();
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn a_body_that_stalls_times_out() {
    // Headers arrive, the body never completes: the timeout covers the body too.
    let head =
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"id\":";
    let server = RawServer::start(vec![Act::Reply(head.into()), Act::Hang]).await;
    let client = builder(&server.uri())
        .timeout(Duration::from_millis(300))
        .max_retries(0)
        .build()
        .unwrap();
    let err = bounded(client.uploads().cancel("u")).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn own_http_client_timeout_is_a_timeout() {
    let server = RawServer::start(vec![Act::Hang]).await;
    let builder = builder(&server.uri()).max_retries(0);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let client = builder.http_client(http).build().unwrap();
    let err = bounded(client.uploads().cancel("u")).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}

//! What the client retries and how often, counted on a server on
//! 127.0.0.1: replies by status and `x-should-retry`, requests that must not
//! run twice, transport errors, the retry budget, and `execute_once`'s
//! verdicts. Servers ask for 1 ms waits, so the tests do not sleep long.

use std::time::Duration;

use openai_runtime::{Client, Error, FilePart, Method, Multipart, Request};
use test_support::hostile::{Behaviour, Server};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};

/// A server that answers every request with `status` (and a 1 ms retry wait).
async fn answering(status: u16, extra: &[(&str, &str)]) -> MockServer {
    let server = MockServer::start().await;
    let mut reply = ResponseTemplate::new(status)
        .insert_header("retry-after-ms", "1")
        .insert_header("x-request-id", "req_1")
        .set_body_string(r#"{"error":{"message":"nope","type":"t"}}"#);
    for (name, value) in extra {
        reply = reply.insert_header(*name, *value);
    }
    Mock::given(any()).respond_with(reply).mount(&server).await;
    server
}

fn client(base_url: &str, max_retries: u32) -> Client {
    Client::builder()
        .api_key("sk-test")
        .base_url(base_url)
        .max_retries(max_retries)
        .build()
        .unwrap()
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

fn get() -> Request {
    Request::new(Method::GET, "/things".into())
}

fn upload() -> Request {
    Request::new(Method::POST, "/files".into())
        .multipart(Multipart::new().file("file", FilePart::from_bytes("abc")))
}

async fn run(client: &Client, request: Request) -> Result<serde_json::Value, Error> {
    tokio::time::timeout(Duration::from_secs(60), client.execute(request))
        .await
        .expect("finished (hang guard)")
        .map(|response| response.data)
}

#[tokio::test]
async fn a_server_error_is_tried_once_plus_the_retries() {
    let server = answering(500, &[]).await;
    for (retries, tries) in [(0, 1), (1, 3), (2, 6)] {
        let err = run(&client(&server.uri(), retries), get())
            .await
            .unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
        assert_eq!(requests(&server).await, tries, "max_retries {retries}");
    }
}

#[tokio::test]
async fn a_client_error_is_not_retried() {
    let server = answering(400, &[]).await;
    let err = run(&client(&server.uri(), 3), get()).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn the_server_can_say_not_to_retry() {
    let server = answering(503, &[("x-should-retry", "false")]).await;
    run(&client(&server.uri(), 3), get()).await.unwrap_err();
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn a_multipart_request_is_retried_only_when_refused() {
    // A 500 may come after the parts were stored: not sent again.
    let server = answering(500, &[("x-should-retry", "true")]).await;
    run(&client(&server.uri(), 2), upload()).await.unwrap_err();
    assert_eq!(requests(&server).await, 1);
    // A 429 was refused before any work: sent again, up to the budget.
    let server = answering(429, &[]).await;
    let err = run(&client(&server.uri(), 2), upload()).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(requests(&server).await, 3);
    // Unless the server says not to.
    let server = answering(429, &[("x-should-retry", "false")]).await;
    run(&client(&server.uri(), 2), upload()).await.unwrap_err();
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn a_conflict_on_a_multipart_request_is_not_retried() {
    let server = answering(409, &[]).await;
    run(&client(&server.uri(), 2), upload()).await.unwrap_err();
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn a_timeout_is_retried_only_for_a_request_that_may_run_twice() {
    let server = Server::plain(Behaviour::Hang);
    let client = Client::builder()
        .api_key("sk-test")
        .base_url(server.url("http"))
        .timeout(Duration::from_millis(200))
        .max_retries(1)
        .build()
        .unwrap();
    // The request may have reached the server: an upload is not sent again.
    let err = run(&client, upload()).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(server.connections(), 1);
    let err = run(&client, get()).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(server.connections(), 3, "tried twice");
}

#[tokio::test]
async fn a_success_after_failures_is_returned() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(502).insert_header("retry-after-ms", "1"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"ok":1}"#))
        .mount(&server)
        .await;
    let value = run(&client(&server.uri(), 2), get()).await.unwrap();
    assert_eq!(value["ok"], 1);
    assert_eq!(requests(&server).await, 3);
}

#[tokio::test]
async fn execute_once_says_whether_and_when_to_try_again() {
    let once = |server: &MockServer, request: Request| {
        let client = client(&server.uri(), 5);
        async move {
            let result = tokio::time::timeout(
                Duration::from_secs(60),
                client.execute_once::<serde_json::Value>(&request, 0),
            )
            .await
            .expect("finished (hang guard)");
            result.unwrap_err()
        }
    };
    let server = answering(500, &[]).await;
    let failed = once(&server, get()).await;
    assert_eq!(failed.retry_after, Some(Duration::from_millis(1)));
    assert_eq!(failed.error.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(requests(&server).await, 1, "once, whatever the budget");

    let server = answering(400, &[]).await;
    let failed = once(&server, get()).await;
    assert_eq!(failed.retry_after, None);
    assert_eq!(failed.error.status().map(|s| s.as_u16()), Some(400));

    let server = answering(409, &[]).await;
    assert!(once(&server, get()).await.retry_after.is_some());
    let failed = once(&server, get().retry_conflicts(false)).await;
    assert_eq!(failed.retry_after, None);

    let server = answering(500, &[("x-should-retry", "false")]).await;
    assert_eq!(once(&server, get()).await.retry_after, None);

    // Transport errors: a timeout may heal, a refused TLS handshake not.
    let hang = Server::plain(Behaviour::Hang);
    let client = Client::builder()
        .api_key("sk-test")
        .base_url(hang.url("http"))
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let failed = client
        .execute_once::<serde_json::Value>(&get(), 0)
        .await
        .unwrap_err();
    assert!(matches!(*failed.error, Error::Timeout { .. }), "{failed:?}");
    assert!(failed.retry_after.is_some());
    let plain = Server::plain(Behaviour::Reply(
        "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n".into(),
    ));
    let client = Client::builder()
        .api_key("sk-test")
        .base_url(plain.url("https"))
        .build()
        .unwrap();
    let failed = client
        .execute_once::<serde_json::Value>(&get(), 0)
        .await
        .unwrap_err();
    assert!(matches!(*failed.error, Error::Tls { .. }), "{failed:?}");
    assert_eq!(failed.retry_after, None);
}

#[tokio::test]
async fn execute_once_decodes_a_success() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"id":"x"}"#))
        .mount(&server)
        .await;
    let response = client(&server.uri(), 0)
        .execute_once::<serde_json::Value>(&get(), 3)
        .await
        .unwrap();
    assert_eq!(response.data["id"], "x");
}

#[tokio::test]
async fn a_request_that_never_left_is_retried_even_if_it_must_not_run_twice() {
    // Accepts TCP and never answers the TLS handshake: nothing was sent.
    let server = Server::plain(Behaviour::Hang);
    let client = Client::builder()
        .api_key("sk-test")
        .base_url(server.url("https"))
        .connect_timeout(Duration::from_millis(200))
        .max_retries(1)
        .build()
        .unwrap();
    let err = run(&client, upload()).await.unwrap_err();
    assert!(matches!(err, Error::ConnectTimeout { .. }), "{err:?}");
    assert_eq!(server.connections(), 2);
}

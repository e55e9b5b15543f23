//! `debug(true)` logs to stderr. Each check runs the call in a child process
//! (this same test binary) so stderr can be captured.

use crate::common::{KEY, bounded, builder, upload_reply};
use test_support::run_test_in_child;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const CHILD: &str = "OPENAI_UPLOADS_TEST_CHILD";

/// In the child: one cancel against the server in `$CHILD` (`debug` flag, URL).
async fn child(spec: &str) {
    let (debug, uri) = spec.split_once(' ').unwrap();
    let client = builder(uri)
        .debug(debug == "on")
        .max_retries(1)
        .build()
        .unwrap();
    let _ = bounded(client.uploads().cancel("upload_abc123")).await;
}

/// Runs `test` (of this module) in a child process; returns its stderr.
fn run_child(test: &str, debug: bool, uri: &str) -> String {
    let spec = format!("{} {uri}", if debug { "on" } else { "off" });
    run_test_in_child(&format!("debug_log::{test}"), &[(CHILD, spec.into())], &[])
}

#[tokio::test]
async fn debug_logs_requests_and_replies_without_the_key() {
    if let Ok(spec) = std::env::var(CHILD) {
        return child(&spec).await;
    }
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after-ms", "10")
                .insert_header("x-request-id", "req_limit")
                .set_body_string(r#"{"error":{"message":"slow down"}}"#),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(upload_reply())
        .mount(&server)
        .await;

    let log = run_child(
        "debug_logs_requests_and_replies_without_the_key",
        true,
        &server.uri(),
    );
    assert!(!log.contains(KEY), "{log}");
    assert!(!log.contains("DO-NOT-PRINT"), "{log}");
    let url = format!("{}/v1/uploads/upload_abc123/cancel", server.uri());
    for want in [
        format!("--> POST {url} (attempt 1 of 2)"),
        format!("--> POST {url} (attempt 2 of 2)"),
        "authorization: Bearer <REDACTED>".into(),
        "accept: application/json".into(),
        "user-agent: openai-uploads-rs/".into(),
        "(no body)".into(),
        "<-- 429 Too Many Requests".into(),
        "x-request-id: req_limit".into(),
        r#"{"error":{"message":"slow down"}}"#.into(),
        "retrying in".into(),
        "<-- 200 OK".into(),
        r#""id": "upload_abc123","#.into(),
    ] {
        assert!(log.contains(&want), "missing {want:?} in:\n{log}");
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn no_debug_means_silence() {
    if let Ok(spec) = std::env::var(CHILD) {
        return child(&spec).await;
    }
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(upload_reply())
        .mount(&server)
        .await;
    let log = run_child("no_debug_means_silence", false, &server.uri());
    assert!(!log.contains("[openai-uploads]"), "{log}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn debug_logs_failures_without_the_key() {
    if let Ok(spec) = std::env::var(CHILD) {
        return child(&spec).await;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = run_child(
        "debug_logs_failures_without_the_key",
        true,
        &format!("http://127.0.0.1:{port}"),
    );
    assert!(!log.contains(KEY), "{log}");
    assert!(log.contains("failed after"), "{log}");
    assert!(
        log.contains(&format!("could not connect to 127.0.0.1:{port}")),
        "{log}"
    );
}

//! API errors, network failures and bad replies: exit 1, stdout empty, the story on stderr.

use std::time::Duration;

use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

const NOT_FOUND: &str = r#"{"error":{"message":"No such upload","type":"invalid_request_error","param":"upload_id","code":null}}"#;

const NOT_FOUND_JSON: &str = r#"{
  "error": {
    "message": "No such upload",
    "type": "invalid_request_error",
    "param": "upload_id",
    "code": null
  }
}
"#;

const SUMMARY: &str =
    "Error: POST /uploads/upload_x/cancel: 404 Not Found: No such upload (request id req_123)\n";

#[tokio::test]
async fn api_error_goes_to_stderr_with_the_error_object() {
    let server = serve("upload_x", 404, NOT_FOUND).await;
    let run = cancel(&server, "upload_x", &[]).await;
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "", "stdout stays empty on error");
    assert_eq!(run.stderr, format!("{SUMMARY}{NOT_FOUND_JSON}"));
    assert_eq!(requests(&server).await.len(), 1, "a 404 is not retried");
}

#[tokio::test]
async fn error_object_honours_format_error_and_transform_error() {
    let server = serve("upload_x", 404, NOT_FOUND).await;
    let jsonl = cancel(&server, "upload_x", &["--format-error", "jsonl"]).await;
    assert_eq!(jsonl.stderr, format!("{SUMMARY}{NOT_FOUND}\n"));
    let yaml = cancel(
        &server,
        "upload_x",
        &["--format-error", "yaml", "--format", "jsonl"],
    )
    .await;
    assert_eq!(
        yaml.stderr,
        format!(
            "{SUMMARY}error:\n  message: No such upload\n  type: invalid_request_error\n  param: upload_id\n  code: null\n"
        )
    );
    let message = cancel(&server, "upload_x", &["--transform-error", "error.message"]).await;
    assert_eq!(message.stderr, format!("{SUMMARY}\"No such upload\"\n"));
    let raw = cancel(
        &server,
        "upload_x",
        &["--transform-error", "error.type", "-r"],
    )
    .await;
    assert_eq!(raw.stderr, format!("{SUMMARY}invalid_request_error\n"));
    for run in [jsonl, yaml, message, raw] {
        assert_eq!((run.code, run.stdout.as_str()), (1, ""));
    }
}

#[tokio::test]
async fn result_transform_does_not_apply_to_errors() {
    let server = serve("upload_x", 404, NOT_FOUND).await;
    let run = cancel(&server, "upload_x", &["--transform", "status"]).await;
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr, format!("{SUMMARY}{NOT_FOUND_JSON}"));
}

#[tokio::test]
async fn transform_error_matching_nothing_says_so() {
    let server = serve("upload_x", 404, NOT_FOUND).await;
    let run = cancel(&server, "upload_x", &["--transform-error", "error.nope"]).await;
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.starts_with(SUMMARY), "{}", run.stderr);
    assert!(
        run.stderr.contains("`error.nope` matched nothing"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn non_json_error_body_is_shown_as_received() {
    let html = "<html><body>502 Bad Gateway</body></html>";
    let server = serve("upload_x", 502, html).await;
    let run = cancel(&server, "upload_x", &["--max-retries", "0"]).await;
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    let mut lines = run.stderr.lines();
    let first = lines.next().unwrap();
    assert!(
        first.starts_with("Error: POST /uploads/upload_x/cancel: 502 Bad Gateway"),
        "{first}"
    );
    assert!(first.ends_with("(request id req_123)"), "{first}");
    assert_eq!(lines.next(), Some(html));
    assert_eq!(lines.next(), None);
}

#[tokio::test]
async fn max_retries_is_passed_on() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).insert_header("retry-after-ms", "1"))
        .mount(&server)
        .await;
    let once = cancel(&server, "u", &["--max-retries", "0"]).await;
    assert_eq!(once.code, 1);
    assert_eq!(requests(&server).await.len(), 1);
    let twice = cancel(&server, "u", &["--max-retries", "1"]).await;
    assert_eq!(twice.code, 1);
    assert_eq!(requests(&server).await.len(), 3);
    assert!(
        twice
            .stderr
            .starts_with("Error: POST /uploads/u/cancel: 500 Internal Server Error")
    );
}

#[tokio::test]
async fn connection_refused_names_the_host() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/v1");
    let run = run(
        &[
            "uploads",
            "cancel",
            "u",
            "--base-url",
            &url,
            "--api-key",
            SECRET,
            "--max-retries",
            "0",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.starts_with("Error: "), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("127.0.0.1:{port}")),
        "{}",
        run.stderr
    );
    run.assert_no_secret();
}

#[tokio::test]
async fn timeout_names_the_host() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(CANCELLED)
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let run = cancel(&server, "u", &["--timeout", "0.2", "--max-retries", "0"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    let host = server.address().to_string();
    assert!(run.stderr.contains(&host), "{}", run.stderr);
    assert!(run.stderr.contains("200ms"), "{}", run.stderr);
}

#[tokio::test]
async fn a_2xx_reply_our_types_cannot_decode_is_printed_as_received() {
    // A field of the wrong type, a truncated body, not JSON at all, nothing:
    // the server said 200, so the command succeeds and relays what it sent;
    // what is not JSON comes with a warning that says so.
    for (body, shown, json) in [
        (r#"{"id": 5, "extra": [1, 2]}"#, "\"extra\": [", true),
        (r#"{"id":"u","bytes":"#, r#"{"id":"u","bytes":"#, false),
        ("not json", "not json", false),
        ("", "", false),
    ] {
        let server = serve("u", 200, body).await;
        let run = cancel(&server, "u", &[]).await;
        assert_eq!(run.code, 0, "{body}: {run:?}");
        if json {
            assert_eq!(run.stderr, "", "{body}");
        } else {
            assert_eq!(
                run.stderr,
                format!(
                    "Warning: the server's reply ({} bytes) is not JSON; it is printed as received\n",
                    body.len()
                )
            );
            assert_eq!(run.stdout, format!("{body}\n"));
        }
        assert!(run.stdout.contains(shown), "{body}: {}", run.stdout);
    }
}

#[tokio::test]
async fn debug_shows_the_exchange_but_never_the_key() {
    let server = serve("upload_abc123", 200, CANCELLED).await;
    let url = base(&server);
    let ok = run(
        &[
            "uploads",
            "cancel",
            "upload_abc123",
            "--debug",
            "--base-url",
            &url,
            "--api-key",
            SECRET,
        ],
        &[],
    )
    .await;
    assert_eq!(ok.code, 0, "{ok:?}");
    assert_eq!(
        ok.stdout,
        format!(
            "{}\n",
            serde_json::to_string_pretty(
                &serde_json::from_str::<serde_json::Value>(CANCELLED).unwrap()
            )
            .unwrap()
        )
    );
    assert!(ok.stderr.contains("Bearer <REDACTED>"), "{}", ok.stderr);
    assert!(
        ok.stderr.contains("/uploads/upload_abc123/cancel"),
        "{}",
        ok.stderr
    );
    assert!(
        ok.stderr.contains("cancelled"),
        "the response body is shown: {}",
        ok.stderr
    );
    ok.assert_no_secret();

    let failing = serve("upload_x", 404, NOT_FOUND).await;
    let url = base(&failing);
    let err = run(
        &[
            "--debug",
            "uploads",
            "cancel",
            "upload_x",
            "--base-url",
            &url,
        ],
        &[("OPENAI_API_KEY", SECRET)],
    )
    .await;
    assert_eq!(err.code, 1);
    assert!(err.stderr.contains("Bearer <REDACTED>"), "{}", err.stderr);
    err.assert_no_secret();
    let sent = requests(&failing).await;
    assert_eq!(
        sent[0].headers.get("authorization").unwrap(),
        &format!("Bearer {SECRET}")
    );
}

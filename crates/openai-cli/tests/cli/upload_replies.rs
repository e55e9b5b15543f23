//! What `openai uploads upload` prints of an unusual reply to `complete`:
//! one that is not JSON, and an empty one.

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{Run, run, upload_one_line};

const PENDING: &str = r#"{"id":"upload_r","object":"upload","bytes":3,"created_at":1719184911,"filename":"a.jsonl","purpose":"fine-tune","status":"pending","expires_at":1719188511,"file":null}"#;
const PART: &str =
    r#"{"id":"part_1","object":"upload.part","created_at":1719184911,"upload_id":"upload_r"}"#;

async fn server(completed: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    for (route, body) in [
        ("/v1/uploads", PENDING),
        ("/v1/uploads/upload_r/parts", PART),
    ] {
        Mock::given(method("POST"))
            .and(path(route))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/v1/uploads/upload_r/complete"))
        .respond_with(completed)
        .mount(&server)
        .await;
    server
}

/// `uploads upload` of a one-line file against `server`, its journal kept in a
/// temporary directory.
async fn upload(server: &MockServer, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let journals = dir.path().join("journals");
    let mut args = vec!["--journal-dir", journals.to_str().unwrap()];
    args.extend_from_slice(extra);
    upload_one_line(server, dir.path(), &args).await
}

/// A reply to `complete` that does not say the Upload is completed (text, nothing) confirms
/// nothing: exit 1, the Upload not cancelled (it may be completed), its journal kept.
#[tokio::test]
async fn a_completed_reply_that_confirms_nothing_is_an_error_that_keeps_the_journal() {
    let body = format!("OK {} END", "completed, ".repeat(100));
    for reply in [
        ResponseTemplate::new(200).set_body_raw(body.clone(), "text/plain"),
        ResponseTemplate::new(200),
    ] {
        let server = server(reply).await;
        let done = upload(&server, &["--format", "raw"]).await;
        assert_eq!(done.code, 1, "{done:?}");
        assert_eq!(done.stdout, "");
        assert!(
            done.stderr
                .contains("the reply to `complete` is not an Upload"),
            "{done:?}"
        );
        assert!(done.stderr.contains("its journal is kept"), "{done:?}");
        let cancels = crate::support::requests(&server)
            .await
            .iter()
            .filter(|r| r.url.path().ends_with("/cancel"))
            .count();
        assert_eq!(cancels, 0);
    }
}

#[tokio::test]
async fn a_part_refused_with_409_is_not_sent_again_as_the_help_says() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/uploads"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(PENDING, "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/uploads/upload_r/parts"))
        .respond_with(ResponseTemplate::new(409).set_body_raw(
            r#"{"error":{"message":"Upload is not pending.","type":"invalid_request_error"}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let done = upload(&server, &["--part-retries", "3"]).await;
    assert_eq!(done.code, 1, "{done:?}");
    let parts = crate::support::requests(&server)
        .await
        .iter()
        .filter(|r| r.url.path() == "/v1/uploads/upload_r/parts")
        .count();
    assert_eq!(parts, 1);

    let help = run(&["uploads", "upload", "--help"], &[]).await;
    assert_eq!(help.code, 0, "{help:?}");
    let flag = help
        .stdout
        .split("--part-retries <N>")
        .nth(1)
        .expect("--part-retries in the help");
    let flag = flag.split("\n\n").next().unwrap();
    assert!(flag.contains("never after a 409"), "{flag}");
    assert!(!help.stdout.contains("408, 409"), "{}", help.stdout);
}

//! The whole API's commands from the generated table: lists paged to the
//! end or to `--max-items`, server-sent events printed as they come,
//! admin operations, downloads to a device, and `webhooks unwrap`.

use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{self, openai, requests};

/// A batch list page: `ids`, whether there is more, and its `last_id`.
fn page(ids: &[&str], more: bool) -> serde_json::Value {
    let data: Vec<_> = ids
        .iter()
        .map(|id| serde_json::json!({"id": id, "object": "batch"}))
        .collect();
    serde_json::json!({"object": "list", "data": data, "has_more": more,
                       "first_id": ids.first(), "last_id": ids.last()})
}

/// Three pages of batches: a b, c d, e.
async fn three_pages() -> MockServer {
    let server = MockServer::start().await;
    let reply = |body: serde_json::Value| ResponseTemplate::new(200).set_body_json(body);
    Mock::given(method("GET"))
        .and(path("/v1/batches"))
        .and(query_param_is_missing("after"))
        .respond_with(reply(page(&["a", "b"], true)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/batches"))
        .and(query_param("after", "b"))
        .respond_with(reply(page(&["c", "d"], true)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/batches"))
        .and(query_param("after", "d"))
        .respond_with(reply(page(&["e"], false)))
        .mount(&server)
        .await;
    server
}

fn ids(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(|line| {
            let item: serde_json::Value =
                serde_json::from_str(line).expect("one JSON value a line");
            item["id"].as_str().expect("an id").to_owned()
        })
        .collect()
}

#[tokio::test]
async fn a_list_prints_every_item_of_every_page_once_in_order() {
    let server = three_pages().await;
    let run = openai(&server, &["batches", "list", "--format", "jsonl"], b"").await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(ids(&run.stdout), ["a", "b", "c", "d", "e"]);
    assert_eq!(requests(&server).await.len(), 3);
}

#[tokio::test]
async fn max_items_never_asks_for_a_page_it_will_not_print() {
    let server = three_pages().await;
    let run = openai(
        &server,
        &["batches", "list", "--max-items", "3", "--format", "jsonl"],
        b"",
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(ids(&run.stdout), ["a", "b", "c"]);
    assert_eq!(requests(&server).await.len(), 2);

    let server = three_pages().await;
    let run = openai(
        &server,
        &["batches", "list", "--max-items", "2", "--format", "jsonl"],
        b"",
    )
    .await;
    assert_eq!(ids(&run.stdout), ["a", "b"]);
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn an_empty_page_that_claims_more_ends_the_list() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/batches"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(&[], true)))
        .mount(&server)
        .await;
    let run = openai(&server, &["batches", "list", "--format", "jsonl"], b"").await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn raw_prints_the_first_page_as_received() {
    let server = three_pages().await;
    let run = openai(&server, &["batches", "list", "--format", "raw"], b"").await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&run.stdout).unwrap(),
        page(&["a", "b"], true)
    );
    assert_eq!(requests(&server).await.len(), 1);
}

/// A `responses create` server that streams `events` (already framed).
async fn streaming(events: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/responses"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/event-stream")
                .set_body_string(events.to_owned()),
        )
        .mount(&server)
        .await;
    server
}

const STREAM: &str = "event: response.created\r\ndata: {\"type\":\"response.created\",\"n\":1}\r\n\r\n\
: keep-alive\n\n\
event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\n\
data: \"delta\":\"h\\u00e9\"}\n\n\
data: [DONE]\n\n\
data: {\"after\":\"done\"}\n\n";

#[tokio::test]
async fn a_stream_prints_each_event_as_one_value_and_stops_at_done() {
    let server = streaming(STREAM).await;
    let args = [
        "responses",
        "create",
        "--model",
        "gpt-5.1",
        "--input",
        "hi",
        "--stream",
        "true",
        "--format",
        "jsonl",
    ];
    let run = openai(&server, &args, b"").await;
    assert_eq!(run.code, 0, "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            r#"{"type":"response.created","n":1}"#,
            "{\"type\":\"response.output_text.delta\",\"delta\":\"h\u{e9}\"}"
        ],
        "{run:?}"
    );
    let request = support::only_request(&server).await;
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["stream"], true);

    let capped = openai(&server, &[&args[..], &["--max-items", "1"]].concat(), b"").await;
    assert_eq!(capped.stdout.lines().count(), 1, "{capped:?}");

    let picked = openai(
        &server,
        &[&args[..], &["--transform", "delta", "-r"]].concat(),
        b"",
    )
    .await;
    assert_eq!(picked.code, 0, "{picked:?}");
    assert_eq!(picked.stdout, "h\u{e9}\n");
}

#[tokio::test]
async fn an_error_event_ends_the_stream_with_exit_1() {
    let server = streaming(
        "data: {\"type\":\"response.created\"}\n\n\
         event: error\ndata: {\"error\":{\"message\":\"overloaded\\u001b[31m\"}}\n\n",
    )
    .await;
    let run = openai(
        &server,
        &[
            "responses",
            "create",
            "--model",
            "m",
            "--input",
            "hi",
            "--stream=true",
        ],
        b"",
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("response.created"), "{run:?}");
    assert!(run.stderr.contains("overloaded"), "{run:?}");
    assert!(!run.stderr.contains('\u{1b}'), "{run:?}");
}

#[tokio::test]
async fn stream_false_asks_for_one_reply() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/responses"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"id":"resp_1"}"#))
        .mount(&server)
        .await;
    let run = openai(
        &server,
        &[
            "responses",
            "create",
            "--model",
            "m",
            "--input",
            "hi",
            "--stream=false",
            "--format",
            "jsonl",
        ],
        b"",
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, "{\"id\":\"resp_1\"}\n");
    let body: serde_json::Value =
        serde_json::from_slice(&support::only_request(&server).await.body).unwrap();
    assert_eq!(body["stream"], false);
}

#[tokio::test]
async fn admin_operations_carry_the_admin_key_only() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/organization/projects"))
        .and(header("authorization", "Bearer sk-admin-ONLY"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(&["proj_1"], false)))
        .mount(&server)
        .await;
    let run = openai(
        &server,
        &[
            "--admin-api-key",
            "sk-admin-ONLY",
            "admin:organization:projects",
            "list",
            "--format",
            "jsonl",
        ],
        b"",
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(ids(&run.stdout), ["proj_1"]);
    assert!(!run.stderr.contains("sk-admin-ONLY"));
}

#[cfg(unix)]
#[tokio::test]
async fn output_to_dev_null_writes_it_and_leaves_the_device() {
    use std::os::unix::fs::FileTypeExt;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/containers/c1/files/f1/content"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![7u8; 4096]))
        .mount(&server)
        .await;
    let run = openai(
        &server,
        &[
            "containers:files:content",
            "retrieve",
            "c1",
            "f1",
            "--output",
            "/dev/null",
        ],
        b"",
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let meta = std::fs::metadata("/dev/null").unwrap();
    assert!(meta.file_type().is_char_device());
}

mod webhooks {
    use std::time::{SystemTime, UNIX_EPOCH};

    use openai_runtime::webhooks::Webhook;

    use crate::support::run_with_stdin;

    const WEBHOOK_SECRET: &str = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    const BODY: &str = r#"{"id":"evt_1","type":"response.completed","data":{"id":"resp_1"}}"#;

    fn now() -> i64 {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        i64::try_from(secs).unwrap()
    }

    async fn unwrap(body: &str, timestamp: i64, signature: &str) -> crate::support::Run {
        let ts = timestamp.to_string();
        let run = run_with_stdin(
            &[
                "webhooks",
                "unwrap",
                "--webhook-id",
                "msg_1",
                "--webhook-timestamp",
                &ts,
                "--webhook-signature",
                signature,
                "--format",
                "jsonl",
            ],
            &[("OPENAI_WEBHOOK_SECRET", WEBHOOK_SECRET)],
            Some(body.as_bytes()),
        )
        .await;
        assert!(!run.stdout.contains(WEBHOOK_SECRET) && !run.stderr.contains(WEBHOOK_SECRET));
        run
    }

    fn sign(timestamp: i64, body: &str) -> String {
        Webhook::new(WEBHOOK_SECRET)
            .unwrap()
            .sign("msg_1", timestamp, body.as_bytes())
    }

    #[tokio::test]
    async fn a_genuine_webhook_prints_its_event() {
        let ts = now();
        let signature = format!("v1,bm90LXRoaXMtb25l {}", sign(ts, BODY));
        let run = unwrap(BODY, ts, &signature).await;
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.stdout, format!("{BODY}\n"));
    }

    #[tokio::test]
    async fn a_tampered_old_or_unsigned_webhook_exits_1_saying_why() {
        let ts = now();
        let tampered = unwrap(&BODY.replace("resp_1", "resp_2"), ts, &sign(ts, BODY)).await;
        assert_eq!(tampered.code, 1, "{tampered:?}");
        assert!(
            tampered.stderr.contains("no webhook signature matches"),
            "{tampered:?}"
        );
        assert_eq!(tampered.stdout, "");

        let old = ts - 3600;
        let stale = unwrap(BODY, old, &sign(old, BODY)).await;
        assert_eq!(stale.code, 1, "{stale:?}");
        assert!(stale.stderr.contains("too old"), "{stale:?}");

        let ahead = ts + 3600;
        let future = unwrap(BODY, ahead, &sign(ahead, BODY)).await;
        assert_eq!(future.code, 1, "{future:?}");
        assert!(future.stderr.contains("in the future"), "{future:?}");
    }

    #[tokio::test]
    async fn no_secret_is_a_usage_error() {
        let run = run_with_stdin(
            &[
                "webhooks",
                "unwrap",
                "--webhook-id",
                "m",
                "--webhook-timestamp",
                "1",
                "--webhook-signature",
                "v1,x",
            ],
            &[],
            Some(BODY.as_bytes()),
        )
        .await;
        assert_eq!(run.code, 2, "{run:?}");
    }
}

#[tokio::test]
async fn at_paths_embed_files_in_flags_and_on_stdin() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/responses"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"id":"resp_1"}"#))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "be brief").unwrap();
    let at_notes = format!("@{}", notes.display());
    let metadata = format!("{{source: \"@{}\", who: \"\\\\@me\"}}", notes.display());
    let run = openai(
        &server,
        &[
            "responses",
            "create",
            "--model",
            "m",
            "--input",
            "hi",
            "--instructions",
            &at_notes,
            "--user",
            "@octocat",
            "--metadata",
            &metadata,
        ],
        b"",
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let body: serde_json::Value =
        serde_json::from_slice(&support::only_request(&server).await.body).unwrap();
    assert_eq!(body["instructions"], "be brief");
    assert_eq!(body["user"], "@octocat");
    assert_eq!(
        body["metadata"],
        serde_json::json!({"source": "be brief", "who": "@me"})
    );

    let missing = openai(
        &server,
        &[
            "responses",
            "create",
            "--model",
            "m",
            "--input",
            "@./no-such-file.txt",
        ],
        b"",
    )
    .await;
    assert_eq!(missing.code, 2, "{missing:?}");
    assert_eq!(requests(&server).await.len(), 1, "nothing more was sent");
}

#[tokio::test]
async fn an_admin_command_runs_on_the_admin_key_alone_and_others_do_not() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/organization/projects"))
        .and(header("authorization", "Bearer sk-admin-ONLY"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(&["proj_1"], false)))
        .mount(&server)
        .await;
    let url = support::base(&server);
    let admin = support::run(
        &[
            "--base-url",
            &url,
            "--admin-api-key",
            "sk-admin-ONLY",
            "admin:organization:projects",
            "list",
        ],
        &[],
    )
    .await;
    assert_eq!(admin.code, 0, "{admin:?}");
    let other = support::run(
        &[
            "--base-url",
            &url,
            "--admin-api-key",
            "sk-admin-ONLY",
            "batches",
            "list",
        ],
        &[],
    )
    .await;
    assert_eq!(other.code, 2, "{other:?}");
    assert_eq!(requests(&server).await.len(), 1);
}

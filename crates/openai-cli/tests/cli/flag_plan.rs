//! What the generator's flag plan gives every command, shown on the uploads commands:
//! the official `resource:subresource` spelling, object-valued flags beside their dotted
//! fields, stdin keys filling path parameters and files, required values checked after the
//! merge with stdin, and open enums.

use serde_json::{Value, json};
use wiremock::MockServer;

use crate::support::{self, PART, PENDING, openai, run, serve_post, silent};

/// The one request received: its path and its body (JSON, or the raw bytes as a string).
async fn only_request(server: &MockServer) -> (String, Value) {
    let request = support::only_request(server).await;
    let body = serde_json::from_slice(&request.body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&request.body).into_owned()));
    (request.url.path().to_owned(), body)
}

const CREATE: &[&str] = &[
    "uploads",
    "create",
    "--bytes",
    "0",
    "--filename",
    "filename",
    "--mime-type",
    "mime_type",
    "--purpose",
    "assistants",
];

#[tokio::test]
async fn object_flags_take_yaml_or_json_and_dotted_flags_refine_them() {
    for (extra, expected) in [
        (
            vec!["--expires-after", "{anchor: created_at, seconds: 3600}"],
            json!({"anchor": "created_at", "seconds": 3600}),
        ),
        (
            vec![
                "--expires-after",
                r#"{"anchor": "created_at", "seconds": 7200}"#,
            ],
            json!({"anchor": "created_at", "seconds": 7200}),
        ),
        (
            vec![
                "--expires-after",
                "{anchor: created_at, seconds: 3600}",
                "--expires-after.seconds",
                "86400",
            ],
            json!({"anchor": "created_at", "seconds": 86400}),
        ),
    ] {
        let server = serve_post("/v1/uploads", PENDING).await;
        let mut args = CREATE.to_vec();
        args.extend(&extra);
        let run = openai(&server, &args, b"").await;
        assert_eq!(run.code, 0, "{extra:?}: {run:?}");
        let (_, body) = only_request(&server).await;
        assert_eq!(body["expires_after"], expected, "{extra:?}");
    }

    let server = silent().await;
    let mut args = CREATE.to_vec();
    args.extend(["--expires-after", "[1, 2]"]);
    let run = openai(&server, &args, b"").await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("expected an object"), "{}", run.stderr);
}

#[tokio::test]
async fn the_official_subresource_spelling_works_too() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file.txt");
    std::fs::write(&file, "Example data").unwrap();
    for command in [
        &["uploads:parts", "create"][..],
        &["uploads", "parts", "create"],
    ] {
        let server = serve_post("/v1/uploads/upload_abc123/parts", PART).await;
        let mut args = command.to_vec();
        args.extend([
            "--upload-id",
            "upload_abc123",
            "--data",
            file.to_str().unwrap(),
        ]);
        let run = openai(&server, &args, b"").await;
        assert_eq!(run.code, 0, "{command:?}: {run:?}");
        let (_, body) = only_request(&server).await;
        let body = body.as_str().unwrap().to_owned();
        assert!(
            body.contains(r#"name="data"; filename="file.txt""#) && body.contains("Example data"),
            "{body}"
        );
    }
    let help = run(&["--help"], &[]).await;
    assert!(help.stdout.contains("uploads:parts"), "{}", help.stdout);
}

#[tokio::test]
async fn stdin_keys_fill_path_parameters_and_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file.txt");
    std::fs::write(&file, "Example data").unwrap();
    let stdin = format!("upload_id: upload_abc123\ndata: {}", file.display());
    let server = serve_post("/v1/uploads/upload_abc123/parts", PART).await;
    let run = openai(&server, &["uploads:parts", "create"], stdin.as_bytes()).await;
    assert_eq!(run.code, 0, "{run:?}");
    let (_, body) = only_request(&server).await;
    assert!(body.as_str().unwrap().contains("Example data"), "{body}");

    // The path parameter never reaches the body; a flag or positional wins over stdin.
    let stdin = b"upload_id: upload_from_stdin\npart_ids: [part_a]\n";
    for args in [
        &["uploads", "complete", "--upload-id", "upload_g"][..],
        &["uploads", "complete", "upload_g"],
    ] {
        let server = serve_post("/v1/uploads/upload_g/complete", PENDING).await;
        let run = openai(&server, args, stdin).await;
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        let (path, body) = only_request(&server).await;
        assert_eq!(path, "/v1/uploads/upload_g/complete");
        assert_eq!(body, json!({"part_ids": ["part_a"]}));
    }
    let server = serve_post("/v1/uploads/upload_from_stdin/cancel", PENDING).await;
    let run = openai(
        &server,
        &["uploads", "cancel"],
        b"{\"upload_id\": \"upload_from_stdin\"}",
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
}

#[tokio::test]
async fn required_values_may_come_from_stdin_and_all_missing_ones_are_named() {
    let server = serve_post("/v1/uploads", PENDING).await;
    let run = openai(
        &server,
        &["uploads", "create", "--filename", "a.jsonl"],
        b"bytes: 9\nmime_type: text/jsonl\npurpose: fine-tune\n",
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");

    let server = silent().await;
    let run = openai(&server, &["uploads", "complete"], b"md5: abc\n").await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("missing --upload-id and --part-id")
            && run.stderr.contains("`upload_id` and `part_ids`"),
        "{}",
        run.stderr
    );
    assert!(support::requests(&server).await.is_empty());
}

#[tokio::test]
async fn open_enums_list_their_values_and_pass_others() {
    let server = serve_post("/v1/uploads", PENDING).await;
    let mut args = CREATE.to_vec();
    let purpose = args.iter().position(|a| *a == "assistants").unwrap();
    args[purpose] = "user_data";
    let sent = openai(&server, &args, b"").await;
    assert_eq!(sent.code, 0, "{sent:?}");
    let (_, body) = only_request(&server).await;
    assert_eq!(body["purpose"], "user_data");

    let help = run(&["uploads", "create", "--help"], &[]).await;
    assert!(
        help.stdout.contains("[values: assistants, batch"),
        "{}",
        help.stdout
    );
    assert!(help.stdout.contains("[required]"), "{}", help.stdout);
}

#[tokio::test]
async fn data_dash_streams_the_part_from_stdin() {
    let server = serve_post("/v1/uploads/upload_abc123/parts", PART).await;
    let run = openai(
        &server,
        &["uploads:parts", "create", "upload_abc123", "--data", "-"],
        b"Example data",
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let (_, body) = only_request(&server).await;
    let body = body.as_str().unwrap().to_owned();
    assert!(
        body.contains(r#"name="data"; filename="anonymous_file""#) && body.contains("Example data"),
        "{body}"
    );
}

//! The generated `uploads create`, `uploads complete` and `uploads parts create`: the exact
//! requests they send, from flags and from a body on stdin, and the manual flow on the fake.

use serde_json::{Value, json};
use wiremock::MockServer;

use crate::support::{PART, PENDING, only_request, openai, run_with_stdin, serve_post, silent};

/// The one request the server received, as (path, JSON body).
async fn only_json_request(server: &MockServer) -> (String, Value) {
    let request = only_request(server).await;
    assert_eq!(
        request.headers.get("content-type").unwrap(),
        "application/json"
    );
    let body = serde_json::from_slice(&request.body).expect("a JSON body");
    (request.url.path().to_owned(), body)
}

#[tokio::test]
async fn create_from_flags() {
    let server = serve_post("/v1/uploads", PENDING).await;
    let run = openai(
        &server,
        &[
            "uploads",
            "create",
            "--filename",
            "a.jsonl",
            "--purpose",
            "fine-tune",
            "--bytes",
            "9",
            "--mime-type",
            "text/jsonl",
            "--expires-after.anchor",
            "created_at",
            "--expires-after.seconds",
            "7200",
            "--format",
            "jsonl",
        ],
        b"",
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, format!("{PENDING}\n"));
    let (path, body) = only_json_request(&server).await;
    assert_eq!(path, "/v1/uploads");
    assert_eq!(
        body,
        json!({
            "filename": "a.jsonl",
            "purpose": "fine-tune",
            "bytes": 9,
            "mime_type": "text/jsonl",
            "expires_after": {"anchor": "created_at", "seconds": 7200}
        })
    );
}

#[tokio::test]
async fn create_from_json_on_stdin_with_a_flag_on_top() {
    let server = serve_post("/v1/uploads", PENDING).await;
    let stdin = br#"{"filename":"b.jsonl","purpose":"batch","bytes":5,"mime_type":"text/jsonl","expires_after":{"anchor":"created_at","seconds":3600}}"#;
    let run = openai(
        &server,
        &[
            "uploads",
            "create",
            "--bytes",
            "9",
            "--expires-after.seconds",
            "7200",
        ],
        stdin,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let (_, body) = only_json_request(&server).await;
    // A flag wins over the same field on stdin; a nested flag keeps its siblings.
    assert_eq!(
        body,
        json!({
            "filename": "b.jsonl",
            "purpose": "batch",
            "bytes": 9,
            "mime_type": "text/jsonl",
            "expires_after": {"anchor": "created_at", "seconds": 7200}
        })
    );
}

#[tokio::test]
async fn create_from_yaml_on_stdin() {
    let server = serve_post("/v1/uploads", PENDING).await;
    let stdin = b"filename: c.pdf\npurpose: assistants\nbytes: 2048\nmime_type: application/pdf\n";
    let run = openai(&server, &["uploads", "create"], stdin).await;
    assert_eq!(run.code, 0, "{run:?}");
    let (_, body) = only_json_request(&server).await;
    assert_eq!(
        body,
        json!({"filename": "c.pdf", "purpose": "assistants", "bytes": 2048, "mime_type": "application/pdf"})
    );
}

#[tokio::test]
async fn bad_create_bodies_send_nothing() {
    for (args, stdin, needle) in [
        (
            vec!["uploads", "create"],
            &b""[..],
            "missing --filename, --purpose, --bytes and --mime-type",
        ),
        (
            vec!["uploads", "create", "--filename", "a"],
            &b"bytes: 1\n"[..],
            "missing --purpose and --mime-type",
        ),
        (
            vec!["uploads", "create"],
            &b"[1, 2]"[..],
            "expected a JSON object or YAML mapping",
        ),
        (
            vec!["uploads", "create"],
            &b"{"[..],
            "neither JSON nor YAML",
        ),
        (
            vec!["uploads", "create", "--bytes", "many"],
            &b""[..],
            "invalid value 'many'",
        ),
    ] {
        let server = silent().await;
        let run = openai(&server, &args, stdin).await;
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, "");
    }
}

#[tokio::test]
async fn complete_with_part_ids_and_md5() {
    let server = serve_post("/v1/uploads/upload_g/complete", PENDING).await;
    let run = openai(
        &server,
        &[
            "uploads",
            "complete",
            "upload_g",
            "--part-id",
            "part_a",
            "--part-id",
            "part_b",
            "--md5",
            "d41d8cd98f00b204e9800998ecf8427e",
        ],
        b"",
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let (path, body) = only_json_request(&server).await;
    assert_eq!(path, "/v1/uploads/upload_g/complete");
    assert_eq!(
        body,
        json!({"part_ids": ["part_a", "part_b"], "md5": "d41d8cd98f00b204e9800998ecf8427e"})
    );
}

#[tokio::test]
async fn complete_with_the_id_flag_and_parts_on_stdin() {
    let server = serve_post("/v1/uploads/upload_g/complete", PENDING).await;
    let run = openai(
        &server,
        &["uploads", "complete", "--upload-id", "upload_g"],
        b"part_ids: [part_b, part_a]\n",
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let (_, body) = only_json_request(&server).await;
    assert_eq!(body, json!({"part_ids": ["part_b", "part_a"]}));
}

/// The parts of a `multipart/form-data` body: (headers, bytes) each.
fn form_parts(content_type: &str, body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .expect("a boundary")
        .trim_matches('"');
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut rest = body;
    // Everything before the first delimiter is preamble.
    let start = find(rest, delimiter.as_bytes()).expect("a first delimiter");
    rest = &rest[start + delimiter.len()..];
    while !rest.starts_with(b"--") {
        rest = rest
            .strip_prefix(b"\r\n")
            .expect("CRLF after the delimiter");
        let end = find(rest, format!("\r\n{delimiter}").as_bytes()).expect("a closing delimiter");
        let part = &rest[..end];
        let split = find(part, b"\r\n\r\n").expect("headers end");
        parts.push((
            String::from_utf8_lossy(&part[..split]).into_owned(),
            part[split + 4..].to_vec(),
        ));
        rest = &rest[end + 2 + delimiter.len()..];
    }
    parts
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[tokio::test]
async fn parts_create_sends_the_file_as_multipart() {
    let server = serve_post("/v1/uploads/upload_g/parts", PART).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chunk.bin");
    // CRLFs, dashes and NULs: the bytes must arrive untouched.
    let bytes: Vec<u8> = b"\r\n--\0binary\xff\r\n\r\n"
        .iter()
        .copied()
        .chain((0..=255u8).cycle().take(5000))
        .collect();
    std::fs::write(&file, &bytes).unwrap();
    let run = openai(
        &server,
        &[
            "uploads",
            "parts",
            "create",
            "upload_g",
            "--data",
            file.to_str().unwrap(),
        ],
        b"",
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let printed: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(printed["id"], "part_g");

    let request = &only_request(&server).await;
    assert_eq!(request.url.path(), "/v1/uploads/upload_g/parts");
    let content_type = request
        .headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        content_type.starts_with("multipart/form-data"),
        "{content_type}"
    );
    let parts = form_parts(content_type, &request.body);
    assert_eq!(parts.len(), 1, "one field");
    let (headers, data) = &parts[0];
    assert!(
        headers.contains(r#"name="data""#) && headers.contains(r#"filename="chunk.bin""#),
        "{headers}"
    );
    assert!(data == &bytes, "the part's bytes differ from the file");
}

#[tokio::test]
async fn parts_create_needs_a_readable_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.bin");
    let folder = dir.path().to_str().unwrap().to_owned();
    for (args, needle) in [
        (
            vec![
                "uploads",
                "parts",
                "create",
                "u",
                "--data",
                missing.to_str().unwrap(),
            ],
            "missing.bin",
        ),
        (
            vec!["uploads", "parts", "create", "u", "--data", &folder],
            "data",
        ),
        (vec!["uploads", "parts", "create", "u"], "missing --data"),
    ] {
        let server = silent().await;
        let run = openai(&server, &args, b"").await;
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
}

/// The whole flow by hand, against the fake: create, two parts, complete with the md5.
#[tokio::test]
async fn the_manual_flow_on_the_fake() {
    use md5::{Digest, Md5};
    let fake = openai_fake::Fake::start(openai_fake::Config {
        seed: false,
        ..Default::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (b"first half, ".to_vec(), b"second half\n".to_vec());
    let paths = [dir.path().join("1"), dir.path().join("2")];
    std::fs::write(&paths[0], &first).unwrap();
    std::fs::write(&paths[1], &second).unwrap();
    let url = fake.base_url();
    let cli = |args: Vec<String>, stdin: Vec<u8>| {
        let url = url.clone();
        async move {
            let mut all = vec!["--base-url".to_owned(), url, "--api-key".into(), "k".into()];
            all.extend(args);
            all.extend(["--transform".into(), "id".into(), "-r".into()]);
            let all: Vec<&str> = all.iter().map(String::as_str).collect();
            let run = run_with_stdin(&all, &[], Some(stdin.as_slice())).await;
            assert_eq!(run.code, 0, "{all:?}: {run:?}");
            run.stdout.trim().to_owned()
        }
    };
    let total = first.len() + second.len();
    let id = cli(
        vec![
            "uploads".into(),
            "create".into(),
            "--bytes".into(),
            total.to_string(),
        ],
        b"{filename: whole.txt, purpose: assistants, mime_type: text/plain}".to_vec(),
    )
    .await;
    let mut part_ids = Vec::new();
    // Sent in reverse order: the completion's order is what counts.
    for path in paths.iter().rev() {
        let args = [
            "uploads",
            "parts",
            "create",
            &id,
            "--data",
            path.to_str().unwrap(),
        ];
        part_ids.push(cli(args.map(String::from).to_vec(), Vec::new()).await);
    }
    part_ids.reverse();
    let whole = [first, second].concat();
    let md5: String = Md5::digest(&whole)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut args: Vec<String> = ["uploads", "complete", &id, "--md5", &md5]
        .map(String::from)
        .to_vec();
    for part in &part_ids {
        args.extend(["--part-id".to_owned(), part.clone()]);
    }
    assert_eq!(cli(args, Vec::new()).await, id);
    assert_eq!(fake.file_bytes(&id).unwrap(), whole);
    assert_eq!(
        fake.upload(&id).unwrap().status,
        openai_fake::UploadStatus::Completed
    );
}

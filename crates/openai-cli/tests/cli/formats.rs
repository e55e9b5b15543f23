//! What a successful call prints.

use crate::support::*;

const SEED_JSONL: &str = r#"{"id":"id","bytes":0,"created_at":0,"expires_at":0,"filename":"filename","object":"upload","purpose":"purpose","status":"pending","file":{"id":"id","bytes":0,"created_at":0,"filename":"filename","object":"file","purpose":"assistants","status":"uploaded","expires_at":0,"status_details":"status_details"}}"#;

const SEED_YAML: &str = "\
id: id
bytes: 0
created_at: 0
expires_at: 0
filename: filename
object: upload
purpose: purpose
status: pending
file:
  id: id
  bytes: 0
  created_at: 0
  filename: filename
  object: file
  purpose: assistants
  status: uploaded
  expires_at: 0
  status_details: status_details
";

const SEED_PRETTY: &str = "\
id:         id
bytes:      0
created_at: 0 (1970-01-01T00:00:00Z)
expires_at: 0 (1970-01-01T00:00:00Z)
filename:   filename
object:     upload
purpose:    purpose
status:     pending
file:
  id:             id
  bytes:          0
  created_at:     0 (1970-01-01T00:00:00Z)
  filename:       filename
  object:         file
  purpose:        assistants
  status:         uploaded
  expires_at:     0 (1970-01-01T00:00:00Z)
  status_details: status_details
";

async fn seed_as(format: &str, env: &[(&str, &str)]) -> Run {
    let server = serve("upload_abc123", 200, SEED).await;
    let url = base(&server);
    let args = [
        "uploads",
        "cancel",
        "upload_abc123",
        "--format",
        format,
        "--base-url",
        &url,
        "--api-key",
        "k",
    ];
    let run = run(&args, env).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stderr, "", "nothing on stderr on success");
    run
}

#[tokio::test]
async fn json_is_the_seed_indented() {
    assert_eq!(seed_as("json", &[]).await.stdout, format!("{SEED}\n"));
}

#[tokio::test]
async fn auto_off_a_terminal_is_plain_indented_json() {
    assert_eq!(seed_as("auto", &[]).await.stdout, format!("{SEED}\n"));
    let forced_then_denied = seed_as("auto", &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).await;
    assert_eq!(forced_then_denied.stdout, format!("{SEED}\n"));
}

#[tokio::test]
async fn auto_with_colour_forced_is_coloured_json() {
    let out = seed_as("auto", &[("CLICOLOR_FORCE", "1")]).await.stdout;
    assert!(
        out.starts_with("{\n  \x1b[1;34m\"id\"\x1b[0m: \x1b[32m\"id\"\x1b[0m,\n"),
        "{out:?}"
    );
    assert!(
        out.contains("\x1b[1;34m\"bytes\"\x1b[0m: \x1b[36m0\x1b[0m,\n"),
        "{out:?}"
    );
    let plain = out
        .replace("\x1b[1;34m", "")
        .replace("\x1b[32m", "")
        .replace("\x1b[36m", "");
    assert_eq!(plain.replace("\x1b[0m", ""), format!("{SEED}\n"));
}

#[tokio::test]
async fn jsonl_is_one_line() {
    assert_eq!(
        seed_as("jsonl", &[]).await.stdout,
        format!("{SEED_JSONL}\n")
    );
}

#[tokio::test]
async fn yaml() {
    assert_eq!(seed_as("yaml", &[]).await.stdout, SEED_YAML);
}

#[tokio::test]
async fn pretty() {
    assert_eq!(seed_as("pretty", &[]).await.stdout, SEED_PRETTY);
}

#[tokio::test]
async fn raw_is_the_body_as_received() {
    assert_eq!(seed_as("raw", &[]).await.stdout, format!("{SEED}\n"));
    let odd = r#"{ "status" : "cancelled" ,"id":"u","bytes":1,"created_at":2,"expires_at":3,"filename":"f","object":"upload","purpose":"p" }"#;
    let server = serve("u", 200, odd).await;
    let run = cancel(&server, "u", &["--format", "raw"]).await;
    assert_eq!(run.stdout, format!("{odd}\n"));
}

#[tokio::test]
async fn fields_the_model_does_not_know_are_kept_in_order() {
    let body = r#"{"zz_new":{"nested":[1,2]},"id":"u","bytes":1,"created_at":2,"expires_at":3,"filename":"f","object":"upload","purpose":"p","status":"some_new_status","extra":null}"#;
    let server = serve("u", 200, body).await;
    let run = cancel(&server, "u", &["--format", "jsonl"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, format!("{body}\n"));
}

#[tokio::test]
async fn positional_and_flag_forms_send_the_same_request() {
    let server = serve("upload_abc123", 200, CANCELLED).await;
    let url = base(&server);
    let forms: [&[&str]; 4] = [
        &["uploads", "cancel", "upload_abc123"],
        &["uploads", "cancel", "--upload-id", "upload_abc123"],
        &["uploads", "cancel", "--upload-id=upload_abc123"],
        &["--format", "jsonl", "uploads", "cancel", "upload_abc123"],
    ];
    for form in forms {
        let mut args = form.to_vec();
        args.extend(["--base-url", &url, "--api-key", "k", "--format", "jsonl"]);
        let run = run(&args, &[]).await;
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (0, format!("{CANCELLED}\n").as_str()),
            "{form:?}"
        );
    }
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 4);
    for request in sent {
        assert_eq!(request.method.as_str(), "POST");
        assert_eq!(request.url.path(), "/v1/uploads/upload_abc123/cancel");
        assert!(request.body.is_empty());
    }
}

#[tokio::test]
async fn an_id_with_a_slash_stays_one_path_segment() {
    let server = serve("a%2Fb%3Fc", 200, CANCELLED).await;
    let run = cancel(&server, "a/b?c", &[]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        requests(&server).await[0].url.path(),
        "/v1/uploads/a%2Fb%3Fc/cancel"
    );
}

#[tokio::test]
async fn transform_picks_a_field() {
    let server = serve("upload_abc123", 200, CANCELLED).await;
    let run1 = cancel(&server, "upload_abc123", &["--transform", "status"]).await;
    assert_eq!((run1.code, run1.stdout.as_str()), (0, "\"cancelled\"\n"));
    let run2 = cancel(&server, "upload_abc123", &["--transform", "status", "-r"]).await;
    assert_eq!((run2.code, run2.stdout.as_str()), (0, "cancelled\n"));
    let run3 = cancel(
        &server,
        "upload_abc123",
        &["--transform", "status", "--raw-output", "--format", "yaml"],
    )
    .await;
    assert_eq!(run3.stdout, "cancelled\n");
    let run4 = cancel(&server, "upload_abc123", &["--transform", "bytes", "-r"]).await;
    assert_eq!(run4.stdout, "2147483648\n");
    let run5 = cancel(
        &server,
        "upload_abc123",
        &["--transform", "{id,status}", "--format", "jsonl"],
    )
    .await;
    assert_eq!(
        run5.stdout,
        "{\"id\":\"upload_abc123\",\"status\":\"cancelled\"}\n"
    );
}

#[tokio::test]
async fn transform_matching_nothing_is_an_error() {
    let server = serve("upload_abc123", 200, CANCELLED).await;
    let run = cancel(&server, "upload_abc123", &["--transform", "file.id"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("`file.id`"), "{}", run.stderr);
    assert!(run.stderr.contains("matched nothing"), "{}", run.stderr);
}

#[tokio::test]
async fn raw_output_leaves_objects_alone() {
    let server = serve("upload_abc123", 200, CANCELLED).await;
    let run = cancel(&server, "upload_abc123", &["-r", "--format", "jsonl"]).await;
    assert_eq!(run.stdout, format!("{CANCELLED}\n"));
}

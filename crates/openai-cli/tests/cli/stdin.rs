//! Stdin as the official CLI reads it: a pipe only if data comes within a short wait, a
//! regular file if it is not empty, a device never; a cap on what is read; and no command
//! ever waits on an idle stdin.

use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{
    HANG_GUARD, SECRET, base, clean_env, filled_pipe, requests, silent, wait_within,
};

const PENDING: &str = r#"{"id":"upload_s","object":"upload","bytes":1,"created_at":1719184911,"filename":"a","purpose":"batch","status":"pending","expires_at":1719188511,"file":null}"#;

/// The flags of a complete `uploads create`: nothing has to come from stdin.
const CREATE: [&str; 10] = [
    "uploads",
    "create",
    "--bytes",
    "1",
    "--filename",
    "a",
    "--mime-type",
    "text/plain",
    "--purpose",
    "batch",
];

async fn create_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/uploads"))
        .respond_with(ResponseTemplate::new(200).set_body_string(PENDING))
        .mount(&server)
        .await;
    server
}

/// `openai --base-url URL --api-key K args...` with `stdin`, stdout and stderr piped.
fn spawn(server: &MockServer, args: &[&str], stdin: impl Into<Stdio>) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_openai"));
    clean_env(&mut cmd);
    cmd.args(["--base-url", &base(server), "--api-key", SECRET])
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.spawn().expect("the binary starts")
}

async fn wait_async(child: Child) -> Option<std::process::Output> {
    tokio::task::spawn_blocking(move || wait_within(child, HANG_GUARD))
        .await
        .unwrap()
}

async fn only_body(server: &MockServer) -> Value {
    let sent = requests(server).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    serde_json::from_slice(&sent[0].body).expect("a JSON body")
}

/// The core promise: with every flag given and stdin an open pipe that nobody writes to
/// (Node's `execFile`, CI runners, IDE terminals), the command runs and ends while the
/// pipe is still open.
#[tokio::test]
async fn an_idle_pipe_is_never_waited_on() {
    for args in [
        &CREATE[..],
        &["uploads", "complete", "upload_s", "--part-id", "part_a"],
        &["uploads", "cancel", "upload_s"],
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_string(PENDING))
            .mount(&server)
            .await;
        let (reader, writer) = std::io::pipe().unwrap();
        let child = spawn(&server, args, reader);
        let output = wait_async(child)
            .await
            .unwrap_or_else(|| panic!("{args:?} still runs on an idle stdin"));
        // The write end was open the whole time: the process ended on its own.
        drop(writer);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {output:?}");
        assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), {
            let pretty: Value = serde_json::from_str(PENDING).unwrap();
            serde_json::to_string_pretty(&pretty).unwrap()
        });
        assert_eq!(requests(&server).await.len(), 1, "{args:?}");
    }
    let server = create_server().await;
    let (reader, writer) = std::io::pipe().unwrap();
    let output = wait_async(spawn(&server, &CREATE, reader)).await.unwrap();
    drop(writer);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        only_body(&server).await,
        json!({"bytes": 1, "filename": "a", "mime_type": "text/plain", "purpose": "batch"})
    );
}

/// A pipe whose writer has already written and closed is read, as before.
#[tokio::test]
async fn a_pipe_with_data_is_read() {
    let server = create_server().await;
    let stdin = filled_pipe(b"expires_after:\n  anchor: created_at\n  seconds: 3600\n".to_vec());
    let output = wait_async(spawn(&server, &CREATE, stdin)).await.unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(
        only_body(&server).await["expires_after"],
        json!({"anchor": "created_at", "seconds": 3600})
    );
}

/// `< file` is read when the file has something in it; an empty file, `/dev/null` and
/// `/dev/zero` (devices) are not read at all, so `</dev/zero` no longer grows the process.
#[tokio::test]
async fn files_and_devices() {
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(
        &body,
        r#"{"bytes": 1, "filename": "f", "mime_type": "text/plain", "purpose": "batch"}"#,
    )
    .unwrap();
    let server = create_server().await;
    let stdin = std::fs::File::open(&body).unwrap();
    let output = wait_async(spawn(&server, &["uploads", "create"], stdin))
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(only_body(&server).await["filename"], "f");

    let empty = dir.path().join("empty");
    std::fs::write(&empty, "").unwrap();
    for stdin in [empty.as_path(), "/dev/null".as_ref(), "/dev/zero".as_ref()] {
        let server = create_server().await;
        let file = std::fs::File::open(stdin).unwrap();
        let output = wait_async(spawn(&server, &CREATE, file))
            .await
            .unwrap_or_else(|| panic!("{} is waited on", stdin.display()));
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}: {output:?}",
            stdin.display()
        );
        assert_eq!(only_body(&server).await["filename"], "a");
    }
}

/// An endless pipe is read up to the cap, then refused with a message naming it; nothing is
/// sent.
#[tokio::test]
async fn what_is_read_from_stdin_is_capped() {
    let server = silent().await;
    let mut child = spawn(&server, &["uploads", "create"], Stdio::piped());
    let mut pipe = child.stdin.take().unwrap();
    // Writes until the binary closes its end; the error that ends it is the point.
    std::thread::spawn(move || {
        let chunk = vec![b'a'; 64 * 1024];
        while std::io::Write::write_all(&mut pipe, &chunk).is_ok() {}
    });
    let output = wait_async(child).await.expect("the read stops at the cap");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("stdin holds more than 16 MiB"), "{stderr}");
    assert!(requests(&server).await.is_empty());
}

//! Running the binary and serving the seed's example Upload.

use std::time::Duration;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The example response from the seed page, byte for byte.
pub const SEED: &str = r#"{
  "id": "id",
  "bytes": 0,
  "created_at": 0,
  "expires_at": 0,
  "filename": "filename",
  "object": "upload",
  "purpose": "purpose",
  "status": "pending",
  "file": {
    "id": "id",
    "bytes": 0,
    "created_at": 0,
    "filename": "filename",
    "object": "file",
    "purpose": "assistants",
    "status": "uploaded",
    "expires_at": 0,
    "status_details": "status_details"
  }
}"#;

/// A cancelled Upload, as the API returns it (compact).
pub const CANCELLED: &str = r#"{"id":"upload_abc123","object":"upload","bytes":2147483648,"created_at":1719184911,"filename":"training_examples.jsonl","purpose":"fine-tune","status":"cancelled","expires_at":1719127296}"#;

/// A key that must never show up in any output.
pub const SECRET: &str = "sk-proj-DISTINCTIVE-9f8e7d6c5b4a";

/// Variables the developer's environment could leak into a test.
const CLEARED: [&str; 8] = [
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "NO_COLOR",
    "CLICOLOR_FORCE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts that the key appears in neither stream.
    pub fn assert_no_secret(&self) {
        assert!(!self.stdout.contains(SECRET), "key on stdout: {self:?}");
        assert!(!self.stderr.contains(SECRET), "key on stderr: {self:?}");
        assert!(
            !self.stderr.contains("DISTINCTIVE"),
            "part of the key on stderr"
        );
    }
}

/// Where `uploads upload` keeps its journals in tests: the test target's scratch directory,
/// never the user's state directory.
pub const JOURNALS: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/journals");

/// Removes the variables the developer's environment could leak into a test, and keeps upload
/// journals out of the user's state directory.
pub fn clean_env(cmd: &mut std::process::Command) {
    for var in CLEARED {
        cmd.env_remove(var);
    }
    cmd.env("OPENAI_UPLOAD_JOURNAL_DIR", JOURNALS);
}

/// Runs `openai` with a clean environment plus `env`, and an empty stdin.
pub async fn run(args: &[&str], env: &[(&str, &str)]) -> Run {
    run_with_stdin(args, env, None).await
}

/// [`run`] with `stdin` on stdin (`None`: an empty pipe that is closed at once), through
/// a pipe that holds the bytes before the binary starts ([`filled_pipe`]).
pub async fn run_with_stdin(args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Run {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_openai"));
    clean_env(&mut cmd);
    cmd.args(args)
        .envs(env.iter().copied())
        .stdin(filled_pipe(stdin.unwrap_or_default().to_vec()));
    let output = tokio::task::spawn_blocking(move || output_within(cmd, HANG_GUARD))
        .await
        .unwrap()
        .expect("the binary ends before the hang guard");
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

/// A generous limit for a run: only a hang guard, never a test's verdict.
pub const HANG_GUARD: Duration = Duration::from_secs(60);

/// Runs `cmd` (its stdin as set; stdout and stderr captured) and returns its output, or
/// `None` if it is still running after `guard` (it is then killed).
pub fn output_within(
    mut cmd: std::process::Command,
    guard: Duration,
) -> Option<std::process::Output> {
    use std::process::Stdio;
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    wait_within(child, guard)
}

/// Waits for `child` (stdout and stderr piped) up to `guard`; `None` if it is still
/// running then (it is killed).
pub fn wait_within(child: std::process::Child, guard: Duration) -> Option<std::process::Output> {
    let pid = child.id();
    let (done, outcome) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output()));
    match outcome.recv_timeout(guard) {
        Ok(output) => Some(output.expect("output")),
        Err(_) => {
            // Not reaped yet, so the pid is still this child's.
            #[cfg(unix)]
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGKILL);
            }
            let _ = pid;
            None
        }
    }
}

/// The read end of a pipe that already holds `bytes` and whose write end is closed (or
/// closes once a thread has written them, for more than fits in the pipe). The binary
/// reads a pipe only if data is there within a short wait, so a test must not depend on
/// a writer thread being scheduled in time.
pub fn filled_pipe(bytes: Vec<u8>) -> std::io::PipeReader {
    use std::io::Write;
    /// Less than any pipe buffer (Linux: 64 KiB), so the write cannot block.
    const FITS: usize = 16 * 1024;
    let (reader, mut writer) = std::io::pipe().expect("a pipe");
    if bytes.len() <= FITS {
        writer.write_all(&bytes).expect("the pipe takes the bytes");
    } else {
        // A failed write means the binary stopped reading, which the test checks.
        std::thread::spawn(move || writer.write_all(&bytes));
    }
    reader
}

/// A server answering `POST /v1/uploads/{id}/cancel` with `body`.
pub async fn serve(id: &str, status: u16, body: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/uploads/{id}/cancel")))
        .respond_with(
            ResponseTemplate::new(status)
                .insert_header("content-type", "application/json")
                .insert_header("x-request-id", "req_123")
                .set_body_string(body),
        )
        .mount(&server)
        .await;
    server
}

/// A server that must receive nothing.
pub async fn silent() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_string(SEED))
        .expect(0)
        .mount(&server)
        .await;
    server
}

pub fn base(server: &MockServer) -> String {
    format!("{}/v1", server.uri())
}

pub async fn requests(server: &MockServer) -> Vec<wiremock::Request> {
    server.received_requests().await.expect("recording is on")
}

/// Runs `openai [extra] uploads cancel ID` against `server` with a key.
pub async fn cancel(server: &MockServer, id: &str, extra: &[&str]) -> Run {
    let url = base(server);
    let mut args = vec!["--base-url", url.as_str(), "--api-key", "k"];
    args.extend_from_slice(extra);
    args.extend(["uploads", "cancel", id]);
    run(&args, &[]).await
}

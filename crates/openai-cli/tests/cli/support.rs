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

/// Removes the variables the developer's environment could leak into a test.
pub fn clean_env(cmd: &mut std::process::Command) {
    for var in CLEARED {
        cmd.env_remove(var);
    }
}

/// Runs `openai` with a clean environment plus `env`.
pub async fn run(args: &[&str], env: &[(&str, &str)]) -> Run {
    run_with_stdin(args, env, None).await
}

/// [`run`] with `stdin` on stdin (`None`: inherited).
pub async fn run_with_stdin(args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Run {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let stdin = stdin.map(<[u8]>::to_vec);
    tokio::task::spawn_blocking(move || {
        let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("openai");
        for var in CLEARED {
            cmd.env_remove(var);
        }
        if let Some(stdin) = stdin {
            cmd.write_stdin(stdin);
        }
        let output = cmd
            .args(&args)
            .envs(env)
            .timeout(Duration::from_secs(60))
            .output()
            .expect("the binary runs");
        Run {
            code: output.status.code().expect("exited, not killed"),
            stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
            stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
        }
    })
    .await
    .unwrap()
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

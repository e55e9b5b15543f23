//! What the workspace's tests and benches share, written once: small
//! misbehaving servers on 127.0.0.1 ([`hostile`]) and the API's example
//! objects as its replies carry them.

pub mod hostile;

/// A cancelled Upload of 2 GiB with its File, as the API's reference shows
/// it (indented).
pub const UPLOAD_JSON: &str = r#"{
  "id": "upload_abc123",
  "bytes": 2147483648,
  "created_at": 1719184911,
  "expires_at": 1719188511,
  "filename": "training_examples.jsonl",
  "object": "upload",
  "purpose": "fine-tune",
  "status": "cancelled",
  "file": {
    "id": "file-xyz321",
    "bytes": 2147483648,
    "created_at": 1719186911,
    "filename": "training_examples.jsonl",
    "object": "file",
    "purpose": "fine-tune",
    "status": "uploaded",
    "expires_at": 0,
    "status_details": "status_details"
  }
}"#;

/// A cancelled Upload as the API returns it (compact, no File).
pub const CANCELLED: &str = r#"{"id":"upload_abc123","object":"upload","bytes":2147483648,"created_at":1719184911,"filename":"training_examples.jsonl","purpose":"fine-tune","status":"cancelled","expires_at":1719127296}"#;

/// Runs the test `test` (its full path in this test binary) again, in a
/// child process of this binary, with `env` set and `removed` unset;
/// returns its stderr. For what only a fresh process shows: logs written
/// to stderr, the environment read once, the process-wide TLS provider.
/// Panics unless the child passes.
pub fn run_test_in_child(
    test: &str,
    env: &[(&str, std::ffi::OsString)],
    removed: &[&str],
) -> String {
    let mut command = std::process::Command::new(std::env::current_exe().expect("the test binary"));
    command.args([test, "--exact", "--nocapture"]);
    for name in removed {
        command.env_remove(name);
    }
    command.envs(env.iter().map(|(k, v)| (k, v)));
    let output = command.output().expect("the child runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stderr).expect("UTF-8 stderr")
}

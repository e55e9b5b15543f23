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
pub use test_support::CANCELLED;

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

/// A pending Upload, as `uploads create` gets it back.
pub const PENDING: &str = r#"{"id":"upload_g","object":"upload","bytes":9,"created_at":1719184911,"filename":"a.jsonl","purpose":"fine-tune","status":"pending","expires_at":1719188511,"file":null}"#;

/// A Part of that Upload, as `uploads parts create` gets it back.
pub const PART: &str =
    r#"{"id":"part_g","object":"upload.part","created_at":1719184911,"upload_id":"upload_g"}"#;

/// A server answering `POST route` with 200 and the JSON `body`.
pub async fn serve_post(route: &str, body: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(route))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string(body),
        )
        .mount(&server)
        .await;
    server
}

/// Runs `openai --base-url SERVER --api-key SECRET ARGS` with `stdin`, and asserts that
/// the key shows in neither stream.
pub async fn openai(server: &MockServer, args: &[&str], stdin: &[u8]) -> Run {
    let url = base(server);
    let mut all = vec!["--base-url", url.as_str(), "--api-key", SECRET];
    all.extend_from_slice(args);
    let run = run_with_stdin(&all, &[], Some(stdin)).await;
    run.assert_no_secret();
    run
}

/// The one request `server` received (fails if it received none or more).
pub async fn only_request(server: &MockServer) -> wiremock::Request {
    let mut received = requests(server).await;
    assert_eq!(received.len(), 1, "{received:?}");
    received.remove(0)
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

/// The arguments of `openai --base-url BASE --api-key KEY [extra] uploads cancel ID`.
pub fn cancel_args<'a>(
    base: &'a str,
    key: &'a str,
    extra: &[&'a str],
    id: &'a str,
) -> Vec<&'a str> {
    let mut args = vec!["--base-url", base, "--api-key", key];
    args.extend_from_slice(extra);
    args.extend(["uploads", "cancel", id]);
    args
}

/// Runs `openai [extra] uploads cancel ID` against `server` with a key.
pub async fn cancel(server: &MockServer, id: &str, extra: &[&str]) -> Run {
    let url = base(server);
    run(&cancel_args(&url, "k", extra, id), &[]).await
}

/// Runs `openai --max-retries 0 uploads upload DIR/a.jsonl --purpose fine-tune EXTRA`
/// against `server` with a key, the file holding one line (one Part).
pub async fn upload_one_line(server: &MockServer, dir: &std::path::Path, extra: &[&str]) -> Run {
    let file = dir.join("a.jsonl");
    std::fs::write(&file, b"{}\n").unwrap();
    let url = base(server);
    let file = file.to_str().unwrap();
    let upload = ["uploads", "upload", file, "--purpose", "fine-tune"];
    let mut args = vec![
        "--base-url",
        url.as_str(),
        "--api-key",
        "k",
        "--max-retries",
        "0",
    ];
    args.extend(upload);
    args.extend_from_slice(extra);
    run(&args, &[]).await
}

/// A fake API with no seeded Uploads that wants [`SECRET`] as its key.
pub fn fake(config: openai_fake::Config) -> openai_fake::Fake {
    openai_fake::Fake::start(openai_fake::Config {
        seed: false,
        api_key: Some(SECRET.to_owned()),
        ..config
    })
    .expect("the fake starts")
}

/// Bytes that do not repeat with any period a bug could hide behind, so every
/// part of an upload has its own md5.
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 32) as u8
        })
        .collect()
}

/// A captured stream as text; the binary writes only UTF-8.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

/// Sends `signal` to our own child `child`.
#[cfg(unix)]
pub fn send_signal(child: &std::process::Child, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) with the pid of our own child and a valid signal number.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
}

/// Runs `cmd` (stdin from /dev/null) to the end; its exit code, stderr and
/// peak resident memory in KiB, its own alone.
///
/// `wait4` reports a child's peak including the memory of the process it was
/// started from: the child begins as a copy, and Linux keeps that high-water
/// mark across `exec`. Started from this test process, grown large by the
/// rest of the suite, a small binary would seem to take 90 MiB. So this test
/// binary runs again as a fresh, small launcher ([`measure_launcher`]),
/// which starts `cmd` and reports its `wait4` figures.
#[cfg(unix)]
pub fn run_measured(cmd: std::process::Command) -> (i32, String, i64) {
    use std::process::Stdio;
    let report = tempfile::NamedTempFile::new().unwrap();
    let mut launcher = std::process::Command::new(std::env::current_exe().unwrap());
    launcher.args([
        "--exact",
        "support::measure_launcher",
        "--test-threads=1",
        "--quiet",
    ]);
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => launcher.env(key, value),
            None => launcher.env_remove(key),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        launcher.current_dir(dir);
    }
    let argv: Vec<String> = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|arg| arg.to_str().expect("UTF-8 arguments").to_owned())
        .collect();
    launcher
        .env(MEASURE, serde_json::to_string(&argv).unwrap())
        .env(MEASURE_REPORT, report.path())
        .stdin(Stdio::null());
    let output = output_within(launcher, HANG_GUARD).expect("the measured run ends");
    assert!(output.status.success(), "the launcher failed: {output:?}");
    let report = std::fs::read_to_string(report.path()).unwrap();
    let (code, peak) = report.split_once(' ').expect("the launcher's report");
    (
        code.parse().unwrap(),
        String::from_utf8(output.stderr).expect("utf-8 stderr"),
        peak.parse().unwrap(),
    )
}

/// The command [`run_measured`] asks the launcher to run, as a JSON array.
#[cfg(unix)]
const MEASURE: &str = "OPENAI_TEST_MEASURE";
/// The file where the launcher writes `CODE PEAK_KIB`.
#[cfg(unix)]
const MEASURE_REPORT: &str = "OPENAI_TEST_MEASURE_REPORT";

/// The launcher of [`run_measured`]: does nothing unless this binary was
/// started as one.
#[cfg(unix)]
#[test]
// Reaped by `wait4`, which std's `Child::wait` cannot replace (no rusage).
#[allow(clippy::zombie_processes)]
fn measure_launcher() {
    use std::process::Stdio;
    let Some(argv) = std::env::var_os(MEASURE) else {
        return;
    };
    let argv: Vec<String> = serde_json::from_str(argv.to_str().unwrap()).unwrap();
    let report = std::env::var_os(MEASURE_REPORT).unwrap();
    let child = std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .env_remove(MEASURE)
        .env_remove(MEASURE_REPORT)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("the binary runs");
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and both pointers outlive the call.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the child is ours and has not been waited for.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t, "wait4");
    assert!(libc::WIFEXITED(status), "exited, not killed");
    let line = format!("{} {}", libc::WEXITSTATUS(status), usage.ru_maxrss);
    std::fs::write(report, line).unwrap();
}

/// A new pseudo-terminal: (master, slave).
#[cfg(unix)]
pub fn pty() -> (std::os::fd::OwnedFd, std::os::fd::OwnedFd) {
    use std::os::fd::{FromRawFd, OwnedFd};
    let (mut master, mut slave) = (0, 0);
    // SAFETY: valid out-pointers; a null name, termios and window size are allowed.
    let opened = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(opened, 0, "openpty");
    // SAFETY: both descriptors were just opened and are owned by nothing else.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

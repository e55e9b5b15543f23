//! `openai uploads upload` end to end, against the fake server.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use openai_fake::{Config, Fake, RequestRecord, Route, UploadStatus};
use serde_json::Value;

use crate::support::{SECRET, clean_env, fake, pseudo_random, text};

/// `openai --base-url FAKE uploads upload ARGS...` with the key in the environment.
fn upload_cmd(fake: &Fake, args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("openai"));
    clean_env(&mut cmd);
    cmd.env("OPENAI_API_KEY", SECRET)
        .args(["--base-url", &fake.base_url(), "uploads", "upload"])
        .args(args)
        .stdin(Stdio::null());
    cmd
}

fn output(mut cmd: Command) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    wait(child, Duration::from_secs(120))
}

/// Waits for `child`, killing it (and failing) after `limit`: a hang is a bug, not a timeout.
fn wait(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    while child.try_wait().expect("wait works").is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "the CLI hung; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The Upload the CLI created (the fake logs the id on every route but create).
fn upload_id(requests: &[RequestRecord]) -> String {
    requests
        .iter()
        .find_map(|r| r.upload_id.clone())
        .expect("a request named the Upload")
}

fn routes(requests: &[RequestRecord]) -> Vec<Route> {
    requests.iter().map(|r| r.route).collect()
}

/// Asserts that the cancel is the uploader's last word. After it only Parts
/// already on their way may arrive: the fake serves connections
/// concurrently, so a Part sent just before the cancel can be logged just
/// after it. There are at most `concurrency` of those, and none is stored.
fn no_part_after_cancel(requests: &[RequestRecord], concurrency: usize) {
    let cancel = requests
        .iter()
        .position(|r| r.route == Route::CancelUpload)
        .expect("a cancel request");
    let after = &requests[cancel + 1..];
    assert!(
        after.iter().all(|r| r.route == Route::AddPart),
        "only Parts already on their way may follow the cancel: {requests:#?}"
    );
    assert!(
        after.len() <= concurrency,
        "parts after the cancel: {requests:#?}"
    );
    assert!(
        after
            .iter()
            .all(|r| r.part.as_ref().is_none_or(|part| part.id.is_none())),
        "a Part stored after the cancel: {requests:#?}"
    );
}

#[test]
fn a_multi_part_upload_arrives_byte_for_byte() {
    let fake = fake(Config::default());
    let dir = tempfile::tempdir().unwrap();
    // 10 parts of 1 KiB and a short last one.
    let bytes = pseudo_random(10 * 1024 + 123, 7);
    let path = write_file(dir.path(), "train.jsonl", &bytes);

    let out = output(upload_cmd(
        &fake,
        &[
            &path,
            "--purpose",
            "fine-tune",
            "--part-size",
            "1KiB",
            "--concurrency",
            "3",
        ],
    ));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr, "",
        "no bar and no chatter when stderr is not a terminal"
    );

    let upload: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(upload["object"], "upload");
    assert_eq!(upload["status"], "completed");
    assert_eq!(upload["filename"], "train.jsonl");
    assert_eq!(upload["purpose"], "fine-tune");
    assert_eq!(upload["bytes"], bytes.len());
    let file = &upload["file"];
    assert_eq!(file["object"], "file");
    assert_eq!(file["bytes"], bytes.len());
    assert!(file["id"].as_str().is_some_and(|id| !id.is_empty()));

    let id = upload["id"].as_str().unwrap();
    let stored = fake.file_bytes(id).expect("the fake assembled a File");
    assert!(stored[..] == bytes[..], "the File differs from the file");
    assert_eq!(fake.parts_received(id), Some((11, bytes.len() as u64)));

    let requests = fake.requests();
    let routes = routes(&requests);
    assert_eq!(routes.first(), Some(&Route::CreateUpload));
    assert_eq!(routes.last(), Some(&Route::CompleteUpload));
    assert_eq!(routes.iter().filter(|r| **r == Route::AddPart).count(), 11);
    assert!(!routes.contains(&Route::CancelUpload));
    assert!(
        requests.iter().all(|r| r.status == Some(200)),
        "{requests:#?}"
    );
}

#[test]
fn one_part_with_the_defaults_and_a_transform() {
    let fake = fake(Config::default());
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "notes.txt", b"hello, uploads\n");
    let out = output(upload_cmd(
        &fake,
        &[
            &path,
            "--purpose",
            "assistants",
            "--filename",
            "renamed.txt",
            "--transform",
            "file.filename",
            "-r",
        ],
    ));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "renamed.txt\n");
    let requests = fake.requests();
    assert_eq!(
        routes(&requests),
        [Route::CreateUpload, Route::AddPart, Route::CompleteUpload]
    );
    let id = upload_id(&requests);
    assert_eq!(fake.file_bytes(&id).unwrap(), &b"hello, uploads\n"[..]);
}

#[test]
fn formats_and_expiry_flags() {
    let fake = fake(Config::default());
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "data.jsonl", b"{}\n");
    let out = output(upload_cmd(
        &fake,
        &[
            &path,
            "--purpose",
            "batch",
            "--mime-type",
            "application/jsonl",
            "--expires-after.anchor",
            "created_at",
            "--expires-after.seconds",
            "7200",
            "--format",
            "yaml",
        ],
    ));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let yaml: Value = serde_yaml::from_slice(&out.stdout).expect("YAML");
    assert_eq!(yaml["status"], "completed");
    let file = &yaml["file"];
    let lifetime = file["expires_at"].as_u64().unwrap() - file["created_at"].as_u64().unwrap();
    assert_eq!(lifetime, 7200);
}

#[test]
fn a_failed_part_cancels_the_upload() {
    let fake = fake(Config {
        fail_part: Some(3),
        ..Config::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let bytes = pseudo_random(8 * 1024, 11);
    let path = write_file(dir.path(), "train.jsonl", &bytes);
    let out = output(upload_cmd(
        &fake,
        &[
            &path,
            "--purpose",
            "fine-tune",
            "--part-size",
            "1KiB",
            "--concurrency",
            "2",
            "--format-error",
            "jsonl",
        ],
    ));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(text(&out.stdout), "", "stdout only ever holds a result");

    let requests = fake.requests();
    let id = upload_id(&requests);
    assert_eq!(fake.upload(&id).unwrap().status, UploadStatus::Cancelled);
    assert!(
        stderr.contains(&format!("POST /uploads/{id}/parts: 500")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("Cancelled Upload {id}.")),
        "{stderr}"
    );
    assert!(!stderr.contains(SECRET));
    let routes = routes(&requests);
    assert!(!routes.contains(&Route::CompleteUpload), "{routes:?}");
    no_part_after_cancel(&requests, 2);
    assert!(fake.file_bytes(&id).is_none());
}

#[test]
fn a_rejected_part_is_not_replayed() {
    // A 500 after the body was read: the Part may have been stored, so it is not sent again.
    let fake = fake(Config {
        fail_part: Some(1),
        ..Config::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "one.jsonl", b"{\"a\":1}\n");
    let out = output(upload_cmd(&fake, &[&path, "--purpose", "fine-tune"]));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(fake.count(Route::AddPart), 1);
    assert_eq!(fake.count(Route::CancelUpload), 1);
}

/// Starts an upload of 16 Parts that the fake holds for a long time each, waits until the
/// first Part arrived, and sends `signal`.
fn interrupt_mid_upload(signal: libc::c_int) -> (Fake, Output) {
    let fake = fake(Config {
        // Parts in flight never get an answer: the CLI must abandon them.
        part_delay: Duration::from_secs(3600),
        ..Config::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "train.jsonl", &pseudo_random(16 * 1024, 3));
    let mut cmd = upload_cmd(
        &fake,
        &[
            &path,
            "--purpose",
            "fine-tune",
            "--part-size",
            "1KiB",
            "--concurrency",
            "2",
        ],
    );
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while fake.count(Route::AddPart) == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no Part arrived: {:#?}",
            fake.requests()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    crate::support::send_signal(&child, signal);
    // Only a guard against a hang: the Parts in flight never finish, so
    // exiting at all shows they were abandoned, not awaited.
    let out = wait(child, Duration::from_secs(120));
    (fake, out)
}

/// Interrupts an upload with `signal` and asserts what every interrupt does: the exit
/// `code`, the Upload cancelled, `said` and its id on stderr, no Part after the cancel.
/// Returns the fake and the output, for what a signal does besides.
fn interrupt_cancels(signal: libc::c_int, code: i32, said: &str) -> (Fake, Output) {
    let (fake, out) = interrupt_mid_upload(signal);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    let requests = fake.requests();
    let id = upload_id(&requests);
    assert_eq!(fake.upload(&id).unwrap().status, UploadStatus::Cancelled);
    assert!(stderr.contains(&format!("{said} {id}")), "{stderr}");
    no_part_after_cancel(&requests, 2);
    (fake, out)
}

#[test]
fn ctrl_c_mid_upload_cancels_and_exits_130() {
    let (fake, out) = interrupt_cancels(libc::SIGINT, 130, "Interrupted: cancelled Upload");
    assert_eq!(text(&out.stdout), "");
    let requests = fake.requests();
    assert_eq!(requests[0].route, Route::CreateUpload);
    assert!(!routes(&requests).contains(&Route::CompleteUpload));
    // Only the Parts in flight when the signal came were sent.
    assert!(fake.count(Route::AddPart) <= 2, "{requests:#?}");
}

#[test]
fn sigterm_mid_upload_cancels_and_exits_143() {
    interrupt_cancels(libc::SIGTERM, 143, "cancelled Upload");
}

#[test]
fn sighup_mid_upload_cancels_and_exits_129() {
    // A closed terminal or a dropped SSH session.
    interrupt_cancels(libc::SIGHUP, 129, "Interrupted: cancelled Upload");
}

#[test]
fn a_complete_whose_reply_is_lost_is_reported_completed() {
    // The fake completes the Upload and drops the reply; the client's retry of `complete`
    // then meets "Upload is already completed".
    let fake = fake(Config {
        complete_fault: Some(openai_fake::FaultKind::StoreThenDrop),
        ..Config::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let data = pseudo_random(3000, 12);
    let path = write_file(dir.path(), "train.jsonl", &data);
    let out = output(upload_cmd(
        &fake,
        &[&path, "--purpose", "fine-tune", "--part-size", "1KiB"],
    ));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let requests = fake.requests();
    let id = upload_id(&requests);
    assert_eq!(fake.upload(&id).unwrap().status, UploadStatus::Completed);
    assert_eq!(fake.file_bytes(&id).unwrap(), data);
    assert_eq!(fake.count(Route::CompleteUpload), 2, "{requests:#?}");
    assert_eq!(fake.count(Route::CancelUpload), 0, "never cancelled");
    assert_eq!(text(&out.stdout), "");
    assert!(
        stderr.starts_with(&format!(
            "Upload {id} was completed, but the reply to `complete` was lost"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("pending"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn a_part_size_that_makes_millions_of_parts_is_refused_in_bounded_memory() {
    let fake = fake(Config::default());
    let dir = tempfile::tempdir().unwrap();
    // Sparse: 1 GiB in one-byte parts would be a billion parts.
    let huge = dir.path().join("huge.jsonl");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let cmd = upload_cmd(
        &fake,
        &[
            huge.to_str().unwrap(),
            "--purpose",
            "fine-tune",
            "--part-size",
            "1",
        ],
    );
    let (code, stderr, peak_kib) = crate::support::run_measured(cmd);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "into 1073741824 parts, over the limit of 10000; use parts of at least 107375 bytes"
        ),
        "{stderr}"
    );
    assert!(fake.requests().is_empty(), "nothing is sent");
    // A plan of a billion parts would take gigabytes.
    assert!(peak_kib < 64 * 1024, "peak RSS {peak_kib} KiB");
}

/// Runs the CLI against a fake that must receive nothing, and expects exit 2 with `needle`
/// on stderr.
fn rejected(args: &[&str], needle: &str) {
    let fake = fake(Config::default());
    let out = output(upload_cmd(&fake, args));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        stderr.contains(needle),
        "{args:?}: {needle:?} not in {stderr}"
    );
    assert_eq!(text(&out.stdout), "");
    assert!(fake.requests().is_empty(), "{args:?} sent a request");
}

#[test]
fn limits_are_checked_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let ok = write_file(dir.path(), "ok.jsonl", b"{}\n");
    let empty = write_file(dir.path(), "empty.jsonl", b"");
    let missing = dir.path().join("missing.jsonl");
    let missing = missing.to_str().unwrap();
    let folder = dir.path().to_str().unwrap();
    // Sparse: only its size matters here.
    let huge = dir.path().join("huge.jsonl");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len((8 << 30) + 1)
        .unwrap();
    let huge = huge.to_str().unwrap();

    for (args, needle) in [
        (vec![empty.as_str(), "--purpose", "fine-tune"], "empty"),
        (vec![huge, "--purpose", "fine-tune"], "8"),
        (vec![folder, "--purpose", "fine-tune"], "regular file"),
        (vec![missing, "--purpose", "fine-tune"], "missing.jsonl"),
        (
            vec![&ok, "--purpose", "fine-tune", "--part-size", "65MiB"],
            "65 MiB is over the API's limit of 64 MiB",
        ),
        (
            vec![&ok, "--purpose", "fine-tune", "--part-size", "67108865"],
            "over the API's limit",
        ),
        (
            vec![&ok, "--purpose", "fine-tune", "--part-size", "0"],
            "at least 1 byte",
        ),
        (
            vec![&ok, "--purpose", "fine-tune", "--part-size", "big"],
            "not a size",
        ),
        (
            vec![&ok, "--purpose", "fine-tune", "--concurrency", "0"],
            "--concurrency",
        ),
        (
            vec![&ok, "--purpose", "fine-tune", "--concurrency", "65"],
            "--concurrency",
        ),
        (vec![&ok], "--purpose"),
        (vec![&ok, "--purpose", ""], "--purpose"),
        (vec!["--purpose", "fine-tune"], "<PATH>"),
        (
            vec![
                &ok,
                "--purpose",
                "fine-tune",
                "--expires-after.anchor",
                "created_at",
            ],
            "--expires-after.seconds",
        ),
        (
            vec![
                &ok,
                "--purpose",
                "fine-tune",
                "--expires-after.anchor",
                "now",
                "--expires-after.seconds",
                "3600",
            ],
            "created_at",
        ),
    ] {
        rejected(&args, needle);
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_is_not_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    rejected(
        &[fifo.to_str().unwrap(), "--purpose", "fine-tune"],
        "regular file",
    );
}

#[test]
fn no_api_key_is_a_usage_error() {
    let fake = fake(Config::default());
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "a.jsonl", b"{}\n");
    let mut cmd = upload_cmd(&fake, &[&path, "--purpose", "fine-tune"]);
    cmd.env_remove("OPENAI_API_KEY");
    let out = output(cmd);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no API key"));
    assert!(fake.requests().is_empty());
}

#[test]
fn help_and_completion_know_the_command() {
    let fake = fake(Config::default());
    let run = |args: &[&str]| {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("openai"));
        clean_env(&mut cmd);
        let out = cmd.args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        text(&out.stdout)
    };
    let group = run(&["uploads", "--help"]);
    let flat = group.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("upload Upload a whole file"), "{group}");
    assert!(flat.contains("cancel Cancel a pending Upload."), "{group}");

    let help = run(&["uploads", "upload", "--help"]);
    for needle in [
        "Usage: openai uploads upload [OPTIONS] --purpose <PURPOSE> <PATH>",
        "--part-size <SIZE>",
        "[default: 64MiB]",
        "--concurrency <N>",
        "[default: 8]",
        "--mime-type <TYPE>",
        "--filename <NAME>",
        "--quiet",
        "--expires-after.seconds <SECONDS>",
        "see `openai --help`",
        "130 on Ctrl-C",
    ] {
        assert!(help.contains(needle), "{needle:?} missing in:\n{help}");
    }
    assert_eq!(run(&["help", "uploads", "upload"]), help);

    for shell in ["bash", "zsh", "fish", "powershell"] {
        let script = run(&["completion", shell]);
        assert!(script.contains("upload"), "{shell}");
        assert!(script.contains("part-size"), "{shell}");
        assert!(script.contains("concurrency"), "{shell}");
    }
    assert!(fake.requests().is_empty());
}

mod against_wiremock {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use crate::support::{base, requests, upload_one_line};

    const PENDING: &str = r#"{"id":"upload_w","object":"upload","bytes":3,"created_at":1719184911,"filename":"a.jsonl","purpose":"fine-tune","status":"pending","expires_at":1719188511,"file":null}"#;
    const PART: &str =
        r#"{"id":"part_1","object":"upload.part","created_at":1719184911,"upload_id":"upload_w"}"#;
    const CANCELLED: &str = r#"{"id":"upload_w","object":"upload","bytes":3,"created_at":1719184911,"filename":"a.jsonl","purpose":"fine-tune","status":"cancelled","expires_at":1719188511,"file":null}"#;
    const MD5_ERROR: &str = r#"{"error":{"message":"The md5 does not match.","type":"invalid_request_error","param":"md5","code":null}}"#;

    async fn reply(server: &MockServer, route: &str, status: u16, body: &str) {
        Mock::given(method("POST"))
            .and(path(route))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("content-type", "application/json")
                    .set_body_string(body),
            )
            .mount(server)
            .await;
    }

    async fn upload(server: &MockServer, extra: &[&str]) -> crate::support::Run {
        let dir = tempfile::tempdir().unwrap();
        upload_one_line(server, dir.path(), extra).await
    }

    /// The JSON body of the one complete `server` received.
    async fn complete_body(server: &MockServer) -> serde_json::Value {
        let complete = requests(server)
            .await
            .into_iter()
            .find(|r| r.url.path() == "/v1/uploads/upload_w/complete")
            .expect("a complete");
        serde_json::from_slice(&complete.body).expect("a JSON body")
    }

    async fn count(server: &MockServer, route: &str) -> usize {
        requests(server)
            .await
            .iter()
            .filter(|r| r.url.path() == route)
            .count()
    }

    /// Polls until `server` has seen a request to `route`.
    async fn wait_for(server: &MockServer, route: &str) {
        let start = std::time::Instant::now();
        while count(server, route).await == 0 {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(60),
                "no request to {route}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// A server whose Parts never answer (within a test) and whose cancel answers `cancel`.
    async fn stuck_parts(cancel: ResponseTemplate) -> MockServer {
        let server = MockServer::start().await;
        reply(&server, "/v1/uploads", 200, PENDING).await;
        let stuck = ResponseTemplate::new(200)
            .insert_header("content-type", "application/json")
            .set_body_string(PART)
            .set_delay(std::time::Duration::from_secs(60));
        for (route, response) in [
            ("/v1/uploads/upload_w/parts", stuck),
            ("/v1/uploads/upload_w/cancel", cancel),
        ] {
            Mock::given(method("POST"))
                .and(path(route))
                .respond_with(response)
                .mount(&server)
                .await;
        }
        server
    }

    /// Starts `openai uploads upload` against `server` and returns it with its pid.
    fn spawn_upload(server: &MockServer, dir: &std::path::Path) -> (std::process::Child, i32) {
        let file = dir.join("a.jsonl");
        std::fs::write(&file, b"{}\n").unwrap();
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("openai"));
        crate::support::clean_env(&mut cmd);
        let child = cmd
            .env("OPENAI_UPLOAD_JOURNAL_DIR", dir)
            .args(["--base-url", &base(server), "--api-key", "k"])
            .args(["--max-retries", "0", "uploads", "upload"])
            .arg(&file)
            .args(["--purpose", "fine-tune"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = libc::pid_t::try_from(child.id()).unwrap();
        (child, pid)
    }

    fn interrupt(pid: i32) {
        // SAFETY: kill(2) with the pid of our own child and a valid signal number.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    }

    /// Waits for the child, far less long than the server's 60 s delays.
    async fn finish(child: std::process::Child) -> (Option<i32>, String) {
        let out = tokio::task::spawn_blocking(move || {
            super::wait(child, std::time::Duration::from_secs(30))
        })
        .await
        .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_second_ctrl_c_does_not_wait_for_the_cancel() {
        let cancel = ResponseTemplate::new(200)
            .insert_header("content-type", "application/json")
            .set_body_string(CANCELLED)
            .set_delay(std::time::Duration::from_secs(60));
        let server = stuck_parts(cancel).await;
        let dir = tempfile::tempdir().unwrap();
        let (child, pid) = spawn_upload(&server, dir.path());
        wait_for(&server, "/v1/uploads/upload_w/parts").await;
        interrupt(pid);
        wait_for(&server, "/v1/uploads/upload_w/cancel").await;
        interrupt(pid);
        let (code, stderr) = finish(child).await;
        assert_eq!(code, Some(130), "{stderr}");
        assert!(stderr.contains("Interrupted again"), "{stderr}");
        assert!(stderr.contains("may still be pending"), "{stderr}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn ctrl_c_when_the_cancel_fails_says_what_to_run() {
        let server = stuck_parts(ResponseTemplate::new(500).set_body_string("{}")).await;
        let dir = tempfile::tempdir().unwrap();
        let (child, pid) = spawn_upload(&server, dir.path());
        wait_for(&server, "/v1/uploads/upload_w/parts").await;
        interrupt(pid);
        let (code, stderr) = finish(child).await;
        assert_eq!(code, Some(130), "{stderr}");
        assert!(
            stderr.starts_with(
                "Interrupted.\nError: cancelling Upload upload_w failed: POST /uploads/upload_w/cancel: 500"
            ),
            "{stderr}"
        );
        // The base URL was a flag, so the commands repeat it; the journal directory came
        // from the environment, which gives it again.
        let (dir, base) = (dir.path().to_str().unwrap(), base(&server));
        assert!(
            stderr.ends_with(&format!(
                "It may still be pending; its journal is kept: run `openai uploads upload \
                 --base-url {base} {dir}/a.jsonl --purpose fine-tune` to resume it, or \
                 `openai uploads prune --base-url {base}` to cancel it.\n"
            )),
            "{stderr}"
        );
    }

    #[tokio::test]
    async fn when_the_cancel_fails_too_it_says_what_to_run() {
        let server = MockServer::start().await;
        reply(&server, "/v1/uploads", 200, PENDING).await;
        reply(&server, "/v1/uploads/upload_w/parts", 500, "{}").await;
        reply(&server, "/v1/uploads/upload_w/cancel", 503, "{}").await;
        let run = upload(&server, &["--part-retries", "0"]).await;
        assert_eq!(run.code, 1, "{run:?}");
        assert_eq!(run.stdout, "");
        let stderr = &run.stderr;
        assert!(
            stderr.contains("Error: POST /uploads/upload_w/parts: 500"),
            "{stderr}"
        );
        assert!(
            stderr.contains(
                "Error: cancelling Upload upload_w failed: POST /uploads/upload_w/cancel: 503"
            ),
            "{stderr}"
        );
        let base = base(&server);
        assert!(
            stderr.contains(&format!(
                "It may still be pending; its journal is kept: run `openai uploads upload \
                 --base-url {base} /"
            )),
            "{stderr}"
        );
        // OPENAI_UPLOAD_JOURNAL_DIR stays implicit.
        assert!(
            stderr.contains(&format!(
                "/a.jsonl --purpose fine-tune` to resume it, or `openai uploads prune --base-url \
                 {base}` to cancel it.\n"
            )),
            "{stderr}"
        );
        let paths: Vec<String> = requests(&server)
            .await
            .iter()
            .map(|r| r.url.path().to_owned())
            .collect();
        assert_eq!(
            paths,
            [
                "/v1/uploads",
                "/v1/uploads/upload_w/parts",
                "/v1/uploads/upload_w/cancel"
            ]
        );
    }

    #[tokio::test]
    async fn the_completed_upload_is_printed_as_the_server_sent_it() {
        // A field our types do not know, keys in an unusual order, a `bytes` our types would
        // not decode: printed byte for byte with --format raw, and kept by the JSON formats.
        let completed = r#"{"status":"completed","zz_unknown":{"nested":[1,"two"]},"id":"upload_w","object":"upload","bytes":"3","file":{"id":"file-1","later_field":true}}"#;
        let server = MockServer::start().await;
        reply(&server, "/v1/uploads", 200, PENDING).await;
        reply(&server, "/v1/uploads/upload_w/parts", 200, PART).await;
        reply(&server, "/v1/uploads/upload_w/complete", 200, completed).await;
        let run_raw = upload(&server, &["--format", "raw"]).await;
        assert_eq!(run_raw.code, 0, "{run_raw:?}");
        assert_eq!(run_raw.stdout.trim_end_matches('\n'), completed);
        let run_json = upload(&server, &["--format", "jsonl"]).await;
        assert_eq!(run_json.code, 0, "{run_json:?}");
        assert_eq!(run_json.stdout.trim_end(), completed);
        let run_id = upload(&server, &["--transform", "file.id", "-r"]).await;
        assert_eq!(run_id.stdout, "file-1\n");
        assert_eq!(count(&server, "/v1/uploads/upload_w/cancel").await, 0);
    }

    /// An Upload id a hostile server chose: terminal escapes, a bell, a forged line and shell
    /// code.
    const HOSTILE_ID: &str = "upload_x\u{1b}]0;owned\u{7}\r\nError: forged; touch PWNED #";

    #[tokio::test]
    async fn a_hostile_upload_id_is_escaped_on_screen_and_quoted_for_the_shell() {
        let server = MockServer::start().await;
        let created = serde_json::json!({
            "id": HOSTILE_ID, "object": "upload", "bytes": 3, "created_at": 1719184911,
            "filename": "a.jsonl", "purpose": "fine-tune", "status": "pending",
            "expires_at": 1719188511
        });
        Mock::given(method("POST"))
            .and(path("/v1/uploads"))
            .respond_with(ResponseTemplate::new(200).set_body_json(created))
            .mount(&server)
            .await;
        // Parts fail for good, and so does the cancel: the CLI suggests a command.
        Mock::given(method("POST"))
            .and(wiremock::matchers::path_regex("/parts$"))
            .respond_with(ResponseTemplate::new(400).set_body_string("{}"))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(wiremock::matchers::path_regex("/cancel$"))
            .respond_with(ResponseTemplate::new(503).set_body_string("{}"))
            .mount(&server)
            .await;
        let dir = tempfile::tempdir().unwrap();
        // No journal can be kept (its directory would be under the uploaded file), so the
        // suggestion is a cancel naming the id.
        let journals = dir.path().join("a.jsonl").join("journals");
        let journal_dir = ["--journal-dir", journals.to_str().unwrap()];
        let run = upload_one_line(&server, dir.path(), &journal_dir).await;
        assert_eq!(run.code, 1, "{run:?}");
        let stderr = &run.stderr;
        // Nothing the server chose drives the terminal: no ESC, BEL or CR, and no forged line.
        assert!(
            !stderr.contains(['\u{1b}', '\u{7}', '\r']),
            "control characters reached the terminal: {stderr:?}"
        );
        assert!(
            !stderr.lines().any(|line| line.starts_with("Error: forged")),
            "a forged line: {stderr}"
        );
        let shown = r"upload_x\u{1b}]0;owned\u{7}\r\nError: forged; touch PWNED #";
        assert!(
            stderr.contains(&format!("Error: cancelling Upload {shown} failed")),
            "{stderr}"
        );
        // The suggested command quotes the id, so pasting it runs no shell code.
        let quoted = r"$'upload_x\x1b]0;owned\x07\x0d\x0aError: forged; touch PWNED #'";
        let suggestion = format!(
            "run `openai uploads cancel --base-url {} {quoted}` to cancel it.",
            base(&server)
        );
        assert!(stderr.contains(&suggestion), "{stderr}");
        if let Ok(out) = std::process::Command::new("bash")
            .args(["-c", &format!("printf %s {quoted}")])
            .current_dir(dir.path())
            .output()
        {
            assert_eq!(String::from_utf8_lossy(&out.stdout), HOSTILE_ID);
            assert!(!dir.path().join("PWNED").exists());
        }
    }

    #[tokio::test]
    async fn no_md5_completes_without_one() {
        let server = MockServer::start().await;
        reply(&server, "/v1/uploads", 200, PENDING).await;
        reply(&server, "/v1/uploads/upload_w/parts", 200, PART).await;
        let completed = PENDING.replace("pending", "completed");
        reply(&server, "/v1/uploads/upload_w/complete", 200, &completed).await;
        let run = upload(&server, &["--no-md5", "--transform", "status", "-r"]).await;
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.stdout, "completed\n");
        let body = complete_body(&server).await;
        assert_eq!(body, serde_json::json!({"part_ids": ["part_1"]}));
    }

    #[tokio::test]
    async fn a_refused_completion_shows_the_error_object_and_cancels() {
        let server = MockServer::start().await;
        reply(&server, "/v1/uploads", 200, PENDING).await;
        reply(&server, "/v1/uploads/upload_w/parts", 200, PART).await;
        reply(&server, "/v1/uploads/upload_w/complete", 400, MD5_ERROR).await;
        reply(&server, "/v1/uploads/upload_w/cancel", 200, CANCELLED).await;
        let run = upload(
            &server,
            &[
                "--format-error",
                "jsonl",
                "--transform-error",
                "error.param",
                "-r",
            ],
        )
        .await;
        assert_eq!(run.code, 1, "{run:?}");
        assert_eq!(
            run.stderr,
            "Error: POST /uploads/upload_w/complete: 400 Bad Request: The md5 does not match.\nmd5\nCancelled Upload upload_w.\n"
        );
        let body = complete_body(&server).await;
        assert_eq!(body["part_ids"], serde_json::json!(["part_1"]));
        // md5 of "{}\n".
        assert_eq!(body["md5"], "8a80554c91d9fca8acb82f023de02f11");
    }
}

/// Runs `cmd` with stderr on a new pseudo-terminal; returns the exit status and what the
/// terminal showed.
#[cfg(target_os = "linux")]
fn with_stderr_on_a_terminal(mut cmd: Command) -> (Option<i32>, String) {
    use std::io::Read;
    let (master, slave) = crate::support::pty();
    let mut master = std::fs::File::from(master);
    let child = cmd
        .env("TERM", "xterm")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(slave))
        .spawn()
        .unwrap();
    // The parent's copy of the slave end goes with `cmd`, so reads end when the child exits.
    drop(cmd);
    let reader = std::thread::spawn(move || {
        let mut shown = Vec::new();
        let mut buf = [0u8; 4096];
        // EIO once the child's end is closed.
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            shown.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&shown).into_owned()
    });
    let out = wait(child, Duration::from_secs(60));
    (out.status.code(), reader.join().unwrap())
}

#[cfg(target_os = "linux")]
#[test]
fn a_progress_bar_on_a_terminal_unless_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "train.jsonl", &pseudo_random(5 * 1024, 5));
    for quiet in [false, true] {
        // Slow enough for the bar to be drawn a few times.
        let fake = fake(Config {
            part_delay: Duration::from_millis(250),
            ..Config::default()
        });
        let mut args = vec![
            path.as_str(),
            "--purpose",
            "fine-tune",
            "--part-size",
            "1KiB",
            "--concurrency",
            "1",
        ];
        if quiet {
            args.push("--quiet");
        }
        let (code, shown) = with_stderr_on_a_terminal(upload_cmd(&fake, &args));
        assert_eq!(code, Some(0), "{shown}");
        if quiet {
            assert_eq!(shown, "", "--quiet draws nothing");
        } else {
            assert!(shown.contains("/5.00 KiB"), "no bar: {shown:?}");
            assert!(shown.contains("B/s"), "no rate: {shown:?}");
            assert!(shown.contains("ETA"), "no ETA: {shown:?}");
            assert!(shown.contains("(expires in 59m"), "no time left: {shown:?}");
        }
    }
}

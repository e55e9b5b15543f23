//! The `openai-fake` binary: prints its URL, serves, stops cleanly on signals.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{multipart, multipart_type, send, send_body, send_raw};

const BIN: &str = env!("CARGO_BIN_EXE_openai-fake");

/// Kills the child if a test fails before it stops it.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(args: &[&str]) -> (Running, mpsc::Receiver<String>) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn openai-fake");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (Running(child), rx)
}

fn wait_exit(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(Instant::now() < deadline, "openai-fake did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args(["-s", name, &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

fn cancel(base_url: &str) -> (u16, serde_json::Value) {
    let rest = base_url.strip_prefix("http://").expect("http URL");
    let (addr, prefix) = rest.split_once('/').expect("a path");
    let addr = addr.parse().expect("a socket address");
    let path = format!("/{prefix}/uploads/upload_abc123/cancel");
    let reply = send(addr, "POST", &path, &[("Authorization", "Bearer sk-test")]);
    (reply.status, reply.body)
}

fn addr_of(base_url: &str) -> std::net::SocketAddr {
    let rest = base_url.strip_prefix("http://").expect("http URL");
    rest.split_once('/')
        .expect("a path")
        .0
        .parse()
        .expect("an address")
}

fn base_url(lines: &mpsc::Receiver<String>) -> String {
    let line = lines
        .recv_timeout(Duration::from_secs(30))
        .expect("a listening line");
    let url = line.strip_prefix("listening on ").expect(&line).to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(url.ends_with("/v1"), "{url}");
    url
}

#[cfg(unix)]
#[test]
fn serves_on_a_free_port_and_stops_on_sigterm() {
    let (mut fake, lines) = spawn(&[]);
    let url = base_url(&lines);
    let (status, body) = cancel(&url);
    assert_eq!(status, 200);
    assert_eq!(body["status"], "cancelled");
    let (status, _) = cancel(&url);
    assert_eq!(status, 400);

    signal(&fake.0, "TERM");
    assert!(wait_exit(&mut fake.0).success());
}

#[cfg(unix)]
#[test]
fn stops_cleanly_on_sigint() {
    let (mut fake, lines) = spawn(&["--upload-ttl", "0"]);
    let url = base_url(&lines);
    // TTL 0: the seeded upload is already expired.
    let (status, body) = cancel(&url);
    assert_eq!(status, 400, "{body}");
    signal(&fake.0, "INT");
    assert!(wait_exit(&mut fake.0).success());
}

#[test]
fn a_port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = Command::new(BIN)
        .args(["--port", &port])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn a_bad_port_is_a_usage_error() {
    let output = Command::new(BIN)
        .args(["--port", "70000"])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--port"));
}

#[test]
fn fault_flags_fail_the_chosen_part() {
    let (_fake, lines) = spawn(&["--no-seed", "--fail-part", "1", "--fail-part-status", "503"]);
    let addr = addr_of(&base_url(&lines));
    let auth = ("Authorization", "Bearer sk-test");
    assert_eq!(
        send(addr, "POST", "/v1/uploads/upload_abc123/cancel", &[auth]).status,
        404
    );
    let body = r#"{"filename":"a.txt","purpose":"batch","bytes":3,"mime_type":"text/plain"}"#;
    let reply = send_body(addr, "POST", "/v1/uploads", &[auth], body.as_bytes());
    assert_eq!(reply.status, 200, "{}", reply.body);
    let path = format!("/v1/uploads/{}/parts", reply.body["id"].as_str().unwrap());
    let content_type = multipart_type();
    let headers = [auth, ("Content-Type", content_type.as_str())];
    let part = multipart(&[("data", Some("a.txt"), b"abc")]);
    let reply = send_body(addr, "POST", &path, &headers, &part);
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.header("x-should-retry"), Some("false"));
    let reply = send_body(addr, "POST", &path, &headers, &part);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["object"], "upload.part");
}

#[test]
fn fault_flags_aim_parts_and_the_completion() {
    let (_fake, lines) = spawn(&[
        "--no-seed",
        "--part-fault",
        "1=reset",
        "--flaky-parts",
        "1:503",
        "--complete-fault",
        "502",
    ]);
    let addr = addr_of(&base_url(&lines));
    let auth = ("Authorization", "Bearer sk-test");
    let body = r#"{"filename":"a.txt","purpose":"batch","bytes":3,"mime_type":"text/plain"}"#;
    let reply = send_body(addr, "POST", "/v1/uploads", &[auth], body.as_bytes());
    let id = reply.body["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/uploads/{id}/parts");
    let content_type = multipart_type();
    let headers = [auth, ("Content-Type", content_type.as_str())];
    let part = multipart(&[("data", Some("a.txt"), b"abc")]);
    // Request 1 is reset; the Part's first counted attempt is a 503.
    assert_eq!(send_raw(addr, &path, &headers, &part), b"");
    let reply = send_body(addr, "POST", &path, &headers, &part);
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.header("x-should-retry"), None);
    let reply = send_body(addr, "POST", &path, &headers, &part);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let done = format!(
        r#"{{"part_ids":["{}"]}}"#,
        reply.body["id"].as_str().unwrap()
    );
    let complete = format!("/v1/uploads/{id}/complete");
    let reply = send_body(addr, "POST", &complete, &[auth], done.as_bytes());
    assert_eq!(reply.status, 502, "{}", reply.body);
    let reply = send_body(addr, "POST", &complete, &[auth], done.as_bytes());
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[test]
fn help_documents_the_test_flags() {
    let output = Command::new(BIN).arg("--help").output().expect("run");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--fail-part <N>",
        "--fail-part-status <CODE>",
        "--part-delay-ms <MILLISECONDS>",
        "--upload-ttl <SECONDS>",
        "--discard-files",
        "--skip-md5-check",
        "--no-seed",
        "--part-fault <N=FAULT>",
        "--flaky-parts <PARTS:FAULT[,FAULT...]>",
        "--complete-fault <FAULT>",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}:\n{help}");
    }
}

#[test]
fn bad_fault_flags_are_usage_errors() {
    for args in [
        ["--fail-part", "0"],
        ["--fail-part", "x"],
        ["--fail-part-status", "200"],
        ["--part-delay-ms", "soon"],
        ["--part-fault", "0=reset"],
        ["--part-fault", "1=boom"],
        ["--flaky-parts", "3"],
        ["--complete-fault", "200"],
    ] {
        let output = Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(args[0]), "{args:?}: {stderr}");
    }
    // Two rules for one request.
    let output = Command::new(BIN)
        .args(["--fail-part", "1", "--part-fault", "1=reset"])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("more than one fault rule"), "{stderr}");
}

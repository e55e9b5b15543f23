//! The `openai-fake` binary: prints its URL, serves, stops cleanly on signals.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::send;

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

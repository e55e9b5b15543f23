//! The binary against hostile and broken servers and proxies on 127.0.0.1:
//! its memory stays bounded, errors name the right party, TLS failures are
//! tried once, https never redirects to http, and bad keys send nothing.

#[path = "../../../openai-runtime/tests/support/hostile.rs"]
mod servers;

use std::process::{Command, Stdio};

use servers::{Behaviour, CANCELLED, Pki, Server, json_reply, redirect};

use crate::support::{self, SECRET};

/// Runs `openai ARGS` (clean environment plus `env`) and returns its exit
/// code, stderr and peak resident memory in KiB (from `wait4`).
#[cfg(unix)]
// Reaped by `wait4`, which std's `Child::wait` cannot replace (no rusage).
#[allow(clippy::zombie_processes)]
fn run_measured(args: &[&str], env: &[(&str, &str)]) -> (i32, String, i64) {
    use std::io::Read;

    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("openai"));
    support::clean_env(&mut cmd);
    let mut child = cmd
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and both pointers outlive the call.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the child is ours and has not been waited for.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t, "wait4");
    assert!(libc::WIFEXITED(status), "exited, not killed: {stderr}");
    (libc::WEXITSTATUS(status), stderr, usage.ru_maxrss)
}

/// Memory the binary may use besides a body held up to its limit.
#[cfg(unix)]
const MARGIN_KIB: i64 = 32 * 1024;

#[cfg(unix)]
#[test]
fn an_endless_200_body_is_a_bounded_error() {
    let server = Server::plain(Behaviour::Endless { status: 200 });
    let base = server.url("http");
    let (code, stderr, peak_kib) = run_measured(
        &[
            "--base-url",
            &base,
            "--api-key",
            "k",
            "uploads",
            "cancel",
            "u",
        ],
        &[],
    );
    assert_eq!(code, 1, "{stderr}");
    eprintln!("peak RSS with an endless 200 body: {peak_kib} KiB");
    assert!(stderr.contains("larger than the 64 MiB limit"), "{stderr}");
    assert!(
        peak_kib < 64 * 1024 + MARGIN_KIB,
        "peak RSS {peak_kib} KiB for a 64 MiB limit"
    );
    assert_eq!(server.requests(), 1);
}

#[cfg(unix)]
#[test]
fn an_endless_500_body_is_a_bounded_error() {
    let server = Server::plain(Behaviour::Endless { status: 500 });
    let base = server.url("http");
    let (code, stderr, peak_kib) = run_measured(
        &[
            "--base-url",
            &base,
            "--api-key",
            "k",
            "uploads",
            "cancel",
            "u",
        ],
        &[],
    );
    assert_eq!(code, 1, "{stderr}");
    eprintln!("peak RSS with an endless 500 body: {peak_kib} KiB");
    assert!(
        stderr.contains("500 reply is larger than the 1 MiB limit"),
        "{stderr}"
    );
    assert!(
        peak_kib < 1024 + MARGIN_KIB,
        "peak RSS {peak_kib} KiB for a 1 MiB limit"
    );
    assert_eq!(server.requests(), 1, "not retried");
}

#[tokio::test]
async fn a_dead_proxy_is_named() {
    let server = support::silent().await;
    let base = support::base(&server);
    // Port 1 on loopback: nothing listens there.
    let run = support::run(
        &[
            "--base-url",
            &base,
            "--api-key",
            SECRET,
            "--max-retries",
            "0",
            "uploads",
            "cancel",
            "u",
        ],
        &[
            ("HTTP_PROXY", "http://user:proxypw@127.0.0.1:1"),
            ("NO_PROXY", ""),
        ],
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("could not connect through the proxy 127.0.0.1:1"),
        "{run:?}"
    );
    assert!(!run.stderr.contains("proxypw"), "{run:?}");
    run.assert_no_secret();
}

#[tokio::test]
async fn a_key_that_is_not_visible_ascii_sends_nothing() {
    let server = support::silent().await;
    let base = support::base(&server);
    let key = format!("{SECRET}\u{e9}");
    let run = support::run(
        &[
            "--base-url",
            &base,
            "--api-key",
            &key,
            "uploads",
            "cancel",
            "u",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("visible ASCII"), "{run:?}");
    run.assert_no_secret();
    let run = support::run(
        &["--base-url", &base, "uploads", "cancel", "u"],
        &[("OPENAI_API_KEY", &format!("{SECRET} x"))],
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    run.assert_no_secret();
    assert!(support::requests(&server).await.is_empty());
}

/// A PEM bundle holding the test CA, to trust it as a user would: SSL_CERT_FILE.
fn trust(pki: &Pki) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &pki.ca_pem).unwrap();
    file
}

#[tokio::test]
async fn https_works_with_a_ca_from_ssl_cert_file() {
    let pki = Pki::new();
    let server = Server::tls(
        &pki,
        Behaviour::Reply(json_reply("200 OK", CANCELLED)),
        false,
    );
    let bundle = trust(&pki);
    let base = server.url("https");
    let run = support::run(
        &[
            "--base-url",
            &base,
            "--api-key",
            "k",
            "uploads",
            "cancel",
            "u",
        ],
        &[("SSL_CERT_FILE", bundle.path().to_str().unwrap())],
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("cancelled"), "{run:?}");
}

#[tokio::test]
async fn an_https_redirect_to_http_is_refused() {
    let pki = Pki::new();
    let clear = Server::plain(Behaviour::Reply(json_reply("200 OK", CANCELLED)));
    let location = format!("{}/uploads/u/cancel", clear.url("http"));
    let server = Server::tls(
        &pki,
        Behaviour::Reply(redirect("308 Permanent Redirect", &location)),
        false,
    );
    let bundle = trust(&pki);
    let base = server.url("https");
    let run = support::run(
        &[
            "--base-url",
            &base,
            "--api-key",
            SECRET,
            "uploads",
            "cancel",
            "u",
        ],
        &[("SSL_CERT_FILE", bundle.path().to_str().unwrap())],
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("refused a redirect from https://"),
        "{run:?}"
    );
    assert_eq!(clear.connections(), 0, "nothing sent in clear text");
    assert_eq!(server.requests(), 1, "not retried");
    run.assert_no_secret();
}

#[tokio::test]
async fn a_certificate_error_is_one_attempt() {
    let pki = Pki::new();
    let server = Server::tls(
        &pki,
        Behaviour::Reply(json_reply("200 OK", CANCELLED)),
        false,
    );
    let base = server.url("https");
    // The test CA is not trusted; retries are on (2 by default).
    let run = support::run(
        &[
            "--base-url",
            &base,
            "--api-key",
            SECRET,
            "uploads",
            "cancel",
            "u",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("certificate"), "{run:?}");
    assert_eq!(server.connections(), 1);
    run.assert_no_secret();
}

#[tokio::test]
async fn https_against_plain_http_suggests_http() {
    let server = Server::plain(Behaviour::Reply(json_reply("400 Bad Request", "{}")));
    let base = server.url("https");
    let run = support::run(
        &[
            "--base-url",
            &base,
            "--api-key",
            "k",
            "uploads",
            "cancel",
            "u",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("use an http:// base URL"), "{run:?}");
    assert_eq!(server.connections(), 1, "not retried");
}

#[tokio::test]
async fn the_debug_log_shows_no_key() {
    let server = support::serve("u", 200, support::CANCELLED).await;
    let base = support::base(&server);
    let run = support::run(
        &[
            "--debug",
            "--base-url",
            &base,
            "--api-key",
            SECRET,
            "--admin-api-key",
            "sk-admin-DISTINCTIVE-1234",
            "uploads",
            "cancel",
            "u",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("Bearer <REDACTED>"), "{run:?}");
    assert!(!run.stderr.contains("sk-admin"), "{run:?}");
    run.assert_no_secret();
    let sent = &support::requests(&server).await[0];
    assert_eq!(
        sent.headers.get("authorization").unwrap(),
        &format!("Bearer {SECRET}"),
        "uploads never carry the admin key"
    );
}

#[tokio::test]
async fn a_silent_tls_handshake_is_the_connect_timeout() {
    // Accepts TCP, never answers the TLS hello.
    let server = Server::plain(Behaviour::Hang);
    let base = server.url("https");
    let run = support::run(
        &[
            "--base-url",
            &base,
            "--api-key",
            "k",
            "--connect-timeout",
            "0.3",
            "--max-retries",
            "0",
            "uploads",
            "cancel",
            "u",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("(the connect timeout, TLS handshake included)"),
        "{run:?}"
    );
}

#[tokio::test]
async fn a_silent_server_is_the_per_attempt_timeout() {
    let server = Server::plain(Behaviour::Hang);
    let base = server.url("http");
    let run = support::run(
        &[
            "--base-url",
            &base,
            "--api-key",
            "k",
            "--timeout",
            "0.3",
            "--max-retries",
            "0",
            "uploads",
            "cancel",
            "u",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("(--timeout)"), "{run:?}");
}

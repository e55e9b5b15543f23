//! The binary against hostile and broken servers and proxies on 127.0.0.1:
//! its memory stays bounded, errors name the right party, TLS failures are
//! tried once, https never redirects to http, and bad keys send nothing.

use std::process::{Command, Stdio};

use test_support::hostile::{Behaviour, Pki, Server, cancelled, json_reply, redirect};

use crate::support::{self, SECRET};

/// `openai ARGS` with a clean environment and no stdin.
#[cfg(unix)]
fn openai(args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("openai"));
    support::clean_env(&mut cmd);
    cmd.args(args).stdin(Stdio::null());
    cmd
}

/// Memory the binary may use besides a body held up to its limit (it needs
/// about 15 MiB); an unbounded read of an endless body goes far past it
/// within the attempt's timeout.
#[cfg(unix)]
const MARGIN_KIB: i64 = 32 * 1024;

/// A server that answers `status` with a body that never ends: the binary
/// fails with `said` on stderr, after one request, its peak memory under
/// `limit_kib` plus [`MARGIN_KIB`].
#[cfg(unix)]
fn endless_body_is_a_bounded_error(status: u16, said: &str, limit_kib: i64) {
    let server = Server::plain(Behaviour::Endless { status });
    let base = server.url("http");
    let (code, stderr, peak_kib) = support::run_measured(openai(&cancel_args(&base, "k", &[])));
    assert_eq!(code, 1, "{stderr}");
    eprintln!("peak RSS with an endless {status} body: {peak_kib} KiB");
    assert!(stderr.contains(said), "{stderr}");
    assert!(
        peak_kib < limit_kib + MARGIN_KIB,
        "peak RSS {peak_kib} KiB for a {limit_kib} KiB limit"
    );
    assert_eq!(server.requests(), 1, "not retried");
}

#[cfg(unix)]
#[test]
fn an_endless_200_body_is_a_bounded_error() {
    endless_body_is_a_bounded_error(200, "larger than the 64 MiB limit", 64 * 1024);
}

#[cfg(unix)]
#[test]
fn an_endless_500_body_is_a_bounded_error() {
    endless_body_is_a_bounded_error(500, "500 reply is larger than the 1 MiB limit", 1024);
}

/// The arguments of `openai --base-url BASE --api-key KEY [extra] uploads cancel u`.
fn cancel_args<'a>(base: &'a str, key: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    support::cancel_args(base, key, extra, "u")
}

#[tokio::test]
async fn a_dead_proxy_is_named() {
    let server = support::silent().await;
    let base = support::base(&server);
    // Port 1 on loopback: nothing listens there.
    let run = support::run(
        &cancel_args(&base, SECRET, &["--max-retries", "0"]),
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
    let run = support::run(&cancel_args(&base, &key, &[]), &[]).await;
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
    let server = Server::tls(&pki, cancelled(), false);
    let bundle = trust(&pki);
    let base = server.url("https");
    let run = support::run(
        &cancel_args(&base, "k", &[]),
        &[("SSL_CERT_FILE", bundle.path().to_str().unwrap())],
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("cancelled"), "{run:?}");
}

#[tokio::test]
async fn an_https_redirect_to_http_is_refused() {
    let pki = Pki::new();
    let clear = Server::plain(cancelled());
    let location = format!("{}/uploads/u/cancel", clear.url("http"));
    let server = Server::tls(
        &pki,
        Behaviour::Reply(redirect("308 Permanent Redirect", &location)),
        false,
    );
    let bundle = trust(&pki);
    let base = server.url("https");
    let run = support::run(
        &cancel_args(&base, SECRET, &[]),
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
    let server = Server::tls(&pki, cancelled(), false);
    let base = server.url("https");
    // The test CA is not trusted; retries are on (2 by default).
    let run = support::run(&cancel_args(&base, SECRET, &[]), &[]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("certificate"), "{run:?}");
    assert_eq!(server.connections(), 1);
    run.assert_no_secret();
}

#[tokio::test]
async fn https_against_plain_http_suggests_http() {
    let server = Server::plain(Behaviour::Reply(json_reply("400 Bad Request", "{}")));
    let base = server.url("https");
    let run = support::run(&cancel_args(&base, "k", &[]), &[]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("use an http:// base URL"), "{run:?}");
    assert_eq!(server.connections(), 1, "not retried");
}

#[tokio::test]
async fn the_debug_log_shows_no_key() {
    let server = support::serve("u", 200, support::CANCELLED).await;
    let base = support::base(&server);
    let admin = ["--admin-api-key", "sk-admin-DISTINCTIVE-1234", "--debug"];
    let run = support::run(&cancel_args(&base, SECRET, &admin), &[]).await;
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
        &cancel_args(
            &base,
            "k",
            &["--connect-timeout", "0.3", "--max-retries", "0"],
        ),
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
        &cancel_args(&base, "k", &["--timeout", "0.3", "--max-retries", "0"]),
        &[],
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("(--timeout)"), "{run:?}");
}

//! The official CLI's interface where scripts meet it: its global flags (secrets never
//! shown), `--format explore` and case-insensitive formats, and output that is lost or
//! that a server chose.

use std::process::{Command, Stdio};

use crate::support::*;

const ADMIN_SECRET: &str = "sk-admin-ADMINDISTINCT-1a2b3c";
const WEBHOOK_SECRET: &str = "whsec_WEBHOOKDISTINCT-4d5e6f";

fn assert_secrets_hidden(run: &Run) {
    run.assert_no_secret();
    for secret in [
        ADMIN_SECRET,
        "ADMINDISTINCT",
        WEBHOOK_SECRET,
        "WEBHOOKDISTINCT",
    ] {
        assert!(!run.stdout.contains(secret), "{secret} on stdout: {run:?}");
        assert!(!run.stderr.contains(secret), "{secret} on stderr: {run:?}");
    }
}

/// `--admin-api-key` and `--webhook-secret` are accepted (the official tests pass the
/// first), never shown, --debug included, and never sent with an uploads request: those
/// carry only `Authorization: Bearer <api key>`.
#[tokio::test]
async fn admin_key_and_webhook_secret_are_never_shown_nor_sent() {
    let by_flag = [
        "--api-key",
        SECRET,
        "--admin-api-key",
        ADMIN_SECRET,
        "--webhook-secret",
        WEBHOOK_SECRET,
    ];
    let by_env = [
        ("OPENAI_API_KEY", SECRET),
        ("OPENAI_ADMIN_KEY", ADMIN_SECRET),
        ("OPENAI_WEBHOOK_SECRET", WEBHOOK_SECRET),
    ];
    for (flags, env) in [(&by_flag[..], &[][..]), (&[][..], &by_env[..])] {
        let server = serve("upload_abc123", 200, CANCELLED).await;
        let url = base(&server);
        let mut args = vec!["--debug", "--base-url", &url];
        args.extend_from_slice(flags);
        args.extend(["uploads", "cancel", "upload_abc123"]);
        let run = run(&args, env).await;
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stderr.contains("POST"), "--debug logs: {}", run.stderr);
        assert_secrets_hidden(&run);
        let sent = requests(&server).await;
        assert_eq!(sent.len(), 1);
        let headers = format!("{:?}", sent[0].headers);
        assert!(!headers.contains("ADMINDISTINCT"), "{headers}");
        assert!(!headers.contains("WEBHOOKDISTINCT"), "{headers}");
        assert_eq!(
            sent[0].headers.get("authorization").unwrap(),
            &format!("Bearer {SECRET}")
        );
        // The User-Agent names the project and says the CLI sent it.
        let version = env!("CARGO_PKG_VERSION");
        assert_eq!(
            sent[0].headers.get("user-agent").unwrap(),
            &format!("openai-uploads-rs/{version} (openai-cli/{version})")
        );
    }
    // Also when the command fails: an API error, and a usage error.
    let server = serve("u", 404, r#"{"error":{"message":"No such upload"}}"#).await;
    let url = base(&server);
    let mut args = vec!["--debug", "--base-url", &url];
    args.extend_from_slice(&by_flag);
    args.extend(["uploads", "cancel", "u"]);
    let failed = run(&args, &[]).await;
    assert_eq!(failed.code, 1, "{failed:?}");
    assert_secrets_hidden(&failed);
    let usage = run(&["uploads", "cancel", "--debug", "--nope"], &by_env).await;
    assert_eq!(usage.code, 2);
    assert_secrets_hidden(&usage);
}

/// The mTLS pair: both files or neither, an https:// base URL, files that exist; each
/// mistake is a usage error (exit 2) before anything is sent.
#[tokio::test]
async fn mtls_flags_are_checked_before_sending() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("client.pem");
    let key = dir.path().join("client.key");
    std::fs::write(&cert, "-----BEGIN CERTIFICATE-----\n").unwrap();
    std::fs::write(&key, "-----BEGIN PRIVATE KEY-----\n").unwrap();
    let missing = dir.path().join("missing.key");
    let (cert, key, missing) = (
        cert.to_str().unwrap(),
        key.to_str().unwrap(),
        missing.to_str().unwrap(),
    );
    let key_missing = format!("the mTLS client key file {missing} does not exist");
    let cert_missing = format!("the mTLS client certificate file {missing} does not exist");
    let server = silent().await;
    let http = base(&server);
    // (flags, environment, what the message says)
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 5] = [
        (
            &["--mtls-client-cert-file", cert],
            &[],
            "the mTLS client certificate file needs its key file",
        ),
        (
            &[],
            &[("OPENAI_MTLS_CLIENT_KEY_FILE", key)],
            "the mTLS client key file needs its certificate file",
        ),
        (
            &[
                "--mtls-client-cert-file",
                cert,
                "--mtls-client-key-file",
                key,
            ],
            &[],
            "mTLS requires an https:// base URL",
        ),
        (
            &["--mtls-client-cert-file", cert],
            &[
                ("OPENAI_MTLS_CLIENT_KEY_FILE", missing),
                ("OPENAI_BASE_URL", "https://127.0.0.1:9/v1"),
            ],
            &key_missing,
        ),
        (
            &[
                "--mtls-client-cert-file",
                missing,
                "--mtls-client-key-file",
                key,
            ],
            &[("OPENAI_BASE_URL", "https://127.0.0.1:9/v1")],
            &cert_missing,
        ),
    ];
    for (flags, env, needle) in cases {
        let mut args = vec!["--api-key", SECRET];
        if env.iter().all(|(name, _)| *name != "OPENAI_BASE_URL") {
            args.extend(["--base-url", http.as_str()]);
        }
        args.extend_from_slice(flags);
        args.extend(["uploads", "cancel", "u"]);
        let run = run(&args, env).await;
        assert_eq!(run.code, 2, "{flags:?}: {run:?}");
        assert!(run.stderr.contains(needle), "{flags:?}: {}", run.stderr);
        assert_eq!(run.stdout, "");
        run.assert_no_secret();
    }
    assert!(requests(&server).await.is_empty());
}

/// `--format explore` is accepted; off a terminal it is JSON, with the official warning on
/// stderr. Format names are case-insensitive.
#[tokio::test]
async fn explore_and_case_insensitive_formats() {
    let server = serve("u", 200, CANCELLED).await;
    let explore = cancel(&server, "u", &["--format", "explore"]).await;
    let json = cancel(&server, "u", &["--format", "json"]).await;
    assert_eq!(explore.code, 0, "{explore:?}");
    assert_eq!(explore.stdout, json.stdout);
    assert_eq!(
        explore.stderr,
        "Warning: Output format 'explore' not supported for non-terminal output; falling back to 'json'\n"
    );
    assert_eq!(json.stderr, "");
    for spelling in ["JSON", "Json", "jSoN"] {
        let run = cancel(&server, "u", &["--format", spelling]).await;
        assert_eq!((run.code, &run.stdout), (0, &json.stdout), "{spelling}");
    }
    let yaml = cancel(
        &server,
        "u",
        &["--format", "YAML", "--format-error", "JsonL"],
    )
    .await;
    assert_eq!(yaml.code, 0, "{yaml:?}");
    assert!(
        yaml.stdout.starts_with("id: upload_abc123\n"),
        "{}",
        yaml.stdout
    );
}

/// Output that is lost is an error: with stdout a pipe nobody reads any more, the command
/// exits non-zero and says so on stderr, without a panic.
#[tokio::test]
async fn a_closed_stdout_is_an_error() {
    let server = serve("u", 200, CANCELLED).await;
    let url = base(&server);
    for args in [
        vec![
            "--base-url",
            url.as_str(),
            "--api-key",
            "k",
            "uploads",
            "cancel",
            "u",
        ],
        vec!["--help"],
        vec!["completion", "bash"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_openai"));
        clean_env(&mut cmd);
        cmd.args(&args)
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::piped());
        let output = tokio::task::spawn_blocking(move || {
            cmd.spawn()
                .expect("starts")
                .wait_with_output()
                .expect("ends")
        })
        .await
        .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("cannot write to stdout"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

/// A stdout closed outright (`>&-`) loses the result too: exit 1 and a message, while
/// a stdout sent to `/dev/null` on purpose is a success.
#[cfg(unix)]
#[tokio::test]
async fn a_stdout_closed_outright_is_an_error_but_dev_null_is_not() {
    let server = serve("u", 200, CANCELLED).await;
    let url = base(&server);
    for (redirect, code) in [(">&-", 1), (">/dev/null", 0)] {
        let mut cmd = Command::new("sh");
        clean_env(&mut cmd);
        cmd.arg("-c")
            .arg(format!("exec \"$0\" \"$@\" {redirect}"))
            .arg(env!("CARGO_BIN_EXE_openai"))
            .args([
                "--base-url",
                &url,
                "--api-key",
                "k",
                "uploads",
                "cancel",
                "u",
            ])
            .stdin(Stdio::null())
            .stderr(Stdio::piped());
        let output = tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{redirect}: {stderr}");
        if code == 1 {
            assert!(
                stderr.contains("cannot write to stdout: it is closed"),
                "{stderr}"
            );
        } else {
            assert_eq!(stderr, "");
        }
    }
}

/// The summary of an API error quotes the server's message on one line, and nothing the
/// server chose reaches the terminal raw: it cannot retitle the window or forge lines.
#[tokio::test]
async fn the_servers_words_in_an_error_never_drive_the_terminal() {
    let evil = r#"{"error":{"message":"gone\u001b]0;pwned\u0007\r\nError: forged","type":"x"}}"#;
    for format in ["jsonl", "pretty", "yaml", "raw"] {
        let server = serve("u", 404, evil).await;
        let run = cancel(&server, "u", &["--format-error", format]).await;
        assert_eq!(run.code, 1, "{run:?}");
        let first = run.stderr.lines().next().unwrap();
        assert!(
            first.starts_with("Error: POST /uploads/u/cancel: 404"),
            "{first}"
        );
        assert!(first.contains("Error: forged"), "one line: {first}");
        assert!(
            !run.stderr.chars().any(|c| c.is_control() && c != '\n'),
            "{format}: {:?}",
            run.stderr
        );
    }
}

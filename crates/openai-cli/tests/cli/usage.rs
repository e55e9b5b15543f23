//! Usage and configuration errors: exit 2, a clear message, and no request sent.

use crate::support::*;

/// Runs `args` (with `--base-url` pointing at a server that must get nothing) and checks
/// exit 2, empty stdout and no request; returns stderr.
async fn refused(args: &[&str], env: &[(&str, &str)]) -> String {
    let server = silent().await;
    let url = base(&server);
    let mut all = args.to_vec();
    all.extend(["--base-url", &url]);
    let run = run(&all, env).await;
    assert_eq!(run.code, 2, "{args:?}: {run:?}");
    assert_eq!(run.stdout, "", "{args:?}");
    assert!(
        !run.stderr.trim().is_empty(),
        "{args:?}: a message is printed"
    );
    run.assert_no_secret();
    assert!(
        requests(&server).await.is_empty(),
        "{args:?}: no request was sent"
    );
    server.verify().await;
    run.stderr
}

const KEY: [&str; 2] = ["--api-key", SECRET];

#[tokio::test]
async fn missing_or_doubled_id() {
    let neither = refused(&["uploads", "cancel", KEY[0], KEY[1]], &[]).await;
    assert!(neither.contains("--upload-id"), "{neither}");
    let both = refused(
        &["uploads", "cancel", "--upload-id", "a", "b", KEY[0], KEY[1]],
        &[],
    )
    .await;
    assert!(both.contains("cannot be used with"), "{both}");
    refused(&["uploads", "cancel", "a", "b", KEY[0], KEY[1]], &[]).await;
}

#[tokio::test]
async fn empty_dot_and_dotdot_ids() {
    for id in ["", ".", ".."] {
        let flag = refused(
            &["uploads", "cancel", "--upload-id", id, KEY[0], KEY[1]],
            &[],
        )
        .await;
        assert!(flag.contains("upload_id"), "{id:?}: {flag}");
        let positional = refused(&["uploads", "cancel", id, KEY[0], KEY[1]], &[]).await;
        assert!(positional.contains("upload_id"), "{id:?}: {positional}");
    }
}

#[tokio::test]
async fn missing_api_key_names_flag_and_variable() {
    for env in [
        &[][..],
        &[("OPENAI_API_KEY", "")][..],
        &[("OPENAI_API_KEY", "  ")][..],
    ] {
        let stderr = refused(&["uploads", "cancel", "u"], env).await;
        assert!(stderr.contains("--api-key"), "{stderr}");
        assert!(stderr.contains("OPENAI_API_KEY"), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

#[tokio::test]
async fn unknown_flags_formats_and_values() {
    let bad: [&[&str]; 9] = [
        &["uploads", "cancel", "u", "--no-such-flag"],
        &["uploads", "cancel", "u", "--format", "xml"],
        &["uploads", "cancel", "u", "--format-error", "html"],
        &["uploads", "cancel", "u", "--timeout", "soon"],
        &["uploads", "cancel", "u", "--timeout", "0"],
        &["uploads", "cancel", "u", "--max-retries", "-1"],
        &["uploads", "nope", "u"],
        &["uploads"],
        &["nope"],
    ];
    for args in bad {
        let mut args = args.to_vec();
        args.extend(KEY);
        refused(&args, &[]).await;
    }
    let stderr = refused(&["--format", "xml", "uploads", "cancel", "u"], &[]).await;
    assert!(
        stderr.contains("xml") && stderr.contains("jsonl"),
        "{stderr}"
    );
}

#[tokio::test]
async fn base_url_without_a_scheme() {
    let server = silent().await;
    let no_scheme = format!("{}/v1", server.address());
    for url in [no_scheme.as_str(), "ftp://example.com/v1", "not a url"] {
        let run = run(
            &[
                "uploads",
                "cancel",
                "u",
                "--base-url",
                url,
                "--api-key",
                SECRET,
            ],
            &[],
        )
        .await;
        assert_eq!(run.code, 2, "{url}: {run:?}");
        assert_eq!(run.stdout, "");
        assert!(run.stderr.starts_with("Error: "), "{}", run.stderr);
        run.assert_no_secret();
    }
    let from_env = run(
        &["uploads", "cancel", "u"],
        &[("OPENAI_BASE_URL", &no_scheme), ("OPENAI_API_KEY", SECRET)],
    )
    .await;
    assert_eq!(from_env.code, 2, "{from_env:?}");
    from_env.assert_no_secret();
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn a_secret_in_the_base_url_is_never_echoed() {
    // Swapped arguments (the key given as the base URL) and credentials in
    // the URL both end in exit 2 without the secret on screen.
    let swapped = format!("http://user:{SECRET}@127.0.0.1:9/v1");
    for url in [SECRET, swapped.as_str()] {
        let run = run(
            &[
                "uploads",
                "cancel",
                "u",
                "--base-url",
                url,
                "--api-key",
                "k",
            ],
            &[],
        )
        .await;
        assert_eq!(run.code, 2, "{url}: {run:?}");
        assert!(run.stderr.contains("invalid base URL"), "{}", run.stderr);
        run.assert_no_secret();
    }
}

#[tokio::test]
async fn a_key_that_cannot_be_a_header_is_rejected_without_echoing_it() {
    let key = format!("{SECRET}\nInjected: yes");
    let server = silent().await;
    let url = base(&server);
    let run = run(
        &[
            "uploads",
            "cancel",
            "u",
            "--base-url",
            &url,
            "--api-key",
            &key,
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    run.assert_no_secret();
    assert!(requests(&server).await.is_empty());
}

/// A bare `openai` prints the help on stdout and succeeds, as the official CLI does, even
/// when the environment provides a key (which once made it "require a subcommand").
#[tokio::test]
async fn no_arguments_prints_the_help() {
    let help = run(&["--help"], &[]).await.stdout;
    for env in [&[][..], &[("OPENAI_API_KEY", SECRET)][..]] {
        let run = run(&[], env).await;
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.stderr, "");
        assert_eq!(run.stdout, help);
        run.assert_no_secret();
    }
    let globals_only = run(&["--format", "yaml"], &[]).await;
    assert_eq!((globals_only.code, globals_only.stdout), (0, help));
}

/// With no root certificates an https client cannot be set up: a configuration error,
/// reported before anything is sent.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn https_without_any_root_certificate_is_a_configuration_error() {
    let run = run(
        &[
            "uploads",
            "cancel",
            "u",
            "--base-url",
            "https://127.0.0.1:9/v1",
        ],
        &[("SSL_CERT_FILE", "/dev/null"), ("OPENAI_API_KEY", SECRET)],
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("TLS"), "{}", run.stderr);
    run.assert_no_secret();
}

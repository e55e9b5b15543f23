//! --help, --version and completion: no network, exit 0.

use crate::support::*;

/// Runs `args` with the environment pointing at a server that must get nothing.
async fn offline(args: &[&str]) -> Run {
    let server = silent().await;
    let url = base(&server);
    let run = run(
        args,
        &[("OPENAI_BASE_URL", &url), ("OPENAI_API_KEY", SECRET)],
    )
    .await;
    assert!(
        requests(&server).await.is_empty(),
        "{args:?} made a request"
    );
    run.assert_no_secret();
    run
}

/// `openai version X.Y.Z`, the official CLI's format, for `-v`, `--version` and clap's `-V`.
#[tokio::test]
async fn version() {
    for flag in ["--version", "-v", "-V"] {
        let run = offline(&[flag]).await;
        assert_eq!(run.code, 0, "{flag}");
        assert_eq!(
            run.stdout,
            format!("openai version {}\n", env!("CARGO_PKG_VERSION")),
            "{flag}"
        );
    }
}

#[tokio::test]
async fn top_level_help() {
    let run = offline(&["--help"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    let help = run.stdout;
    // Wrapped lines are joined, so a needle may span a line break.
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "Usage: openai [OPTIONS] [COMMAND]",
        "uploads",
        "completion",
        "--api-key <KEY>",
        "[env: OPENAI_API_KEY]",
        "[env: OPENAI_BASE_URL]",
        "[env: OPENAI_ORG_ID]",
        "[env: OPENAI_PROJECT_ID]",
        "--admin-api-key <KEY>",
        "[env: OPENAI_ADMIN_KEY]",
        "--webhook-secret <SECRET>",
        "[env: OPENAI_WEBHOOK_SECRET]",
        "--mtls-client-cert-file <PATH>",
        "[env: OPENAI_MTLS_CLIENT_CERT_FILE]",
        "--mtls-client-key-file <PATH>",
        "[env: OPENAI_MTLS_CLIENT_KEY_FILE]",
        "-v, --version",
        "explore",
        "[default: https://api.openai.com/v1]",
        "--format <FORMAT>",
        "--transform <PATH>",
        "-r, --raw-output",
        "pretty for people",
        "Exit status:",
    ] {
        assert!(flat.contains(needle), "missing {needle:?} in:\n{help}");
    }
    assert_eq!(offline(&["-h"]).await.code, 0);
    assert_eq!(offline(&["help"]).await.stdout, help);
}

#[tokio::test]
async fn resource_help() {
    let run = offline(&["uploads", "--help"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("Usage: openai uploads <COMMAND>"),
        "{}",
        run.stdout
    );
    let flat = run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "cancel Cancel a pending Upload.",
        "complete Complete an Upload from its Parts, in order.",
        "create Create an Upload to add Parts to.",
        "parts The Parts of an Upload.",
        "upload Upload a whole file in parts, in parallel, resumably.",
    ] {
        assert!(
            flat.contains(needle),
            "{needle:?} missing in:\n{}",
            run.stdout
        );
    }
}

#[tokio::test]
async fn method_help_comes_from_the_spec() {
    let run = offline(&["uploads", "cancel", "--help"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    let help = run.stdout;
    assert!(help.starts_with("Cancel a pending Upload.\n\n"), "{help}");
    assert!(help.contains("Usage: openai uploads cancel "), "{help}");
    assert!(help.contains("--upload-id <UPLOAD_ID>"), "{help}");
    assert!(help.contains("[UPLOAD_ID]"), "{help}");
    assert!(help.contains("[required]"), "{help}");
}

/// The ~40 lines of global options are in `openai --help` only; a subcommand's help points
/// there, and the options still work after the subcommand.
#[tokio::test]
async fn subcommand_help_points_to_the_global_options() {
    for args in [
        &["uploads", "--help"][..],
        &["uploads", "cancel", "--help"],
        &["uploads", "create", "--help"],
        &["uploads", "upload", "--help"],
        &["completion", "--help"],
    ] {
        let run = offline(args).await;
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        for global in [
            "--api-key <KEY>",
            "--format <FORMAT>",
            "Print each request",
            "OPENAI_API_KEY",
        ] {
            assert!(
                !run.stdout.contains(global),
                "{args:?} lists {global}:\n{}",
                run.stdout
            );
        }
        assert!(
            run.stdout.contains("work here too: see `openai --help`"),
            "{args:?}:\n{}",
            run.stdout
        );
    }
}

#[tokio::test]
async fn completion_scripts() {
    let scripts = [
        ["completion", "bash"],
        ["completion", "zsh"],
        ["completion", "fish"],
        ["completion", "powershell"],
        ["@completion", "bash"],
        ["@completion", "pwsh"],
    ];
    for args in scripts {
        let shell = args[1];
        let run = offline(&args).await;
        assert_eq!(run.code, 0, "{shell}: {run:?}");
        assert!(run.stdout.len() > 200, "{shell}: script too short");
        assert!(run.stdout.contains("uploads"), "{shell}");
        assert!(run.stdout.contains("cancel"), "{shell}");
        assert!(run.stdout.contains("upload-id"), "{shell}");
        // Global options are offered after the subcommand too.
        assert!(run.stdout.contains("admin-api-key"), "{shell}");
        assert_eq!(run.stderr, "");
    }
    assert_eq!(
        offline(&["@completion", "pwsh"]).await.stdout,
        offline(&["completion", "powershell"]).await.stdout
    );
    let bad = offline(&["completion", "tcsh"]).await;
    assert_eq!(bad.code, 2);
    assert_eq!(bad.stdout, "");
}

//! Environment variables and flags, and which one wins.

use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

async fn upload_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(CANCELLED))
        .mount(&server)
        .await;
    server
}

fn header(request: &wiremock::Request, name: &str) -> Option<String> {
    request
        .headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn environment_alone_configures_the_client() {
    let server = upload_server().await;
    let url = base(&server);
    let env = [
        ("OPENAI_API_KEY", "env-key"),
        ("OPENAI_BASE_URL", url.as_str()),
        ("OPENAI_ORG_ID", "org-env"),
        ("OPENAI_PROJECT_ID", "proj_env"),
    ];
    let run = run(&["uploads", "cancel", "u"], &env).await;
    assert_eq!(run.code, 0, "{run:?}");
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        header(&sent[0], "authorization").as_deref(),
        Some("Bearer env-key")
    );
    assert_eq!(
        header(&sent[0], "openai-organization").as_deref(),
        Some("org-env")
    );
    assert_eq!(
        header(&sent[0], "openai-project").as_deref(),
        Some("proj_env")
    );
}

#[tokio::test]
async fn flags_win_over_the_environment() {
    let from_env = upload_server().await;
    let from_flag = upload_server().await;
    let env_url = base(&from_env);
    let flag_url = base(&from_flag);
    let env = [
        ("OPENAI_API_KEY", "env-key"),
        ("OPENAI_BASE_URL", env_url.as_str()),
        ("OPENAI_ORG_ID", "org-env"),
        ("OPENAI_PROJECT_ID", "proj_env"),
    ];
    let args = [
        "uploads",
        "cancel",
        "u",
        "--api-key",
        "flag-key",
        "--base-url",
        &flag_url,
        "--organization",
        "org-flag",
        "--project",
        "proj_flag",
    ];
    let run = run(&args, &env).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(requests(&from_env).await.is_empty());
    let sent = requests(&from_flag).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        header(&sent[0], "authorization").as_deref(),
        Some("Bearer flag-key")
    );
    assert_eq!(
        header(&sent[0], "openai-organization").as_deref(),
        Some("org-flag")
    );
    assert_eq!(
        header(&sent[0], "openai-project").as_deref(),
        Some("proj_flag")
    );
}

#[tokio::test]
async fn organization_and_project_are_sent_only_when_set() {
    let server = upload_server().await;
    let url = base(&server);
    let empty = [("OPENAI_ORG_ID", ""), ("OPENAI_PROJECT_ID", "")];
    for env in [&[][..], &empty[..]] {
        let run = run(
            &[
                "uploads",
                "cancel",
                "u",
                "--base-url",
                &url,
                "--api-key",
                "k",
            ],
            env,
        )
        .await;
        assert_eq!(run.code, 0, "{run:?}");
    }
    for request in requests(&server).await {
        assert_eq!(header(&request, "openai-organization"), None);
        assert_eq!(header(&request, "openai-project"), None);
    }
}

#[tokio::test]
async fn global_flags_go_before_or_after_the_subcommand() {
    let server = upload_server().await;
    let url = base(&server);
    let before = run(
        &[
            "--api-key",
            "k",
            "--base-url",
            &url,
            "--format",
            "jsonl",
            "uploads",
            "cancel",
            "u",
        ],
        &[],
    )
    .await;
    let middle = run(
        &[
            "uploads",
            "--api-key",
            "k",
            "--base-url",
            &url,
            "cancel",
            "--format",
            "jsonl",
            "u",
        ],
        &[],
    )
    .await;
    let after = run(
        &[
            "uploads",
            "cancel",
            "u",
            "--api-key",
            "k",
            "--base-url",
            &url,
            "--format",
            "jsonl",
        ],
        &[],
    )
    .await;
    for run in [&before, &middle, &after] {
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (0, format!("{CANCELLED}\n").as_str()),
            "{run:?}"
        );
    }
    assert_eq!(requests(&server).await.len(), 3);
}

#[tokio::test]
async fn empty_base_url_variable_means_the_default() {
    // The default is https://api.openai.com/v1: with no network it cannot be reached, so an
    // unreachable port proves nothing; instead check that the empty value is not a config error.
    let run = run(
        &["uploads", "cancel", "", "--api-key", "k"],
        &[("OPENAI_BASE_URL", "")],
    )
    .await;
    // The empty id is refused (exit 2) with a message about the id, not about the base URL.
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("upload_id"), "{}", run.stderr);
}

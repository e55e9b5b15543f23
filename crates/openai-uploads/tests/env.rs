//! `Client::from_env`. One test in its own binary: it changes the environment.

// The fixtures the `uploads` test binary shares; this binary uses a few.
#[path = "uploads/common.rs"]
#[allow(dead_code)]
mod common;

use common::{KEY, bounded, upload_reply};
use openai_uploads::{Client, ClientBuilder, Error};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

const VARS: [&str; 4] = [
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
];

fn set(pairs: &[(&str, &str)]) {
    // SAFETY: this binary has a single test; no other thread reads the
    // environment while it changes (wiremock's server does not).
    unsafe {
        for name in VARS {
            std::env::remove_var(name);
        }
        for (name, value) in pairs {
            std::env::set_var(name, value);
        }
    }
}

#[tokio::test]
async fn from_env() {
    set(&[]);
    let err = Client::from_env().unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(err.to_string().contains("OPENAI_API_KEY"), "{err}");

    set(&[("OPENAI_API_KEY", "")]);
    let err = Client::from_env().unwrap_err();
    assert!(err.to_string().contains("OPENAI_API_KEY"), "{err}");

    set(&[("OPENAI_API_KEY", KEY)]);
    let client = Client::from_env().unwrap();
    assert_eq!(client.base_url(), "https://api.openai.com/v1");

    set(&[("OPENAI_API_KEY", KEY), ("OPENAI_BASE_URL", "")]);
    assert_eq!(
        Client::from_env().unwrap().base_url(),
        "https://api.openai.com/v1"
    );

    set(&[
        ("OPENAI_API_KEY", KEY),
        ("OPENAI_BASE_URL", "localhost:1234"),
    ]);
    let err = Client::from_env().unwrap_err();
    assert!(err.to_string().contains("base URL"), "{err}");

    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(upload_reply())
        .mount(&server)
        .await;
    set(&[
        ("OPENAI_API_KEY", KEY),
        ("OPENAI_BASE_URL", &format!("{}/v1/", server.uri())),
        ("OPENAI_ORG_ID", "org-env"),
        ("OPENAI_PROJECT_ID", "proj_env"),
    ]);
    let client = Client::from_env().unwrap();
    bounded(client.uploads().cancel("upload_abc123"))
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.url.path(), "/v1/uploads/upload_abc123/cancel");
    assert_eq!(
        request.headers["authorization"],
        format!("Bearer {KEY}").as_str()
    );
    assert_eq!(request.headers["openai-organization"], "org-env");
    assert_eq!(request.headers["openai-project"], "proj_env");

    // Builder settings override the environment.
    let client = ClientBuilder::from_env()
        .api_key("sk-other")
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "http://127.0.0.1:9");

    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bad = std::ffi::OsStr::from_bytes(b"org-\xff");
        // SAFETY: as in `set`.
        unsafe { std::env::set_var("OPENAI_ORG_ID", bad) };
        let err = Client::from_env().unwrap_err();
        assert!(err.to_string().contains("OPENAI_ORG_ID"), "{err}");
    }
    set(&[]);
}

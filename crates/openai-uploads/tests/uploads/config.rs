//! Building a client: required settings, bad values, and no key in Debug.

use std::time::Duration;

use crate::common::KEY;
use openai_uploads::{Client, ClientBuilder, Error};

fn config_error(builder: ClientBuilder) -> String {
    match builder.build() {
        Err(err @ Error::Config(_)) => {
            let text = err.to_string();
            assert!(!text.contains(KEY), "{text}");
            assert!(!format!("{err:?}").contains(KEY));
            assert!(!text.contains('\n'), "{text}");
            text
        }
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn missing_api_key_names_the_setter_and_the_variable() {
    for builder in [
        Client::builder(),
        Client::builder().api_key(""),
        Client::builder().api_key(" \n"),
    ] {
        let text = config_error(builder);
        assert!(text.contains("ClientBuilder::api_key"), "{text}");
        assert!(text.contains("OPENAI_API_KEY"), "{text}");
    }
}

#[test]
fn bad_base_urls_are_config_errors() {
    for url in [
        "api.openai.com/v1",
        "localhost:4010/v1",
        "ftp://example.com",
        "http://",
        "https:///v1",
        "http://exa mple.com",
        "http://[::1",
        "http://user:pass@example.com/v1",
        "http://example.com/v1?x=1",
    ] {
        let text = config_error(Client::builder().api_key(KEY).base_url(url));
        assert!(text.contains("base URL"), "{url}: {text}");
    }
    let text = config_error(Client::builder().api_key(KEY).base_url("localhost:4010"));
    assert!(text.contains("http:// or https://"), "{text}");
}

#[test]
fn good_base_urls() {
    for (url, shown) in [
        ("http://127.0.0.1:4010/v1", "http://127.0.0.1:4010/v1"),
        ("http://127.0.0.1:4010/v1/", "http://127.0.0.1:4010/v1"),
        (
            "  https://example.com/openai/v1/  ",
            "https://example.com/openai/v1",
        ),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("", "https://api.openai.com/v1"),
    ] {
        let client = Client::builder()
            .api_key(KEY)
            .base_url(url)
            .build()
            .unwrap();
        assert_eq!(client.base_url(), shown, "{url:?}");
    }
    let client = Client::builder().api_key(KEY).build().unwrap();
    assert_eq!(client.base_url(), "https://api.openai.com/v1");
    assert_eq!(client.max_retries(), 2);
    assert_eq!(client.timeout(), Duration::from_secs(600));
}

#[test]
fn header_breaking_values_are_config_errors() {
    let text = config_error(Client::builder().api_key("sk-abc\ndef"));
    assert!(text.contains("API key"), "{text}");
    assert!(!text.contains("sk-abc"), "{text}");
    let text = config_error(Client::builder().api_key(KEY).organization("org\r\nX: y"));
    assert!(text.contains("organization"), "{text}");
    let text = config_error(Client::builder().api_key(KEY).project("p\0"));
    assert!(text.contains("project"), "{text}");
}

#[test]
fn zero_timeout_is_a_config_error() {
    let text = config_error(Client::builder().api_key(KEY).timeout(Duration::ZERO));
    assert!(text.contains("timeout"), "{text}");
}

#[test]
fn key_is_trimmed() {
    // A key read from a file often ends in a newline.
    Client::builder()
        .api_key(format!("{KEY}\n"))
        .build()
        .unwrap();
}

#[test]
fn debug_output_never_shows_the_key() {
    let builder = Client::builder()
        .api_key(KEY)
        .organization("org-1")
        .base_url("http://127.0.0.1:9/v1");
    let text = format!("{builder:?} {builder:#?}");
    assert!(!text.contains(KEY), "{text}");
    assert!(text.contains("<REDACTED>"), "{text}");
    assert!(text.contains("org-1"), "{text}");

    let client = builder.debug(true).build().unwrap();
    let text = format!("{client:?} {client:#?}");
    assert!(!text.contains(KEY), "{text}");
    assert!(!text.contains("DO-NOT-PRINT"), "{text}");
    assert!(text.contains("<REDACTED>"), "{text}");
    assert!(text.contains("http://127.0.0.1:9/v1"), "{text}");
    assert!(text.contains("org-1"), "{text}");
}

#[test]
fn builder_without_key_debug_says_none() {
    let text = format!("{:?}", Client::builder());
    assert!(text.contains("api_key: None"), "{text}");
}

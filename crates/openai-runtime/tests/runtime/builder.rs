//! What `ClientBuilder::build` accepts and refuses, and what a built client
//! sends with every request: keys, limits, the caller's own HTTP client,
//! the User-Agent, the organization and the project.

use std::time::Duration;

use openai_runtime::{Client, ClientBuilder, Error, Method, Request};
use wiremock::matchers::{header, header_exists, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn builder() -> ClientBuilder {
    Client::builder()
        .api_key("sk-test")
        .base_url("http://127.0.0.1:9/v1")
}

/// The configuration error `builder` builds to.
fn refused(builder: ClientBuilder) -> String {
    match builder.build() {
        Err(Error::Config(message)) => message,
        other => panic!("not a configuration error: {other:?}"),
    }
}

#[test]
fn a_client_needs_a_key_and_either_one_will_do() {
    let none = Client::builder().base_url("http://127.0.0.1:9/v1");
    assert!(refused(none.clone()).contains("missing API key"));
    assert!(refused(none.clone().api_key("   ")).contains("missing API key"));
    none.clone().api_key("sk-x").build().unwrap();
    none.admin_api_key("sk-admin-x").build().unwrap();
}

#[test]
fn limits_and_timeouts_must_be_above_zero() {
    let cases = [
        (builder().timeout(Duration::ZERO), "timeout"),
        (builder().connect_timeout(Duration::ZERO), "connect timeout"),
        (builder().max_response_size(0), "size limit"),
        (builder().max_download_size(0), "size limit"),
    ];
    for (builder, what) in cases {
        let message = refused(builder);
        assert!(message.contains(what), "{message}");
    }
    builder()
        .timeout(Duration::from_millis(1))
        .connect_timeout(Duration::from_millis(1))
        .max_response_size(1)
        .max_download_size(1)
        .build()
        .unwrap();
}

#[test]
fn the_user_agent_product_and_the_headers_are_checked() {
    let message = refused(builder().user_agent_product("tool (v1)"));
    assert!(message.contains("without parentheses"), "{message}");
    let message = refused(builder().user_agent_product("tool/é"));
    assert!(message.contains("visible ASCII"), "{message}");
    let message = refused(builder().organization("org-é"));
    assert!(
        message.contains("organization") && message.contains("character 5"),
        "{message}"
    );
    let message = refused(builder().project("proj x"));
    assert!(
        message.contains("project") && message.contains("character 5"),
        "{message}"
    );
}

#[test]
fn a_given_http_client_takes_no_certificates() {
    let pki = test_support::hostile::Pki::new();
    let own = || reqwest::Client::builder().build().unwrap();
    let https = builder()
        .base_url("https://127.0.0.1:9/v1")
        .http_client(own());
    let message = refused(https.clone().add_root_certificate(pki.ca_pem.clone()));
    assert!(message.contains("http_client"), "{message}");
    let message = refused(
        https
            .clone()
            .client_identity(pki.client_cert_pem.clone(), pki.client_key_pem.clone()),
    );
    assert!(message.contains("http_client"), "{message}");
    https.build().unwrap();
}

/// The headers a request carries, as the server saw them.
async fn sent_headers(builder: ClientBuilder, server: &MockServer) -> Vec<(String, String)> {
    let client = builder
        .base_url(format!("{}/v1/", server.uri()))
        .build()
        .unwrap();
    let get = Request::new(Method::GET, "/models".into());
    tokio::time::timeout(
        Duration::from_secs(60),
        client.execute::<serde_json::Value>(get),
    )
    .await
    .expect("finished (hang guard)")
    .unwrap();
    let requests = server.received_requests().await.unwrap();
    let last = requests.last().unwrap();
    assert_eq!(last.url.path(), "/v1/models");
    last.headers
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn every_request_carries_the_configured_headers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header_exists("user-agent"))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&server)
        .await;
    let version = env!("CARGO_PKG_VERSION");
    let value = |headers: &[(String, String)], name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };

    // A key with white space around it, a product, an organization and a
    // project, through a reqwest client of the caller's.
    let given = Client::builder()
        .api_key("  sk-trimmed \n")
        .user_agent_product(" openai-cli/1.2 ")
        .organization(" org-1 ")
        .project("proj_1")
        .http_client(reqwest::Client::builder().build().unwrap());
    let headers = sent_headers(given, &server).await;
    assert_eq!(
        value(&headers, "authorization").as_deref(),
        Some("Bearer sk-trimmed")
    );
    assert_eq!(
        value(&headers, "user-agent"),
        Some(format!("openai-uploads-rs/{version} (openai-cli/1.2)"))
    );
    assert_eq!(
        value(&headers, "openai-organization").as_deref(),
        Some("org-1")
    );
    assert_eq!(value(&headers, "openai-project").as_deref(), Some("proj_1"));

    // Blank values are no values.
    let blank = Client::builder()
        .api_key("sk-plain")
        .user_agent_product(" ")
        .organization("")
        .project("  ");
    let headers = sent_headers(blank, &server).await;
    assert_eq!(
        value(&headers, "user-agent"),
        Some(format!("openai-uploads-rs/{version}"))
    );
    assert_eq!(value(&headers, "openai-organization"), None);
    assert_eq!(value(&headers, "openai-project"), None);
}

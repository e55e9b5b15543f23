//! The transport against hostile and broken servers on 127.0.0.1: bounded
//! bodies, the connect timeout, TLS and redirect errors that are not
//! retried, mTLS, the admin key, and what each error names.

use std::time::Duration;

use openai_runtime::{Client, ClientBuilder, Error, Method, Request};
use test_support::hostile::{Behaviour, CANCELLED, Pki, Server, cancelled, json_reply, redirect};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-test-SECRET-KEY";
const ADMIN_KEY: &str = "sk-admin-SECRET-ADMIN";

fn builder(base_url: &str) -> ClientBuilder {
    Client::builder().api_key(KEY).base_url(base_url)
}

/// A builder for `server`'s https URL that trusts the test CA of `pki`.
fn trusting(server: &Server, pki: &Pki) -> ClientBuilder {
    builder(&server.url("https")).add_root_certificate(pki.ca_pem.clone())
}

fn cancel() -> Request {
    Request::new(Method::POST, "/uploads/u/cancel".into())
}

/// Runs `request` with a hang guard: a test that hangs fails instead.
async fn send(client: &Client, request: Request) -> Result<serde_json::Value, Error> {
    tokio::time::timeout(Duration::from_secs(60), client.execute(request))
        .await
        .expect("the request finished (hang guard)")
        .map(|response| response.data)
}

fn assert_no_key(err: &Error) {
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains("SECRET"), "{text}");
    }
}

#[tokio::test]
async fn an_endless_200_body_stops_at_the_limit() {
    let server = Server::plain(Behaviour::Endless { status: 200 });
    let client = builder(&server.url("http"))
        .max_response_size(1 << 20)
        .build()
        .unwrap();
    let err = send(&client, cancel()).await.unwrap_err();
    match &err {
        Error::ResponseTooLarge { status, limit, .. } => {
            assert_eq!(status.as_u16(), 200);
            assert_eq!(*limit, 1 << 20);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("1 MiB limit"), "{err}");
    assert!(err.to_string().contains("max_response_size"), "{err}");
    assert!(!err.is_retryable());
    assert_eq!(server.requests(), 1, "not retried");
}

#[tokio::test]
async fn an_endless_500_body_stops_at_the_error_limit() {
    let server = Server::plain(Behaviour::Endless { status: 500 });
    let client = builder(&server.url("http")).build().unwrap();
    let err = send(&client, cancel()).await.unwrap_err();
    match &err {
        Error::ResponseTooLarge { status, limit, .. } => {
            assert_eq!(status.as_u16(), 500);
            assert_eq!(*limit, 1 << 20);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("error replies"), "{err}");
    assert_eq!(server.requests(), 1, "not retried");
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_unread() {
    let server = Server::plain(Behaviour::Reply(
        "HTTP/1.1 200 OK\r\ncontent-length: 999999999999\r\n\r\n{".into(),
    ));
    let client = builder(&server.url("http")).build().unwrap();
    let err = send(&client, cancel()).await.unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { limit, .. } if limit == 64 << 20),
        "{err:?}"
    );
}

#[tokio::test]
async fn bodies_under_the_limit_arrive_whole() {
    let body = format!(r#"{{"pad":"{}"}}"#, "x".repeat(300_000));
    let server = Server::plain(Behaviour::Reply(json_reply("200 OK", &body)));
    let client = builder(&server.url("http"))
        .max_response_size(body.len() as u64)
        .build()
        .unwrap();
    let value = send(&client, cancel()).await.unwrap();
    assert_eq!(value["pad"].as_str().unwrap().len(), 300_000);
}

#[tokio::test]
async fn a_silent_tls_handshake_hits_the_connect_timeout() {
    // Accepts TCP, reads the ClientHello, never answers it.
    let server = Server::plain(Behaviour::Hang);
    let client = builder(&server.url("https"))
        .connect_timeout(Duration::from_millis(300))
        .timeout(Duration::from_secs(600))
        .max_retries(1)
        .build()
        .unwrap();
    let err = send(&client, cancel()).await.unwrap_err();
    match &err {
        Error::ConnectTimeout { timeout, host, .. } => {
            assert_eq!(*timeout, Duration::from_millis(300));
            assert_eq!(host, &format!("127.0.0.1:{}", server.port));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("connect timeout"), "{err}");
    // Nothing was sent, so it is retried, even for a request that must not run twice.
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn the_per_attempt_timeout_says_so() {
    let server = Server::plain(Behaviour::Hang);
    let client = builder(&server.url("http"))
        .timeout(Duration::from_millis(300))
        .max_retries(0)
        .build()
        .unwrap();
    let err = send(&client, cancel()).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("per-attempt timeout"), "{err}");
}

#[tokio::test]
async fn https_to_a_plain_http_server_hints_at_http() {
    let server = Server::plain(Behaviour::Reply(json_reply("400 Bad Request", "{}")));
    let client = builder(&server.url("https")).build().unwrap();
    let err = send(&client, cancel()).await.unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    assert!(err.to_string().contains("use an http:// base URL"), "{err}");
    assert_eq!(server.connections(), 1, "a TLS failure is not retried");
    assert_no_key(&err);
}

#[tokio::test]
async fn http_to_a_tls_server_hints_at_https() {
    let pki = Pki::new();
    let server = Server::tls(&pki, cancelled(), false);
    let client = builder(&server.url("http")).max_retries(0).build().unwrap();
    let err = send(&client, cancel()).await.unwrap_err();
    assert!(
        err.to_string().contains("use an https:// base URL"),
        "{err}"
    );
    assert_no_key(&err);
}

#[tokio::test]
async fn a_certificate_error_is_tried_exactly_once() {
    let pki = Pki::new();
    let server = Server::tls(&pki, cancelled(), false);
    // The test CA is not trusted.
    let client = builder(&server.url("https"))
        .max_retries(2)
        .build()
        .unwrap();
    let err = send(&client, cancel()).await.unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    assert!(err.to_string().contains("certificate"), "{err}");
    // With the hint for a private CA.
    assert!(err.to_string().contains("SSL_CERT_FILE"), "{err}");
    assert!(!err.is_retryable());
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn a_trusted_root_certificate_is_accepted() {
    let pki = Pki::new();
    let server = Server::tls(&pki, cancelled(), false);
    let client = trusting(&server, &pki).build().unwrap();
    let value = send(&client, cancel()).await.unwrap();
    assert_eq!(value["status"], "cancelled");
}

#[tokio::test]
async fn an_https_redirect_to_http_is_refused_before_anything_is_sent() {
    let pki = Pki::new();
    let clear = Server::plain(cancelled());
    let location = format!("{}/uploads/u/cancel", clear.url("http"));
    let server = Server::tls(
        &pki,
        Behaviour::Reply(redirect("307 Temporary Redirect", &location)),
        false,
    );
    let client = trusting(&server, &pki).max_retries(2).build().unwrap();
    let request = cancel()
        .json(&serde_json::json!({"secret": "body"}))
        .unwrap();
    let err = send(&client, request).await.unwrap_err();
    assert!(matches!(err, Error::Redirect { .. }), "{err:?}");
    assert!(err.to_string().contains("clear text"), "{err}");
    assert_eq!(clear.connections(), 0, "nothing sent in clear text");
    assert_eq!(server.requests(), 1, "not retried");
}

#[tokio::test]
async fn a_redirect_loop_is_one_attempt() {
    let server = Server::plain(Behaviour::Reply(redirect(
        "307 Temporary Redirect",
        "/v1/uploads/u/cancel",
    )));
    let client = builder(&server.url("http")).max_retries(2).build().unwrap();
    let err = send(&client, cancel()).await.unwrap_err();
    assert!(matches!(err, Error::Redirect { .. }), "{err:?}");
    assert!(err.to_string().contains("redirects"), "{err}");
    // The request and 10 redirects, once.
    assert_eq!(server.requests(), 11);
}

#[tokio::test]
async fn mtls_presents_the_client_certificate() {
    let pki = Pki::new();
    let server = Server::tls(&pki, cancelled(), true);
    let client = trusting(&server, &pki)
        .client_identity(pki.client_cert_pem.clone(), pki.client_key_pem.clone())
        .build()
        .unwrap();
    assert!(!format!("{client:?}").contains("PRIVATE KEY"));
    let value = send(&client, cancel()).await.unwrap();
    assert_eq!(value["status"], "cancelled");

    // The same server refuses a client without one.
    let client = trusting(&server, &pki).max_retries(2).build().unwrap();
    let err = send(&client, cancel()).await.unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    assert_eq!(server.requests(), 1, "only the first client's request");
}

#[tokio::test]
async fn mtls_files_are_checked_at_build() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("client.pem");
    let key = dir.path().join("client.key");
    std::fs::write(&cert, &pki.client_cert_pem).unwrap();
    std::fs::write(&key, &pki.client_key_pem).unwrap();
    let config = |builder: ClientBuilder| match builder.build() {
        Err(Error::Config(message)) => message,
        other => panic!("{other:?}"),
    };
    let https = "https://127.0.0.1:1/v1";
    let message = config(builder(https).mtls_client_cert_file(&cert));
    assert!(message.contains("configured together"), "{message}");
    let message = config(builder(https).mtls_client_key_file(&key));
    assert!(message.contains("configured together"), "{message}");
    let message = config(
        builder(https)
            .mtls_client_cert_file(&cert)
            .mtls_client_key_file(dir.path().join("missing.key")),
    );
    assert!(message.contains("missing.key does not exist"), "{message}");
    let message = config(
        builder("http://127.0.0.1:1/v1")
            .mtls_client_cert_file(&cert)
            .mtls_client_key_file(&key),
    );
    assert!(
        message.contains("requires an https:// base URL"),
        "{message}"
    );
    // Another key than the certificate's.
    let other = Pki::new();
    let message = config(
        builder(https).client_identity(pki.client_cert_pem.clone(), other.client_key_pem.clone()),
    );
    assert!(message.contains("valid matching PEM pair"), "{message}");
    assert!(!message.contains("PRIVATE"), "{message}");
    builder(https)
        .mtls_client_cert_file(&cert)
        .mtls_client_key_file(&key)
        .build()
        .unwrap();
}

#[tokio::test]
async fn keys_must_be_visible_ascii() {
    for key in [
        "sk-é-SECRET",
        "sk SECRET",
        "sk-\u{a0}SECRET",
        "sk-\tSECRET",
        "sk-\x1bSECRET",
    ] {
        let err = Client::builder()
            .api_key(key)
            .base_url("http://127.0.0.1:1/v1")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err:?}");
        assert!(err.to_string().contains("visible ASCII"), "{err}");
        assert_no_key(&err);
        let err = Client::builder()
            .api_key("k")
            .admin_api_key(key)
            .base_url("http://127.0.0.1:1/v1")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("admin API key"), "{err}");
        assert_no_key(&err);
    }
}

#[tokio::test]
async fn the_admin_key_goes_only_to_admin_requests() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/uploads/u/cancel"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_string(CANCELLED))
        .mount(&server)
        .await;
    Mock::given(path("/v1/organization/users"))
        .and(header(
            "authorization",
            format!("Bearer {ADMIN_KEY}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&server)
        .await;
    let base = format!("{}/v1", server.uri());
    let client = builder(&base).admin_api_key(ADMIN_KEY).build().unwrap();
    let shown = format!("{client:?}");
    assert!(!shown.contains("SECRET"), "{shown}");
    send(&client, cancel()).await.unwrap();
    let users = Request::new(Method::GET, "/organization/users".into()).admin();
    send(&client, users.clone()).await.unwrap();

    // A key that is missing for the request fails before anything is sent.
    let admin_only = Client::builder()
        .admin_api_key(ADMIN_KEY)
        .base_url(&base)
        .build()
        .unwrap();
    let err = send(&admin_only, cancel()).await.unwrap_err();
    assert!(err.to_string().contains("missing API key"), "{err}");
    let err = send(&builder(&base).build().unwrap(), users)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("admin API key"), "{err}");
    assert_no_key(&err);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn conflicts_are_retried_unless_the_request_says_not_to() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(409)
                .insert_header("retry-after-ms", "1")
                .set_body_string(r#"{"error":{"message":"Upload is already completed"}}"#),
        )
        .mount(&server)
        .await;
    let client = builder(&format!("{}/v1", server.uri()))
        .max_retries(2)
        .build()
        .unwrap();
    let err = send(&client, cancel().retry_conflicts(false))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    send(&client, cancel()).await.unwrap_err();
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}

#[tokio::test]
async fn the_user_agent_names_the_program() {
    let server = MockServer::start().await;
    Mock::given(header(
        "user-agent",
        format!(
            "openai-uploads-rs/{} (openai-cli/9.9.9)",
            env!("CARGO_PKG_VERSION")
        )
        .as_str(),
    ))
    .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
    .expect(1)
    .mount(&server)
    .await;
    let client = builder(&format!("{}/v1", server.uri()))
        .user_agent_product("openai-cli/9.9.9")
        .build()
        .unwrap();
    send(&client, cancel()).await.unwrap();
    let err = builder(&server.uri())
        .user_agent_product("x (y)")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn a_download_streams_within_its_own_limit() {
    let server = MockServer::start().await;
    let bytes: Vec<u8> = (0..3_000_000u32).map(|i| i as u8).collect();
    Mock::given(path("/v1/files/f/content"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(bytes.clone()))
        .mount(&server)
        .await;
    Mock::given(path("/v1/files/missing/content"))
        .respond_with(ResponseTemplate::new(404).set_body_string(r#"{"error":{"message":"no"}}"#))
        .mount(&server)
        .await;
    let base = format!("{}/v1", server.uri());
    // Larger than the JSON limit: a download has its own.
    let client = builder(&base).max_response_size(1 << 20).build().unwrap();
    let content = || Request::new(Method::GET, "/files/f/content".into());
    let mut response = client.execute_bytes_stream(content()).await.unwrap();
    assert_eq!(response.status.as_u16(), 200);
    let mut received = Vec::new();
    while let Some(chunk) = response.data.chunk().await.unwrap() {
        received.extend_from_slice(&chunk);
    }
    assert_eq!(received, bytes);

    let client = builder(&base).max_download_size(1 << 20).build().unwrap();
    let response = client.execute_bytes_stream(content()).await.unwrap();
    let err = response.data.collect(u64::MAX).await.unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { limit, .. } if limit == 1 << 20),
        "{err:?}"
    );
    let err = client
        .execute_bytes_stream(Request::new(Method::GET, "/files/missing/content".into()))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
}

//! The client's settings as it reports them, the identity it feeds, the
//! URLs it builds and what its errors name, against servers on 127.0.0.1.

use std::time::Duration;

use openai_runtime::{Client, Error, Method, Request};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-test-SECRET-KEY";

#[test]
fn settings_are_reported_as_set() {
    let client = Client::builder()
        .api_key(KEY)
        .base_url("http://127.0.0.1:9/v1/")
        .max_retries(7)
        .timeout(Duration::from_secs(33))
        .connect_timeout(Duration::from_secs(4))
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "http://127.0.0.1:9/v1");
    assert_eq!(client.max_retries(), 7);
    assert_eq!(client.timeout(), Duration::from_secs(33));
    assert_eq!(client.connect_timeout(), Duration::from_secs(4));
    let debug = format!("{client:?}");
    assert!(debug.contains("http://127.0.0.1:9/v1"), "{debug}");
    assert!(debug.contains("max_retries: 7"), "{debug}");
    assert!(!debug.contains("SECRET"), "{debug}");
}

#[test]
fn the_identity_tells_apart_keys_organizations_and_projects() {
    let fed = |key: &str, org: Option<&str>, project: Option<&str>| {
        let mut builder = Client::builder().api_key(key);
        if let Some(org) = org {
            builder = builder.organization(org);
        }
        if let Some(project) = project {
            builder = builder.project(project);
        }
        let mut bytes = Vec::new();
        builder
            .build()
            .unwrap()
            .feed_identity(&mut |part| bytes.extend_from_slice(part));
        bytes
    };
    let base = fed("sk-a", Some("org-1"), Some("proj_2"));
    assert_eq!(base, fed("sk-a", Some("org-1"), Some("proj_2")), "stable");
    for other in [
        fed("sk-b", Some("org-1"), Some("proj_2")),
        fed("sk-a", Some("org-9"), Some("proj_2")),
        fed("sk-a", Some("org-1"), Some("proj_9")),
        fed("sk-a", None, Some("proj_2")),
        fed("sk-a", Some("org-1"), None),
        // The parts are kept apart: moving a character across does not collide.
        fed("sk-a", Some("org-1p"), Some("roj_2")),
    ] {
        assert_ne!(base, other);
    }
    assert_ne!(fed("sk-a", Some("x"), None), fed("sk-a", None, Some("x")));
}

#[tokio::test]
async fn a_path_without_a_leading_slash_still_joins_the_base_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/files"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .expect(2)
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(format!("{}/v1", server.uri()))
        .build()
        .unwrap();
    for route in ["/files", "files"] {
        client
            .execute::<serde_json::Value>(Request::new(Method::GET, route.into()))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_refused_connection_names_the_host_and_port() {
    // A port nothing listens on: bound, then closed.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = Client::builder()
        .api_key(KEY)
        .base_url(format!("http://127.0.0.1:{port}/v1"))
        .max_retries(0)
        .build()
        .unwrap();
    let err = client
        .execute::<serde_json::Value>(Request::new(Method::GET, "/files".into()))
        .await
        .unwrap_err();
    match &err {
        Error::Connection {
            host,
            connect,
            path,
            ..
        } => {
            assert_eq!(host, &format!("127.0.0.1:{port}"));
            assert!(*connect);
            assert_eq!(path, "/files");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with(&format!("could not connect to 127.0.0.1:{port}: ")),
        "{err}"
    );
    // The cause the system gave, as it gave it.
    assert!(err.to_string().contains("refused"), "{err}");
    assert!(!format!("{err} {err:?}").contains("SECRET"));
    // Nothing was parsed, so there is no hint about TLS.
    assert!(!err.to_string().contains("https://"), "{err}");
}

#[tokio::test]
async fn a_reply_that_is_not_http_hints_at_tls_only_for_a_bad_version() {
    use test_support::hostile::{Behaviour, Server};
    let get = |server: &Server| {
        let client = Client::builder()
            .api_key(KEY)
            .base_url(server.url("http"))
            .max_retries(0)
            .build()
            .unwrap();
        async move {
            client
                .execute::<serde_json::Value>(Request::new(Method::GET, "/files".into()))
                .await
                .unwrap_err()
        }
    };
    // What a TLS server's alert looks like to an HTTP client.
    let tls_like = Server::plain(Behaviour::Reply("\x15\x03\x03\x00\x02\x02\x46".into()));
    let err = get(&tls_like).await;
    assert!(
        err.to_string().contains("use an https:// base URL"),
        "{err}"
    );
    // An HTTP reply with a broken header: not HTTP either, but not TLS.
    let broken = Server::plain(Behaviour::Reply(
        "HTTP/1.1 200 OK\r\nbad header line\r\ncontent-length: 0\r\n\r\n".into(),
    ));
    let err = get(&broken).await;
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
    assert!(!err.to_string().contains("https://"), "{err}");
}

#[tokio::test]
async fn replies_carry_their_request_id() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/ok"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-request-id", "req_ok")
                .set_body_string("{}"),
        )
        .mount(&server)
        .await;
    Mock::given(path("/v1/bad"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-request-id", "req_bad")
                .set_body_string(r#"{"error":{"message":"no such thing"}}"#),
        )
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(format!("{}/v1", server.uri()))
        .build()
        .unwrap();
    let ok = client
        .execute::<serde_json::Value>(Request::new(Method::GET, "/ok".into()))
        .await
        .unwrap();
    assert_eq!(ok.request_id.as_deref(), Some("req_ok"));
    let err = client
        .execute::<serde_json::Value>(Request::new(Method::DELETE, "/bad".into()))
        .await
        .unwrap_err();
    assert_eq!(err.request_id(), Some("req_bad"));
    assert_eq!(err.method(), Some(&Method::DELETE));
    assert_eq!(err.path(), Some("/bad"));
    assert_eq!(
        err.to_string(),
        "404 Not Found: no such thing (request id req_bad)"
    );
}

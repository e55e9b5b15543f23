//! What goes over the wire: method, path, headers, body, base URL, path encoding.

use crate::common::{KEY, UPLOAD_JSON, bounded, builder, client, upload_reply};
use openai_uploads::{Error, Upload, UploadStatus};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request};

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(upload_reply())
        .mount(&server)
        .await;
    server
}

async fn only_request(server: &MockServer) -> Request {
    let mut requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "{requests:?}");
    requests.remove(0)
}

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn cancel_sends_the_exact_request() {
    let server = server().await;
    let upload = bounded(client(&server.uri()).uploads().cancel("upload_abc123"))
        .await
        .unwrap();

    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), "/v1/uploads/upload_abc123/cancel");
    assert_eq!(request.url.query(), None);
    assert_eq!(
        header(&request, "authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(header(&request, "accept"), Some("application/json"));
    assert_eq!(
        header(&request, "user-agent"),
        Some(format!("openai-uploads-rs/{}", env!("CARGO_PKG_VERSION")).as_str())
    );
    assert_eq!(header(&request, "content-type"), None);
    assert_eq!(header(&request, "openai-organization"), None);
    assert_eq!(header(&request, "openai-project"), None);
    assert!(request.body.is_empty());
    assert!(matches!(
        header(&request, "content-length"),
        None | Some("0")
    ));

    let want: Upload = serde_json::from_str(UPLOAD_JSON).unwrap();
    assert_eq!(upload, want);
    assert_eq!(upload.id, "upload_abc123");
    assert_eq!(upload.status, UploadStatus::Cancelled);
}

#[tokio::test]
async fn with_response_exposes_status_headers_and_request_id() {
    let server = server().await;
    let response = bounded(
        client(&server.uri())
            .uploads()
            .cancel("upload_abc123")
            .with_response(),
    )
    .await
    .unwrap();
    assert_eq!(response.status.as_u16(), 200);
    assert_eq!(response.request_id.as_deref(), Some("req_ok"));
    assert_eq!(response.headers["x-request-id"], "req_ok");
    assert_eq!(response.body, UPLOAD_JSON.as_bytes());
    assert_eq!(response.data.id, "upload_abc123");

    let json = response.into_json();
    assert_eq!(json.data["status"], "cancelled");
    assert_eq!(json.request_id.as_deref(), Some("req_ok"));
}

#[tokio::test]
async fn organization_and_project_headers_only_when_set() {
    let server = server().await;
    let set = builder(&server.uri())
        .organization("org-123")
        .project("proj_456")
        .build()
        .unwrap();
    bounded(set.uploads().cancel("u")).await.unwrap();
    let request = only_request(&server).await;
    assert_eq!(header(&request, "openai-organization"), Some("org-123"));
    assert_eq!(header(&request, "openai-project"), Some("proj_456"));

    let server = server_again().await;
    let only_org = builder(&server.uri())
        .organization("org-123")
        .build()
        .unwrap();
    bounded(only_org.uploads().cancel("u")).await.unwrap();
    let request = only_request(&server).await;
    assert_eq!(header(&request, "openai-organization"), Some("org-123"));
    assert_eq!(header(&request, "openai-project"), None);

    let server = server_again().await;
    let blank = builder(&server.uri())
        .organization("")
        .project("  ")
        .build()
        .unwrap();
    bounded(blank.uploads().cancel("u")).await.unwrap();
    let request = only_request(&server).await;
    assert_eq!(header(&request, "openai-organization"), None);
    assert_eq!(header(&request, "openai-project"), None);
}

async fn server_again() -> MockServer {
    server().await
}

#[tokio::test]
async fn base_url_with_or_without_trailing_slash() {
    for suffix in ["/v1", "/v1/", "/v1//"] {
        let server = server().await;
        let client = openai_uploads::Client::builder()
            .api_key(KEY)
            .base_url(format!("{}{suffix}", server.uri()))
            .build()
            .unwrap();
        assert_eq!(client.base_url(), format!("{}/v1", server.uri()));
        bounded(client.uploads().cancel("upload_abc123"))
            .await
            .unwrap();
        let request = only_request(&server).await;
        assert_eq!(
            request.url.path(),
            "/v1/uploads/upload_abc123/cancel",
            "{suffix}"
        );
    }
    for suffix in ["", "/"] {
        let server = server().await;
        let client = openai_uploads::Client::builder()
            .api_key(KEY)
            .base_url(format!("{}{suffix}", server.uri()))
            .build()
            .unwrap();
        bounded(client.uploads().cancel("x")).await.unwrap();
        let request = only_request(&server).await;
        assert_eq!(request.url.path(), "/uploads/x/cancel", "{suffix:?}");
    }
}

#[tokio::test]
async fn ids_are_encoded_as_one_segment() {
    let table = [
        ("upload_abc123", "upload_abc123"),
        ("a/b", "a%2Fb"),
        ("a?b", "a%3Fb"),
        ("a#b", "a%23b"),
        ("%2F", "%252F"),
        ("a b", "a%20b"),
        ("é", "%C3%A9"),
        ("../files", "..%2Ffiles"),
        ("%2e%2e", "%252e%252e"),
        (".%2e", ".%252e"),
        ("a\\b", "a%5Cb"),
        ("a\r\nX-Injected: 1", "a%0D%0AX-Injected%3A%201"),
        ("...", "..."),
    ];
    let server = server().await;
    let client = client(&server.uri());
    for (id, encoded) in table {
        server.reset().await;
        Mock::given(any())
            .respond_with(upload_reply())
            .mount(&server)
            .await;
        bounded(client.uploads().cancel(id)).await.unwrap();
        let request = only_request(&server).await;
        // The raw request line, before any decoding.
        assert_eq!(
            request.url.path(),
            format!("/v1/uploads/{encoded}/cancel"),
            "{id:?}"
        );
        assert_eq!(request.url.query(), None, "{id:?}");
        assert_eq!(header(&request, "x-injected"), None);
    }
}

#[tokio::test]
async fn bad_ids_are_rejected_before_sending() {
    let server = server().await;
    let client = client(&server.uri());
    for id in ["", ".", ".."] {
        let err = bounded(client.uploads().cancel(id)).await.unwrap_err();
        match &err {
            Error::InvalidArgument { name, .. } => assert_eq!(name, "upload_id"),
            other => panic!("{id:?}: {other:?}"),
        }
        assert!(err.to_string().contains("upload_id"), "{err}");
        assert!(!err.is_retryable());
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn no_id_reaches_another_endpoint() {
    let server = server().await;
    let client = client(&server.uri());
    let nasty = [
        "/",
        "//",
        "a/../../files",
        "?",
        "#",
        "%",
        "%00",
        "%2F..%2F",
        "..;",
        "\0",
        "\t",
        " ",
        "\u{202e}",
        "..\\..",
        "a\u{3000}b",
        "😀",
        "./.",
        "/../",
        "~",
        "@",
        "http://evil/",
    ];
    for id in nasty {
        server.reset().await;
        Mock::given(any())
            .respond_with(upload_reply())
            .mount(&server)
            .await;
        bounded(client.uploads().cancel(id)).await.unwrap();
        let request = only_request(&server).await;
        let path = request.url.path();
        let segments: Vec<&str> = path.split('/').collect();
        assert_eq!(segments.len(), 5, "{id:?} -> {path}");
        assert_eq!(
            [segments[1], segments[2], segments[4]],
            ["v1", "uploads", "cancel"],
            "{id:?}"
        );
        assert!(!matches!(segments[3], "" | "." | ".."), "{id:?} -> {path}");
        assert_eq!(request.url.query(), None, "{id:?}");
    }
}

#[tokio::test]
async fn clones_share_one_client() {
    fn assert_traits<T: Clone + Send + Sync + 'static>() {}
    assert_traits::<openai_uploads::Client>();
    fn assert_send<T: Send>(_: &T) {}

    let server = server().await;
    let client = client(&server.uri());
    let clone = client.clone();
    let uploads = client.uploads();
    let call = uploads.cancel("a");
    assert_send(&call);
    let task = tokio::spawn(async move { clone.uploads().cancel("b").await });
    bounded(call).await.unwrap();
    bounded(task).await.unwrap().unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn own_http_client_is_used() {
    let server = server().await;
    // Making a builder first lets a plain reqwest client build under the
    // default `rustls` feature (a crypto provider is installed).
    let builder = builder(&server.uri());
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-custom", "yes".parse().unwrap());
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    let client = builder.http_client(http).build().unwrap();
    bounded(client.uploads().cancel("u")).await.unwrap();
    let request = only_request(&server).await;
    assert_eq!(header(&request, "x-custom"), Some("yes"));
    assert_eq!(
        header(&request, "authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

//! Multipart bodies on the wire, and their retry rule: a request with a
//! multipart body is retried only when it cannot have reached the server.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::common::{
    Act, KEY, RawServer, UPLOAD_JSON, bounded, builder, client, ok_reply, upload_reply,
};
use openai_uploads::runtime::{Method, Multipart, Request};
use openai_uploads::{Client, Error, FilePart, Upload};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// One field of a parsed `multipart/form-data` body.
#[derive(Debug)]
struct Field {
    headers: String,
    bytes: Vec<u8>,
}

/// Splits a body on the boundary named in `content_type`.
fn parse_form(content_type: &str, body: &[u8]) -> Vec<Field> {
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("not a multipart content type: {content_type}"));
    let delimiter = format!("--{boundary}");
    let closing = format!("{delimiter}--\r\n");
    assert!(
        body.ends_with(closing.as_bytes()),
        "body does not end with the closing delimiter"
    );
    let mut fields = Vec::new();
    let mut rest = body;
    let open = format!("{delimiter}\r\n");
    while rest != closing.as_bytes() {
        assert!(rest.starts_with(open.as_bytes()), "expected a delimiter");
        rest = &rest[open.len()..];
        let head_end = find(rest, b"\r\n\r\n").expect("field headers end");
        let headers = String::from_utf8(rest[..head_end].to_vec()).unwrap();
        rest = &rest[head_end + 4..];
        let end = find(rest, format!("\r\n{delimiter}").as_bytes()).expect("field end");
        fields.push(Field {
            headers,
            bytes: rest[..end].to_vec(),
        });
        rest = &rest[end + 2..];
    }
    fields
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Bytes that are not all the same, so order and offsets matter.
fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i * 31 + i / 7919) as u8)
        .collect::<Vec<_>>()
}

fn temp_file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new()
        .prefix("part")
        .suffix(".bin")
        .tempfile()
        .unwrap();
    file.write_all(bytes).unwrap();
    file.flush().unwrap();
    file
}

fn parts_request(form: Multipart) -> Request {
    Request::new(Method::POST, "/uploads/upload_x/parts".into()).multipart(form)
}

async fn send(client: &Client, form: Multipart) -> Result<Upload, Error> {
    client
        .execute::<Upload>(parts_request(form))
        .await
        .map(|response| response.data)
}

async fn ok_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(upload_reply())
        .mount(&server)
        .await;
    server
}

/// The fields of the only request `server` received, after checking its
/// headers.
async fn only_form(server: &MockServer) -> Vec<Field> {
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    form_of(&requests[0])
}

fn form_of(request: &wiremock::Request) -> Vec<Field> {
    let header = |name| request.headers.get(name).map(|v| v.to_str().unwrap());
    assert_eq!(
        header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    let length: usize = header("content-length").unwrap().parse().unwrap();
    assert_eq!(length, request.body.len());
    parse_form(header("content-type").unwrap(), &request.body)
}

#[tokio::test]
async fn bytes_go_out_as_a_file_field() {
    let server = ok_server().await;
    let data = pattern(70_000);
    let form = Multipart::new()
        .text("purpose", "fine-tune")
        .file("data", FilePart::from_bytes(data.clone()));
    bounded(send(&client(&server.uri()), form)).await.unwrap();

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[0].method.as_str(), "POST");
    assert_eq!(requests[0].url.path(), "/v1/uploads/upload_x/parts");
    let fields = only_form(&server).await;
    assert_eq!(fields.len(), 2);
    assert_eq!(
        fields[0].headers,
        "Content-Disposition: form-data; name=\"purpose\""
    );
    assert_eq!(fields[0].bytes, b"fine-tune");
    assert_eq!(
        fields[1].headers,
        "Content-Disposition: form-data; name=\"data\"; filename=\"upload\"\r\n\
         Content-Type: application/octet-stream"
    );
    assert_eq!(fields[1].bytes, data);
}

#[tokio::test]
async fn filename_and_content_type_can_be_set() {
    let server = ok_server().await;
    let part = FilePart::from_bytes(&b"{}\n"[..])
        .filename("train\r\nX-Evil: 1.jsonl")
        .mime_type("text/jsonl");
    bounded(send(
        &client(&server.uri()),
        Multipart::new().file("data", part),
    ))
    .await
    .unwrap();
    let fields = only_form(&server).await;
    assert_eq!(
        fields[0].headers,
        "Content-Disposition: form-data; name=\"data\"; filename=\"train__X-Evil: 1.jsonl\"\r\n\
         Content-Type: text/jsonl"
    );
}

#[tokio::test]
async fn a_file_is_streamed_whole_with_its_name() {
    // Several read chunks (1 MiB each) and a partial one.
    let data = pattern(3 * 1024 * 1024 + 12_345);
    let file = temp_file(&data);
    let part = FilePart::from_path(file.path()).unwrap();
    assert_eq!(part.len(), data.len() as u64);
    let name = file
        .path()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(part.file_name(), name);

    let server = ok_server().await;
    bounded(send(
        &client(&server.uri()),
        Multipart::new().file("data", part),
    ))
    .await
    .unwrap();
    let fields = only_form(&server).await;
    assert_eq!(
        fields[0].headers,
        format!(
            "Content-Disposition: form-data; name=\"data\"; filename=\"{name}\"\r\n\
             Content-Type: application/octet-stream"
        )
    );
    assert!(fields[0].bytes == data, "the file's bytes differ");
}

#[tokio::test]
async fn a_file_range_sends_just_that_range() {
    let data = pattern(3 * 1024 * 1024);
    let file = temp_file(&data);
    let part = FilePart::from_file_range(file.path(), 1_000_003, 1_200_000).unwrap();
    assert_eq!(part.len(), 1_200_000);

    let server = ok_server().await;
    bounded(send(
        &client(&server.uri()),
        Multipart::new().file("data", part),
    ))
    .await
    .unwrap();
    let fields = only_form(&server).await;
    assert!(fields[0].bytes == data[1_000_003..2_200_003], "wrong range");

    // Empty ranges are fine, ranges past the end are not.
    let empty = FilePart::from_file_range(file.path(), data.len() as u64, 0).unwrap();
    assert!(empty.is_empty());
    for (offset, len) in [
        (0, data.len() as u64 + 1),
        (1, data.len() as u64),
        (u64::MAX, 2),
    ] {
        let err = FilePart::from_file_range(file.path(), offset, len).unwrap_err();
        assert_eq!(
            err.kind(),
            std::io::ErrorKind::InvalidInput,
            "{offset} {len}"
        );
        assert!(err.to_string().contains("past the end"), "{err}");
    }
}

#[test]
fn only_regular_files_make_parts() {
    let dir = tempfile::tempdir().unwrap();
    let err = FilePart::from_path(dir.path()).unwrap_err();
    assert_eq!(err.to_string(), "not a regular file");
    let err = FilePart::from_file_range(dir.path(), 0, 0).unwrap_err();
    assert_eq!(err.to_string(), "not a regular file");
    let err = FilePart::from_path(dir.path().join("missing")).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
}

#[tokio::test]
async fn a_file_that_shrank_is_a_file_error_and_not_retried() {
    let data = pattern(3 * 1024 * 1024);
    let file = temp_file(&data);
    let part = FilePart::from_path(file.path()).unwrap();
    file.as_file().set_len(1024 * 1024 + 5).unwrap();

    let server = ok_server().await;
    let err = bounded(send(
        &client(&server.uri()),
        Multipart::new().file("data", part),
    ))
    .await
    .unwrap_err();
    match &err {
        Error::File { path, source } => {
            assert_eq!(path, file.path());
            assert_eq!(source.kind(), std::io::ErrorKind::UnexpectedEof);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("shorter"), "{err}");
    assert!(server.received_requests().await.unwrap().len() <= 1);
}

#[tokio::test]
async fn a_deleted_file_is_a_file_error() {
    let file = temp_file(b"abc");
    let part = FilePart::from_path(file.path()).unwrap();
    let path = file.path().to_path_buf();
    drop(file);
    let server = ok_server().await;
    let err = bounded(send(
        &client(&server.uri()),
        Multipart::new().file("data", part),
    ))
    .await
    .unwrap_err();
    match &err {
        Error::File { path: got, source } => {
            assert_eq!(got, &path);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }
}

/// Replies `status` (with a short retry hint) `times` times, then the Upload.
async fn flaky_server(status: u16, times: u64, should_retry: Option<&str>) -> MockServer {
    let server = MockServer::start().await;
    let mut first = ResponseTemplate::new(status).insert_header("retry-after-ms", "10");
    if let Some(hint) = should_retry {
        first = first.insert_header("x-should-retry", hint);
    }
    Mock::given(any())
        .respond_with(first)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(upload_reply())
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn refusals_are_retried_with_the_same_bytes() {
    let data = pattern(1024 * 1024 + 7);
    let file = temp_file(&data);
    for status in [408, 429] {
        let server = flaky_server(status, 1, None).await;
        let form = Multipart::new().file("data", FilePart::from_path(file.path()).unwrap());
        bounded(send(&client(&server.uri()), form)).await.unwrap();
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 2, "{status}");
        for request in &requests {
            assert!(form_of(request)[0].bytes == data, "{status}: bytes differ");
        }
    }
}

#[tokio::test]
async fn refusals_marked_do_not_retry_are_not_retried() {
    let server = flaky_server(429, 1, Some("false")).await;
    let form = Multipart::new().file("data", FilePart::from_bytes("x"));
    let err = bounded(send(&client(&server.uri()), form))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn server_errors_and_conflicts_are_not_retried() {
    for (status, hint) in [
        (500, None),
        (503, None),
        (500, Some("true")),
        (409, None),
        (400, None),
    ] {
        let server = flaky_server(status, 1, hint).await;
        let form = Multipart::new().file("data", FilePart::from_bytes("x"));
        let err = bounded(send(&client(&server.uri()), form))
            .await
            .unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            1,
            "{status} {hint:?}"
        );
    }
    // The same replies to a JSON request are retried.
    let server = flaky_server(500, 1, None).await;
    bounded(client(&server.uri()).uploads().cancel("u"))
        .await
        .unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_dropped_connection_is_not_retried() {
    let server = RawServer::start(vec![Act::Close, ok_reply(UPLOAD_JSON)]).await;
    let form = Multipart::new().file("data", FilePart::from_bytes("x"));
    let err = bounded(send(&client(&server.uri()), form))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Connection { connect: false, .. }),
        "{err:?}"
    );
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn a_timeout_is_not_retried() {
    let server = RawServer::start(vec![Act::Hang, ok_reply(UPLOAD_JSON)]).await;
    let client = builder(&server.uri())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let form = Multipart::new().file("data", FilePart::from_bytes("x"));
    let err = bounded(send(&client, form)).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(server.requests(), 1);
}

/// Resolves `flaky.test` to a closed address `failures` times, then to the server.
struct FlakyDns {
    calls: AtomicUsize,
    failures: usize,
    server: SocketAddr,
}

impl reqwest::dns::Resolve for FlakyDns {
    fn resolve(&self, _: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        // Nothing listens on 127.0.0.2 at the server's port: connection refused.
        let addr = if call < self.failures {
            SocketAddr::new([127, 0, 0, 2].into(), self.server.port())
        } else {
            self.server
        };
        Box::pin(async move { Ok(Box::new(std::iter::once(addr)) as reqwest::dns::Addrs) })
    }
}

fn flaky_client(server: SocketAddr, failures: usize) -> (Client, Arc<FlakyDns>) {
    let dns = Arc::new(FlakyDns {
        calls: AtomicUsize::new(0),
        failures,
        server,
    });
    let http = reqwest::Client::builder()
        .dns_resolver(dns.clone())
        .no_proxy()
        .build()
        .unwrap();
    let client = Client::builder()
        .api_key(KEY)
        .base_url(format!("http://flaky.test:{}/v1", server.port()))
        .http_client(http)
        .build()
        .unwrap();
    (client, dns)
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn connection_refused_is_retried() {
    let server = RawServer::start(vec![ok_reply(UPLOAD_JSON)]).await;
    let (client, dns) = flaky_client(server.addr, 1);
    let form = Multipart::new().file("data", FilePart::from_bytes("x"));
    let upload = bounded(send(&client, form)).await.unwrap();
    assert_eq!(upload.id, "upload_abc123");
    assert_eq!(dns.calls.load(Ordering::SeqCst), 2);
    assert_eq!(server.requests(), 1);

    // Refused every time: the retries run out.
    let (client, dns) = flaky_client(server.addr, usize::MAX);
    let form = Multipart::new().file("data", FilePart::from_bytes("x"));
    let err = bounded(send(&client, form)).await.unwrap_err();
    assert!(
        matches!(err, Error::Connection { connect: true, .. }),
        "{err:?}"
    );
    assert_eq!(dns.calls.load(Ordering::SeqCst), 3);
    assert_eq!(server.requests(), 1);
}

const CHILD: &str = "OPENAI_UPLOADS_MULTIPART_CHILD";

#[tokio::test]
async fn debug_log_describes_multipart_bodies_without_their_bytes() {
    if let Ok(uri) = std::env::var(CHILD) {
        let client = builder(&uri).debug(true).build().unwrap();
        let form = Multipart::new().text("purpose", "batch").file(
            "data",
            FilePart::from_bytes(vec![b'Z'; 5000]).filename("x.bin"),
        );
        bounded(send(&client, form)).await.unwrap();
        return;
    }
    let server = ok_server().await;
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "multipart::debug_log_describes_multipart_bodies_without_their_bytes",
            "--exact",
            "--nocapture",
        ])
        .env(CHILD, server.uri())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let log = String::from_utf8(output.stderr).unwrap();
    assert!(
        log.contains("content-type: multipart/form-data; boundary="),
        "{log}"
    );
    assert!(
        log.contains("[openai-uploads]     purpose: batch\n"),
        "{log}"
    );
    assert!(
        log.contains(
            "[openai-uploads]     data: <5000 bytes, filename \"x.bin\", application/octet-stream>\n"
        ),
        "{log}"
    );
    assert!(!log.contains("ZZZZ"), "{log}");
    assert!(!log.contains(KEY), "{log}");
}

//! The generated commands of the fixtures, parsed from a command line and
//! run against wiremock: what goes on the wire (path, fixed query, headers,
//! `Accept`) and which kind of reply comes back (a body, none, a download).
//! The `openai` binary prints these (see its `tests/cli/constructs.rs`).

use clap::Parser;
use openai_runtime::cli::{Input, Reply};
use snapshot_check::Client;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer) -> Client {
    openai_runtime::ClientBuilder::<Client>::new()
        .api_key("sk-test")
        .base_url(server.uri())
        .max_retries(0)
        .build()
        .unwrap()
}

#[derive(Parser)]
struct Bodiless {
    #[command(subcommand)]
    resource: snapshot_check::bodiless_reply_cli::commands::Resource,
}

#[derive(Parser)]
struct Binary {
    #[command(subcommand)]
    resource: snapshot_check::binary_reply_cli::commands::Resource,
}

#[derive(Parser)]
struct Headers {
    #[command(subcommand)]
    resource: snapshot_check::header_parameter_cli::commands::Resource,
}

#[derive(Parser)]
struct Operations {
    #[command(subcommand)]
    resource: snapshot_check::operations_cli::commands::Resource,
}

/// A fixture's parsed command line, run the way the binary runs it: no stdin.
trait Command: Parser {
    async fn run_with(self, client: &Client) -> Result<Reply, openai_runtime::Error>;
}

/// Each fixture's `Resource` has a `run` of its own (no trait joins them), so
/// the impls are the same text for every fixture.
macro_rules! impl_command {
    ($($cli:ty),*) => {$(
        impl Command for $cli {
            async fn run_with(self, client: &Client) -> Result<Reply, openai_runtime::Error> {
                self.resource.run(client, Input::new(None).unwrap()).await
            }
        }
    )*};
}

impl_command!(Bodiless, Binary, Headers, Operations);

/// Parses `openai ARGS` as fixture `C` and runs it against `server`.
async fn run<C: Command>(
    server: &MockServer,
    args: &[&str],
) -> Result<Reply, openai_runtime::Error> {
    let command = C::try_parse_from(std::iter::once("openai").chain(args.iter().copied())).unwrap();
    command.run_with(&client(server)).await
}

#[tokio::test]
async fn a_bodiless_reply_is_empty_even_when_the_server_sends_bytes() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/sessions/s1"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ignored"))
        .expect(1)
        .mount(&server)
        .await;
    let reply = run::<Bodiless>(&server, &["sessions", "delete", "s1"])
        .await
        .unwrap();
    let Reply::Empty(response) = reply else {
        panic!("expected no body: {reply:?}");
    };
    assert_eq!(response.status, 200);
    assert!(response.body.is_empty());
}

#[tokio::test]
async fn a_204_is_empty() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sessions/s1/ping"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let reply = run::<Bodiless>(&server, &["sessions", "ping", "s1", "--seconds", "30"])
        .await
        .unwrap();
    assert!(matches!(reply, Reply::Empty(_)), "{reply:?}");
}

#[tokio::test]
async fn a_binary_reply_streams_with_the_offered_media_types_as_accept() {
    let server = MockServer::start().await;
    let bytes: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    Mock::given(method("GET"))
        .and(path("/assets/a1/preview"))
        .and(query_param("kind", "video"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "video/mp4")
                .set_body_bytes(bytes.clone()),
        )
        .expect(1)
        .mount(&server)
        .await;
    let reply = run::<Binary>(
        &server,
        &[
            "assets", "preview", "a1", "--kind", "video", "-o", "out.mp4",
        ],
    )
    .await
    .unwrap();
    let Reply::Download { response, output } = reply else {
        panic!("expected a download: {reply:?}");
    };
    assert_eq!(output.as_deref(), Some(std::path::Path::new("out.mp4")));
    let mut stream = response.data;
    let mut received = Vec::new();
    while let Some(chunk) = stream.chunk().await.unwrap() {
        received.extend_from_slice(&chunk);
    }
    assert_eq!(received, bytes);
    assert_eq!(
        sent_header(&server, "accept").await,
        "video/mp4, image/webp, application/json"
    );
}

/// The value of `name` in the one request the server got, as sent.
async fn sent_header(server: &MockServer, name: &str) -> String {
    let requests = server.received_requests().await.unwrap();
    let [request] = &requests[..] else {
        panic!("expected one request, got {}", requests.len());
    };
    request.headers[name].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_file_the_document_calls_a_json_string_is_a_download() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/assets/a1/content"))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_string("not JSON at all"))
        .expect(1)
        .mount(&server)
        .await;
    let reply = run::<Binary>(&server, &["assets", "content", "a1"])
        .await
        .unwrap();
    let Reply::Download { response, output } = reply else {
        panic!("expected a download: {reply:?}");
    };
    assert_eq!(output, None);
    let body = response.data.collect(1024).await.unwrap();
    assert_eq!(&body[..], b"not JSON at all");
}

#[tokio::test]
async fn header_parameters_and_a_fixed_query_are_sent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/reports/r1/cancel"))
        .and(query_param("beta", "true"))
        .and(query_param("verbose", "true"))
        .and(header("x-trace-id", "t-1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(r#"{"id":"r1","state":"cancelled"}"#),
        )
        .expect(1)
        .mount(&server)
        .await;
    let reply = run::<Headers>(
        &server,
        &[
            "reports:beta",
            "cancel",
            "r1",
            "--beta",
            "reports_fast=v1",
            "--beta",
            "reports_wide=v2",
            "--x-trace-id",
            "t-1",
            "--verbose",
            "true",
        ],
    )
    .await
    .unwrap();
    let Reply::Body(response) = reply else {
        panic!("expected a body: {reply:?}");
    };
    assert_eq!(response.data["state"], "cancelled");
    assert_eq!(
        sent_header(&server, "openai-beta").await,
        "reports_fast=v1,reports_wide=v2"
    );
}

#[tokio::test]
async fn a_header_value_with_a_line_break_is_never_sent() {
    let server = MockServer::start().await;
    let err = run::<Headers>(
        &server,
        &[
            "reports:beta",
            "cancel",
            "r1",
            "--x-trace-id",
            "t-1\r\nx-evil: 1",
        ],
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, openai_runtime::Error::InvalidArgument { name, .. } if name == "x-trace-id"),
        "{err:?}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn list_and_object_query_flags_go_in_brackets() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/stores/s1/file_batches"))
        .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
        .expect(1)
        .mount(&server)
        .await;
    run::<Operations>(
        &server,
        &[
            "stores",
            "file-batches",
            "list",
            "--store-id",
            "s1",
            "--after",
            "b 1",
            "--include",
            "file_counts",
            "--include",
            "usage",
            "--metadata",
            "{team: ml, \"a&b\": \"[x]\"}",
        ],
    )
    .await
    .unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests[0].url.query(),
        Some(
            "after=b+1&include%5B%5D=file_counts&include%5B%5D=usage\
             &metadata%5Ba%26b%5D=%5Bx%5D&metadata%5Bteam%5D=ml"
        )
    );
}

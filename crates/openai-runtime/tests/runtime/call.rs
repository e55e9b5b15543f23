//! [`Call`] against wiremock: awaiting it, `.with_response()`, each kind of
//! reply, a request that could not be built, and how many times a JSON
//! reply is decoded.

use std::cell::Cell;
use std::time::Duration;

use openai_runtime::call::{Empty, Stream, Text};
use openai_runtime::{ByteStream, Call, Client, Error, Method, Request};
use serde::{Deserialize, Deserializer};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer) -> Client {
    Client::builder()
        .api_key("sk-test")
        .base_url(format!("{}/v1", server.uri()))
        .max_retries(0)
        .build()
        .unwrap()
}

async fn reply(server: &MockServer, at: &str, template: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(format!("/v1{at}")))
        .respond_with(template)
        .mount(server)
        .await;
}

fn get(at: &str) -> Request {
    Request::new(Method::GET, at.into())
}

/// Awaits `call` with a hang guard.
async fn bounded<F: std::future::IntoFuture>(call: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(20), call)
        .await
        .expect("the call finished (hang guard)")
}

thread_local! {
    /// Entries into `Counted::deserialize` on this thread, and how many of
    /// them were through the JSON-pointer tracking deserializer.
    static ENTERED: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// A reply type that counts how many times it is decoded.
#[derive(Debug)]
struct Counted {
    id: String,
}

impl<'de> Deserialize<'de> for Counted {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let tracked = std::any::type_name::<D>().contains("serde_path_to_error");
        ENTERED.with(|entered| {
            let (all, through_tracking) = entered.get();
            entered.set((all + 1, through_tracking + usize::from(tracked)));
        });
        #[derive(Deserialize)]
        struct Fields {
            id: String,
        }
        Fields::deserialize(deserializer).map(|fields| Self { id: fields.id })
    }
}

/// The entries into `Counted::deserialize` that `run` makes on this thread.
async fn entries<R>(run: impl std::future::Future<Output = R>) -> (R, (usize, usize)) {
    ENTERED.with(|entered| entered.set((0, 0)));
    let result = run.await;
    (result, ENTERED.with(Cell::get))
}

// The current-thread runtime decodes on the test's own thread.
#[tokio::test(flavor = "current_thread")]
async fn a_reply_that_decodes_the_first_time_is_parsed_exactly_once() {
    let server = MockServer::start().await;
    reply(
        &server,
        "/things/t1",
        ResponseTemplate::new(200).set_body_string(r#"{"id":"t1","extra":[1,{"a":null}]}"#),
    )
    .await;
    let client = client(&server);
    let call = || Call::<Counted>::new(&client, || Ok(get("/things/t1")));

    let (thing, entered) = entries(bounded(call())).await;
    assert_eq!(thing.unwrap().id, "t1");
    assert_eq!(entered, (1, 0), "decoded once, straight into its type");

    let (response, entered) = entries(bounded(call().with_response())).await;
    assert_eq!(response.unwrap().data.id, "t1");
    assert_eq!(entered, (1, 0));
}

#[tokio::test(flavor = "current_thread")]
async fn a_wrong_typed_reply_still_names_its_json_pointer() {
    let server = MockServer::start().await;
    reply(
        &server,
        "/things/bad",
        ResponseTemplate::new(200)
            .insert_header("x-request-id", "req_bad")
            .set_body_string(r#"{"id":{"not":"a string"}}"#),
    )
    .await;
    let client = client(&server);
    let call = Call::<Counted>::new(&client, || Ok(get("/things/bad")));
    let (result, entered) = entries(bounded(call)).await;
    let err = result.unwrap_err();
    let Error::Decode { source, status, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(source.is_data(), "{source}");
    assert_eq!(status.as_u16(), 200);
    assert!(err.to_string().contains("at /id: invalid type"), "{err}");
    assert_eq!(err.request_id(), Some("req_bad"));
    // Only the failure pays for the second pass, which names the place.
    assert_eq!(entered, (2, 1));

    // Nested values are named by their whole path.
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        n: u32,
    }
    reply(
        &server,
        "/outer",
        ResponseTemplate::new(200).set_body_string(r#"{"items":[{"n":1},{"n":-1}]}"#),
    )
    .await;
    let err = bounded(Call::<Outer>::new(&client, || Ok(get("/outer"))))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("at /items/1/n: invalid value"),
        "{err}"
    );
}

#[tokio::test]
async fn a_cut_off_reply_is_a_syntax_error_even_after_a_wrong_typed_value() {
    let server = MockServer::start().await;
    reply(
        &server,
        "/cut",
        ResponseTemplate::new(200).set_body_string(r#"{"id":5,"more":"#),
    )
    .await;
    let client = client(&server);
    let err = bounded(Call::<Counted>::new(&client, || Ok(get("/cut"))))
        .await
        .unwrap_err();
    let Error::Decode { source, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(source.is_eof(), "{source}");
}

#[tokio::test]
async fn a_request_that_cannot_be_built_fails_when_awaited_and_sends_nothing() {
    let server = MockServer::start().await;
    let client = client(&server);
    let call =
        Call::<serde_json::Value>::new(&client, || get("/things").header("x-note", "two\nlines"));
    assert!(call.request().is_err());
    let err = bounded(call).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument { name, .. } if name == "x-note"),
        "{err:?}"
    );
    let err = bounded(
        Call::<serde_json::Value>::new(&client, || {
            Err(Error::invalid_argument("thing_id", "must not be empty"))
        })
        .with_response(),
    )
    .await
    .unwrap_err();
    assert!(matches!(&err, Error::InvalidArgument { .. }), "{err:?}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_call_shows_its_request_or_why_there_is_none() {
    let server = MockServer::start().await;
    let client = client(&server);
    let call = Call::<serde_json::Value>::new(&client, || Ok(get("/things/thing_1")));
    let shown = format!("{call:?}");
    assert!(
        shown.starts_with("Call {") && shown.contains("/things/thing_1"),
        "{shown}"
    );
    let call = Call::<serde_json::Value>::new(&client, || {
        Err(Error::invalid_argument("thing_id", "must not be empty"))
    });
    let shown = format!("{call:?}");
    assert!(
        shown.contains("thing_id") && shown.contains("Err"),
        "{shown}"
    );
}

#[tokio::test]
async fn with_response_has_the_status_headers_request_id_and_body() {
    let server = MockServer::start().await;
    reply(
        &server,
        "/things/t1",
        ResponseTemplate::new(201)
            .insert_header("x-request-id", "req_1")
            .insert_header("x-extra", "yes")
            .set_body_string(r#"{"id":"t1"}"#),
    )
    .await;
    let client = client(&server);
    let call = Call::<serde_json::Value>::new(&client, || Ok(get("/things/t1")));
    assert_eq!(call.request().unwrap().path_and_query(), "/things/t1");
    let response = bounded(call.with_response()).await.unwrap();
    assert_eq!(response.status.as_u16(), 201);
    assert_eq!(response.request_id.as_deref(), Some("req_1"));
    assert_eq!(response.headers["x-extra"], "yes");
    assert_eq!(&response.body[..], br#"{"id":"t1"}"#);
    assert_eq!(response.data["id"], "t1");
}

#[tokio::test]
async fn each_kind_of_reply() {
    let server = MockServer::start().await;
    reply(&server, "/empty", ResponseTemplate::new(204)).await;
    reply(
        &server,
        "/text",
        ResponseTemplate::new(200).set_body_string("v=0\r\n"),
    )
    .await;
    reply(
        &server,
        "/bytes",
        ResponseTemplate::new(200)
            .insert_header("x-request-id", "req_b")
            .set_body_bytes(vec![0u8, 1, 2, 255]),
    )
    .await;
    reply(
        &server,
        "/not-text",
        ResponseTemplate::new(200).set_body_bytes(vec![0xffu8, 0xfe]),
    )
    .await;
    let client = client(&server);

    let () = bounded(Call::<(), Empty>::new(&client, || Ok(get("/empty"))))
        .await
        .unwrap();
    let empty = bounded(Call::<(), Empty>::new(&client, || Ok(get("/empty"))).with_response())
        .await
        .unwrap();
    assert_eq!(empty.status.as_u16(), 204);

    let text = bounded(Call::<String, Text>::new(&client, || Ok(get("/text"))))
        .await
        .unwrap();
    assert_eq!(text, "v=0\r\n");
    let err = bounded(Call::<String, Text>::new(&client, || Ok(get("/not-text"))))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");

    let stream: ByteStream = bounded(Call::<ByteStream, Stream>::new(&client, || {
        Ok(get("/bytes"))
    }))
    .await
    .unwrap();
    assert_eq!(&stream.collect(1024).await.unwrap()[..], &[0, 1, 2, 255]);
    let response =
        bounded(Call::<ByteStream, Stream>::new(&client, || Ok(get("/bytes"))).with_response())
            .await
            .unwrap();
    assert_eq!(response.request_id.as_deref(), Some("req_b"));
}

#[tokio::test]
async fn an_api_error_is_the_calls_error() {
    let server = MockServer::start().await;
    reply(
        &server,
        "/missing",
        ResponseTemplate::new(404).set_body_string(
            r#"{"error":{"message":"no such thing","type":"invalid_request_error"}}"#,
        ),
    )
    .await;
    let client = client(&server);
    let err = bounded(Call::<serde_json::Value>::new(&client, || {
        Ok(get("/missing"))
    }))
    .await
    .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert!(err.to_string().contains("no such thing"), "{err}");
}

#[tokio::test]
async fn a_call_can_be_spawned() {
    let server = MockServer::start().await;
    reply(
        &server,
        "/things/t1",
        ResponseTemplate::new(200).set_body_string(r#"{"id":"t1"}"#),
    )
    .await;
    let client = client(&server);
    let task = tokio::spawn(async move {
        Call::<serde_json::Value>::new(&client, || Ok(get("/things/t1"))).await
    });
    let value = bounded(task).await.unwrap().unwrap();
    assert_eq!(value["id"], "t1");
}

#[tokio::test]
async fn decode_as_reads_the_same_reply_as_another_type() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Strict {
        id: String,
        n: u32,
    }
    let server = MockServer::start().await;
    let body = r#"{"id":"t1","n":"many"}"#;
    reply(
        &server,
        "/things/t1",
        ResponseTemplate::new(200).set_body_string(body),
    )
    .await;
    let client = client(&server);
    let strict = || Call::<Strict>::new(&client, || Ok(get("/things/t1")));
    let err = bounded(strict()).await.unwrap_err();
    assert!(err.to_string().contains("at /n: invalid type"), "{err}");
    // A view that needs fewer fields decodes what the full type cannot.
    let lenient = bounded(strict().decode_as::<Counted>()).await.unwrap();
    assert_eq!(lenient.id, "t1");
    // Nothing decoded: the bytes, checked as JSON.
    let raw = bounded(
        strict()
            .decode_as::<serde::de::IgnoredAny>()
            .with_response(),
    )
    .await
    .unwrap();
    assert_eq!(&raw.body[..], body.as_bytes());
}

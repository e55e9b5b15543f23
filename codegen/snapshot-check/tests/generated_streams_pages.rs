//! The generated libraries' paging and streaming methods against a local
//! server: `list_all` fetches every page in order and no page more than it
//! needs, `list_pages` yields the pages themselves; `create_stream` sends `stream: true` and yields typed events,
//! keeps an event type it does not know, and ends with an error event.

use futures_util::StreamExt;
use openai_batches::{BatchesListQuery, Client as BatchesClient};
use openai_responses::{Client as ResponsesClient, CreateResponse, ResponseStreamEvent};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn batch(id: &str) -> serde_json::Value {
    serde_json::json!({"id": id, "object": "batch", "endpoint": "/v1/responses",
        "input_file_id": "file-1", "completion_window": "24h", "status": "completed",
        "created_at": 1})
}

fn page(ids: &[&str], more: bool) -> ResponseTemplate {
    let data: Vec<_> = ids.iter().map(|id| batch(id)).collect();
    ResponseTemplate::new(200).set_body_json(serde_json::json!({"object": "list",
        "data": data, "has_more": more, "first_id": ids.first(), "last_id": ids.last()}))
}

async fn three_pages() -> MockServer {
    let server = MockServer::start().await;
    for (after, ids, more) in [
        (None, &["a", "b"][..], true),
        (Some("b"), &["c", "d"][..], true),
        (Some("d"), &["e"][..], false),
    ] {
        let mock = Mock::given(method("GET")).and(path("/v1/batches"));
        let mock = match after {
            None => mock.and(query_param_is_missing("after")),
            Some(after) => mock.and(query_param("after", after)),
        };
        mock.respond_with(page(ids, more)).mount(&server).await;
    }
    server
}

fn client<C>(server: &MockServer, build: impl FnOnce(String) -> C) -> C {
    build(format!("{}/v1", server.uri()))
}

fn batches(server: &MockServer) -> BatchesClient {
    client(server, |url| {
        BatchesClient::builder()
            .api_key("sk-test")
            .base_url(url)
            .max_retries(0)
            .build()
            .unwrap()
    })
}

#[tokio::test]
async fn list_all_yields_every_item_once_in_order() {
    let server = three_pages().await;
    let client = batches(&server);
    let items = client
        .batches()
        .list_all(&BatchesListQuery::default())
        .unwrap();
    let ids: Vec<String> = items.map(|item| item.unwrap().id).collect().await;
    assert_eq!(ids, ["a", "b", "c", "d", "e"]);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn list_all_asks_for_a_page_only_when_its_items_are_wanted() {
    let server = three_pages().await;
    let client = batches(&server);
    let items = client
        .batches()
        .list_all(&BatchesListQuery::default())
        .unwrap();
    let ids: Vec<String> = items.take(3).map(|item| item.unwrap().id).collect().await;
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn list_pages_yields_each_page_with_its_cursor() {
    let server = three_pages().await;
    let client = batches(&server);
    let pages: Vec<_> = client
        .batches()
        .list_pages(&BatchesListQuery::default())
        .unwrap()
        .map(|page| page.unwrap())
        .collect()
        .await;
    let shape: Vec<(Vec<String>, bool, Option<String>)> = pages
        .into_iter()
        .map(|page| {
            let ids = page.items.into_iter().map(|batch| batch.id).collect();
            (ids, page.has_more, page.next_cursor)
        })
        .collect();
    let strings = |ids: &[&str]| ids.iter().map(|id| id.to_string()).collect::<Vec<_>>();
    assert_eq!(
        shape,
        [
            (strings(&["a", "b"]), true, Some("b".to_owned())),
            (strings(&["c", "d"]), true, Some("d".to_owned())),
            (strings(&["e"]), false, None),
        ]
    );
}

fn responses(server: &MockServer) -> ResponsesClient {
    client(server, |url| {
        ResponsesClient::builder()
            .api_key("sk-test")
            .base_url(url)
            .max_retries(0)
            .build()
            .unwrap()
    })
}

async fn streaming(events: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/responses"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/event-stream")
                .set_body_string(events.to_owned()),
        )
        .mount(&server)
        .await;
    server
}

fn params() -> CreateResponse {
    serde_json::from_value(serde_json::json!({"model": "m", "input": "hi"})).unwrap()
}

/// Every item `create_stream` yields against `server`.
async fn events(server: &MockServer) -> Vec<openai_runtime::Result<ResponseStreamEvent>> {
    responses(server)
        .responses()
        .create_stream(&params())
        .await
        .unwrap()
        .collect()
        .await
}

const DELTA: &str = r#"{"type":"response.output_text.delta","item_id":"i","output_index":0,"content_index":0,"delta":"h\u00e9","sequence_number":1,"logprobs":[]}"#;

#[tokio::test]
async fn create_stream_yields_typed_events_and_keeps_unknown_ones() {
    let server = streaming(&format!(
        "event: response.output_text.delta\r\ndata: {DELTA}\r\n\r\n\
         : keep-alive\n\n\
         data: {{\"type\":\"response.brand_new\",\n\
         data: \"x\":1}}\n\n\
         data: [DONE]\n\n"
    ))
    .await;
    let events = events(&server).await;
    assert_eq!(events.len(), 2, "{events:?}");
    match events[0].as_ref().unwrap() {
        ResponseStreamEvent::ResponseTextDeltaEvent(delta) => assert_eq!(delta.delta, "h\u{e9}"),
        other => panic!("{other:?}"),
    }
    match events[1].as_ref().unwrap() {
        ResponseStreamEvent::Unknown(raw) => {
            assert_eq!(raw.to_value()["type"], "response.brand_new");
            assert_eq!(raw.to_value()["x"], 1);
        }
        other => panic!("{other:?}"),
    }
    let sent = &server.received_requests().await.unwrap()[0];
    let body: serde_json::Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(body["stream"], true);
    assert_eq!(body["model"], "m");
}

#[tokio::test]
async fn create_stream_ends_with_an_error_event_as_an_error() {
    let server = streaming(&format!(
        "data: {DELTA}\n\n\
         event: error\ndata: {{\"error\":{{\"message\":\"overloaded\"}}}}\n\n\
         data: {DELTA}\n\n"
    ))
    .await;
    let events = events(&server).await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events[0].is_ok());
    let error = events[1].as_ref().unwrap_err();
    assert!(
        matches!(error, openai_runtime::Error::Stream { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("overloaded"), "{error}");
}

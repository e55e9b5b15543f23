//! Auto-paging against wiremock: three pages in each cursor style, the
//! requests counted on the server.

use futures_util::{StreamExt, TryStreamExt};
use openai_runtime::paging::{self, Page, Style};
use openai_runtime::{Client, Error, Method, Request};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Debug, Deserialize, PartialEq)]
struct File {
    id: String,
}

fn client(server: &MockServer) -> Client {
    Client::builder()
        .api_key("sk-test")
        .base_url(format!("{}/v1", server.uri()))
        .max_retries(0)
        .build()
        .unwrap()
}

fn list() -> Request {
    Request::new(Method::GET, "/files".into()).query_pair("limit", "2")
}

async fn page_at(server: &MockServer, param: &str, cursor: Option<&str>, body: Value) {
    let mock = Mock::given(method("GET"))
        .and(path("/v1/files"))
        .and(query_param("limit", "2"));
    let mock = match cursor {
        Some(cursor) => mock.and(query_param(param, cursor)),
        None => mock.and(query_param_is_missing(param)),
    };
    mock.respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// Three pages `a b`, `c d`, `e`, continued after each page's last id.
async fn three_after_pages() -> MockServer {
    let server = MockServer::start().await;
    let items = |ids: &[&str]| ids.iter().map(|id| json!({"id": id})).collect::<Vec<_>>();
    page_at(
        &server,
        "after",
        None,
        json!({"object": "list", "data": items(&["a", "b"]), "has_more": true}),
    )
    .await;
    page_at(
        &server,
        "after",
        Some("b"),
        json!({"object": "list", "data": items(&["c", "d"]), "has_more": true}),
    )
    .await;
    page_at(
        &server,
        "after",
        Some("d"),
        json!({"object": "list", "data": items(&["e"]), "has_more": false}),
    )
    .await;
    server
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

fn ids(files: &[File]) -> Vec<&str> {
    files.iter().map(|file| file.id.as_str()).collect()
}

#[tokio::test]
async fn every_item_once_in_order() {
    let server = three_after_pages().await;
    let files: Vec<File> = paging::items(&client(&server), list(), Style::after())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&files), ["a", "b", "c", "d", "e"]);
    assert_eq!(requests(&server).await, 3);
}

#[tokio::test]
async fn taking_three_items_from_pages_of_two_makes_two_requests() {
    let server = three_after_pages().await;
    let files: Vec<File> = paging::items(&client(&server), list(), Style::after())
        .take(3)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&files), ["a", "b", "c"]);
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn nothing_is_requested_before_the_first_poll() {
    let server = three_after_pages().await;
    let items = paging::items::<File>(&client(&server), list(), Style::after());
    drop(items);
    assert_eq!(requests(&server).await, 0);
}

#[tokio::test]
async fn pages_carry_their_cursor_and_request_id() {
    let server = three_after_pages().await;
    let pages: Vec<Page<File>> = paging::pages(&client(&server), list(), Style::after())
        .try_collect()
        .await
        .unwrap();
    let cursors: Vec<_> = pages.iter().map(|p| p.next_cursor.as_deref()).collect();
    assert_eq!(cursors, [Some("b"), Some("d"), None]);
    let more: Vec<_> = pages.iter().map(|p| p.has_more).collect();
    assert_eq!(more, [true, true, false]);
}

#[tokio::test]
async fn a_cursor_given_by_the_caller_is_replaced_not_repeated() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/files"))
        .and(query_param("after", "start"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [{"id": "x"}], "has_more": true})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/files"))
        .and(query_param("after", "x"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [{"id": "y"}], "has_more": false})),
        )
        .mount(&server)
        .await;
    let request = list().query_pair("after", "start");
    let files: Vec<File> = paging::items(&client(&server), request, Style::after())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&files), ["x", "y"]);
    for request in server.received_requests().await.unwrap() {
        let query = request.url.query().unwrap_or_default().to_owned();
        assert_eq!(query.matches("after=").count(), 1, "{query}");
    }
}

#[tokio::test]
async fn an_empty_page_that_claims_more_ends_the_list() {
    let server = MockServer::start().await;
    page_at(
        &server,
        "after",
        None,
        json!({"data": [{"id": "a"}], "has_more": true}),
    )
    .await;
    page_at(
        &server,
        "after",
        Some("a"),
        json!({"data": [], "has_more": true}),
    )
    .await;
    let files: Vec<File> = paging::items(&client(&server), list(), Style::after())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&files), ["a"]);
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn a_cursor_that_does_not_advance_ends_the_list() {
    let server = MockServer::start().await;
    // Every page is the same one, forever.
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [{"id": "a"}, {"id": "b"}], "has_more": true})),
        )
        .mount(&server)
        .await;
    let files: Vec<File> = paging::items(&client(&server), list(), Style::after())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&files), ["a", "b", "a", "b"]);
    assert_eq!(requests(&server).await, 2);

    // The same for a token.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [{"id": "a"}], "next_page": "T"})),
        )
        .mount(&server)
        .await;
    let style = Style::next_token("page", "next_page");
    let files: Vec<File> = paging::items(&client(&server), list(), style)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&files), ["a", "a"]);
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn last_id_style_reads_the_cursor_from_its_field() {
    let server = MockServer::start().await;
    page_at(
        &server,
        "after",
        None,
        json!({"data": [{"name": "a"}, {"name": "b"}], "has_more": true, "last_id": "cur_1"}),
    )
    .await;
    page_at(
        &server,
        "after",
        Some("cur_1"),
        json!({"data": [{"name": "c"}, {"name": "d"}], "has_more": true, "last_id": "cur_2"}),
    )
    .await;
    page_at(
        &server,
        "after",
        Some("cur_2"),
        json!({"data": [{"name": "e"}], "has_more": false, "last_id": "cur_3"}),
    )
    .await;
    let names: Vec<Value> =
        paging::items(&client(&server), list(), Style::last_id("after", "last_id"))
            .try_collect()
            .await
            .unwrap();
    let names: Vec<_> = names.iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
    assert_eq!(requests(&server).await, 3);
}

#[tokio::test]
async fn next_token_style_follows_the_token_until_there_is_none() {
    let server = MockServer::start().await;
    page_at(
        &server,
        "page",
        None,
        json!({"data": [{"id": "a"}, {"id": "b"}], "next_page": "t1"}),
    )
    .await;
    page_at(
        &server,
        "page",
        Some("t1"),
        json!({"data": [{"id": "c"}, {"id": "d"}], "next_page": "t2"}),
    )
    .await;
    page_at(
        &server,
        "page",
        Some("t2"),
        json!({"data": [{"id": "e"}], "next_page": null}),
    )
    .await;
    let files: Vec<File> = paging::items(
        &client(&server),
        list(),
        Style::next_token("page", "next_page"),
    )
    .try_collect()
    .await
    .unwrap();
    assert_eq!(ids(&files), ["a", "b", "c", "d", "e"]);
    assert_eq!(requests(&server).await, 3);
}

#[tokio::test]
async fn single_style_asks_once() {
    let server = three_after_pages().await;
    let files: Vec<File> = paging::items(&client(&server), list(), Style::Single)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&files), ["a", "b"]);
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn raw_items_are_kept_as_sent() {
    let server = MockServer::start().await;
    let body = r#"{"data": [ {"id": "a",  "z": 1, "a": [2 ]}, {"id":"b"} ], "has_more": false}"#;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let raw: Vec<Box<RawValue>> = paging::items(&client(&server), list(), Style::after())
        .try_collect()
        .await
        .unwrap();
    let raw: Vec<&str> = raw.iter().map(|item| item.get()).collect();
    assert_eq!(raw, [r#"{"id": "a",  "z": 1, "a": [2 ]}"#, r#"{"id":"b"}"#]);
}

#[tokio::test]
async fn a_closure_builds_each_request() {
    let server = three_after_pages().await;
    let pages = paging::pages_with::<File, _>(&client(&server), Style::after(), |cursor| {
        let request = list();
        Ok(match cursor {
            Some(cursor) => request.query_pair("after", cursor),
            None => request,
        })
    });
    let files: Vec<File> = pages.items().try_collect().await.unwrap();
    assert_eq!(ids(&files), ["a", "b", "c", "d", "e"]);
}

#[tokio::test]
async fn a_custom_items_field_and_errors_end_the_stream() {
    let server = MockServer::start().await;
    page_at(
        &server,
        "after",
        None,
        json!({"results": [{"id": "a"}], "has_more": true}),
    )
    .await;
    page_at(
        &server,
        "after",
        Some("a"),
        json!({"error": {"message": "gone"}}),
    )
    .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"error": {"message": "down"}})),
        )
        .mount(&server)
        .await;
    let mut items = paging::pages::<File>(&client(&server), list(), Style::after())
        .items_field("results")
        .items();
    assert_eq!(items.next().await.unwrap().unwrap().id, "a");
    let err = items.next().await.unwrap().unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("no `results` list"), "{err}");
    // The error is the end: nothing is asked for again.
    assert!(items.next().await.is_none());
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn a_failing_page_is_the_clients_error() {
    let server = MockServer::start().await;
    page_at(
        &server,
        "after",
        None,
        json!({"data": [{"id": "a"}], "has_more": true}),
    )
    .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"error": {"message": "no such list"}})),
        )
        .mount(&server)
        .await;
    let results: Vec<Result<File, Error>> = paging::items(&client(&server), list(), Style::after())
        .collect()
        .await;
    assert_eq!(results.len(), 2);
    assert!(
        matches!(&results[1], Err(Error::Api { status, .. }) if status.as_u16() == 404),
        "{:?}",
        results[1]
    );
}

#[tokio::test]
async fn asking_again_after_the_end_gets_the_end_again() {
    let server = three_after_pages().await;
    let mut items = paging::items::<File>(&client(&server), list(), Style::after());
    let mut seen = Vec::new();
    while let Some(file) = items.next().await {
        seen.push(file.unwrap().id);
    }
    assert_eq!(seen, ["a", "b", "c", "d", "e"]);
    assert!(items.next().await.is_none());
    assert!(items.next().await.is_none());
    assert_eq!(requests(&server).await, 3);
}

#[tokio::test]
async fn debug_shows_how_the_list_is_read_and_no_key() {
    let server = MockServer::start().await;
    let pages = paging::pages::<File>(&client(&server), list(), Style::last_id("after", "last_id"))
        .items_field("things");
    let text = format!("{pages:?}");
    assert!(text.starts_with("Pages"), "{text}");
    assert!(
        text.contains("last_id") && text.contains("things"),
        "{text}"
    );
    let text = format!("{:?}", pages.items());
    assert!(text.starts_with("Items"), "{text}");
    assert!(
        text.contains("things") && text.contains("buffered: 0"),
        "{text}"
    );
    assert!(!text.contains("sk-test"), "{text}");
    assert_eq!(requests(&server).await, 0);
}

#[tokio::test]
async fn an_empty_page_ends_a_token_list_whatever_its_token() {
    let server = MockServer::start().await;
    page_at(
        &server,
        "page",
        None,
        json!({"data": [{"id": "a"}], "next_page": "t1"}),
    )
    .await;
    page_at(
        &server,
        "page",
        Some("t1"),
        json!({"data": [], "next_page": "t2", "has_more": true}),
    )
    .await;
    page_at(
        &server,
        "page",
        Some("t2"),
        json!({"data": [{"id": "never"}], "next_page": null}),
    )
    .await;
    let pages: Vec<Page<File>> = paging::pages(
        &client(&server),
        list(),
        Style::next_token("page", "next_page"),
    )
    .try_collect()
    .await
    .unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[1].next_cursor, None);
    assert_eq!(requests(&server).await, 2);
}

//! Error replies and bodies that do not decode.

use crate::common::{Act, RawServer, assert_no_key, bounded, builder, client};
use openai_uploads::{Error, UploadStatus};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn replying(reply: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(reply).mount(&server).await;
    server
}

async fn fail(reply: ResponseTemplate) -> Error {
    let server = replying(reply).await;
    let client = builder(&server.uri()).max_retries(0).build().unwrap();
    let err = bounded(client.uploads().cancel("upload_x"))
        .await
        .unwrap_err();
    assert_no_key(&err);
    err
}

#[tokio::test]
async fn openai_error_body_is_parsed() {
    let body = r#"{"error":{"message":"No such upload: 'upload_x'","type":"invalid_request_error","param":"upload_id","code":"not_found"}}"#;
    let err = fail(
        ResponseTemplate::new(404)
            .insert_header("x-request-id", "req_123")
            .set_body_string(body),
    )
    .await;
    assert_eq!(
        err.to_string(),
        "404 Not Found: No such upload: 'upload_x' (request id req_123)"
    );
    assert_eq!(err.status().unwrap().as_u16(), 404);
    assert_eq!(err.request_id(), Some("req_123"));
    assert_eq!(err.method().map(|m| m.as_str()), Some("POST"));
    assert_eq!(err.path(), Some("/uploads/upload_x/cancel"));
    let Error::Api {
        body: Some(parsed),
        raw,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(parsed.message, "No such upload: 'upload_x'");
    assert_eq!(parsed.type_.as_deref(), Some("invalid_request_error"));
    assert_eq!(parsed.param.as_deref(), Some("upload_id"));
    assert_eq!(parsed.code.as_deref(), Some("not_found"));
    assert_eq!(raw, body);
}

#[tokio::test]
async fn html_error_body_is_kept_raw() {
    let html = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    let err = fail(
        ResponseTemplate::new(502)
            .insert_header("content-type", "text/html")
            .set_body_string(html),
    )
    .await;
    let Error::Api {
        body,
        raw,
        status,
        request_id,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(status.as_u16(), 502);
    assert!(body.is_none());
    assert_eq!(raw, html);
    assert_eq!(*request_id, None);
    let line = err.to_string();
    assert!(
        line.starts_with("502 Bad Gateway: <html> <head><title>502 Bad Gateway</title>"),
        "{line}"
    );
    assert!(!line.contains(['\r', '\n']), "{line}");
}

#[tokio::test]
async fn huge_error_bodies_display_bounded() {
    let err = fail(ResponseTemplate::new(500).set_body_string("x".repeat(1_000_000))).await;
    let Error::Api { raw, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(raw.len(), 1_000_000);
    assert!(err.to_string().len() < 300);
}

#[tokio::test]
async fn empty_and_odd_error_bodies() {
    let err = fail(ResponseTemplate::new(500)).await;
    assert_eq!(err.to_string(), "500 Internal Server Error");

    let err = fail(ResponseTemplate::new(401).set_body_string(r#"{"error":"bad key"}"#)).await;
    assert_eq!(err.to_string(), "401 Unauthorized: bad key");

    let err = fail(ResponseTemplate::new(400).set_body_string(r#"{"error":{"code":123}}"#)).await;
    let Error::Api {
        body: Some(body), ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(body.code.as_deref(), Some("123"));
    assert_eq!(
        err.to_string(),
        r#"400 Bad Request: {"error":{"code":123}}"#
    );

    let bytes = vec![0xff, 0xfe, b'o', b'k'];
    let err = fail(ResponseTemplate::new(503).set_body_bytes(bytes)).await;
    assert_eq!(
        err.to_string(),
        "503 Service Unavailable: \u{fffd}\u{fffd}ok"
    );
}

#[tokio::test]
async fn redirects_without_location_are_errors() {
    let err = fail(ResponseTemplate::new(304)).await;
    assert_eq!(err.status().unwrap().as_u16(), 304);
    assert!(!err.is_retryable());
}

async fn decode_error(body: &str) -> Error {
    let err = fail(
        ResponseTemplate::new(200)
            .insert_header("x-request-id", "req_bad")
            .set_body_string(body),
    )
    .await;
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert_eq!(err.request_id(), Some("req_bad"));
    assert!(!err.is_retryable());
    err
}

#[tokio::test]
async fn truncated_2xx_body_is_a_decode_error() {
    let err = decode_error(r#"{"id":"upload_abc123","bytes":1"#).await;
    let Error::Decode {
        snippet,
        source,
        status,
        ..
    } = &err
    else {
        unreachable!()
    };
    assert_eq!(snippet, r#"{"id":"upload_abc123","bytes":1"#);
    assert!(source.is_eof());
    assert_eq!(status.as_u16(), 200);
    let line = err.to_string();
    assert!(
        line.starts_with("could not decode the 200 OK reply: EOF"),
        "{line}"
    );
    assert!(line.ends_with("(request id req_bad)"), "{line}");
}

#[tokio::test]
async fn wrong_types_and_missing_fields_are_decode_errors() {
    let wrong =
        crate::common::UPLOAD_JSON.replace(r#""bytes": 2147483648,"#, r#""bytes": "many","#);
    let err = decode_error(&wrong).await;
    let Error::Decode { source, .. } = &err else {
        unreachable!()
    };
    assert!(source.is_data(), "{source}");
    assert!(err.to_string().contains("invalid type"), "{err}");
    // The bad value is named by its JSON pointer.
    assert!(err.to_string().contains("at /bytes: invalid type"), "{err}");

    let err = decode_error(r#"{"id":"upload_abc123"}"#).await;
    assert!(err.to_string().contains("missing field"), "{err}");

    let err = decode_error(r#"{"id":"u","bytes":1,"created_at":1,"expires_at":1,"filename":"f","object":"file","purpose":"p","status":"pending"}"#).await;
    assert!(err.to_string().contains("upload"), "{err}");

    decode_error("").await;
    decode_error("null").await;
    decode_error("<html>captive portal</html>").await;
}

#[tokio::test]
async fn decode_snippet_is_bounded_and_one_line() {
    let body = format!("[\n{}", "é".repeat(1000));
    let err = decode_error(&body).await;
    let Error::Decode { snippet, .. } = &err else {
        unreachable!()
    };
    assert!(snippet.len() <= 512, "{}", snippet.len());
    assert!(snippet.starts_with("[\né"));
    let line = err.to_string();
    assert!(!line.contains('\n'));
    assert!(line.len() < 700, "{}", line.len());
}

#[tokio::test]
async fn new_enum_values_and_unknown_fields_decode() {
    let body = crate::common::UPLOAD_JSON
        .replace(r#""status": "cancelled""#, r#""status": "archived""#)
        .replace(
            r#""id": "upload_abc123","#,
            r#""id": "upload_abc123", "brand_new": {"x": [1]},"#,
        );
    let server = replying(ResponseTemplate::new(200).set_body_string(body)).await;
    let upload = bounded(client(&server.uri()).uploads().cancel("u"))
        .await
        .unwrap();
    assert_eq!(upload.status, UploadStatus::Unknown("archived".into()));
}

#[tokio::test]
async fn reply_cut_mid_body_is_a_connection_error() {
    let reply = "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"id\":".to_string();
    let server = RawServer::start(vec![Act::ReplyAndClose(reply)]).await;
    let client = builder(&server.uri()).max_retries(1).build().unwrap();
    let err = bounded(client.uploads().cancel("u")).await.unwrap_err();
    assert!(
        matches!(err, Error::Connection { connect: false, .. }),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert_eq!(server.requests(), 2);
    assert_no_key(&err);
}

#[tokio::test]
async fn garbage_reply_is_a_connection_error() {
    let server = RawServer::start(vec![Act::Reply("SSH-2.0-OpenSSH_9.6\r\n\r\n".into())]).await;
    let client = builder(&server.uri()).max_retries(0).build().unwrap();
    let err = bounded(client.uploads().cancel("u")).await.unwrap_err();
    assert!(
        matches!(err, Error::Connection { connect: false, .. }),
        "{err:?}"
    );
    assert_no_key(&err);
}

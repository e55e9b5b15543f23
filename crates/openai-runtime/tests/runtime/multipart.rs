//! `multipart/form-data` bodies as a server on 127.0.0.1 receives them:
//! bytes, whole files and file ranges, their names and types, progress,
//! and files that are not what they were.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openai_runtime::{Client, Error, FilePart, Method, Multipart, Request};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer) -> Client {
    Client::builder()
        .api_key("sk-test")
        .base_url(server.uri())
        .max_retries(0)
        .build()
        .unwrap()
}

/// Sends `form` and returns the body the server received.
async fn send(server: &MockServer, form: Multipart) -> Result<Vec<u8>, Error> {
    let request = Request::new(Method::POST, "/files".into()).multipart(form);
    tokio::time::timeout(
        Duration::from_secs(60),
        client(server).execute::<serde_json::Value>(request),
    )
    .await
    .expect("finished (hang guard)")?;
    let received = server.received_requests().await.unwrap();
    Ok(received.last().unwrap().body.clone())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// A file of `len` bytes, each its offset modulo 251.
fn numbered_file(dir: &Path, name: &str, len: usize) -> (std::path::PathBuf, Vec<u8>) {
    let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    let path = dir.join(name);
    std::fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

#[tokio::test]
async fn a_whole_file_goes_with_its_name_and_the_default_type() {
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = numbered_file(dir.path(), "train.jsonl", 3000);
    let part = FilePart::from_path(&path).unwrap();
    assert_eq!(part.len(), 3000);
    assert!(!part.is_empty());
    assert_eq!(part.file_name(), "train.jsonl");
    assert_eq!(part.content_type(), "application/octet-stream");
    let form = Multipart::new().text("purpose", "batch").file("file", part);
    let body = send(&server().await, form).await.unwrap();
    assert!(contains(&body, b"name=\"purpose\"\r\n\r\nbatch\r\n"));
    assert!(contains(&body, b"filename=\"train.jsonl\""));
    assert!(contains(&body, b"application/octet-stream"));
    assert!(contains(&body, &bytes));
    let purpose = body.windows(7).position(|w| w == b"purpose").unwrap();
    let file = body.windows(11).position(|w| w == b"train.jsonl").unwrap();
    assert!(purpose < file, "fields in order");
}

#[tokio::test]
async fn a_file_range_sends_exactly_its_bytes_in_chunks_of_at_most_a_mib() {
    let dir = tempfile::tempdir().unwrap();
    // Past 2 MiB, so the range is read in several chunks.
    let (path, bytes) = numbered_file(dir.path(), "big.bin", (5 << 20) / 2);
    let (offset, len) = (100usize, (2 << 20) + 7);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let part = FilePart::from_file_range(&path, offset as u64, len as u64)
        .unwrap()
        .mime_type("application/x-test")
        .filename("piece")
        .on_progress(move |n| record.lock().unwrap().push(n));
    assert_eq!(part.len(), len as u64);
    assert_eq!(part.content_type(), "application/x-test");
    let body = send(&server().await, Multipart::new().file("data", part))
        .await
        .unwrap();
    let slice = &bytes[offset..offset + len];
    assert!(contains(&body, slice), "the range's bytes");
    // Nothing of the file before or after the range: the part's content
    // is exactly `len` bytes between its head and the closing boundary.
    let head_end = body.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let tail = body.len() - head_end - len;
    assert_eq!(&body[head_end..head_end + len], slice);
    assert!(body[head_end + len..].starts_with(b"\r\n--"), "{tail}");
    assert!(contains(&body, b"application/x-test"));
    assert!(contains(&body, b"filename=\"piece\""));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.iter().sum::<u64>(), len as u64);
    assert!(seen.len() > 1, "{seen:?}");
    assert!(seen.iter().all(|&n| n > 0 && n <= 1 << 20), "{seen:?}");
}

#[tokio::test]
async fn bytes_with_progress_arrive_whole() {
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let part =
        FilePart::from_bytes(bytes.clone()).on_progress(move |n| record.lock().unwrap().push(n));
    assert_eq!(part.file_name(), "upload");
    let body = send(&server().await, Multipart::new().file("file", part))
        .await
        .unwrap();
    assert!(contains(&body, &bytes));
    assert!(contains(&body, b"filename=\"upload\""));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.iter().sum::<u64>(), bytes.len() as u64);
    assert!(seen.iter().all(|&n| n > 0 && n <= 1 << 20), "{seen:?}");
}

#[tokio::test]
async fn a_range_must_lie_within_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = numbered_file(dir.path(), "ten.bin", 10);
    // Up to the last byte is fine, one more is not.
    assert_eq!(FilePart::from_file_range(&path, 4, 6).unwrap().len(), 6);
    assert_eq!(FilePart::from_file_range(&path, 10, 0).unwrap().len(), 0);
    assert!(FilePart::from_file_range(&path, 10, 0).unwrap().is_empty());
    for (offset, len) in [(4, 7), (11, 0), (u64::MAX, 2)] {
        let err = FilePart::from_file_range(&path, offset, len).unwrap_err();
        assert_eq!(
            err.kind(),
            std::io::ErrorKind::InvalidInput,
            "{offset} {len}"
        );
    }
    let err = FilePart::from_path(dir.path()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    let err = FilePart::from_file_range(dir.path(), 0, 0).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(FilePart::from_path(dir.path().join("missing")).is_err());
}

#[tokio::test]
async fn a_file_that_shrank_fails_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = numbered_file(dir.path(), "shrinks.bin", 5000);
    let part = FilePart::from_path(&path).unwrap();
    std::fs::write(&path, b"short").unwrap();
    let err = send(&server().await, Multipart::new().file("file", part))
        .await
        .unwrap_err();
    match &err {
        Error::File {
            path: named,
            source,
        } => {
            assert_eq!(named, &path);
            assert_eq!(source.kind(), std::io::ErrorKind::UnexpectedEof);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_file_that_vanished_fails_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = numbered_file(dir.path(), "gone.bin", 50);
    let part = FilePart::from_path(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let err = send(&server().await, Multipart::new().file("file", part))
        .await
        .unwrap_err();
    match &err {
        Error::File {
            path: named,
            source,
        } => {
            assert_eq!(named, &path);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_failing_stream_part_fails_naming_its_path() {
    let part = FilePart::from_stream("made-up.bin", 6, || {
        futures_util::stream::iter([
            Ok(bytes::Bytes::from_static(b"abc")),
            Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "changed",
            )),
        ])
    });
    let err = send(&server().await, Multipart::new().file("file", part))
        .await
        .unwrap_err();
    match &err {
        Error::File { path, source } => {
            assert_eq!(path, Path::new("made-up.bin"));
            assert_eq!(source.to_string(), "changed");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_stream_part_with_progress_is_sent_whole() {
    let seen = Arc::new(Mutex::new(0u64));
    let record = seen.clone();
    let part = FilePart::from_stream("s.bin", 7, || {
        futures_util::stream::iter([
            Ok(bytes::Bytes::from_static(b"one ")),
            Ok(bytes::Bytes::from_static(b"two")),
        ])
    })
    .filename("s.txt")
    .on_progress(move |n| *record.lock().unwrap() += n);
    let body = send(&server().await, Multipart::new().file("file", part))
        .await
        .unwrap();
    assert!(contains(&body, b"\r\n\r\none two\r\n"));
    assert!(contains(&body, b"filename=\"s.txt\""));
    assert_eq!(*seen.lock().unwrap(), 7);
}

#[tokio::test]
async fn a_file_replaced_by_a_directory_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = numbered_file(dir.path(), "swapped", 50);
    let part = FilePart::from_path(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    // Opening a directory works; reading it fails, and that is the error.
    let err = send(&server().await, Multipart::new().file("file", part))
        .await
        .unwrap_err();
    match &err {
        Error::File {
            path: named,
            source,
        } => {
            assert_eq!(named, &path);
            assert_eq!(source.kind(), std::io::ErrorKind::IsADirectory);
        }
        other => panic!("{other:?}"),
    }
}

//! The chunked uploader against wiremock: exact requests, checks made
//! before any request, completion errors, interrupts around create and
//! complete.

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::common::{Recorded, bounded, client, md5_hex};
use openai_uploads::{
    Client, CompletedUpload, Error, FileExpirationAfter, FileExpirationAfterAnchor,
    MAX_CONCURRENCY, MAX_PART_SIZE, MAX_UPLOAD_SIZE, UploadError, UploadEvent, UploadOptions,
};
use serde_json::{Value, json};
use wiremock::matchers::{any, method, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const KIB: usize = 1024;
const ID: &str = "upload_abc123";

/// Options whose journals go to the test target's scratch directory, never the user's.
fn options(purpose: &str) -> UploadOptions {
    UploadOptions::new(purpose).journal_dir(concat!(env!("CARGO_TARGET_TMPDIR"), "/journals"))
}

fn upload_json(status: &str) -> Value {
    let file = (status == "completed").then(|| {
        json!({
            "id": "file-xyz", "bytes": 3, "created_at": 1, "filename": "a.jsonl",
            "object": "file", "purpose": "fine-tune", "status": "uploaded"
        })
    });
    json!({
        "id": ID, "bytes": 3, "created_at": 1, "expires_at": 3601,
        "filename": "a.jsonl", "object": "upload", "purpose": "fine-tune",
        "status": status, "file": file
    })
}

fn reply(status: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(upload_json(status))
}

fn error_reply(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"error": {"message": message, "type": "invalid_request_error"}}))
}

/// The reply to a part whose first byte is `first`: its id names that byte,
/// so a test can tell which part a complete lists where.
fn part_reply(first: u8) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": format!("part_{first}"), "created_at": 1, "upload_id": ID, "object": "upload.part"
    }))
}

/// Answers a part with an id naming its first byte, the later parts first.
struct PartById;

impl Respond for PartById {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let first = data_of(request)[0];
        part_reply(first).set_delay(Duration::from_millis(40 * u64::from(8 - first.min(8))))
    }
}

/// The bytes of the `data` field of a multipart request.
fn data_of(request: &Request) -> Vec<u8> {
    let body = &request.body;
    let start = find(body, b"\r\n\r\n").expect("field headers") + 4;
    let content_type = request.headers["content-type"].to_str().unwrap();
    let boundary = content_type.split("boundary=").nth(1).unwrap();
    let end = find(body, format!("\r\n--{boundary}--").as_bytes()).expect("closing delimiter");
    let head = String::from_utf8_lossy(&body[..start]);
    assert!(head.contains("name=\"data\""), "{head}");
    body[start..end].to_vec()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The paths of the four Uploads calls, as regexes (anchored: a request to
/// any other path gets wiremock's 404, so a wrong path fails the test).
const CREATE: &str = "^/v1/uploads$";
const PARTS: &str = "^/v1/uploads/[^/]+/parts$";
const COMPLETE: &str = "^/v1/uploads/[^/]+/complete$";
const CANCEL: &str = "^/v1/uploads/[^/]+/cancel$";

/// A mock answering requests to `route` (a path regex) with `answer`; the
/// caller adds `expect` where the count matters, then mounts it.
fn on(route: &str, answer: impl Respond + 'static) -> Mock {
    Mock::given(path_regex(route)).respond_with(answer)
}

/// A server whose create (a POST) and parts answer as a real one does, and
/// whose complete and cancel answer as given.
async fn server_with(complete: ResponseTemplate, cancel: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(CREATE))
        .respond_with(reply("pending"))
        .mount(&server)
        .await;
    on(PARTS, PartById).mount(&server).await;
    on(COMPLETE, complete).mount(&server).await;
    on(CANCEL, cancel).mount(&server).await;
    server
}

/// A server where every call succeeds.
async fn happy_server() -> MockServer {
    server_with(reply("completed"), reply("cancelled")).await
}

async fn requests_to(server: &MockServer, suffix: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path().ends_with(suffix))
        .collect()
}

fn json_of(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap()
}

fn named_file(suffix: &str, bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new()
        .prefix("data")
        .suffix(suffix)
        .tempfile()
        .unwrap();
    file.write_all(bytes).unwrap();
    file.flush().unwrap();
    file
}

/// Part `i` of `parts` parts of `size` bytes is filled with byte `i`.
fn striped(parts: usize, size: usize) -> Vec<u8> {
    (0..parts)
        .flat_map(|i| std::iter::repeat_n(i as u8, size))
        .collect()
}

/// Uploads `file` with `client`, hang-guarded.
async fn upload(
    client: &Client,
    file: &Path,
    options: &UploadOptions,
) -> Result<CompletedUpload, UploadError> {
    bounded(client.uploads().upload_file(file, options)).await
}

/// Uploads `file` with `client`, interrupted once `interrupt` resolves.
async fn upload_until(
    client: &Client,
    file: &Path,
    options: &UploadOptions,
    interrupt: impl Future<Output = ()>,
) -> Result<CompletedUpload, UploadError> {
    bounded(
        client
            .uploads()
            .upload_file_with(file, options, &|_| {}, interrupt),
    )
    .await
}

/// Resolves once `server` has received the create: an interrupt "during
/// create", whatever the timing.
async fn once_created(server: &MockServer) {
    loop {
        let requests = server.received_requests().await.unwrap_or_default();
        if requests.iter().any(|r| r.url.path() == "/v1/uploads") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A client for `server` that does not retry, so a test's one failing reply
/// is the one the uploader acts on.
fn no_retries(server: &MockServer) -> Client {
    crate::common::builder(&server.uri())
        .max_retries(0)
        .build()
        .unwrap()
}

/// Resolves once the server has seen a complete: an interrupt during it.
async fn complete_requested(server: &MockServer) {
    while requests_to(server, "/complete").await.is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn requests_carry_the_file_its_parts_in_order_and_its_md5() {
    let server = happy_server().await;
    let data = striped(5, 8 * KIB);
    let file = named_file(".jsonl", &data);
    let options = options("fine-tune")
        .part_size(8 * KIB as u64)
        .concurrency(5)
        .expires_after(FileExpirationAfter {
            anchor: FileExpirationAfterAnchor,
            seconds: 7200,
        });
    let upload = upload(&client(&server.uri()), file.path(), &options)
        .await
        .unwrap();
    assert_eq!(upload.file_id().as_deref(), Some("file-xyz"));

    let creates = requests_to(&server, "/uploads").await;
    assert_eq!(creates.len(), 1);
    let name = file.path().file_name().unwrap().to_str().unwrap();
    assert_eq!(
        json_of(&creates[0]),
        json!({
            "filename": name, "purpose": "fine-tune", "bytes": data.len(),
            "mime_type": "text/jsonl",
            "expires_after": {"anchor": "created_at", "seconds": 7200}
        })
    );
    assert_eq!(
        creates[0].headers["content-type"].to_str().unwrap(),
        "application/json"
    );

    let parts = requests_to(&server, "/parts").await;
    assert_eq!(parts.len(), 5);
    let mut sent: Vec<Vec<u8>> = parts.iter().map(data_of).collect();
    sent.sort();
    for (i, part) in sent.iter().enumerate() {
        assert!(*part == vec![i as u8; 8 * KIB], "part {i}");
    }
    for part in &parts {
        assert_eq!(part.url.path(), format!("/v1/uploads/{ID}/parts"));
    }

    // Parts finished last-first, yet complete lists them in file order.
    let completes = requests_to(&server, "/complete").await;
    assert_eq!(completes.len(), 1);
    assert_eq!(
        json_of(&completes[0]),
        json!({
            "part_ids": ["part_0", "part_1", "part_2", "part_3", "part_4"],
            "md5": md5_hex(&data)
        })
    );
    assert!(requests_to(&server, "/cancel").await.is_empty());
}

#[tokio::test]
async fn without_the_md5_complete_sends_none_and_the_parts_are_the_same() {
    let server = happy_server().await;
    let data = striped(3, 8 * KIB);
    let file = named_file(".jsonl", &data);
    let done = upload(
        &client(&server.uri()),
        file.path(),
        &options("fine-tune").part_size(8 * KIB as u64).md5(false),
    )
    .await
    .unwrap();
    assert_eq!(done.file_id().as_deref(), Some("file-xyz"));
    let mut sent: Vec<Vec<u8>> = requests_to(&server, "/parts")
        .await
        .iter()
        .map(data_of)
        .collect();
    sent.sort();
    assert_eq!(sent.concat(), data);
    let completes = requests_to(&server, "/complete").await;
    assert_eq!(
        json_of(&completes[0]),
        json!({"part_ids": ["part_0", "part_1", "part_2"]})
    );
}

#[tokio::test]
async fn explicit_filename_and_mime_type_win() {
    let server = happy_server().await;
    let file = named_file(".bin", b"abc");
    let named = options("assistants")
        .filename("report.pdf")
        .mime_type("application/pdf");
    upload(&client(&server.uri()), file.path(), &named)
        .await
        .unwrap();
    let create = json_of(&requests_to(&server, "/uploads").await[0]);
    assert_eq!(create["filename"], "report.pdf");
    assert_eq!(create["mime_type"], "application/pdf");
    assert_eq!(create["purpose"], "assistants");
    assert_eq!(create.get("expires_after"), None);

    // Unknown extensions are octet streams.
    let server = happy_server().await;
    let file = named_file(".zzzz", b"abc");
    upload(&client(&server.uri()), file.path(), &options("batch"))
        .await
        .unwrap();
    let create = json_of(&requests_to(&server, "/uploads").await[0]);
    assert_eq!(create["mime_type"], "application/octet-stream");
}

#[tokio::test]
async fn a_rejected_md5_or_byte_count_cancels_the_upload() {
    for message in [
        "The md5 checksum of the Parts does not match the md5 given.",
        "The Parts add up to 24576 bytes, not the 24577 bytes the Upload was created with.",
    ] {
        let server = server_with(error_reply(400, message), reply("cancelled")).await;
        let file = named_file(".jsonl", &striped(3, 8 * KIB));
        let options = options("fine-tune").part_size(8 * KIB as u64);
        let err = upload(&client(&server.uri()), file.path(), &options)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, UploadError::Failed { cancelled: true, source, .. } if source.status().map(|s| s.as_u16()) == Some(400)),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!("upload {ID} failed: 400 Bad Request: {message}; cancelled upload {ID}")
        );
        assert_eq!(requests_to(&server, "/complete").await.len(), 1);
        assert_eq!(requests_to(&server, "/cancel").await.len(), 1);
    }
}

#[tokio::test]
async fn a_failed_create_leaves_nothing_to_cancel() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"error": {"message": "Invalid mime type for purpose fine-tune."}}),
        ))
        .mount(&server)
        .await;
    let file = named_file(".exe", b"MZ");
    let err = upload(&client(&server.uri()), file.path(), &options("fine-tune"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, UploadError::NotStarted(Error::Api { status, .. }) if status.as_u16() == 400),
        "{err:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_interrupt_during_create_cancels_the_new_upload() {
    let server = MockServer::start().await;
    on(
        CREATE,
        reply("pending").set_delay(Duration::from_millis(300)),
    )
    .mount(&server)
    .await;
    on("/cancel$", reply("cancelled"))
        .expect(1)
        .mount(&server)
        .await;
    on("/(parts|complete)$", reply("pending"))
        .expect(0)
        .mount(&server)
        .await;
    let file = named_file(".jsonl", b"{}\n");
    let client = client(&server.uri());
    let err = upload_until(
        &client,
        file.path(),
        &options("fine-tune"),
        once_created(&server),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, UploadError::Interrupted { upload_id: Some(id), cancelled: true, .. } if id == ID),
        "{err:?}"
    );
    server.verify().await;
}

#[tokio::test]
async fn a_new_upload_whose_cancel_finds_it_completed_is_not_called_cancelled() {
    let server = MockServer::start().await;
    on(
        CREATE,
        reply("pending").set_delay(Duration::from_millis(300)),
    )
    .mount(&server)
    .await;
    on(
        CANCEL,
        error_reply(
            400,
            "Cannot cancel upload 'upload_abc123': Upload is already completed.",
        ),
    )
    .expect(1)
    .mount(&server)
    .await;
    let file = named_file(".jsonl", b"{}\n");
    let client = client(&server.uri());
    let err = upload_until(
        &client,
        file.path(),
        &options("fine-tune"),
        once_created(&server),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, UploadError::Interrupted { upload_id: Some(id), cancelled: false, cancel_error: None, .. } if id == ID),
        "{err:?}"
    );
    server.verify().await;
}

#[tokio::test]
async fn an_interrupt_during_complete_lets_it_finish() {
    let server = server_with(
        reply("completed").set_delay(Duration::from_millis(300)),
        reply("cancelled"),
    )
    .await;
    let file = named_file(".jsonl", b"{}\n");
    let client = client(&server.uri());
    let interrupt = complete_requested(&server);
    let upload = upload_until(&client, file.path(), &options("fine-tune"), interrupt)
        .await
        .unwrap();
    assert_eq!(upload.file_id().as_deref(), Some("file-xyz"));
    assert!(requests_to(&server, "/cancel").await.is_empty());
}

/// A server that must see no request at all.
async fn untouchable() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    server
}

async fn rejected(path: &std::path::Path, options: &UploadOptions) -> (String, String) {
    let server = untouchable().await;
    let err = upload(&client(&server.uri()), path, options)
        .await
        .unwrap_err();
    server.verify().await;
    match err {
        UploadError::NotStarted(Error::InvalidArgument { name, reason }) => (name, reason),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn bad_files_are_rejected_before_any_request() {
    let options = options("fine-tune");
    let dir = tempfile::tempdir().unwrap();

    let (name, reason) = rejected(dir.path(), &options).await;
    assert_eq!(name, "path");
    assert!(reason.ends_with("is not a regular file"), "{reason}");

    let missing = dir.path().join("missing.jsonl");
    let (name, reason) = rejected(&missing, &options).await;
    assert_eq!(name, "path");
    assert!(reason.contains("missing.jsonl: "), "{reason}");

    let empty = named_file(".jsonl", b"");
    let (_, reason) = rejected(empty.path(), &options).await;
    assert!(
        reason.ends_with("is empty; an Upload needs at least one byte"),
        "{reason}"
    );

    // Sparse: no disk space used.
    let huge = named_file(".jsonl", b"");
    huge.as_file().set_len(MAX_UPLOAD_SIZE + 1).unwrap();
    let (_, reason) = rejected(huge.path(), &options).await;
    assert!(
        reason.ends_with("is 8589934593 bytes, over the limit of 8589934592 bytes (8 GiB)"),
        "{reason}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn special_files_are_rejected_without_blocking() {
    let options = options("fine-tune");
    let (_, reason) = rejected(std::path::Path::new("/dev/null"), &options).await;
    assert!(reason.ends_with("is not a regular file"), "{reason}");

    // Opening a FIFO for reading would wait for a writer forever.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let (_, reason) = rejected(&fifo, &options).await;
    assert!(reason.ends_with("is not a regular file"), "{reason}");
}

#[tokio::test]
async fn bad_options_are_rejected_before_any_request() {
    let file = named_file(".jsonl", b"{}\n");
    let base = || options("fine-tune");
    let cases = [
        (
            base().part_size(0),
            "part_size",
            "0 bytes is not between 1 byte and 67108864 bytes (64 MiB)",
        ),
        (
            base().part_size(MAX_PART_SIZE + 1),
            "part_size",
            "67108865 bytes is not between 1 byte and 67108864 bytes (64 MiB)",
        ),
        (
            base().concurrency(0),
            "concurrency",
            "0 is not between 1 and 64 parts in flight",
        ),
        (
            base().concurrency(MAX_CONCURRENCY + 1),
            "concurrency",
            "65 is not between 1 and 64 parts in flight",
        ),
        (
            base().concurrency(usize::MAX),
            "concurrency",
            &format!("{} is not between 1 and 64 parts in flight", usize::MAX),
        ),
        (
            base().part_retries(101),
            "part_retries",
            "101 is over the limit of 100",
        ),
        (base().filename(" "), "filename", "must not be empty"),
        (base().mime_type(""), "mime_type", "must not be empty"),
        (
            base().expires_after(FileExpirationAfter {
                anchor: FileExpirationAfterAnchor,
                seconds: 3599,
            }),
            "expires_after.seconds",
            "3599 is not between 3600 (1 hour) and 2592000 (30 days)",
        ),
        (
            base().expires_after(FileExpirationAfter {
                anchor: FileExpirationAfterAnchor,
                seconds: 2_592_001,
            }),
            "expires_after.seconds",
            "2592001 is not between 3600 (1 hour) and 2592000 (30 days)",
        ),
    ];
    for (options, want_name, want_reason) in cases {
        let (name, reason) = rejected(file.path(), &options).await;
        assert_eq!(
            (name.as_str(), reason),
            (want_name, want_reason.to_string())
        );
    }
    // Options are checked before the file, so a bad path and a bad option
    // report the option.
    let (name, _) = rejected(std::path::Path::new("/nonexistent"), &base().concurrency(0)).await;
    assert_eq!(name, "concurrency");
}

/// Uploads a one-line file to a server whose complete answers `complete`,
/// expecting success and no cancel; what the uploader made of the reply.
async fn upload_completed_with(complete: ResponseTemplate) -> CompletedUpload {
    let server = server_with(complete, reply("cancelled")).await;
    let file = named_file(".jsonl", b"{}\n");
    let done = upload(&client(&server.uri()), file.path(), &options("fine-tune"))
        .await
        .unwrap();
    assert!(requests_to(&server, "/cancel").await.is_empty());
    done
}

#[tokio::test]
async fn the_completed_reply_is_kept_as_received() {
    // Unknown fields, in an order our types would not write, and a field
    // that does not decode: the upload succeeds and the bytes survive.
    let body = r#"{"status":"completed","id":"upload_abc123","zz_new":{"b":1,"a":[2]},"file":{"id":"file-xyz","zz":true},"bytes":"3"}"#;
    let done =
        upload_completed_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
            .await;
    assert_eq!(done.body, body.as_bytes());
    assert_eq!(done.upload_id, ID);
    assert!(!done.reply_lost());
    // `bytes` as a string does not decode as an Upload; the id is still found.
    assert!(done.upload.is_none());
    assert_eq!(done.file_id().as_deref(), Some("file-xyz"));
}

/// A 2xx reply to `complete` that does not say our Upload is completed
/// (not JSON, cut short, empty, another Upload, a pending one) is an
/// error: the Upload is not cancelled (it may be completed), its journal is
/// kept with what the server said, and the next run shows that and
/// completes it.
#[tokio::test]
async fn a_complete_reply_that_confirms_nothing_keeps_the_journal() {
    let mut long = "x".repeat(511).into_bytes();
    long.extend_from_slice("é and then some more text".repeat(40).as_bytes());
    let other = json!({"id": "upload_other", "status": "completed"}).to_string();
    let pending = upload_json("pending").to_string();
    let cases: Vec<(ResponseTemplate, &str)> = vec![
        (
            ResponseTemplate::new(200).set_body_raw(long, "text/plain"),
            "is not an Upload",
        ),
        (ResponseTemplate::new(200), "is not an Upload"),
        (
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"id":"upload_abc123","sta"#, "application/json"),
            "is not an Upload",
        ),
        (
            ResponseTemplate::new(200).set_body_raw(other, "application/json"),
            "names another Upload (upload_other)",
        ),
        (
            ResponseTemplate::new(200).set_body_raw(pending, "application/json"),
            "says the Upload is pending, not completed",
        ),
    ];
    for (complete, said) in cases {
        let journals = tempfile::tempdir().unwrap();
        let options = UploadOptions::new("fine-tune").journal_dir(journals.path());
        let server = server_with(complete, reply("cancelled")).await;
        let file = named_file(".jsonl", b"{}\n");
        let err = upload(&client(&server.uri()), file.path(), &options)
            .await
            .unwrap_err();
        let UploadError::Failed {
            cancelled: false,
            cancel_error: None,
            journal: Some(journal),
            source,
            ..
        } = &err
        else {
            panic!("{err:?}");
        };
        assert!(source.to_string().contains(said), "{source}");
        assert!(requests_to(&server, "/cancel").await.is_empty());
        let kept = std::fs::read_to_string(journal).unwrap();
        assert!(kept.contains(said), "{kept}");

        // The next run: the server now says it is completed.
        server.reset().await;
        on(
            COMPLETE,
            error_reply(400, "Cannot complete upload: Upload is already completed."),
        )
        .mount(&server)
        .await;
        let events = Recorded::default();
        let record = |event: &UploadEvent| events.record(event);
        let done = bounded(client(&server.uri()).uploads().upload_file_with(
            file.path(),
            &options,
            &record,
            std::future::pending(),
        ))
        .await
        .unwrap();
        assert!(done.reply_lost());
        let events = events.take();
        assert!(
            matches!(&events[0], UploadEvent::JournalWarning { message }
                if message.contains("in doubt") && message.contains(said)),
            "{events:?}"
        );
        assert_eq!(requests_to(&server, "/parts").await.len(), 0);
        assert!(!journal.exists());
    }
}

#[tokio::test]
async fn a_complete_whose_retry_finds_it_completed_succeeds() {
    // The first reply was lost (the client's retry is what we see here):
    // the server now says the Upload is completed. Never cancelled.
    let server = server_with(
        error_reply(
            400,
            "Cannot complete upload 'upload_abc123': Upload is already completed.",
        ),
        reply("cancelled"),
    )
    .await;
    let file = named_file(".jsonl", b"{}\n");
    let events = Recorded::default();
    let record = |event: &UploadEvent| events.record(event);
    let done = bounded(client(&server.uri()).uploads().upload_file_with(
        file.path(),
        &options("fine-tune"),
        &record,
        std::future::pending(),
    ))
    .await
    .unwrap();
    assert!(done.reply_lost());
    assert_eq!(done.upload_id, ID);
    assert_eq!(done.file_id(), None);
    assert!(requests_to(&server, "/cancel").await.is_empty());
    let events = events.take();
    assert!(
        matches!(events.last(), Some(UploadEvent::Completed { upload_id, file_id: None }) if upload_id == ID),
        "{events:?}"
    );
}

#[tokio::test]
async fn an_error_code_saying_completed_is_read_before_the_message() {
    // Should OpenAI ever give this state a code, the code decides, whatever
    // the message's wording.
    let server = server_with(
        ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "Nothing more can be done with this Upload.",
            "type": "invalid_request_error",
            "code": "upload_already_completed"
        }})),
        reply("cancelled"),
    )
    .await;
    let file = named_file(".jsonl", b"{}\n");
    let done = bounded(
        client(&server.uri())
            .uploads()
            .upload_file(file.path(), &options("fine-tune")),
    )
    .await
    .unwrap();
    assert!(done.reply_lost());
    assert!(requests_to(&server, "/cancel").await.is_empty());
}

#[tokio::test]
async fn a_failed_complete_whose_cancel_finds_it_completed_succeeds() {
    let server = server_with(
        ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"),
        error_reply(400, "Upload is completed"),
    )
    .await;
    let file = named_file(".jsonl", b"{}\n");
    let done = upload(&no_retries(&server), file.path(), &options("fine-tune"))
        .await
        .unwrap();
    assert!(done.reply_lost());
    assert_eq!(requests_to(&server, "/cancel").await.len(), 1);
}

#[tokio::test]
async fn an_interrupt_during_create_that_then_fails_creates_nothing() {
    let server = MockServer::start().await;
    on(
        CREATE,
        error_reply(500, "boom").set_delay(Duration::from_millis(200)),
    )
    .mount(&server)
    .await;
    let file = named_file(".jsonl", b"{}\n");
    let client = no_retries(&server);
    let err = upload_until(
        &client,
        file.path(),
        &options("fine-tune"),
        once_created(&server),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            &err,
            UploadError::Interrupted {
                upload_id: None,
                cancelled: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "interrupted; no upload was created");
    // The create was waited for (it was answered), and nothing else was sent.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_interrupt_during_a_create_that_outlasts_the_grace_gives_up_on_it() {
    let server = MockServer::start().await;
    // Far longer than the hang guard: waiting for it would fail the test.
    on(CREATE, reply("pending").set_delay(Duration::from_secs(120)))
        .mount(&server)
        .await;
    let file = named_file(".jsonl", b"{}\n");
    let options = options("fine-tune").interrupt_grace(Duration::from_millis(100));
    let client = client(&server.uri());
    let err = upload_until(&client, file.path(), &options, once_created(&server))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            UploadError::Interrupted {
                upload_id: None,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_interrupt_during_a_complete_that_fails_cancels() {
    let server = server_with(
        error_reply(500, "boom").set_delay(Duration::from_millis(300)),
        reply("cancelled"),
    )
    .await;
    let file = named_file(".jsonl", b"{}\n");
    let client = no_retries(&server);
    let interrupt = complete_requested(&server);
    let err = upload_until(&client, file.path(), &options("fine-tune"), interrupt)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, UploadError::Interrupted { upload_id: Some(id), cancelled: true, journal: None, .. } if id == ID),
        "{err:?}"
    );
    assert_eq!(requests_to(&server, "/cancel").await.len(), 1);
}

#[tokio::test]
async fn a_cleanup_cancel_that_outlasts_its_limit_keeps_the_journal() {
    let server = MockServer::start().await;
    on(CREATE, reply("pending")).mount(&server).await;
    on(PARTS, error_reply(400, "no")).mount(&server).await;
    // Far longer than the hang guard: waiting for it would fail the test.
    on(
        CANCEL,
        reply("cancelled").set_delay(Duration::from_secs(120)),
    )
    .mount(&server)
    .await;
    let file = named_file(".jsonl", b"{}\n");
    let journals = tempfile::tempdir().unwrap();
    let options = UploadOptions::new("fine-tune")
        .journal_dir(journals.path())
        .cancel_timeout(Duration::from_millis(200));
    let err = upload(&client(&server.uri()), file.path(), &options)
        .await
        .unwrap_err();
    match &err {
        UploadError::Failed {
            cancelled: false,
            cancel_error: Some(cancel_error),
            journal: Some(journal),
            ..
        } => {
            assert!(
                matches!(**cancel_error, Error::Timeout { timeout, .. } if timeout == Duration::from_millis(200)),
                "{cancel_error:?}"
            );
            assert!(journal.starts_with(journals.path()));
            let kept: Value = serde_json::from_slice(&std::fs::read(journal).unwrap()).unwrap();
            assert_eq!(kept["upload_id"], ID);
            assert_eq!(kept["parts"], json!([]));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.pending_upload_id(), Some(ID));
    assert!(err.to_string().ends_with("; its journal is kept"), "{err}");
}

/// Fails the first attempt at each part with 503 and `retry-after-ms: 20`.
struct FlakyOnce(std::sync::Mutex<std::collections::HashSet<u8>>);

impl Respond for FlakyOnce {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let first = data_of(request)[0];
        if self.0.lock().unwrap().insert(first) {
            return error_reply(503, "busy").insert_header("retry-after-ms", "20");
        }
        part_reply(first)
    }
}

#[tokio::test]
async fn each_part_is_retried_on_its_own_as_the_server_asks() {
    let server = MockServer::start().await;
    on(CREATE, reply("pending")).mount(&server).await;
    on(PARTS, FlakyOnce(Default::default()))
        .mount(&server)
        .await;
    on(COMPLETE, reply("completed")).mount(&server).await;
    let data = striped(3, 4 * KIB);
    let file = named_file(".jsonl", &data);
    let retried = std::sync::Mutex::new(Vec::new());
    let record = |event: &UploadEvent| {
        if let UploadEvent::PartRetried {
            index,
            attempt,
            wait,
            error,
        } = event
        {
            assert!(error.contains("503"), "{error}");
            retried.lock().unwrap().push((*index, *attempt, *wait));
        }
    };
    let done = bounded(client(&server.uri()).uploads().upload_file_with(
        file.path(),
        &options("fine-tune").part_size(4 * KIB as u64),
        &record,
        std::future::pending(),
    ))
    .await
    .unwrap();
    assert_eq!(done.file_id().as_deref(), Some("file-xyz"));
    let mut retried = retried.into_inner().unwrap();
    retried.sort();
    let wait = Duration::from_millis(20);
    assert_eq!(retried, [(0, 2, wait), (1, 2, wait), (2, 2, wait)]);
    assert_eq!(requests_to(&server, "/parts").await.len(), 6);
    let complete = json_of(&requests_to(&server, "/complete").await[0]);
    assert_eq!(complete["part_ids"], json!(["part_0", "part_1", "part_2"]));
    assert_eq!(complete["md5"], md5_hex(&data));
}

#[tokio::test]
async fn a_part_that_keeps_failing_stops_after_its_retries() {
    let server = MockServer::start().await;
    on(CREATE, reply("pending")).mount(&server).await;
    on(
        PARTS,
        error_reply(500, "down").insert_header("retry-after-ms", "1"),
    )
    .mount(&server)
    .await;
    on(CANCEL, reply("cancelled")).mount(&server).await;
    let file = named_file(".jsonl", b"{}\n");
    let err = upload(
        &client(&server.uri()),
        file.path(),
        &options("fine-tune").part_retries(3),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, UploadError::Failed { cancelled: true, source, .. } if source.status().map(|s| s.as_u16()) == Some(500)),
        "{err:?}"
    );
    assert_eq!(requests_to(&server, "/parts").await.len(), 4);
}

#[tokio::test]
async fn absurd_part_counts_are_refused_before_any_request() {
    // Sparse: no disk space used. One byte per part would make a billion.
    let huge = named_file(".jsonl", b"");
    huge.as_file().set_len(1 << 30).unwrap();
    let (name, reason) = rejected(huge.path(), &options("fine-tune").part_size(1)).await;
    assert_eq!(name, "part_size");
    assert_eq!(
        reason,
        "1 bytes per part would split the file's 1073741824 bytes into 1073741824 parts, over \
         the limit of 10000; use parts of at least 107375 bytes"
    );
}

/// Ids are kept, journaled after every Part and sent back in `complete`:
/// one far longer than any id, or one that cannot be a path segment, is a
/// bad reply before it goes anywhere.
#[tokio::test]
async fn a_hostile_upload_id_is_refused_before_it_is_kept() {
    let huge = "u".repeat(1 << 20);
    for (id, said) in [
        (huge.as_str(), "more than the 256"),
        ("..", "cannot name anything in a path"),
        ("", "cannot name anything in a path"),
    ] {
        let server = MockServer::start().await;
        let mut body = upload_json("pending");
        body["id"] = id.into();
        on(CREATE, ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
        let journals = tempfile::tempdir().unwrap();
        let options = UploadOptions::new("fine-tune").journal_dir(journals.path());
        let file = named_file(".jsonl", b"{}\n");
        let err = upload(&client(&server.uri()), file.path(), &options)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, UploadError::NotStarted(Error::Decode { .. })),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(text.contains(said), "{text}");
        assert!(text.len() < 2000, "{} bytes", text.len());
        // Nothing else was sent, and nothing journaled.
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
        assert_eq!(
            openai_uploads::pending_uploads(Some(journals.path())).unwrap(),
            []
        );
    }
}

#[tokio::test]
async fn a_hostile_part_id_fails_the_upload_before_it_is_kept() {
    let huge = "p".repeat(1 << 20);
    for (id, said) in [
        (huge.as_str(), "more than the 256"),
        (".", "cannot name anything in a path"),
    ] {
        let server = server_with(reply("completed"), reply("cancelled")).await;
        server.reset().await;
        Mock::given(method("POST"))
            .and(path_regex(CREATE))
            .respond_with(reply("pending"))
            .mount(&server)
            .await;
        on(
            PARTS,
            ResponseTemplate::new(200).set_body_json(json!({"id": id, "object": "upload.part"})),
        )
        .mount(&server)
        .await;
        on(CANCEL, reply("cancelled")).mount(&server).await;
        let journals = tempfile::tempdir().unwrap();
        let options = UploadOptions::new("fine-tune")
            .journal_dir(journals.path())
            .part_size(4);
        let file = named_file(".jsonl", b"0123456789abcdef");
        let err = upload(&client(&server.uri()), file.path(), &options)
            .await
            .unwrap_err();
        let UploadError::Failed {
            cancelled: true,
            source,
            ..
        } = &err
        else {
            panic!("{err:?}");
        };
        assert!(source.to_string().contains(said), "{source}");
        assert!(requests_to(&server, "/complete").await.is_empty());
        // The journal is gone with the cancelled Upload, and never held the id.
        assert_eq!(std::fs::read_dir(journals.path()).unwrap().count(), 0);
    }
}

/// A 404 for a Part of an Upload this run created is a failure like any
/// other: the Upload is cancelled (only a resumed Upload is dropped as
/// unknown and started afresh).
#[tokio::test]
async fn a_404_for_a_new_upload_cancels_it() {
    let server = server_with(reply("completed"), reply("cancelled")).await;
    server.reset().await;
    Mock::given(method("POST"))
        .and(path_regex(CREATE))
        .respond_with(reply("pending"))
        .mount(&server)
        .await;
    on(PARTS, error_reply(404, "No such upload"))
        .mount(&server)
        .await;
    on(CANCEL, reply("cancelled")).mount(&server).await;
    let journals = tempfile::tempdir().unwrap();
    let options = UploadOptions::new("fine-tune").journal_dir(journals.path());
    let file = named_file(".jsonl", b"{}\n");
    let err = upload(&client(&server.uri()), file.path(), &options)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            UploadError::Failed {
                cancelled: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(requests_to(&server, "/cancel").await.len(), 1);
    let creates = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/v1/uploads")
        .count();
    assert_eq!(creates, 1, "not started afresh");
}

//! The Upload lifecycle over real sockets: create, parts, complete, cancel,
//! expiry, fault injection and the request log.

mod common;

use std::time::{Duration, Instant};

use common::{Field, Reply, multipart, multipart_type, send, send_body, send_head_only};
use openai_fake::{
    Config, Fake, MAX_PART_BYTES, PART_BODY_LIMIT, Route, Upload, UploadPart, UploadStatus,
};
use serde_json::{Value, json};

const AUTH: (&str, &str) = ("Authorization", "Bearer sk-test");

fn start() -> Fake {
    Fake::start(Config {
        seed: false,
        ..Config::default()
    })
    .expect("fake starts")
}

fn post_json(fake: &Fake, path: &str, body: &Value) -> Reply {
    send_body(
        fake.addr(),
        "POST",
        path,
        &[AUTH, ("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
}

fn create(fake: &Fake, bytes: u64) -> Upload {
    let reply = post_json(
        fake,
        "/v1/uploads",
        &json!({"filename": "train.jsonl", "purpose": "fine-tune", "bytes": bytes, "mime_type": "text/jsonl"}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    serde_json::from_value(reply.body).expect("an Upload")
}

fn send_fields(fake: &Fake, upload_id: &str, fields: &[Field<'_>]) -> Reply {
    send_body(
        fake.addr(),
        "POST",
        &format!("/v1/uploads/{upload_id}/parts"),
        &[AUTH, ("Content-Type", &multipart_type())],
        &multipart(fields),
    )
}

fn add_part(fake: &Fake, upload_id: &str, data: &[u8]) -> Reply {
    send_fields(fake, upload_id, &[("data", Some("blob"), data)])
}

fn part_id(reply: Reply) -> String {
    assert_eq!(reply.status, 200, "{}", reply.body);
    let part: UploadPart = serde_json::from_value(reply.body).expect("an UploadPart");
    part.id
}

fn complete(fake: &Fake, upload_id: &str, body: &Value) -> Reply {
    post_json(fake, &format!("/v1/uploads/{upload_id}/complete"), body)
}

fn cancel(fake: &Fake, upload_id: &str) -> Reply {
    send(
        fake.addr(),
        "POST",
        &format!("/v1/uploads/{upload_id}/cancel"),
        &[AUTH],
    )
}

fn message(reply: &Reply) -> &str {
    reply.body["error"]["message"].as_str().unwrap_or_default()
}

fn assert_error(reply: &Reply, status: u16, needle: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(
        reply.body["error"]["type"], "invalid_request_error",
        "{}",
        reply.body
    );
    assert!(
        message(reply).contains(needle),
        "{:?} lacks {needle:?}",
        message(reply)
    );
}

/// md5 of `data` as lowercase hex, computed independently of the fake.
fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn status(fake: &Fake, upload_id: &str) -> UploadStatus {
    fake.upload(upload_id).expect("known upload").status
}

#[test]
fn create_returns_a_pending_upload_that_expires_after_the_ttl() {
    let fake = Fake::start(Config {
        upload_ttl: Duration::from_secs(600),
        ..Config::default()
    })
    .unwrap();
    let reply = post_json(
        &fake,
        "/v1/uploads",
        &json!({"filename": "a.jsonl", "purpose": "batch", "bytes": 1024, "mime_type": "text/jsonl",
                "expires_after": {"anchor": "created_at", "seconds": 3600}}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = &reply.body;
    let id = body["id"].as_str().unwrap();
    assert!(id.starts_with("upload_") && id.len() > 10, "{id}");
    assert_eq!(body["object"], "upload");
    assert_eq!(body["status"], "pending");
    assert_eq!(body["bytes"], 1024);
    assert_eq!(body["filename"], "a.jsonl");
    assert_eq!(body["purpose"], "batch");
    assert_eq!(body["file"], Value::Null);
    let created = body["created_at"].as_u64().unwrap();
    assert_eq!(body["expires_at"].as_u64().unwrap(), created + 600);
    let upload: Upload = serde_json::from_value(reply.body.clone()).unwrap();
    assert_eq!(fake.upload(id), Some(upload));
    assert_ne!(create(&fake, 5).id, id);
}

#[test]
fn create_reads_json_whatever_the_content_type_says() {
    let fake = start();
    // The API reference's curl example sends form-urlencoded JSON.
    let body = json!({"filename": "a.jsonl", "purpose": "fine-tune", "bytes": 3, "mime_type": "text/jsonl"});
    let reply = send_body(
        fake.addr(),
        "POST",
        "/v1/uploads",
        &[AUTH, ("Content-Type", "application/x-www-form-urlencoded")],
        body.to_string().as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[test]
fn bad_create_bodies_get_400_error_bodies_naming_the_field() {
    let fake = start();
    let good = json!({"filename": "a.jsonl", "purpose": "fine-tune", "bytes": 10, "mime_type": "text/jsonl"});
    let cases = [
        ("bytes", json!(null), "Missing required parameter: 'bytes'."),
        ("bytes", json!(0), "'bytes' must be at least 1"),
        (
            "bytes",
            json!(8_589_934_593_u64),
            "at most 8589934592 bytes",
        ),
        ("purpose", json!(""), "'purpose' must not be empty"),
        (
            "mime_type",
            json!(5),
            "expected a string, but got an integer",
        ),
        (
            "expires_after",
            json!({"anchor": "created_at", "seconds": 60}),
            "between 3600 and 2592000",
        ),
    ];
    for (field, value, needle) in cases {
        let mut body = good.clone();
        body[field] = value;
        let reply = post_json(&fake, "/v1/uploads", &body);
        assert_error(&reply, 400, needle);
        assert!(
            reply.body["error"]["param"]
                .as_str()
                .unwrap()
                .starts_with(field)
        );
    }
    let reply = send_body(fake.addr(), "POST", "/v1/uploads", &[AUTH], b"{nope");
    assert_error(&reply, 400, "could not parse the JSON body");
    let mut body = good.clone();
    body["extra"] = json!(1);
    assert_error(
        &post_json(&fake, "/v1/uploads", &body),
        400,
        "Unrecognized request argument supplied: extra",
    );
    // Nothing was created.
    assert_eq!(fake.count(Route::CreateUpload), 8);
    assert!(fake.requests().iter().all(|r| r.status == Some(400)));
}

#[test]
fn a_multi_part_upload_is_assembled_in_the_listed_order() {
    let fake = start();
    let chunks: Vec<Vec<u8>> = (0..4_u8)
        .map(|i| {
            (0..1000 + usize::from(i) * 7)
                .map(|j| (j as u8) ^ i)
                .collect()
        })
        .collect();
    let whole: Vec<u8> = chunks.concat();
    let upload = create(&fake, whole.len() as u64);

    // Parts arrive out of order and at once.
    let addr_fake = &fake;
    let ids: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .iter()
            .rev()
            .map(|chunk| scope.spawn(|| part_id(add_part(addr_fake, &upload.id, chunk))))
            .collect();
        let mut ids: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        ids.reverse();
        ids
    });
    for id in &ids {
        assert!(id.starts_with("part_"), "{id}");
    }
    assert_eq!(
        fake.parts_received(&upload.id),
        Some((4, whole.len() as u64))
    );
    assert_eq!(fake.file_bytes(&upload.id), None);

    let reply = complete(
        &fake,
        &upload.id,
        &json!({"part_ids": ids, "md5": md5_hex(&whole)}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let done: Upload = serde_json::from_value(reply.body.clone()).unwrap();
    assert_eq!(done.status, UploadStatus::Completed);
    let file = done.file.as_ref().expect("a File");
    assert!(file.id.starts_with("file-"), "{}", file.id);
    assert_eq!(file.object, "file");
    assert_eq!(file.bytes, whole.len() as u64);
    assert_eq!(file.filename, "train.jsonl");
    assert_eq!(file.purpose, "fine-tune");
    assert_eq!(file.status, "processed");
    assert_eq!(reply.body["file"]["expires_at"], Value::Null);
    assert_eq!(fake.upload(&upload.id), Some(done));
    assert_eq!(fake.file_bytes(&upload.id).unwrap(), whole);

    // Completed: no more parts, completions or cancels.
    assert_error(&add_part(&fake, &upload.id, b"x"), 400, "already completed");
    assert_error(
        &complete(&fake, &upload.id, &json!({"part_ids": ids})),
        400,
        "already completed",
    );
    assert_error(&cancel(&fake, &upload.id), 400, "already completed");
}

#[test]
fn the_listed_order_is_the_file_order_and_md5_is_optional() {
    let fake = start();
    let upload = create(&fake, 6);
    let a = part_id(add_part(&fake, &upload.id, b"abc"));
    let b = part_id(add_part(&fake, &upload.id, b"def"));
    let reply = complete(&fake, &upload.id, &json!({"part_ids": [b, a]}));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(fake.file_bytes(&upload.id).unwrap(), &b"defabc"[..]);
}

#[test]
fn the_file_expiry_follows_expires_after() {
    let fake = start();
    let reply = post_json(
        &fake,
        "/v1/uploads",
        &json!({"filename": "a.jsonl", "purpose": "batch", "bytes": 1, "mime_type": "text/jsonl",
                "expires_after": {"anchor": "created_at", "seconds": 86400}}),
    );
    let id = reply.body["id"].as_str().unwrap().to_owned();
    let part = part_id(add_part(&fake, &id, b"x"));
    let reply = complete(&fake, &id, &json!({"part_ids": [part]}));
    let file = &reply.body["file"];
    let created = file["created_at"].as_u64().unwrap();
    assert_eq!(file["expires_at"].as_u64(), Some(created + 86400));
}

#[test]
fn a_byte_count_mismatch_names_both_numbers_and_leaves_the_upload_pending() {
    let fake = start();
    let upload = create(&fake, 10);
    let a = part_id(add_part(&fake, &upload.id, b"0123"));
    let reply = complete(&fake, &upload.id, &json!({"part_ids": [a]}));
    assert_error(&reply, 400, "hold 4 bytes");
    assert!(message(&reply).contains("bytes=10"), "{}", message(&reply));
    assert_eq!(reply.body["error"]["param"], "part_ids");
    assert_eq!(status(&fake, &upload.id), UploadStatus::Pending);

    let b = part_id(add_part(&fake, &upload.id, b"456789"));
    assert_eq!(
        complete(&fake, &upload.id, &json!({"part_ids": [a, b]})).status,
        200
    );
}

#[test]
fn an_md5_mismatch_is_refused_and_leaves_the_upload_pending() {
    let fake = start();
    let upload = create(&fake, 3);
    let a = part_id(add_part(&fake, &upload.id, b"abc"));
    let wrong = md5_hex(b"abd");
    let reply = complete(&fake, &upload.id, &json!({"part_ids": [a], "md5": wrong}));
    assert_error(&reply, 400, "does not match");
    assert!(message(&reply).contains(&wrong), "{}", message(&reply));
    assert!(
        message(&reply).contains(&md5_hex(b"abc")),
        "{}",
        message(&reply)
    );
    assert_eq!(reply.body["error"]["param"], "md5");
    assert_eq!(status(&fake, &upload.id), UploadStatus::Pending);
    assert_eq!(fake.file_bytes(&upload.id), None);

    // Upper-case hex is the same checksum.
    let right = md5_hex(b"abc").to_ascii_uppercase();
    let reply = complete(&fake, &upload.id, &json!({"part_ids": [a], "md5": right}));
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[test]
fn completion_refuses_foreign_unknown_and_repeated_parts() {
    let fake = start();
    let mine = create(&fake, 6);
    let theirs = create(&fake, 3);
    let a = part_id(add_part(&fake, &mine.id, b"abc"));
    let foreign = part_id(add_part(&fake, &theirs.id, b"xyz"));
    let reply = complete(&fake, &mine.id, &json!({"part_ids": [a, foreign]}));
    assert_error(
        &reply,
        400,
        &format!("Part '{foreign}' does not belong to upload '{}'", mine.id),
    );
    let reply = complete(&fake, &mine.id, &json!({"part_ids": [a, "part_nope"]}));
    assert_error(&reply, 400, "'part_nope' does not belong");
    let reply = complete(&fake, &mine.id, &json!({"part_ids": [a, a]}));
    assert_error(&reply, 400, "listed more than once");
    let reply = complete(&fake, &mine.id, &json!({"md5": md5_hex(b"abc")}));
    assert_error(&reply, 400, "Missing required parameter: 'part_ids'.");
    assert_error(
        &complete(&fake, "upload_nope", &json!({"part_ids": []})),
        404,
        "No such upload",
    );
    assert_eq!(status(&fake, &mine.id), UploadStatus::Pending);
}

#[test]
fn after_cancel_parts_and_completion_are_refused() {
    let fake = start();
    let upload = create(&fake, 3);
    let a = part_id(add_part(&fake, &upload.id, b"abc"));
    let reply = cancel(&fake, &upload.id);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["status"], "cancelled");
    assert_error(
        &add_part(&fake, &upload.id, b"def"),
        400,
        &format!(
            "Cannot add a part to upload '{}': Upload is already cancelled.",
            upload.id
        ),
    );
    assert_error(
        &complete(&fake, &upload.id, &json!({"part_ids": [a]})),
        400,
        "Cannot complete upload",
    );
    assert_eq!(status(&fake, &upload.id), UploadStatus::Cancelled);
    assert_eq!(fake.file_bytes(&upload.id), None);
    // The refused part was never stored.
    assert_eq!(fake.parts_received(&upload.id), Some((1, 3)));
}

#[test]
fn after_the_ttl_everything_is_refused_and_the_upload_shows_expired() {
    let fake = start();
    let upload = create(&fake, 3);
    let a = part_id(add_part(&fake, &upload.id, b"abc"));
    fake.advance_time(Duration::from_secs(3599));
    assert_eq!(status(&fake, &upload.id), UploadStatus::Pending);
    fake.advance_time(Duration::from_secs(1));
    assert_eq!(status(&fake, &upload.id), UploadStatus::Expired);
    assert_error(&add_part(&fake, &upload.id, b"x"), 400, "already expired");
    assert_error(
        &complete(&fake, &upload.id, &json!({"part_ids": [a]})),
        400,
        "already expired",
    );
    assert_error(&cancel(&fake, &upload.id), 400, "already expired");
    // New uploads get a fresh hour on the advanced clock.
    let fresh = create(&fake, 1);
    assert_eq!(fresh.expires_at, fresh.created_at + 3600);
    assert_eq!(status(&fake, &fresh.id), UploadStatus::Pending);
}

#[test]
fn parts_must_be_multipart_with_one_file_field_named_data() {
    let fake = start();
    let upload = create(&fake, 3);
    let cases: [(&[Field<'_>], &str, u16); 6] = [
        (&[], "Missing required parameter: 'data'.", 400),
        (&[("data", None, b"abc")], "expected a file", 400),
        (
            &[("file", Some("x"), b"abc")],
            "Unrecognized request argument supplied: file",
            400,
        ),
        (
            &[("data", Some("x"), b"abc"), ("data", Some("y"), b"abc")],
            "sent more than once",
            400,
        ),
        (&[("data", Some("x"), b"")], "The part is empty", 400),
        (
            &[("data", Some("x"), b"abc"), ("purpose", None, b"batch")],
            "Unrecognized request argument supplied: purpose",
            400,
        ),
    ];
    for (fields, needle, code) in cases {
        assert_error(&send_fields(&fake, &upload.id, fields), code, needle);
    }
    // Not multipart at all.
    let reply = send_body(
        fake.addr(),
        "POST",
        &format!("/v1/uploads/{}/parts", upload.id),
        &[AUTH, ("Content-Type", "application/octet-stream")],
        b"abc",
    );
    assert_error(&reply, 400, "multipart/form-data");
    // A body that ends before the closing boundary.
    let body = multipart(&[("data", Some("x"), b"abc")]);
    let reply = send_body(
        fake.addr(),
        "POST",
        &format!("/v1/uploads/{}/parts", upload.id),
        &[AUTH, ("Content-Type", &multipart_type())],
        &body[..body.len() - 20],
    );
    assert_error(&reply, 400, "malformed");
    assert_eq!(fake.parts_received(&upload.id), Some((0, 0)));
    assert_error(
        &add_part(&fake, "upload_nope", b"abc"),
        404,
        "No such upload: 'upload_nope'",
    );
}

#[test]
fn a_part_may_hold_64_mib_and_not_a_byte_more() {
    let fake = start();
    let max = usize::try_from(MAX_PART_BYTES).unwrap();
    let upload = create(&fake, MAX_PART_BYTES);
    let mut data = vec![7_u8; max + 1];
    data[0] = 1;
    data[max - 1] = 9;

    let reply = add_part(&fake, &upload.id, &data);
    assert_error(&reply, 413, "at most 67108864 bytes");
    assert_eq!(fake.parts_received(&upload.id), Some((0, 0)));

    let id = part_id(add_part(&fake, &upload.id, &data[..max]));
    assert_eq!(
        complete(&fake, &upload.id, &json!({"part_ids": [id]})).status,
        200
    );
    let file = fake.file_bytes(&upload.id).unwrap();
    assert!(file == data[..max], "the 64 MiB part came back changed");
}

#[test]
fn a_body_declared_over_the_limit_is_refused_before_it_is_sent() {
    let fake = start();
    let upload = create(&fake, 3);
    let reply = send_head_only(
        fake.addr(),
        &format!("/v1/uploads/{}/parts", upload.id),
        &[AUTH, ("Content-Type", &multipart_type())],
        PART_BODY_LIMIT + 1,
    );
    assert_error(&reply, 413, "too large");
}

#[test]
fn the_chosen_part_request_fails_with_a_500_that_says_do_not_retry() {
    let fake = Fake::start(Config {
        seed: false,
        fail_part: Some(2),
        ..Config::default()
    })
    .unwrap();
    let upload = create(&fake, 6);
    part_id(add_part(&fake, &upload.id, b"abc"));
    let reply = add_part(&fake, &upload.id, b"def");
    assert_eq!(reply.status, 500, "{}", reply.body);
    assert_eq!(reply.header("x-should-retry"), Some("false"));
    assert_eq!(reply.body["error"]["type"], "server_error");
    assert!(message(&reply).contains("#2"), "{}", message(&reply));
    // The failed part was not stored; the next one is.
    assert_eq!(fake.parts_received(&upload.id), Some((1, 3)));
    part_id(add_part(&fake, &upload.id, b"def"));
    assert_eq!(fake.parts_received(&upload.id), Some((2, 6)));
    assert_eq!(status(&fake, &upload.id), UploadStatus::Pending);
}

#[test]
fn a_429_failure_says_retry() {
    let fake = Fake::start(Config {
        seed: false,
        fail_part: Some(1),
        fail_part_status: 429,
        ..Config::default()
    })
    .unwrap();
    let upload = create(&fake, 3);
    let reply = add_part(&fake, &upload.id, b"abc");
    assert_eq!(reply.status, 429);
    assert_eq!(reply.header("x-should-retry"), Some("true"));
}

#[test]
fn bad_fault_settings_are_refused_at_start() {
    for config in [
        Config {
            fail_part_status: 200,
            ..Config::default()
        },
        Config {
            fail_part: Some(0),
            ..Config::default()
        },
    ] {
        let error = Fake::start(config).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    }
}

#[test]
fn a_delayed_part_is_not_stored_until_the_delay_ends() {
    let fake = Fake::start(Config {
        seed: false,
        part_delay: Duration::from_secs(3),
        ..Config::default()
    })
    .unwrap();
    let upload = create(&fake, 3);
    std::thread::scope(|scope| {
        let sent = scope.spawn(|| add_part(&fake, &upload.id, b"abc"));
        let deadline = Instant::now() + Duration::from_secs(30);
        while fake.count(Route::AddPart) == 0 {
            assert!(Instant::now() < deadline, "the part never arrived");
            std::thread::sleep(Duration::from_millis(5));
        }
        let record = fake.requests().pop().unwrap();
        assert_eq!(record.route, Route::AddPart);
        assert_eq!(record.status, None, "answered during the delay");
        assert_eq!(fake.parts_received(&upload.id), Some((0, 0)));
        part_id(sent.join().unwrap());
    });
    assert_eq!(fake.parts_received(&upload.id), Some((1, 3)));
    assert_eq!(fake.requests().pop().unwrap().status, Some(200));
}

#[test]
fn the_request_log_records_every_request_in_order() {
    let fake = start();
    let before = Instant::now();
    let upload = create(&fake, 3);
    let a = part_id(add_part(&fake, &upload.id, b"abc"));
    assert_eq!(
        complete(&fake, &upload.id, &json!({"part_ids": [a]})).status,
        200
    );
    assert_eq!(cancel(&fake, &upload.id).status, 400);
    send(fake.addr(), "POST", "/v1/uploads", &[]);
    send(fake.addr(), "GET", "/v1/files", &[AUTH]);

    let log = fake.requests();
    let routes: Vec<(Route, Option<u16>)> = log.iter().map(|r| (r.route, r.status)).collect();
    assert_eq!(
        routes,
        [
            (Route::CreateUpload, Some(200)),
            (Route::AddPart, Some(200)),
            (Route::CompleteUpload, Some(200)),
            (Route::CancelUpload, Some(400)),
            (Route::CreateUpload, Some(401)),
            (Route::Other, Some(404)),
        ]
    );
    assert_eq!(log[1].path, format!("/v1/uploads/{}/parts", upload.id));
    assert_eq!(log[1].upload_id.as_deref(), Some(upload.id.as_str()));
    assert_eq!(log[1].method, "POST");
    assert!(log.windows(2).all(|w| w[0].received_at <= w[1].received_at));
    assert!(log[0].received_at >= before);
    assert_eq!(fake.count(Route::CreateUpload), 2);
    assert_eq!(fake.count(Route::AddPart), 1);
    let counts = fake.state().request_counts();
    assert_eq!(counts.values().sum::<usize>(), 6);
}

#[test]
fn the_new_routes_need_a_bearer_too() {
    let fake = start();
    let upload = create(&fake, 3);
    let path = format!("/v1/uploads/{}/parts", upload.id);
    let body = multipart(&[("data", Some("x"), b"abc")]);
    let reply = send_body(
        fake.addr(),
        "POST",
        &path,
        &[("Content-Type", &multipart_type())],
        &body,
    );
    assert_eq!(reply.status, 401);
    assert!(reply.header("x-request-id").is_some());
    assert_eq!(fake.parts_received(&upload.id), Some((0, 0)));
}

#[test]
fn concurrent_parts_all_land_with_distinct_ids() {
    let fake = start();
    let upload = create(&fake, 8 * 1024);
    let ids: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8_u8)
            .map(|i| {
                let (fake, id) = (&fake, &upload.id);
                scope.spawn(move || part_id(add_part(fake, id, &[i; 1024])))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 8);
    assert_eq!(fake.parts_received(&upload.id), Some((8, 8 * 1024)));
    let reply = complete(&fake, &upload.id, &json!({"part_ids": ids}));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let file = fake.file_bytes(&upload.id).unwrap();
    let expected: Vec<u8> = (0..8_u8).flat_map(|i| [i; 1024]).collect();
    assert_eq!(file, expected);
}

#[test]
fn discarded_files_are_completed_but_not_kept() {
    let fake = Fake::start(Config {
        seed: false,
        keep_file_bytes: false,
        ..Config::default()
    })
    .unwrap();
    let upload = create(&fake, 3);
    let a = part_id(add_part(&fake, &upload.id, b"abc"));
    let reply = complete(
        &fake,
        &upload.id,
        &json!({"part_ids": [a], "md5": md5_hex(b"abc")}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(fake.file_bytes(&upload.id), None);
}

#[test]
fn without_md5_checks_any_well_formed_md5_is_accepted() {
    for keep_file_bytes in [true, false] {
        let fake = Fake::start(Config {
            seed: false,
            verify_md5: false,
            keep_file_bytes,
            ..Config::default()
        })
        .unwrap();
        let upload = create(&fake, 3);
        let a = part_id(add_part(&fake, &upload.id, b"abc"));
        let reply = complete(&fake, &upload.id, &json!({"part_ids": [a], "md5": "nope"}));
        assert_error(&reply, 400, "32 hexadecimal digits");
        let wrong = md5_hex(b"xyz");
        let reply = complete(&fake, &upload.id, &json!({"part_ids": [a], "md5": wrong}));
        assert_eq!(reply.status, 200, "{}", reply.body);
        let kept = fake.file_bytes(&upload.id);
        assert_eq!(kept.is_some(), keep_file_bytes);
        assert_eq!(fake.parts_received(&upload.id), Some((1, 3)));
    }
}

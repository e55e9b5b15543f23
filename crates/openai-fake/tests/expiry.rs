//! Expiry without waiting: short TTLs, expiring an Upload on demand and
//! setting the `expires_at` it reports. The fake's clock is moved, never
//! waited for, so no verdict depends on real time.

mod common;

use std::time::Duration;

use common::{multipart, multipart_type, send_body};
use openai_fake::{Config, Fake, Upload, UploadStatus};
use serde_json::json;

const AUTH: (&str, &str) = ("Authorization", "Bearer sk-test");

fn fake(upload_ttl: Duration) -> Fake {
    Fake::start(Config {
        seed: false,
        upload_ttl,
        ..Config::default()
    })
    .expect("the fake starts")
}

fn create(fake: &Fake) -> Upload {
    let body =
        json!({"filename": "a.txt", "purpose": "batch", "bytes": 3, "mime_type": "text/plain"});
    let reply = send_body(
        fake.addr(),
        "POST",
        "/v1/uploads",
        &[AUTH],
        body.to_string().as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    serde_json::from_value(reply.body).expect("an Upload")
}

fn add_part(fake: &Fake, upload_id: &str) -> common::Reply {
    send_body(
        fake.addr(),
        "POST",
        &format!("/v1/uploads/{upload_id}/parts"),
        &[AUTH, ("Content-Type", &multipart_type())],
        &multipart(&[("data", Some("a.txt"), b"abc")]),
    )
}

fn assert_expired_error(reply: &common::Reply) {
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.body["error"]["type"], "invalid_request_error");
    let message = reply.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("Upload is already expired"), "{message}");
}

#[test]
fn a_two_second_ttl_shows_in_expires_at_and_refuses_parts_after_it() {
    let fake = fake(Duration::from_secs(2));
    let upload = create(&fake);
    assert_eq!(upload.expires_at, upload.created_at + 2);
    // Pinned far ahead while a part is added, so the verdict never
    // depends on how fast this test runs; then put back.
    fake.set_expires_at(&upload.id, fake.now() + 3600);
    assert_eq!(add_part(&fake, &upload.id).status, 200);
    fake.set_expires_at(&upload.id, upload.expires_at);

    fake.advance_time(Duration::from_secs(3600));
    assert_eq!(
        fake.upload(&upload.id).unwrap().status,
        UploadStatus::Expired
    );
    assert_expired_error(&add_part(&fake, &upload.id));
    assert_eq!(fake.parts_received(&upload.id), Some((1, 3)));
}

#[test]
fn a_fraction_of_a_second_is_a_whole_one() {
    let fake = fake(Duration::from_millis(1500));
    let upload = create(&fake);
    assert_eq!(upload.expires_at, upload.created_at + 2);
}

#[test]
fn expire_ends_a_pending_upload_now() {
    let fake = fake(Duration::from_secs(3600));
    let upload = create(&fake);
    let expired = fake.expire(&upload.id).expect("known");
    assert_eq!(expired.status, UploadStatus::Expired);
    assert!(expired.expires_at <= fake.now());
    assert_expired_error(&add_part(&fake, &upload.id));
    assert_eq!(fake.upload(&upload.id), Some(expired));
    assert_eq!(fake.expire("upload_nope"), None);
}

#[test]
fn set_expires_at_is_what_the_upload_reports() {
    let fake = fake(Duration::from_secs(3600));
    let upload = create(&fake);
    let later = fake.now() + 10 * 86_400;
    let moved = fake.set_expires_at(&upload.id, later).expect("known");
    assert_eq!(
        (moved.status, moved.expires_at),
        (UploadStatus::Pending, later)
    );
    // Still pending a day later on the fake's clock; expired at the time.
    fake.advance_time(Duration::from_secs(86_400));
    assert_eq!(add_part(&fake, &upload.id).status, 200);
    let past = fake.set_expires_at(&upload.id, fake.now()).expect("known");
    assert_eq!(past.status, UploadStatus::Expired);
    assert_expired_error(&add_part(&fake, &upload.id));
}

#[test]
fn uploads_lists_every_upload_as_seen_now() {
    let fake = fake(Duration::from_secs(3600));
    let (a, b) = (create(&fake), create(&fake));
    fake.expire(&b.id);
    let listed: Vec<(String, UploadStatus)> = fake
        .uploads()
        .into_iter()
        .map(|upload| (upload.id, upload.status))
        .collect();
    let mut expected = vec![(a.id, UploadStatus::Pending), (b.id, UploadStatus::Expired)];
    expected.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(listed, expected);
}

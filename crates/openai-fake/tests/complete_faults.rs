//! Completion faults: a completion whose reply is lost after the Upload was
//! completed, and what a client then meets when it tries again or cancels.

mod common;

use std::time::Duration;

use common::client::{Client, assert_no_reply, md5_hex};
use openai_fake::{Config, Fake, FaultKind, Route, UploadStatus};
use serde_json::{Value, json};

const PATIENT: Duration = Duration::from_secs(30);

fn fake(complete_fault: FaultKind) -> Fake {
    Fake::start(Config {
        seed: false,
        complete_fault: Some(complete_fault),
        ..Config::default()
    })
    .expect("the fake starts")
}

/// A pending Upload of `abc` in one Part, and the body that completes it.
async fn ready_upload(client: &Client) -> (String, Value) {
    let upload = client.create(3).await;
    let (part, _) = client.add_part_retrying(&upload.id, b"abc").await;
    let body = json!({"part_ids": [part], "md5": md5_hex(b"abc")});
    (upload.id, body)
}

fn assert_not_pending(reply: &common::client::Reply, needle: &str) {
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.body["error"]["type"], "invalid_request_error");
    let message = reply.body["error"]["message"].as_str().unwrap();
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
}

#[tokio::test]
async fn a_completion_stored_then_dropped_completes_the_upload() {
    let fake = fake(FaultKind::StoreThenDrop);
    let client = Client::new(&fake, PATIENT);
    let (id, body) = ready_upload(&client).await;

    assert_no_reply(client.complete(&id, &body).await);
    let upload = fake.upload(&id).expect("known");
    assert_eq!(upload.status, UploadStatus::Completed);
    assert!(upload.file.is_some(), "the File was made");
    assert_eq!(fake.file_bytes(&id).unwrap(), &b"abc"[..]);
    let record = fake.requests().pop().unwrap();
    assert_eq!(record.route, Route::CompleteUpload);
    assert_eq!(
        (record.fault, record.status),
        (Some(FaultKind::StoreThenDrop), None)
    );

    // What a client that did not hear back meets next.
    let again = client.complete(&id, &body).await.expect("a reply");
    assert_not_pending(&again, "Upload is already completed");
    let cancel = client.cancel(&id).await.expect("a reply");
    assert_not_pending(&cancel, "Upload is already completed");
    assert_eq!(fake.upload(&id), Some(upload));
}

#[tokio::test]
async fn other_completion_faults_leave_the_upload_pending() {
    for kind in [FaultKind::Status(502), FaultKind::Reset] {
        let fake = fake(kind);
        let client = Client::new(&fake, PATIENT);
        let (id, body) = ready_upload(&client).await;
        let first = client.complete(&id, &body).await;
        match kind {
            FaultKind::Status(code) => assert_eq!(first.unwrap().status, code),
            _ => assert_no_reply(first),
        }
        assert_eq!(fake.upload(&id).unwrap().status, UploadStatus::Pending);
        // Only the first completion is sabotaged.
        let second = client.complete(&id, &body).await.expect("a reply");
        assert_eq!(second.status, 200, "{kind}: {}", second.body);
        assert_eq!(second.body["status"], "completed");
    }
}

#[tokio::test]
async fn a_refused_completion_does_not_use_up_the_fault() {
    let fake = fake(FaultKind::Status(503));
    let client = Client::new(&fake, PATIENT);
    let (id, body) = ready_upload(&client).await;
    let wrong = json!({"part_ids": body["part_ids"], "md5": md5_hex(b"abd")});
    let refused = client.complete(&id, &wrong).await.expect("a reply");
    assert_eq!(refused.status, 400, "{}", refused.body);
    let faulted = client.complete(&id, &body).await.expect("a reply");
    assert_eq!(faulted.status, 503, "{}", faulted.body);
    let done = client.complete(&id, &body).await.expect("a reply");
    assert_eq!(done.status, 200, "{}", done.body);
}

#[tokio::test]
async fn a_cancelled_upload_says_so_to_complete_and_cancel() {
    let fake = Fake::start(Config {
        seed: false,
        ..Config::default()
    })
    .unwrap();
    let client = Client::new(&fake, PATIENT);
    let (id, body) = ready_upload(&client).await;
    assert_eq!(client.cancel(&id).await.unwrap().status, 200);
    let again = client.cancel(&id).await.unwrap();
    assert_not_pending(&again, "Upload is already cancelled");
    let complete = client.complete(&id, &body).await.unwrap();
    assert_not_pending(&complete, "Upload is already cancelled");
}

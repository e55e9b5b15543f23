//! Part faults as a client sees them: error statuses, dropped connections,
//! hung requests, endless bodies, and Parts that fail a few times and then
//! succeed. Timeouts here only bound requests that never answer by
//! design; no verdict depends on how long anything took.

mod common;

use std::time::{Duration, Instant};

use common::client::{Client, assert_no_reply, distinct_parts, md5_hex};
use common::{multipart, multipart_type, send_raw};
use openai_fake::{Config, Fake, FaultKind, FlakyParts, PartFault, PartInfo, RequestRecord, Route};
use serde_json::json;

const AUTH: (&str, &str) = ("Authorization", "Bearer sk-test");

/// Long enough for any real reply on a loaded machine.
const PATIENT: Duration = Duration::from_secs(30);
/// How long a client waits for a part request, where some hang by design.
/// Short, yet far longer than a real reply takes, even on a loaded machine.
const IMPATIENT: Duration = Duration::from_secs(1);

fn fake(config: Config) -> Fake {
    Fake::start(Config {
        seed: false,
        ..config
    })
    .expect("the fake starts")
}

fn part_fault(nth: usize, kind: FaultKind) -> Config {
    Config {
        part_faults: vec![PartFault { nth, kind }],
        ..Config::default()
    }
}

fn part_requests(fake: &Fake) -> Vec<RequestRecord> {
    fake.requests()
        .into_iter()
        .filter(|r| r.route == Route::AddPart)
        .collect()
}

#[tokio::test]
async fn a_status_fault_is_an_error_reply_without_a_retry_hint() {
    let fake = fake(Config {
        part_faults: vec![
            PartFault {
                nth: 1,
                kind: FaultKind::Status(503),
            },
            PartFault {
                nth: 2,
                kind: FaultKind::Status(409),
            },
        ],
        ..Config::default()
    });
    let client = Client::new(&fake, PATIENT);
    let upload = client.create(3).await;
    for (status, kind) in [(503, "server_error"), (409, "invalid_request_error")] {
        let reply = client.add_part(&upload.id, b"abc").await.expect("a reply");
        assert_eq!(reply.status, status, "{}", reply.body);
        assert_eq!(reply.headers.get("x-should-retry"), None);
        assert_eq!(reply.body["error"]["type"], kind);
    }
    assert_eq!(fake.parts_received(&upload.id), Some((0, 0)));
    let reply = client.add_part(&upload.id, b"abc").await.expect("a reply");
    assert_eq!(reply.status, 200, "{}", reply.body);
    let log = part_requests(&fake);
    let faults: Vec<_> = log.iter().map(|r| (r.fault, r.status)).collect();
    assert_eq!(
        faults,
        [
            (Some(FaultKind::Status(503)), Some(503)),
            (Some(FaultKind::Status(409)), Some(409)),
            (None, Some(200)),
        ]
    );
}

#[tokio::test]
async fn a_reset_part_gets_no_reply_and_is_not_stored() {
    let fake = fake(part_fault(1, FaultKind::Reset));
    let client = Client::new(&fake, PATIENT);
    let upload = client.create(3).await;
    assert_no_reply(client.add_part(&upload.id, b"abc").await);
    assert_eq!(fake.parts_received(&upload.id), Some((0, 0)));

    let reply = client.add_part(&upload.id, b"abc").await.expect("a reply");
    assert_eq!(reply.status, 200, "{}", reply.body);
    let log = part_requests(&fake);
    assert_eq!(log[0].fault, Some(FaultKind::Reset));
    assert_eq!(log[0].status, None, "a dropped reply has no status");
    let sent = PartInfo {
        bytes: 3,
        md5: Some(md5_hex(b"abc")),
        id: None,
    };
    assert_eq!(log[0].part, Some(sent.clone()));
    let stored = PartInfo {
        id: reply.body["id"].as_str().map(str::to_owned),
        ..sent
    };
    assert_eq!(log[1].part, Some(stored));
}

/// Below HTTP: not one byte of a reply comes back before the connection
/// ends, so no client can mistake it for a reply.
#[test]
fn a_dropped_reply_sends_not_a_byte() {
    for kind in [FaultKind::Reset, FaultKind::StoreThenDrop] {
        let fake = fake(part_fault(1, kind));
        let upload = fake
            .state()
            .with_store(|store, now| store.create(new_upload(3), now, 3600));
        let reply = send_raw(
            fake.addr(),
            &format!("/v1/uploads/{}/parts", upload.id),
            &[AUTH, ("Content-Type", &multipart_type())],
            &multipart(&[("data", Some("blob"), b"abc")]),
        );
        assert!(
            reply.is_empty(),
            "{kind}: {:?}",
            String::from_utf8_lossy(&reply)
        );
    }
}

fn new_upload(bytes: u64) -> openai_fake::NewUpload {
    openai_fake::NewUpload {
        filename: "a.bin".to_owned(),
        purpose: "batch".to_owned(),
        bytes,
        mime_type: "application/octet-stream".to_owned(),
        file_ttl_secs: None,
    }
}

#[tokio::test]
async fn store_then_drop_keeps_an_orphan_part_the_client_never_learns_of() {
    let fake = fake(part_fault(1, FaultKind::StoreThenDrop));
    let client = Client::new(&fake, PATIENT);
    let upload = client.create(3).await;
    assert_no_reply(client.add_part(&upload.id, b"abc").await);
    assert_eq!(fake.parts_received(&upload.id), Some((1, 3)));
    let orphan = part_requests(&fake)[0].part.clone().expect("a part");
    let orphan_id = orphan.id.expect("the orphan was stored");
    assert_eq!(part_requests(&fake)[0].status, None);

    // The client sends it again; the second copy is the one it lists.
    let (id, attempts) = client.add_part_retrying(&upload.id, b"abc").await;
    assert_eq!(attempts, 1);
    assert_ne!(id, orphan_id);
    assert_eq!(fake.parts_received(&upload.id), Some((2, 6)));
    let reply = client
        .complete(
            &upload.id,
            &json!({"part_ids": [id], "md5": md5_hex(b"abc")}),
        )
        .await
        .expect("a reply");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(fake.file_bytes(&upload.id).unwrap(), &b"abc"[..]);
}

#[tokio::test]
async fn a_hung_part_times_the_client_out_and_is_not_stored() {
    let fake = fake(part_fault(1, FaultKind::Hang));
    let client = Client::new(&fake, IMPATIENT);
    let upload = client.create(3).await;
    let error = client
        .add_part(&upload.id, b"abc")
        .await
        .err()
        .expect("no reply");
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(fake.parts_received(&upload.id), Some((0, 0)));
    let log = part_requests(&fake);
    assert_eq!((log[0].fault, log[0].status), (Some(FaultKind::Hang), None));
    // The part's body was read before the fake stopped answering.
    assert_eq!(log[0].part.as_ref().map(|p| p.bytes), Some(3));
    let (_, attempts) = client.add_part_retrying(&upload.id, b"abc").await;
    assert_eq!(attempts, 1);
    // Stopping does not wait for the hung request.
    fake.stop().unwrap();
}

#[test]
fn stopping_closes_a_hung_request_without_a_reply() {
    let fake = fake(part_fault(1, FaultKind::Hang));
    let upload = fake
        .state()
        .with_store(|store, now| store.create(new_upload(3), now, 3600));
    let addr = fake.addr();
    std::thread::scope(|scope| {
        let sent = scope.spawn(|| {
            send_raw(
                addr,
                &format!("/v1/uploads/{}/parts", upload.id),
                &[AUTH, ("Content-Type", &multipart_type())],
                &multipart(&[("data", Some("blob"), b"abc")]),
            )
        });
        let deadline = Instant::now() + PATIENT;
        while part_requests(&fake).first().and_then(|r| r.fault).is_none() {
            assert!(Instant::now() < deadline, "the part never hung");
            std::thread::sleep(Duration::from_millis(5));
        }
        fake.stop().unwrap();
        let reply = sent.join().unwrap();
        assert!(reply.is_empty(), "{:?}", String::from_utf8_lossy(&reply));
    });
}

#[tokio::test]
async fn an_endless_body_never_ends() {
    let fake = fake(part_fault(1, FaultKind::EndlessBody(502)));
    let client = Client::new(&fake, PATIENT);
    let upload = client.create(3).await;
    let mut response = client
        .add_part_head(&upload.id, b"abc")
        .await
        .expect("a head");
    assert_eq!(response.status().as_u16(), 502);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "application/json"
    );
    let mut start = Vec::new();
    let mut received = 0;
    while received < 4 * 1024 * 1024 {
        let chunk = response.chunk().await.expect("more body").expect("no end");
        if start.len() < 16 {
            start.extend_from_slice(&chunk[..chunk.len().min(16)]);
        }
        received += chunk.len();
    }
    assert!(start.starts_with(b"{\"padding\":\"xxx"), "{start:?}");
    drop(response);
    assert_eq!(fake.parts_received(&upload.id), Some((0, 0)));
    let log = part_requests(&fake);
    assert_eq!(
        (log[0].fault, log[0].status),
        (Some(FaultKind::EndlessBody(502)), Some(502))
    );
}

/// The scheme a retrying uploader is tested with: whatever order and
/// concurrency it sends in, three Parts each fail twice, then succeed.
#[tokio::test]
async fn three_parts_each_fail_twice_then_succeed() {
    for kind in [FaultKind::Status(502), FaultKind::Reset, FaultKind::Hang] {
        let fake = fake(Config {
            flaky_parts: Some(FlakyParts::each_fails(3, 2, kind)),
            ..Config::default()
        });
        let client = Client::new(&fake, IMPATIENT);
        let parts = distinct_parts(4, 1000);
        let upload = client.create(4000).await;
        // All four at once, each retried until it is stored.
        let send = |i: usize| client.add_part_retrying(&upload.id, &parts[i]);
        let (a, b, c, d) = tokio::join!(send(0), send(1), send(2), send(3));
        let sent = [a, b, c, d];
        let attempts: Vec<usize> = sent.iter().map(|(_, attempts)| *attempts).collect();
        let mut sorted = attempts.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [1, 3, 3, 3], "{kind}");
        // Parts that failed were not stored: exactly one copy of each.
        assert_eq!(fake.parts_received(&upload.id), Some((4, 4000)), "{kind}");

        let log = part_requests(&fake);
        for (part, (id, attempts)) in parts.iter().zip(&sent) {
            let md5 = md5_hex(part);
            let tries: Vec<&RequestRecord> = log
                .iter()
                .filter(|r| r.part.as_ref().and_then(|p| p.md5.as_deref()) == Some(&md5))
                .collect();
            assert_eq!(tries.len(), *attempts, "{kind}");
            let (last, failed) = tries.split_last().unwrap();
            assert!(failed.iter().all(|r| r.fault == Some(kind)), "{kind}");
            assert_eq!(last.fault, None, "{kind}");
            assert_eq!(last.part.as_ref().unwrap().id.as_ref(), Some(id));
        }

        let ids: Vec<&String> = sent.iter().map(|(id, _)| id).collect();
        let whole = parts.concat();
        let reply = client
            .complete(
                &upload.id,
                &json!({"part_ids": ids, "md5": md5_hex(&whole)}),
            )
            .await
            .expect("a reply");
        assert_eq!(reply.status, 200, "{kind}: {}", reply.body);
        assert_eq!(fake.file_bytes(&upload.id).unwrap(), whole);
    }
}

#[tokio::test]
async fn a_flaky_part_may_meet_different_faults_in_turn() {
    let fake = fake(Config {
        flaky_parts: Some(FlakyParts {
            parts: 1,
            faults: vec![FaultKind::StoreThenDrop, FaultKind::Status(500)],
        }),
        // Parts are told apart even when the fake keeps none of them.
        keep_file_bytes: false,
        verify_md5: false,
        ..Config::default()
    });
    let client = Client::new(&fake, PATIENT);
    let upload = client.create(6).await;
    assert_no_reply(client.add_part(&upload.id, b"abc").await);
    let reply = client.add_part(&upload.id, b"abc").await.expect("a reply");
    assert_eq!(reply.status, 500);
    let (_, attempts) = client.add_part_retrying(&upload.id, b"abc").await;
    assert_eq!(attempts, 1);
    // The second Part is not flaky.
    let (_, attempts) = client.add_part_retrying(&upload.id, b"def").await;
    assert_eq!(attempts, 1);
    // The orphan and the two stored copies.
    assert_eq!(fake.parts_received(&upload.id), Some((3, 9)));
}

#[tokio::test]
async fn the_log_shows_that_only_the_missing_part_was_sent_again() {
    let fake = fake(part_fault(2, FaultKind::Reset));
    let client = Client::new(&fake, PATIENT);
    let parts = distinct_parts(3, 100);
    let upload = client.create(300).await;
    let mut ids = Vec::new();
    for part in &parts {
        ids.push(client.add_part_retrying(&upload.id, part).await.0);
    }
    let sent: Vec<String> = part_requests(&fake)
        .iter()
        .map(|r| r.part.as_ref().unwrap().md5.clone().unwrap())
        .collect();
    let md5s: Vec<String> = parts.iter().map(|p| md5_hex(p)).collect();
    assert_eq!(
        sent,
        [&md5s[0], &md5s[1], &md5s[1], &md5s[2]].map(String::clone)
    );
    assert!(
        part_requests(&fake)
            .iter()
            .all(|r| r.upload_id.as_deref() == Some(upload.id.as_str()))
    );
}

#[test]
fn bad_fault_rules_are_refused_at_start() {
    for config in [
        part_fault(0, FaultKind::Reset),
        part_fault(1, FaultKind::Status(200)),
        part_fault(1, FaultKind::EndlessBody(204)),
        Config {
            fail_part: Some(1),
            ..part_fault(1, FaultKind::Reset)
        },
        Config {
            flaky_parts: Some(FlakyParts::each_fails(3, 0, FaultKind::Reset)),
            ..Config::default()
        },
        Config {
            complete_fault: Some(FaultKind::Status(99)),
            ..Config::default()
        },
    ] {
        let error = Fake::start(config).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{error}");
    }
}

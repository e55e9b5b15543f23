//! The fake's HTTP behaviour, driven over real sockets.

mod common;

use std::net::TcpStream;
use std::time::Duration;

use common::{Reply, send};
use openai_fake::{Config, Fake, SEED_UPLOAD_ID, Upload, UploadStatus};
use serde_json::{Value, json};

const KEY: &str = "sk-test-key";
const BEARER: (&str, &str) = ("Authorization", "Bearer sk-test-key");

fn cancel_path(raw_id: &str) -> String {
    format!("/v1/uploads/{raw_id}/cancel")
}

fn cancel(fake: &Fake, raw_id: &str) -> Reply {
    send(fake.addr(), "POST", &cancel_path(raw_id), &[BEARER])
}

fn error_body(message: &str) -> Value {
    json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": null}})
}

fn start() -> Fake {
    Fake::start(Config::default()).expect("fake starts")
}

#[test]
fn cancelling_the_seeded_pending_upload_returns_it_cancelled() {
    let fake = start();
    let before = fake.upload(SEED_UPLOAD_ID).expect("seeded");
    assert_eq!(before.status, UploadStatus::Pending);

    let reply = cancel(&fake, SEED_UPLOAD_ID);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.body;
    assert_eq!(body["id"], SEED_UPLOAD_ID);
    assert_eq!(body["object"], "upload");
    assert_eq!(body["status"], "cancelled");
    assert_eq!(body["filename"], "training_examples.jsonl");
    assert_eq!(body["purpose"], "fine-tune");
    assert_eq!(body["bytes"], 2_147_483_648_u64);
    assert_eq!(body["file"], Value::Null);
    let created = body["created_at"].as_u64().expect("created_at");
    let expires = body["expires_at"].as_u64().expect("expires_at");
    assert_eq!(expires - created, 3600);
    // The body is a whole Upload, in the fake's own model too.
    let upload: Upload = serde_json::from_value(body).expect("an Upload");
    assert_eq!(fake.upload(SEED_UPLOAD_ID), Some(upload));
}

#[test]
fn cancelling_twice_is_a_400_error_body() {
    let fake = start();
    assert_eq!(cancel(&fake, SEED_UPLOAD_ID).status, 200);
    let reply = cancel(&fake, SEED_UPLOAD_ID);
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.body,
        error_body("Cannot cancel upload 'upload_abc123': Upload is already cancelled.")
    );
    assert_eq!(
        fake.upload(SEED_UPLOAD_ID).unwrap().status,
        UploadStatus::Cancelled
    );
}

#[test]
fn a_completed_upload_cannot_be_cancelled() {
    let fake = start();
    let mut done = Upload::pending("upload_done", "a.jsonl", "batch", 10, 1, 3600);
    done.status = UploadStatus::Completed;
    fake.state().insert_upload(done.clone());
    // Far in the past, yet completed uploads never expire.
    let reply = cancel(&fake, "upload_done");
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.body,
        error_body("Cannot cancel upload 'upload_done': Upload is already completed.")
    );
    assert_eq!(fake.upload("upload_done"), Some(done));
}

#[test]
fn an_expired_upload_cannot_be_cancelled() {
    let fake = Fake::start(Config {
        upload_ttl: Duration::ZERO,
        ..Config::default()
    })
    .expect("fake starts");
    let reply = cancel(&fake, SEED_UPLOAD_ID);
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.body,
        error_body("Cannot cancel upload 'upload_abc123': Upload is already expired.")
    );
    assert_eq!(
        fake.upload(SEED_UPLOAD_ID).unwrap().status,
        UploadStatus::Expired
    );
}

#[test]
fn an_unknown_id_is_a_404_error_body() {
    let fake = start();
    let reply = cancel(&fake, "upload_missing");
    assert_eq!(reply.status, 404);
    assert_eq!(reply.body, error_body("No such upload: 'upload_missing'"));
}

#[test]
fn without_seed_even_the_example_id_is_unknown() {
    let fake = Fake::start(Config {
        seed: false,
        ..Config::default()
    })
    .expect("fake starts");
    assert_eq!(cancel(&fake, SEED_UPLOAD_ID).status, 404);
    assert_eq!(fake.upload(SEED_UPLOAD_ID), None);
}

#[test]
fn path_ids_are_percent_decoded() {
    let fake = start();
    // `%5F` is `_`: the same upload.
    let reply = cancel(&fake, "upload%5Fabc123");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["id"], SEED_UPLOAD_ID);

    // An encoded slash stays inside the one segment.
    let reply = cancel(&fake, "a%2Fb%20c");
    assert_eq!(reply.status, 404);
    assert_eq!(reply.body, error_body("No such upload: 'a/b c'"));

    // Unicode survives the round trip.
    let reply = cancel(&fake, "upload_%C3%A9t%C3%A9");
    assert_eq!(reply.body, error_body("No such upload: 'upload_été'"));
}

#[test]
fn an_id_that_is_not_utf8_is_a_400_error_body() {
    let fake = start();
    let reply = cancel(&fake, "upload_%FF");
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["error"]["type"], "invalid_request_error");
    let message = reply.body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("Invalid path parameter"), "{message}");
}

#[test]
fn a_missing_bearer_is_a_401_and_changes_nothing() {
    let fake = start();
    let reply = send(fake.addr(), "POST", &cancel_path(SEED_UPLOAD_ID), &[]);
    assert_eq!(reply.status, 401);
    assert_eq!(reply.body["error"]["type"], "invalid_request_error");
    assert_eq!(reply.body["error"]["param"], Value::Null);
    let message = reply.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("Authorization"), "{message}");
    assert!(reply.header("x-request-id").is_some());
    assert_eq!(
        fake.upload(SEED_UPLOAD_ID).unwrap().status,
        UploadStatus::Pending
    );
}

#[test]
fn a_malformed_authorization_header_is_a_401() {
    let fake = start();
    let path = cancel_path(SEED_UPLOAD_ID);
    for header in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "sk-no-scheme"] {
        let reply = send(fake.addr(), "POST", &path, &[("Authorization", header)]);
        assert_eq!(reply.status, 401, "{header:?}");
        assert_eq!(
            reply.body,
            error_body("The Authorization header must be `Bearer YOUR_API_KEY`."),
            "{header:?}"
        );
    }
    // The scheme is case-insensitive.
    let reply = send(
        fake.addr(),
        "POST",
        &path,
        &[("Authorization", "bearer sk-x")],
    );
    assert_eq!(reply.status, 200);
}

#[test]
fn a_configured_key_rejects_others_without_echoing_them() {
    let fake = Fake::start(Config {
        api_key: Some(KEY.to_owned()),
        ..Config::default()
    })
    .expect("fake starts");
    let path = cancel_path(SEED_UPLOAD_ID);
    let wrong = ("Authorization", "Bearer sk-wrong-secret");
    let reply = send(fake.addr(), "POST", &path, &[wrong]);
    assert_eq!(reply.status, 401);
    assert_eq!(reply.body["error"]["code"], "invalid_api_key");
    assert!(!reply.body.to_string().contains("sk-wrong-secret"));
    assert_eq!(
        fake.upload(SEED_UPLOAD_ID).unwrap().status,
        UploadStatus::Pending
    );
    assert_eq!(send(fake.addr(), "POST", &path, &[BEARER]).status, 200);
}

#[test]
fn every_reply_carries_a_fresh_request_id() {
    let fake = start();
    let addr = fake.addr();
    let replies = [
        cancel(&fake, SEED_UPLOAD_ID),
        cancel(&fake, SEED_UPLOAD_ID),
        cancel(&fake, "upload_missing"),
        send(addr, "POST", &cancel_path("x"), &[]),
        send(addr, "GET", "/v1/nowhere", &[BEARER]),
    ];
    let ids: Vec<String> = replies
        .iter()
        .map(|r| r.header("x-request-id").expect("x-request-id").to_owned())
        .collect();
    for id in &ids {
        assert!(id.starts_with("req_") && id.len() > 8, "{id}");
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
}

#[test]
fn unknown_routes_and_methods_get_error_bodies() {
    let fake = start();
    let addr = fake.addr();
    let reply = send(addr, "POST", "/v1/uploads/cancel", &[BEARER]);
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.body,
        error_body("Invalid URL (POST /v1/uploads/cancel)")
    );

    // Without the /v1 prefix.
    let path = format!("/uploads/{SEED_UPLOAD_ID}/cancel");
    assert_eq!(send(addr, "POST", &path, &[BEARER]).status, 404);

    let reply = send(addr, "GET", &cancel_path(SEED_UPLOAD_ID), &[BEARER]);
    assert_eq!(reply.status, 405);
    assert_eq!(
        reply.body,
        error_body("Method GET is not allowed on /v1/uploads/upload_abc123/cancel")
    );
    assert_eq!(
        fake.upload(SEED_UPLOAD_ID).unwrap().status,
        UploadStatus::Pending
    );
}

#[test]
fn concurrent_cancels_succeed_exactly_once() {
    let fake = start();
    let addr = fake.addr();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                send(addr, "POST", &cancel_path(SEED_UPLOAD_ID), &[BEARER]).status
            })
        })
        .collect();
    let mut statuses: Vec<u16> = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 400, 400, 400, 400, 400, 400, 400]);
}

#[test]
fn stop_closes_the_port() {
    let fake = start();
    let addr = fake.addr();
    assert_eq!(cancel(&fake, SEED_UPLOAD_ID).status, 200);
    fake.stop().expect("clean stop");
    assert!(
        TcpStream::connect(addr).is_err(),
        "still accepting after stop"
    );
}

#[test]
fn drop_closes_the_port() {
    let fake = start();
    let addr = fake.addr();
    drop(fake);
    assert!(
        TcpStream::connect(addr).is_err(),
        "still accepting after drop"
    );
}

#[test]
fn stop_waits_for_an_idle_keep_alive_connection_without_hanging() {
    let fake = start();
    // A client that keeps its connection open and never sends anything.
    let idle = TcpStream::connect(fake.addr()).expect("connect");
    fake.stop().expect("clean stop");
    drop(idle);
}

#[test]
fn fakes_get_distinct_free_ports_and_a_taken_port_is_an_error() {
    let one = start();
    let two = start();
    assert_ne!(one.addr(), two.addr());
    assert!(one.addr().ip().is_loopback());
    assert!(one.base_url().ends_with("/v1"));
    let taken = Fake::start(Config {
        port: one.addr().port(),
        ..Config::default()
    });
    assert!(taken.is_err(), "bound a port that is in use");
}

#[test]
fn config_debug_hides_the_key() {
    let config = Config {
        api_key: Some("sk-very-secret".to_owned()),
        ..Config::default()
    };
    let shown = format!("{config:?}");
    assert!(!shown.contains("sk-very-secret"), "{shown}");
    assert!(shown.contains("<redacted>"), "{shown}");
}

/// The nice value of each of this process's threads named `name`.
#[cfg(target_os = "linux")]
fn nice_of_threads(name: &str) -> Vec<i64> {
    let mut nice = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").expect("/proc/self/task") {
        let task = task.expect("a task").path();
        let (Ok(comm), Ok(stat)) = (
            std::fs::read_to_string(task.join("comm")),
            std::fs::read_to_string(task.join("stat")),
        ) else {
            continue; // the thread ended meanwhile
        };
        if comm.trim_end() != name {
            continue;
        }
        // After the name in parentheses: state is field 3, nice field 19.
        let fields: Vec<&str> = stat[stat.rfind(')').expect("stat") + 2..]
            .split(' ')
            .collect();
        nice.push(fields[16].parse().expect("a nice value"));
    }
    nice
}

#[cfg(target_os = "linux")]
#[test]
fn a_fake_in_the_background_serves_at_nice_19() {
    let fake = Fake::start(Config {
        background: true,
        ..Config::default()
    })
    .expect("fake starts");
    // It still serves.
    assert_eq!(cancel(&fake, SEED_UPLOAD_ID).status, 200);
    // Other tests' fakes, at normal priority, may be running alongside:
    // this one's two workers are the only ones at 19.
    let nice = nice_of_threads("openai-fake-wor");
    assert_eq!(nice.iter().filter(|&&n| n == 19).count(), 2, "{nice:?}");
    assert!(nice.iter().all(|&n| n == 19 || n == 0), "{nice:?}");
    drop(fake);
}

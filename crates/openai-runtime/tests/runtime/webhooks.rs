//! Webhook signatures: the Standard Webhooks specification's published test
//! vector, and every way a request can fail the check.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use openai_runtime::webhooks::{self, DEFAULT_TOLERANCE, Webhook, WebhookError};
use reqwest::header::{HeaderMap, HeaderValue};

// The specification's test vector (facts, from its libraries' tests).
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TIMESTAMP: i64 = 1_614_265_330;
const PAYLOAD: &[u8] = br#"{"test": 2432232314}"#;
const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
/// The same message signed with the text after `whsec_` taken as raw
/// bytes (computed independently with Python's hmac module).
const RAW_KEY_SIGNATURE: &str = "v1,ELhqG0Ku1gwOc1f4jyKdp3SFGFLAOdJ9bvpWLciCakI=";

fn at(seconds: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds as u64)
}

fn headers(id: &str, timestamp: &str, signature: &str) -> Vec<(String, String)> {
    vec![
        ("webhook-id".into(), id.into()),
        ("webhook-timestamp".into(), timestamp.into()),
        ("webhook-signature".into(), signature.into()),
    ]
}

fn vector_headers() -> Vec<(String, String)> {
    headers(ID, &TIMESTAMP.to_string(), SIGNATURE)
}

fn webhook() -> Webhook {
    Webhook::new(SECRET).unwrap()
}

#[test]
fn the_specification_vector_verifies_and_signs() {
    webhook()
        .verify_at(PAYLOAD, vector_headers(), at(TIMESTAMP))
        .unwrap();
    assert_eq!(webhook().sign(ID, TIMESTAMP, PAYLOAD), SIGNATURE);
    let value: serde_json::Value = webhook()
        .unwrap_at(PAYLOAD, vector_headers(), at(TIMESTAMP + 10))
        .unwrap();
    assert_eq!(value, serde_json::json!({"test": 2432232314_u64}));
}

#[test]
fn headers_come_as_a_header_map_with_any_case() {
    let mut map = HeaderMap::new();
    map.insert("Webhook-Id", HeaderValue::from_static(ID));
    map.insert("WEBHOOK-TIMESTAMP", HeaderValue::from_static("1614265330"));
    map.insert("webhook-signature", HeaderValue::from_static(SIGNATURE));
    map.insert("content-type", HeaderValue::from_static("application/json"));
    webhook().verify_at(PAYLOAD, &map, at(TIMESTAMP)).unwrap();
    let pairs = [
        ("WEBHOOK-ID", ID),
        ("Webhook-Timestamp", "1614265330"),
        ("Webhook-Signature", SIGNATURE),
    ];
    webhook().verify_at(PAYLOAD, pairs, at(TIMESTAMP)).unwrap();
}

#[test]
fn a_tampered_body_fails() {
    let err = webhook()
        .verify_at(br#"{"test": 2432232315}"#, vector_headers(), at(TIMESTAMP))
        .unwrap_err();
    assert_eq!(err, WebhookError::NoMatchingSignature);
    // So do a changed id and a changed timestamp.
    for (id, timestamp) in [("msg_other", TIMESTAMP), (ID, TIMESTAMP + 1)] {
        let err = webhook()
            .verify_at(
                PAYLOAD,
                headers(id, &timestamp.to_string(), SIGNATURE),
                at(TIMESTAMP),
            )
            .unwrap_err();
        assert_eq!(err, WebhookError::NoMatchingSignature);
    }
}

#[test]
fn a_wrong_secret_fails() {
    let other = Webhook::new("whsec_c2VjcmV0LW9mLWFub3RoZXItZW5kcG9pbnQ=").unwrap();
    let err = other
        .verify_at(PAYLOAD, vector_headers(), at(TIMESTAMP))
        .unwrap_err();
    assert_eq!(err, WebhookError::NoMatchingSignature);
}

#[test]
fn a_secret_without_the_prefix_is_its_raw_bytes() {
    let raw = Webhook::new("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    assert_eq!(raw.sign(ID, TIMESTAMP, PAYLOAD), RAW_KEY_SIGNATURE);
    raw.verify_at(
        PAYLOAD,
        headers(ID, "1614265330", RAW_KEY_SIGNATURE),
        at(TIMESTAMP),
    )
    .unwrap();
    // Not the same key as the decoded one.
    assert_eq!(
        raw.verify_at(PAYLOAD, vector_headers(), at(TIMESTAMP)),
        Err(WebhookError::NoMatchingSignature)
    );
}

#[test]
fn old_and_future_timestamps_fail() {
    let old = webhook()
        .verify_at(PAYLOAD, vector_headers(), at(TIMESTAMP + 301))
        .unwrap_err();
    assert!(
        matches!(old, WebhookError::TooOld { age, tolerance }
            if age == Duration::from_secs(301) && tolerance == DEFAULT_TOLERANCE),
        "{old:?}"
    );
    let new = webhook()
        .verify_at(PAYLOAD, vector_headers(), at(TIMESTAMP - 301))
        .unwrap_err();
    assert!(matches!(new, WebhookError::TooNew { .. }), "{new:?}");
    // The edges are inside.
    for now in [TIMESTAMP - 300, TIMESTAMP + 300] {
        webhook()
            .verify_at(PAYLOAD, vector_headers(), at(now))
            .unwrap();
    }
    // A wider tolerance accepts what the default refuses.
    webhook()
        .tolerance(Duration::from_secs(3600))
        .verify_at(PAYLOAD, vector_headers(), at(TIMESTAMP + 3000))
        .unwrap();
    // And the real clock is far past 2021.
    assert!(matches!(
        webhook().verify(PAYLOAD, vector_headers()),
        Err(WebhookError::TooOld { .. })
    ));
    assert!(matches!(
        webhooks::verify(PAYLOAD, vector_headers(), SECRET),
        Err(WebhookError::TooOld { .. })
    ));
}

#[test]
fn one_matching_signature_among_several_is_enough() {
    let several = format!(
        "v1,bm90IGl0 v2,{} v1a,abc v1,!!notbase64!! {SIGNATURE} v1,AAAA",
        &SIGNATURE[3..]
    );
    webhook()
        .verify_at(PAYLOAD, headers(ID, "1614265330", &several), at(TIMESTAMP))
        .unwrap();
    // A signature of another version never counts, even if its bytes match.
    let other_version = format!("v2,{}", &SIGNATURE[3..]);
    assert_eq!(
        webhook().verify_at(
            PAYLOAD,
            headers(ID, "1614265330", &other_version),
            at(TIMESTAMP)
        ),
        Err(WebhookError::NoMatchingSignature)
    );
    // Split over two headers, as a proxy may.
    let mut split = vector_headers();
    split[2].1 = "v1,bm90IGl0".into();
    split.push(("webhook-signature".into(), SIGNATURE.into()));
    webhook().verify_at(PAYLOAD, split, at(TIMESTAMP)).unwrap();
}

#[test]
fn missing_and_bad_headers_are_named() {
    for (drop, name) in [
        (0, "webhook-id"),
        (1, "webhook-timestamp"),
        (2, "webhook-signature"),
    ] {
        let mut partial = vector_headers();
        partial.remove(drop);
        assert_eq!(
            webhook().verify_at(PAYLOAD, partial, at(TIMESTAMP)),
            Err(WebhookError::MissingHeader(name))
        );
    }
    for bad in ["", "soon", "1614265330.5", "99999999999999999999"] {
        assert_eq!(
            webhook().verify_at(PAYLOAD, headers(ID, bad, SIGNATURE), at(TIMESTAMP)),
            Err(WebhookError::BadTimestamp),
            "{bad}"
        );
    }
}

#[test]
fn bad_secrets_are_refused() {
    assert!(matches!(
        Webhook::new("whsec_not base64!"),
        Err(WebhookError::BadSecret(_))
    ));
    assert!(matches!(Webhook::new(""), Err(WebhookError::BadSecret(_))));
    assert!(matches!(
        Webhook::new("whsec_"),
        Err(WebhookError::BadSecret(_))
    ));
    assert!(matches!(
        webhooks::unwrap::<serde_json::Value>(PAYLOAD, vector_headers(), "whsec_%%%"),
        Err(WebhookError::BadSecret(_))
    ));
}

#[test]
fn the_secret_is_never_shown() {
    let webhook = webhook();
    let shown = format!("{webhook:?}");
    assert!(!shown.contains("MfKQ9r8G"), "{shown}");
    let errors = [
        webhook
            .verify_at(b"tampered", vector_headers(), at(TIMESTAMP))
            .unwrap_err(),
        webhook
            .verify_at(PAYLOAD, vector_headers(), at(TIMESTAMP + 1000))
            .unwrap_err(),
        Webhook::new("whsec_MfKQ9r8G!!").unwrap_err(),
    ];
    for err in errors {
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains("MfKQ9r8G"), "{text}");
        }
    }
}

#[test]
fn unwrap_decodes_only_a_verified_body() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Event {
        test: String,
    }
    let err = webhook()
        .unwrap_at::<Event>(PAYLOAD, vector_headers(), at(TIMESTAMP))
        .unwrap_err();
    assert!(
        matches!(&err, WebhookError::Payload(message) if message.contains("at /test")),
        "{err:?}"
    );
    let err = webhook()
        .unwrap_at::<serde_json::Value>(b"{}", vector_headers(), at(TIMESTAMP))
        .unwrap_err();
    assert_eq!(err, WebhookError::NoMatchingSignature);
}

#[test]
fn debug_shows_the_tolerance_in_place_of_the_key() {
    let shown = format!("{:?}", webhook().tolerance(Duration::from_secs(42)));
    assert!(shown.starts_with("Webhook"), "{shown}");
    assert!(
        shown.contains("42s") && shown.contains("REDACTED"),
        "{shown}"
    );
}

#[test]
fn a_clock_before_1970_is_checked_the_same_way() {
    let webhook = webhook();
    let signature = webhook.sign(ID, -1000, PAYLOAD);
    let headers = headers(ID, "-1000", &signature);
    let before_1970 = UNIX_EPOCH - Duration::from_secs(1000);
    webhook
        .verify_at(PAYLOAD, headers.clone(), before_1970)
        .unwrap();
    // 1000 s after 1970 is 2000 s after the timestamp: too old.
    let err = webhook
        .verify_at(PAYLOAD, headers, UNIX_EPOCH + Duration::from_secs(1000))
        .unwrap_err();
    assert!(matches!(err, WebhookError::TooOld { .. }), "{err:?}");
}

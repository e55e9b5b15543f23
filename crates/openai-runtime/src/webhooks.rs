//! Checking that a webhook request really comes from the API, as the
//! Standard Webhooks specification defines it (which OpenAI's webhooks
//! follow).
//!
//! The sender signs `{webhook-id}.{webhook-timestamp}.{body}` with
//! HMAC-SHA256 under the endpoint's secret and sends the base64 signature
//! in `webhook-signature` as `v1,<signature>`; during a key rotation that
//! header holds several space-separated entries, any one of which may
//! match. The timestamp must be within a tolerance of now (five minutes by
//! default), so a captured request cannot be replayed later.
//!
//! ```
//! use openai_runtime::webhooks;
//!
//! let headers = [
//!     ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
//!     ("webhook-timestamp", "1614265330"),
//!     ("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
//! ];
//! let body = br#"{"test": 2432232314}"#;
//! let webhook = webhooks::Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
//! let signed_at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1614265330);
//! let value: serde_json::Value = webhook.unwrap_at(body, headers, signed_at).unwrap();
//! assert_eq!(value["test"], 2432232314_u64);
//! ```

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{KeyInit, Mac};
use serde::de::DeserializeOwned;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// How far a webhook's timestamp may be from now, either way, by default.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// The header with the message's unique id.
pub const ID_HEADER: &str = "webhook-id";
/// The header with the time of sending, in seconds since the Unix epoch.
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// The header with the signatures.
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// The prefix of a secret given in its usual base64 form.
const SECRET_PREFIX: &str = "whsec_";

/// Why a webhook was not accepted. Neither `Display` nor `Debug` ever holds
/// the secret, and none holds text from the request (which an attacker
/// chooses).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// A required header is missing (or not valid text).
    #[error("the webhook has no {0} header")]
    MissingHeader(&'static str),
    /// The `webhook-timestamp` header is not a whole number of seconds.
    #[error("the webhook-timestamp header is not a number of seconds")]
    BadTimestamp,
    /// The timestamp is older than the tolerance allows: possibly a replay.
    #[error("the webhook is too old: signed {age:?} ago, more than the {tolerance:?} allowed")]
    TooOld {
        /// How long ago it was signed.
        age: Duration,
        /// The tolerance it exceeded.
        tolerance: Duration,
    },
    /// The timestamp is further in the future than the tolerance allows.
    #[error(
        "the webhook's timestamp is {ahead:?} in the future, more than the {tolerance:?} allowed"
    )]
    TooNew {
        /// How far ahead of now it is.
        ahead: Duration,
        /// The tolerance it exceeded.
        tolerance: Duration,
    },
    /// No `v1` signature in `webhook-signature` matches the body under
    /// this secret: the body was changed, or the secret is not this
    /// endpoint's.
    #[error("no webhook signature matches (a changed body, or another endpoint's secret)")]
    NoMatchingSignature,
    /// The secret is unusable: empty, or `whsec_` followed by something
    /// that is not base64.
    #[error("the webhook secret is not valid: {0}")]
    BadSecret(&'static str),
    /// The signature matched, but the body did not decode as the type asked
    /// for (only from `unwrap`).
    #[error("the webhook body does not decode: {0}")]
    Payload(String),
}

/// An endpoint's webhook secret with the tolerance to check timestamps
/// with. Its `Debug` shows neither the secret nor the key.
#[derive(Clone)]
pub struct Webhook {
    key: Vec<u8>,
    tolerance: Duration,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("key", &"<REDACTED>")
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

impl Webhook {
    /// The verifier for `secret`: `whsec_` then base64 (the form the API
    /// shows), or else any other text, whose bytes are the key as they are.
    pub fn new(secret: &str) -> Result<Self, WebhookError> {
        let key = match secret.strip_prefix(SECRET_PREFIX) {
            Some(encoded) => STANDARD
                .decode(encoded.trim())
                .map_err(|_| WebhookError::BadSecret("the part after whsec_ is not base64"))?,
            None => secret.as_bytes().to_vec(),
        };
        if key.is_empty() {
            return Err(WebhookError::BadSecret("it is empty"));
        }
        Ok(Self {
            key,
            tolerance: DEFAULT_TOLERANCE,
        })
    }

    /// Accepts timestamps up to `tolerance` away from now, either way
    /// (default [`DEFAULT_TOLERANCE`]).
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Checks `payload` (the request body, byte for byte as received)
    /// against its `headers`, at the current time.
    ///
    /// `headers` is any list of `(name, value)` pairs, e.g. a
    /// `&http::HeaderMap` or an array of `(&str, &str)`; names are matched
    /// without regard to case.
    pub fn verify(&self, payload: &[u8], headers: impl Headers) -> Result<(), WebhookError> {
        self.verify_at(payload, headers, SystemTime::now())
    }

    /// [`verify`](Self::verify) as if the time were `now` (for tests, and
    /// for checking a stored request later on purpose).
    pub fn verify_at(
        &self,
        payload: &[u8],
        headers: impl Headers,
        now: SystemTime,
    ) -> Result<(), WebhookError> {
        let found = Found::collect(headers);
        let id = found.id.ok_or(WebhookError::MissingHeader(ID_HEADER))?;
        let timestamp = found
            .timestamp
            .ok_or(WebhookError::MissingHeader(TIMESTAMP_HEADER))?;
        if found.signatures.is_empty() {
            return Err(WebhookError::MissingHeader(SIGNATURE_HEADER));
        }
        let seconds: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| WebhookError::BadTimestamp)?;
        self.check_time(seconds, now)?;

        let mut mac = self.mac();
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(seconds.to_string().as_bytes());
        mac.update(b".");
        mac.update(payload);
        let matched = found
            .signatures
            .iter()
            .flat_map(|header| header.split(' '))
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|encoded| STANDARD.decode(encoded).ok())
            // Constant-time comparison: hmac's `verify_slice`.
            .any(|signature| mac.clone().verify_slice(&signature).is_ok());
        if matched {
            Ok(())
        } else {
            Err(WebhookError::NoMatchingSignature)
        }
    }

    /// [`verify`](Self::verify)s, then decodes the body as JSON into `T`.
    pub fn unwrap<T: DeserializeOwned>(
        &self,
        payload: &[u8],
        headers: impl Headers,
    ) -> Result<T, WebhookError> {
        self.unwrap_at(payload, headers, SystemTime::now())
    }

    /// [`unwrap`](Self::unwrap) as if the time were `now`.
    pub fn unwrap_at<T: DeserializeOwned>(
        &self,
        payload: &[u8],
        headers: impl Headers,
        now: SystemTime,
    ) -> Result<T, WebhookError> {
        self.verify_at(payload, headers, now)?;
        crate::union::from_slice(payload).map_err(|err| WebhookError::Payload(err.to_string()))
    }

    /// The `webhook-signature` value for a message: `v1,<base64>`. For
    /// tests and for local stand-ins of the API that send webhooks.
    pub fn sign(&self, id: &str, timestamp: i64, payload: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(payload);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes keys of any length; an error here cannot happen.
        <HmacSha256 as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
    }

    fn check_time(&self, seconds: i64, now: SystemTime) -> Result<(), WebhookError> {
        let now = match now.duration_since(UNIX_EPOCH) {
            Ok(since) => i128::from(since.as_secs()),
            Err(before) => -i128::from(before.duration().as_secs()),
        };
        let difference = now - i128::from(seconds);
        let tolerance = i128::from(self.tolerance.as_secs());
        let magnitude =
            Duration::from_secs(u64::try_from(difference.unsigned_abs()).unwrap_or(u64::MAX));
        if difference > tolerance {
            Err(WebhookError::TooOld {
                age: magnitude,
                tolerance: self.tolerance,
            })
        } else if -difference > tolerance {
            Err(WebhookError::TooNew {
                ahead: magnitude,
                tolerance: self.tolerance,
            })
        } else {
            Ok(())
        }
    }
}

/// What a webhook's headers may come as: any list of `(name, value)`
/// pairs, e.g. a `&http::HeaderMap` (reqwest's, axum's, hyper's) or an
/// array of `(&str, &str)`. Names are matched without regard to case.
pub trait Headers: IntoIterator<Item = (Self::Name, Self::Value)> {
    /// A header name.
    type Name: AsRef<str>;
    /// A header value.
    type Value: AsRef<[u8]>;
}

impl<I, K, V> Headers for I
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<[u8]>,
{
    type Name = K;
    type Value = V;
}

/// The three headers, found among any others.
struct Found {
    id: Option<String>,
    timestamp: Option<String>,
    /// Every `webhook-signature` header (a proxy may have split one).
    signatures: Vec<String>,
}

impl Found {
    fn collect(headers: impl Headers) -> Self {
        let mut found = Self {
            id: None,
            timestamp: None,
            signatures: Vec::new(),
        };
        for (name, value) in headers {
            let name = name.as_ref();
            let Ok(value) = std::str::from_utf8(value.as_ref()) else {
                continue;
            };
            if name.eq_ignore_ascii_case(ID_HEADER) {
                found.id.get_or_insert_with(|| value.to_owned());
            } else if name.eq_ignore_ascii_case(TIMESTAMP_HEADER) {
                found.timestamp.get_or_insert_with(|| value.to_owned());
            } else if name.eq_ignore_ascii_case(SIGNATURE_HEADER) {
                found.signatures.push(value.to_owned());
            }
        }
        found
    }
}

/// Checks a webhook with `secret` and the default tolerance, at the
/// current time; see [`Webhook::verify`].
pub fn verify(payload: &[u8], headers: impl Headers, secret: &str) -> Result<(), WebhookError> {
    Webhook::new(secret)?.verify(payload, headers)
}

/// Checks a webhook with `secret` and the default tolerance, at the
/// current time, then decodes its body as JSON into `T`; see
/// [`Webhook::unwrap`].
pub fn unwrap<T: DeserializeOwned>(
    payload: &[u8],
    headers: impl Headers,
    secret: &str,
) -> Result<T, WebhookError> {
    Webhook::new(secret)?.unwrap(payload, headers)
}

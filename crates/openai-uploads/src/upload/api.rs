//! The four calls the uploader makes, decoding only the fields it needs, so
//! that a reply our types cannot fully decode does not stop an upload.

use std::time::Duration;

use bytes::Bytes;
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};

use openai_runtime::{
    ApiResponse, Error, FilePart, Method, Multipart, Request, Result, encode_path,
};

use crate::{Client, CompleteUploadRequest, CreateUploadRequest, Upload};

/// What the uploader needs from a new Upload.
#[derive(Debug, Deserialize)]
pub(super) struct Created {
    pub id: String,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub created_at: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub expires_at: Option<i64>,
}

/// What the uploader needs from an acknowledged part.
#[derive(Debug, Deserialize)]
struct PartReply {
    id: String,
}

/// A completed Upload: the reply as received, and as far as it decodes.
#[derive(Debug)]
pub(super) struct CompletedReply {
    pub upload: Option<Upload>,
    pub body: Bytes,
    pub request_id: Option<String>,
}

/// How a `complete` went.
#[derive(Debug)]
pub(super) enum Complete {
    Completed(Box<CompletedReply>),
    /// The server says the Upload is completed already: this is a retry of
    /// a `complete` whose reply was lost.
    AlreadyCompleted,
}

/// A state an Upload cannot leave, as an error reply names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FinalState {
    Completed,
    Cancelled,
    Expired,
}

/// How a cancel went.
#[derive(Debug)]
pub(super) enum Cancel {
    Cancelled,
    /// The server says the Upload is completed (a `complete` whose reply
    /// was lost went through).
    AlreadyCompleted,
    /// The server says it is cancelled or expired already.
    Gone,
    Failed(Error),
}

/// What a cancel leaves the Upload as, for telling the caller.
#[derive(Debug)]
pub(super) struct Settled {
    /// Cancelled now, or already cancelled or expired: no longer pending.
    pub cancelled: bool,
    /// Completed: not cancelled, and not pending either.
    pub completed: bool,
    /// Why the cancel failed; the Upload may still be pending.
    pub error: Option<Error>,
}

impl Cancel {
    /// Whether the Upload ended up cancelled or completed, or why the cancel
    /// failed. A completed Upload is never counted as cancelled.
    pub(super) fn settled(self) -> Settled {
        let (cancelled, completed, error) = match self {
            Self::Cancelled | Self::Gone => (true, false, None),
            Self::AlreadyCompleted => (false, true, None),
            Self::Failed(err) => (false, false, Some(err)),
        };
        Settled {
            cancelled,
            completed,
            error,
        }
    }
}

pub(super) async fn create(client: &Client, params: &CreateUploadRequest) -> Result<Created> {
    let request = Request::new(Method::POST, "/uploads".to_owned()).json(params)?;
    client.execute(request).await.map(ApiResponse::into_data)
}

/// One attempt at sending a part; see [`openai_runtime::Client::execute_once`].
pub(super) async fn add_part(
    client: &Client,
    upload_id: &str,
    data: FilePart,
    attempt: u32,
) -> std::result::Result<String, (Error, Option<Duration>)> {
    let path = format!(
        "/uploads/{}/parts",
        encode_path("upload_id", upload_id).map_err(|err| (err, None))?
    );
    // A 409 is a state conflict (the Upload is no longer pending): no retry heals it.
    let request = Request::new(Method::POST, path)
        .multipart(Multipart::new().file("data", data))
        .retry_conflicts(false);
    match client.execute_once::<PartReply>(&request, attempt).await {
        Ok(reply) => Ok(reply.data.id),
        Err(failed) => Err((*failed.error, failed.retry_after)),
    }
}

pub(super) async fn complete(
    client: &Client,
    upload_id: &str,
    params: &CompleteUploadRequest,
) -> Result<Complete> {
    let path = format!("/uploads/{}/complete", encode_path("upload_id", upload_id)?);
    let request = Request::new(Method::POST, path)
        .json(params)?
        .retry_conflicts(false);
    match client.execute::<IgnoredAny>(request).await {
        Ok(reply) => Ok(Complete::Completed(Box::new(CompletedReply {
            upload: serde_json::from_slice(&reply.body).ok(),
            body: reply.body,
            request_id: reply.request_id,
        }))),
        // A 2xx reply that is not even JSON: the server still completed it.
        // Its whole body, as received (the error's snippet is only its start).
        Err(Error::Decode {
            body,
            request_id,
            status,
            ..
        }) if status.is_success() => Ok(Complete::Completed(Box::new(CompletedReply {
            upload: None,
            body,
            request_id,
        }))),
        Err(err) if final_state(&err) == Some(FinalState::Completed) => {
            Ok(Complete::AlreadyCompleted)
        }
        Err(err) => Err(err),
    }
}

pub(super) async fn cancel(client: &Client, upload_id: &str) -> Cancel {
    let path = match encode_path("upload_id", upload_id) {
        Ok(id) => format!("/uploads/{id}/cancel"),
        Err(err) => return Cancel::Failed(err),
    };
    match client
        .execute::<IgnoredAny>(Request::new(Method::POST, path).retry_conflicts(false))
        .await
    {
        Ok(_) => Cancel::Cancelled,
        Err(err) => match final_state(&err) {
            Some(FinalState::Completed) => Cancel::AlreadyCompleted,
            Some(FinalState::Cancelled | FinalState::Expired) => Cancel::Gone,
            None => Cancel::Failed(err),
        },
    }
}

/// The final state a 400 or 409 error reply says the Upload is in already.
///
/// The error's `code` is read first: a code whose last word is the state
/// (`upload_already_completed`, `upload_cancelled`, `expired`) and that has
/// no `not` in it. OpenAI sends no code for this today (`code` is null), so
/// the message is the fallback: "Upload is completed", "Upload is already
/// completed", "its status is 'completed'" ([`PHRASES`]). `cancelled` also
/// matches the American "canceled".
pub(super) fn final_state(err: &Error) -> Option<FinalState> {
    let Error::Api { status, body, .. } = err else {
        return None;
    };
    if !matches!(status.as_u16(), 400 | 409) {
        return None;
    }
    let body = body.as_ref()?;
    if let Some(code) = body.code.as_deref().map(str::to_ascii_lowercase) {
        let words: Vec<&str> = code.split(['_', '.', '-', ' ']).collect();
        let state = words.last().and_then(|word| state_named(word));
        if let Some(state) = state.filter(|_| !words.contains(&"not")) {
            return Some(state);
        }
    }
    let message = body.message.to_ascii_lowercase();
    STATES.iter().find_map(|(word, state)| {
        PHRASES
            .iter()
            .any(|phrase| message.contains(&phrase.replace("{state}", word)))
            .then_some(*state)
    })
}

/// The words for each final state.
const STATES: [(&str, FinalState); 4] = [
    ("completed", FinalState::Completed),
    ("cancelled", FinalState::Cancelled),
    ("canceled", FinalState::Cancelled),
    ("expired", FinalState::Expired),
];

/// How OpenAI's messages say an Upload is in `{state}` already.
const PHRASES: [&str; 4] = [
    "is {state}",
    "already {state}",
    "status is '{state}'",
    "status is \"{state}\"",
];

fn state_named(word: &str) -> Option<FinalState> {
    STATES
        .iter()
        .find(|(name, _)| *name == word)
        .map(|(_, state)| *state)
}

/// An integer, or `None` for anything else (a string, a float, null).
fn lenient_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    Ok(serde_json::Value::deserialize(deserializer)?.as_i64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, message: &str) -> Error {
        coded(status, message, None)
    }

    fn coded(status: u16, message: &str, code: Option<&str>) -> Error {
        Error::Api {
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            request_id: None,
            method: Method::POST,
            path: "/uploads/u/complete".into(),
            body: Some(Box::new(openai_runtime::ApiErrorBody {
                message: message.into(),
                code: code.map(str::to_owned),
                ..Default::default()
            })),
            raw: String::new(),
        }
    }

    #[test]
    fn recognises_final_states() {
        let completed = api(
            400,
            "Cannot cancel upload 'u': Upload is already completed.",
        );
        assert_eq!(final_state(&completed), Some(FinalState::Completed));
        assert_eq!(
            final_state(&api(400, "Upload is completed")),
            Some(FinalState::Completed)
        );
        assert_eq!(
            final_state(&api(409, "Upload is canceled")),
            Some(FinalState::Cancelled)
        );
        assert_eq!(
            final_state(&api(409, "Upload is cancelled")),
            Some(FinalState::Cancelled)
        );
        assert_eq!(final_state(&api(500, "Upload is completed")), None);
        assert_eq!(final_state(&api(400, "Upload is not completed")), None);
        assert_eq!(final_state(&api(400, "Upload is pending")), None);
        let expired = "Cannot cancel upload 'u': its status is 'expired', not 'pending'.";
        assert_eq!(final_state(&api(400, expired)), Some(FinalState::Expired));
    }

    #[test]
    fn a_code_is_read_before_the_message() {
        assert_eq!(
            final_state(&coded(
                400,
                "Upload is cancelled",
                Some("upload_already_completed")
            )),
            Some(FinalState::Completed)
        );
        assert_eq!(
            final_state(&coded(400, "Something went wrong", Some("upload_expired"))),
            Some(FinalState::Expired)
        );
        // A code that names no final state leaves it to the message.
        assert_eq!(
            final_state(&coded(
                400,
                "Upload is expired",
                Some("upload_not_completed")
            )),
            Some(FinalState::Expired)
        );
        assert_eq!(
            final_state(&coded(400, "Upload is pending", Some("invalid_state"))),
            None
        );
    }

    #[test]
    fn created_replies_decode_leniently() {
        let created: Created =
            serde_json::from_str(r#"{"id":"u","expires_at":"soon","extra":1}"#).unwrap();
        assert_eq!(created.id, "u");
        assert_eq!(created.expires_at, None);
        assert_eq!(created.created_at, None);
    }
}

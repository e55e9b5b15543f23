//! The four calls the uploader makes, through the generated operations
//! (their routes, encoding and 409 policy), decoding only the fields it
//! needs, so that a reply our types cannot fully decode does not stop an
//! upload.

use std::time::Duration;

use bytes::Bytes;
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};

use openai_runtime::{Error, FilePart, Result};

use crate::{AddUploadPartRequest, Client, CompleteUploadRequest, CreateUploadRequest, Upload};

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

/// The longest id a server may give an Upload or a Part. OpenAI's are a
/// few dozen characters; anything near this is a broken or hostile server,
/// and an id is kept, journaled after every Part and sent back in
/// `complete`, so its size is multiplied.
pub const MAX_ID_LEN: usize = 256;

/// Refuses an id the server chose that cannot be kept or used as a path
/// segment: empty, `.`, `..`, or longer than [`MAX_ID_LEN`] bytes. (Other
/// characters are percent-encoded in paths and escaped on a terminal.) The error is a bad reply that keeps nothing of it
/// but its start.
pub(super) fn check_id(
    what: &str,
    id: &str,
    status: reqwest::StatusCode,
    request_id: Option<String>,
) -> Result<()> {
    let why = if id.len() > MAX_ID_LEN {
        format!(
            "the {what} id is {} bytes long, more than the {MAX_ID_LEN} an id may be",
            id.len()
        )
    } else if matches!(id, "" | "." | "..") {
        format!("the {what} id {id:?} cannot name anything in a path")
    } else {
        return Ok(());
    };
    let start: String = id.chars().take(64).collect();
    Err(bad_reply(why, start, status, request_id))
}

/// A 2xx reply the uploader cannot accept, as [`Error::Decode`]: `why`,
/// and the part of the body worth showing.
fn bad_reply(
    why: String,
    shown: String,
    status: reqwest::StatusCode,
    request_id: Option<String>,
) -> Error {
    Error::Decode {
        source: <serde_json::Error as serde::de::Error>::custom(why),
        body: Bytes::from(shown.clone()),
        snippet: shown,
        request_id,
        status,
    }
}

pub(super) async fn create(client: &Client, params: &CreateUploadRequest) -> Result<Created> {
    let reply = client
        .uploads()
        .create(params)
        .decode_as::<Created>()
        .with_response()
        .await?;
    check_id("Upload", &reply.data.id, reply.status, reply.request_id)?;
    Ok(reply.data)
}

/// One attempt at sending a part; see [`openai_runtime::Client::execute_once`].
pub(super) async fn add_part(
    client: &Client,
    upload_id: &str,
    data: FilePart,
    attempt: u32,
) -> std::result::Result<String, (Error, Option<Duration>)> {
    let part = AddUploadPartRequest { data };
    // Sent once: the uploader retries each Part itself. A 409 is a state
    // conflict (the Upload is no longer pending): no retry heals it.
    let request = client
        .uploads()
        .parts()
        .create(upload_id, &part)
        .into_request()
        .map_err(|err| (err, None))?
        .retry_conflicts(false);
    match client.execute_once::<PartReply>(&request, attempt).await {
        Ok(reply) => {
            check_id("Part", &reply.data.id, reply.status, reply.request_id)
                .map_err(|err| (err, None))?;
            Ok(reply.data.id)
        }
        Err(failed) => Err((*failed.error, failed.retry_after)),
    }
}

pub(super) async fn complete(
    client: &Client,
    upload_id: &str,
    params: &CompleteUploadRequest,
) -> Result<Complete> {
    let call = client.uploads().complete(upload_id, params);
    match call.decode_as::<IgnoredAny>().with_response().await {
        Ok(reply) => {
            confirms(upload_id, &reply.body, reply.status, &reply.request_id)?;
            Ok(Complete::Completed(Box::new(CompletedReply {
                upload: serde_json::from_slice(&reply.body).ok(),
                body: reply.body,
                request_id: reply.request_id,
            })))
        }
        // A 2xx reply that is not even JSON confirms nothing.
        Err(Error::Decode {
            body,
            request_id,
            status,
            ..
        }) if status.is_success() => Err(bad_reply(
            "the reply to `complete` is not an Upload".to_owned(),
            shown(&body),
            status,
            request_id,
        )),
        Err(err) if final_state(&err) == Some(FinalState::Completed) => {
            Ok(Complete::AlreadyCompleted)
        }
        Err(err) => Err(err),
    }
}

/// The start of a body, on one line and safe on a terminal.
fn shown(body: &[u8]) -> String {
    let start = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
    openai_runtime::text::printable(&start, false)
}

/// Whether a 2xx reply to `complete` says that our Upload is completed:
/// an object whose `id` is ours and whose `status` is `completed`. Any
/// other reply (another Upload, a pending one, HTML, a truncated body)
/// confirms nothing: the Upload may or may not be completed.
fn confirms(
    upload_id: &str,
    body: &[u8],
    status: reqwest::StatusCode,
    request_id: &Option<String>,
) -> Result<()> {
    #[derive(Deserialize)]
    struct Named {
        id: Option<String>,
        status: Option<String>,
    }
    let why = match serde_json::from_slice::<Named>(body) {
        Err(_) => "the reply to `complete` is not an Upload".to_owned(),
        Ok(named) if named.id.as_deref() != Some(upload_id) => format!(
            "the reply to `complete` names another Upload ({})",
            named
                .id
                .as_deref()
                .map_or("none".to_owned(), |id| openai_runtime::one_line(id, 64))
        ),
        Ok(named) if named.status.as_deref() != Some("completed") => format!(
            "the reply to `complete` says the Upload is {}, not completed",
            named
                .status
                .as_deref()
                .map_or("without a status".to_owned(), |s| openai_runtime::one_line(
                    s, 64
                ))
        ),
        Ok(_) => return Ok(()),
    };
    Err(bad_reply(why, shown(body), status, request_id.clone()))
}

/// Whether an error says the server does not know the Upload: a 404, or a
/// 400 or 409 whose code or message says it was not found.
pub(super) fn unknown_upload(err: &Error) -> bool {
    let Error::Api { status, body, .. } = err else {
        return false;
    };
    match status.as_u16() {
        404 => true,
        400 | 409 => body.as_ref().is_some_and(|body| {
            let code = body
                .code
                .as_deref()
                .unwrap_or_default()
                .to_ascii_lowercase();
            let message = body.message.to_ascii_lowercase();
            code.contains("not_found")
                || message.contains("not found")
                || message.contains("no such upload")
        }),
        _ => false,
    }
}

pub(super) async fn cancel(client: &Client, upload_id: &str) -> Cancel {
    match client
        .uploads()
        .cancel(upload_id)
        .decode_as::<IgnoredAny>()
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
    use openai_runtime::Method;

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

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
) -> Result<CompletedReply> {
    let path = format!("/uploads/{}/complete", encode_path("upload_id", upload_id)?);
    let request = Request::new(Method::POST, path)
        .json(params)?
        .retry_conflicts(false);
    match client.execute::<IgnoredAny>(request).await {
        Ok(reply) => Ok(CompletedReply {
            upload: serde_json::from_slice(&reply.body).ok(),
            body: reply.body,
            request_id: reply.request_id,
        }),
        // A 2xx reply that is not even JSON: the server still completed it.
        // Its whole body, as received (the error's snippet is only its start).
        Err(Error::Decode {
            body,
            request_id,
            status,
            ..
        }) if status.is_success() => Ok(CompletedReply {
            upload: None,
            body,
            request_id,
        }),
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
        Err(err) if is_already(&err, "completed") => Cancel::AlreadyCompleted,
        Err(err) if is_already(&err, "cancelled") || is_already(&err, "expired") => Cancel::Gone,
        Err(err) => Cancel::Failed(err),
    }
}

/// Whether an error reply says the Upload is in `state` already: "Upload is
/// completed", "Upload is already completed", "its status is 'completed'"
/// (there is no error code for it). `cancelled` also matches the American
/// "canceled".
pub(super) fn is_already(err: &Error, state: &str) -> bool {
    let Error::Api { status, body, .. } = err else {
        return false;
    };
    if !matches!(status.as_u16(), 400 | 409) {
        return false;
    }
    let Some(message) = body.as_ref().map(|body| body.message.to_ascii_lowercase()) else {
        return false;
    };
    let states: &[&str] = match state {
        "cancelled" => &["cancelled", "canceled"],
        other => &[other],
    };
    states.iter().any(|state| {
        [
            format!("is {state}"),
            format!("already {state}"),
            format!("status is '{state}'"),
            format!("status is \"{state}\""),
        ]
        .iter()
        .any(|phrase| message.contains(phrase.as_str()))
    })
}

/// An integer, or `None` for anything else (a string, a float, null).
fn lenient_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    Ok(serde_json::Value::deserialize(deserializer)?.as_i64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, message: &str) -> Error {
        Error::Api {
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            request_id: None,
            method: Method::POST,
            path: "/uploads/u/complete".into(),
            body: Some(Box::new(openai_runtime::ApiErrorBody {
                message: message.into(),
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
        assert!(is_already(&completed, "completed"));
        assert!(!is_already(&completed, "cancelled"));
        assert!(is_already(&api(400, "Upload is completed"), "completed"));
        assert!(is_already(&api(409, "Upload is canceled"), "cancelled"));
        assert!(!is_already(&api(500, "Upload is completed"), "completed"));
        assert!(!is_already(
            &api(400, "Upload is not completed"),
            "completed"
        ));
        let expired = "Cannot cancel upload 'u': its status is 'expired', not 'pending'.";
        assert!(is_already(&api(400, expired), "expired"));
        assert!(!is_already(&api(400, expired), "pending"));
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

//! A successful reply: the decoded value plus what came with it.

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::Serialize;

/// A decoded 2xx reply, with its status, headers, request id and raw body.
///
/// What a [`Call`](crate::Call)'s `with_response()` gives, for example
/// `client.uploads().cancel(id).with_response().await`.
#[derive(Debug, Clone)]
pub struct ApiResponse<T> {
    /// The decoded body.
    pub data: T,
    /// The HTTP status.
    pub status: StatusCode,
    /// The reply's headers.
    pub headers: HeaderMap,
    /// The `x-request-id` header, to quote in support requests.
    pub request_id: Option<String>,
    /// The raw body, as received.
    pub body: Bytes,
}

impl<T> ApiResponse<T> {
    /// The decoded body alone.
    pub fn into_data(self) -> T {
        self.data
    }

    /// Converts the decoded body, keeping everything else.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> ApiResponse<U> {
        ApiResponse {
            data: f(self.data),
            status: self.status,
            headers: self.headers,
            request_id: self.request_id,
            body: self.body,
        }
    }
}

impl<T: Serialize> ApiResponse<T> {
    /// The decoded body as a JSON value (re-serialized from `data`, so
    /// unknown fields the type drops are not in it; see `body` for those).
    pub fn into_json(self) -> ApiResponse<serde_json::Value> {
        let value = serde_json::to_value(&self.data)
            .or_else(|_| serde_json::from_slice(&self.body))
            .unwrap_or(serde_json::Value::Null);
        ApiResponse {
            data: value,
            status: self.status,
            headers: self.headers,
            request_id: self.request_id,
            body: self.body,
        }
    }
}

//! OpenAI-style error replies: `{"error":{"message","type","param","code"}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error reply, in the shape the OpenAI API uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub kind: &'static str,
    pub param: Option<&'static str>,
    pub code: Option<&'static str>,
}

impl ApiError {
    fn invalid_request(status: StatusCode, message: String) -> Self {
        Self {
            status,
            message,
            kind: "invalid_request_error",
            param: None,
            code: None,
        }
    }

    pub fn no_such_upload(id: &str) -> Self {
        Self::invalid_request(StatusCode::NOT_FOUND, format!("No such upload: '{id}'"))
    }

    /// An operation that needs a pending Upload met one in another state,
    /// e.g. "Cannot cancel upload 'upload_1': Upload is already completed."
    ///
    /// The API reference does not document this error. The 400, the
    /// `invalid_request_error` type and the wording are our assumption;
    /// clients should rely on the status and type, not the message.
    pub fn not_pending(id: &str, action: &str, status: &str) -> Self {
        Self::invalid_request(
            StatusCode::BAD_REQUEST,
            format!("Cannot {action} upload '{id}': Upload is already {status}."),
        )
    }

    pub fn missing_api_key() -> Self {
        Self::invalid_request(
            StatusCode::UNAUTHORIZED,
            "No API key provided. Send it in an Authorization header: \
             `Authorization: Bearer YOUR_API_KEY`."
                .to_owned(),
        )
    }

    pub fn malformed_authorization() -> Self {
        Self::invalid_request(
            StatusCode::UNAUTHORIZED,
            "The Authorization header must be `Bearer YOUR_API_KEY`.".to_owned(),
        )
    }

    /// Never echoes the key it was given.
    pub fn incorrect_api_key() -> Self {
        Self {
            code: Some("invalid_api_key"),
            ..Self::invalid_request(
                StatusCode::UNAUTHORIZED,
                "Incorrect API key provided.".to_owned(),
            )
        }
    }

    pub fn invalid_url(method: &str, path: &str) -> Self {
        Self::invalid_request(
            StatusCode::NOT_FOUND,
            format!("Invalid URL ({method} {path})"),
        )
    }

    pub fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::invalid_request(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("Method {method} is not allowed on {path}"),
        )
    }

    pub fn invalid_path(detail: &str) -> Self {
        Self::invalid_request(
            StatusCode::BAD_REQUEST,
            format!("Invalid path parameter: {detail}"),
        )
    }

    /// A 400 about one request parameter.
    pub fn bad_param(param: &'static str, code: &'static str, message: String) -> Self {
        Self {
            param: Some(param),
            code: Some(code),
            ..Self::invalid_request(StatusCode::BAD_REQUEST, message)
        }
    }

    pub fn missing_param(param: &'static str) -> Self {
        Self::bad_param(
            param,
            "missing_required_parameter",
            format!("Missing required parameter: '{param}'."),
        )
    }

    pub fn invalid_type(param: &'static str, expected: &str, got: &str) -> Self {
        Self::bad_param(
            param,
            "invalid_type",
            format!("Invalid type for '{param}': expected {expected}, but got {got} instead."),
        )
    }

    pub fn invalid_value(param: &'static str, message: String) -> Self {
        Self::bad_param(param, "invalid_value", message)
    }

    pub fn unknown_param(name: &str) -> Self {
        Self {
            code: Some("unknown_parameter"),
            ..Self::invalid_request(
                StatusCode::BAD_REQUEST,
                format!("Unrecognized request argument supplied: {name}"),
            )
        }
    }

    /// A request that breaks a rule of the Upload it names.
    pub fn bad_request(message: String) -> Self {
        Self::invalid_request(StatusCode::BAD_REQUEST, message)
    }

    pub fn too_large(message: String) -> Self {
        Self::invalid_request(StatusCode::PAYLOAD_TOO_LARGE, message)
    }

    pub fn internal(message: String) -> Self {
        Self {
            kind: "server_error",
            ..Self::invalid_request(StatusCode::INTERNAL_SERVER_ERROR, message)
        }
    }

    /// The error a [`crate::FaultKind::Status`] injects: a `server_error`
    /// for 5xx, an `invalid_request_error` for 4xx.
    pub fn fault(status: StatusCode, what: &str) -> Self {
        Self {
            kind: if status.is_server_error() {
                "server_error"
            } else {
                "invalid_request_error"
            },
            ..Self::invalid_request(
                status,
                format!("The fake failed this {what} on purpose (fault injection)."),
            )
        }
    }

    /// The failure `Config::fail_part` injects.
    pub fn injected(status: StatusCode, n: usize) -> Self {
        Self {
            kind: "server_error",
            ..Self::invalid_request(
                status,
                format!("The fake failed part request #{n} on purpose (fail_part)."),
            )
        }
    }

    /// The JSON body of this error.
    pub fn body(&self) -> serde_json::Value {
        json!({
            "error": {
                "message": self.message,
                "type": self.kind,
                "param": self.param,
                "code": self.code,
            }
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

//! The HTTP surface: routes under `/v1`, the bearer check and `x-request-id`.

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::FakeState;
use crate::error::ApiError;
use crate::model::Upload;

/// The fake's routes, wrapped in the auth and request-id middleware.
pub fn router(state: FakeState) -> Router {
    Router::new()
        .route("/v1/uploads/{upload_id}/cancel", post(cancel_upload))
        .fallback(invalid_url)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .with_state(state)
}

async fn cancel_upload(
    State(state): State<FakeState>,
    upload_id: Result<Path<String>, PathRejection>,
) -> Result<axum::Json<Upload>, ApiError> {
    let Path(upload_id) = upload_id.map_err(|e| ApiError::invalid_path(&e.body_text()))?;
    state.with_store(|store, now| store.cancel(&upload_id, now).map(axum::Json))
}

async fn invalid_url(request: Request) -> ApiError {
    ApiError::invalid_url(request.method().as_str(), request.uri().path())
}

async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::method_not_allowed(request.method().as_str(), request.uri().path())
}

/// Checks the bearer token, then tags the reply (whatever it is) with a request id.
async fn gate(State(state): State<FakeState>, request: Request, next: Next) -> Response {
    let mut response = match check_bearer(&state, request.headers()) {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(&state.next_request_id()) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

fn check_bearer(state: &FakeState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::missing_api_key());
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::malformed_authorization())?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(ApiError::malformed_authorization)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::malformed_authorization());
    }
    match state.api_key() {
        Some(expected) if expected != token => Err(ApiError::incorrect_api_key()),
        _ => Ok(()),
    }
}

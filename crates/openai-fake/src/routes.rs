//! The HTTP surface: routes under `/v1`, the bearer check and `x-request-id`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Extension, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::FakeState;
use crate::digest::Md5Hex;
use crate::error::ApiError;
use crate::faults::FaultKind;
use crate::log::LogEntry;
use crate::model::Upload;
use crate::params;
use crate::parts::{self, PART_BODY_LIMIT};
use crate::replies;
use crate::store::PartBody;

/// The fake's routes, wrapped in the auth, request-id and logging middleware.
pub fn router(state: FakeState) -> Router {
    Router::new()
        .route("/v1/uploads", post(create_upload))
        .route(
            "/v1/uploads/{upload_id}/parts",
            post(parts::add_part).layer(DefaultBodyLimit::max(PART_BODY_LIMIT)),
        )
        .route("/v1/uploads/{upload_id}/complete", post(complete_upload))
        .route("/v1/uploads/{upload_id}/cancel", post(cancel_upload))
        .fallback(invalid_url)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .with_state(state)
}

async fn create_upload(
    State(state): State<FakeState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<axum::Json<Upload>, ApiError> {
    let new = params::parse_create(&body.map_err(body_error)?)?;
    let ttl = state.ttl_secs();
    Ok(axum::Json(
        state.with_store(|store, now| store.create(new, now, ttl)),
    ))
}

async fn complete_upload(
    State(state): State<FakeState>,
    Extension(entry): Extension<LogEntry>,
    upload_id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Path(upload_id) = upload_id.map_err(|e| ApiError::invalid_path(&e.body_text()))?;
    let completion = params::parse_complete(&body.map_err(body_error)?)?;
    let data = state
        .with_store(|store, now| store.parts_to_complete(&upload_id, &completion.part_ids, now))?;
    // Hashed outside the lock and off the async workers: a big Upload takes
    // seconds, and other requests must not wait for it.
    let data = match completion.md5 {
        Some(expected) if state.verifies_md5() => {
            let (data, actual) =
                tokio::task::spawn_blocking(move || md5_hex(&data).map(|actual| (data, actual)))
                    .await
                    .map_err(|e| ApiError::internal(format!("hashing the parts failed: {e}")))??;
            if actual != expected {
                return Err(ApiError::invalid_value(
                    "md5",
                    format!(
                        "The md5 you sent ({expected}) does not match the md5 of the \
                         assembled parts ({actual})."
                    ),
                ));
            }
            data
        }
        _ => data,
    };
    // Every check passed: this is where a completion fault fires.
    let fault = state.faults().take_complete();
    if let Some(kind) = fault.filter(|kind| *kind != FaultKind::StoreThenDrop) {
        state.log().set_fault(entry, kind);
        return Ok(replies::sabotage(&state, kind, "completion").await);
    }
    let keep = state.keep_file_bytes();
    let done = state.with_store(|store, now| store.finish_complete(&upload_id, data, keep, now))?;
    if let Some(kind) = fault {
        // Completed, and the client will never hear of it.
        state.log().set_fault(entry, kind);
        return Ok(replies::dropped());
    }
    Ok(axum::Json(done).into_response())
}

async fn cancel_upload(
    State(state): State<FakeState>,
    upload_id: Result<Path<String>, PathRejection>,
) -> Result<axum::Json<Upload>, ApiError> {
    let Path(upload_id) = upload_id.map_err(|e| ApiError::invalid_path(&e.body_text()))?;
    state.with_store(|store, now| store.cancel(&upload_id, now).map(axum::Json))
}

/// Lowercase hex md5 of the parts, in order. Parts kept only as a count
/// cannot be hashed (the fake keeps data whenever it checks md5).
fn md5_hex(parts: &[PartBody]) -> Result<String, ApiError> {
    let mut md5 = Md5Hex::default();
    for part in parts {
        let chunks = part
            .chunks()
            .ok_or_else(|| ApiError::internal("a part's bytes were not kept".to_owned()))?;
        for chunk in chunks {
            md5.update(chunk);
        }
    }
    Ok(md5.finish())
}

fn body_error(rejection: BytesRejection) -> ApiError {
    if rejection.status().as_u16() == 413 {
        ApiError::too_large("The request body is too large.".to_owned())
    } else {
        ApiError::bad_request(format!(
            "The request body could not be read: {}",
            rejection.body_text()
        ))
    }
}

async fn invalid_url(request: Request) -> ApiError {
    ApiError::invalid_url(request.method().as_str(), request.uri().path())
}

async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::method_not_allowed(request.method().as_str(), request.uri().path())
}

/// Logs the request, checks the bearer token, then tags the reply (whatever
/// it is) with a request id.
async fn gate(State(state): State<FakeState>, mut request: Request, next: Next) -> Response {
    let entry = state
        .log()
        .start(request.method().as_str(), request.uri().path());
    request.extensions_mut().insert(LogEntry(entry));
    let mut response = match check_bearer(&state, request.headers()) {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(&state.next_request_id()) {
        response.headers_mut().insert("x-request-id", value);
    }
    state.log().finish(entry, response.status().as_u16());
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

//! `POST /v1/uploads/{upload_id}/parts`: a multipart body with one file
//! field, `data`, of at most 64 MiB.

use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::rejection::PathRejection;
use axum::extract::{Extension, Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::FakeState;
use crate::digest::Md5Hex;
use crate::error::ApiError;
use crate::faults::{FaultKind, PartIdentity};
use crate::log::{LogEntry, PartInfo};
use crate::replies;
use crate::store::PartBody;

/// The largest Part. The API says "64 MB"; like the client library we read
/// it as 64 MiB.
pub const MAX_PART_BYTES: u64 = 64 * 1024 * 1024;

/// The route's body limit: a Part plus room for the multipart framing.
pub const PART_BODY_LIMIT: usize = MAX_PART_BYTES as usize + 1024 * 1024;

/// A Part as read from a request: its bytes (or only their count) and,
/// when the fake hashes Parts, their md5.
struct Received {
    body: PartBody,
    md5: Option<String>,
}

pub(crate) async fn add_part(
    State(state): State<FakeState>,
    Extension(entry): Extension<LogEntry>,
    upload_id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let n = state.count_part_request();
    match receive(&state, entry, n, upload_id, &headers, multipart).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn receive(
    state: &FakeState,
    entry: LogEntry,
    n: usize,
    upload_id: Result<Path<String>, PathRejection>,
    headers: &HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let Path(upload_id) = upload_id.map_err(|e| ApiError::invalid_path(&e.body_text()))?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // Refused before a byte of the body is read.
    if declared.is_some_and(|len| len > PART_BODY_LIMIT as u64) {
        return Err(body_too_large());
    }
    let mut multipart = multipart.map_err(|e| {
        ApiError::bad_request(format!(
            "A part must be sent as multipart/form-data with a file field 'data' ({}).",
            e.body_text()
        ))
    })?;
    if let Err(error) =
        state.with_store(|store, now| store.ensure_pending(&upload_id, now, "add a part to"))
    {
        // Read the body anyway, so the client sees this reply rather than
        // a connection reset.
        drain(&mut multipart).await;
        return Err(error);
    }
    let received = read_data(
        &mut multipart,
        state.keeps_part_data(),
        state.hashes_parts(),
    )
    .await?;
    let info = PartInfo {
        bytes: received.body.len(),
        md5: received.md5.clone(),
        id: None,
    };
    state.log().set_part(entry, info);
    let delay = state.part_delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if let Some(status) = state.injected_failure(n) {
        state
            .log()
            .set_fault(entry, FaultKind::Status(status.as_u16()));
        return Ok(fail_part_reply(status, n));
    }
    store(state, entry, n, &upload_id, received).await
}

/// The reply [`crate::Config::fail_part`] asks for: an error that tells
/// the client whether to retry.
fn fail_part_reply(status: StatusCode, n: usize) -> Response {
    let mut response = ApiError::injected(status, n).into_response();
    let retry = if matches!(status.as_u16(), 408 | 429) {
        "true"
    } else {
        "false"
    };
    response
        .headers_mut()
        .insert("x-should-retry", HeaderValue::from_static(retry));
    response
}

/// Stores a Part that passed every check, unless a fault for request `n`
/// or for this Part says otherwise.
async fn store(
    state: &FakeState,
    entry: LogEntry,
    n: usize,
    upload_id: &str,
    Received { body, md5 }: Received,
) -> Result<Response, ApiError> {
    let identity = md5.map(|md5| PartIdentity {
        upload_id: upload_id.to_owned(),
        bytes: body.len(),
        md5,
    });
    let fault = state.faults().for_part(n, identity);
    if let Some(kind) = fault.filter(|kind| *kind != FaultKind::StoreThenDrop) {
        state.log().set_fault(entry, kind);
        return Ok(replies::sabotage(state, kind, "part request").await);
    }
    let part = state.with_store(|store, now| store.add_part(upload_id, body, now))?;
    state.log().set_part_id(entry, &part.id);
    if let Some(kind) = fault {
        // Stored, and the client will never hear of it.
        state.log().set_fault(entry, kind);
        return Ok(replies::dropped());
    }
    Ok(axum::Json(part).into_response())
}

/// The `data` field's bytes (or only their count, unless `keep`), and
/// their md5 if `hash`. Reads the whole body even when it finds a problem,
/// then reports the first one.
async fn read_data(
    multipart: &mut Multipart,
    keep: bool,
    hash: bool,
) -> Result<Received, ApiError> {
    let mut data: Option<Received> = None;
    let mut problem: Option<ApiError> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        let refusal = match field.name() {
            Some("data") if data.is_some() => Some(ApiError::invalid_value(
                "data",
                "The field 'data' is sent more than once.".to_owned(),
            )),
            // A file field has a filename; a plain text field does not.
            Some("data") if field.file_name().is_none() => Some(ApiError::invalid_type(
                "data",
                "a file (a part with a filename)",
                "a text field",
            )),
            Some("data") => None,
            Some(name) => Some(ApiError::unknown_param(name)),
            None => Some(ApiError::bad_request(
                "A multipart field has no name.".to_owned(),
            )),
        };
        if let Some(refusal) = refusal {
            problem.get_or_insert(refusal);
            drain_field(&mut field).await?;
            continue;
        }
        match read_field(&mut field, keep, hash).await? {
            Some(bytes) => data = Some(bytes),
            None => {
                problem.get_or_insert(part_too_large());
            }
        }
    }
    if let Some(problem) = problem {
        return Err(problem);
    }
    let data = data.ok_or_else(|| ApiError::missing_param("data"))?;
    // The API's behaviour for an empty Part is not documented; an empty
    // Part is surely a client bug, so the fake refuses it.
    if data.body.is_empty() {
        return Err(ApiError::invalid_value(
            "data",
            "The part is empty: 'data' holds no bytes.".to_owned(),
        ));
    }
    Ok(data)
}

/// The field's bytes, kept as the chunks the multipart parser hands out
/// (slices of its buffer: no copy), or just their count unless `keep`,
/// hashed as they arrive if `hash`; `None` (after reading it all) when it
/// is over the limit.
async fn read_field(
    field: &mut Field<'_>,
    keep: bool,
    hash: bool,
) -> Result<Option<Received>, ApiError> {
    let mut chunks = Vec::new();
    let mut len: u64 = 0;
    let mut md5 = hash.then(Md5Hex::default);
    while let Some(chunk) = field.chunk().await.map_err(malformed)? {
        len += chunk.len() as u64;
        if len > MAX_PART_BYTES {
            chunks = Vec::new();
            md5 = None;
        } else {
            if let Some(md5) = &mut md5 {
                md5.update(&chunk);
            }
            if keep && !chunk.is_empty() {
                chunks.push(chunk);
            }
        }
    }
    if len > MAX_PART_BYTES {
        return Ok(None);
    }
    let body = if keep {
        PartBody::Chunks(chunks)
    } else {
        PartBody::Counted(len)
    };
    Ok(Some(Received {
        body,
        md5: md5.map(Md5Hex::finish),
    }))
}

async fn drain_field(field: &mut Field<'_>) -> Result<(), ApiError> {
    while field.chunk().await.map_err(malformed)?.is_some() {}
    Ok(())
}

async fn drain(multipart: &mut Multipart) {
    while let Ok(Some(mut field)) = multipart.next_field().await {
        if drain_field(&mut field).await.is_err() {
            return;
        }
    }
}

fn malformed(error: MultipartError) -> ApiError {
    if error.status().as_u16() == 413 {
        body_too_large()
    } else {
        ApiError::bad_request(format!(
            "The multipart body is malformed: {}.",
            error.body_text()
        ))
    }
}

fn part_too_large() -> ApiError {
    ApiError::too_large(format!(
        "A part can hold at most {MAX_PART_BYTES} bytes (64 MiB)."
    ))
}

fn body_too_large() -> ApiError {
    ApiError::too_large(format!(
        "The request body is too large: a part can hold at most {MAX_PART_BYTES} bytes (64 MiB)."
    ))
}

//! The replies a sabotaged request gets: a dropped connection, no reply at
//! all, an endless body or an injected error status.

use std::io;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::FakeState;
use crate::error::ApiError;
use crate::faults::FaultKind;

/// One piece of an endless body, and the pause between pieces (at most
/// about 16 MB/s: far past any sane body limit within a second, without
/// making the machine's memory the test's limit).
const ENDLESS_CHUNK: usize = 16 * 1024;
const ENDLESS_PAUSE: Duration = Duration::from_millis(1);

/// The reply for `kind` when the work was not done (for
/// [`FaultKind::StoreThenDrop`], callers do the work first and then send
/// this, a dropped reply). `what` names the request in an error message.
pub(crate) async fn sabotage(state: &FakeState, kind: FaultKind, what: &str) -> Response {
    match kind {
        FaultKind::Status(code) => injected_status(code, what).into_response(),
        FaultKind::Reset | FaultKind::StoreThenDrop => dropped(),
        FaultKind::Hang => {
            state.closing().await;
            dropped()
        }
        FaultKind::EndlessBody(code) => endless(state.clone(), code),
    }
}

/// An OpenAI-style error with `code`, without `x-should-retry`.
fn injected_status(code: u16, what: &str) -> ApiError {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    ApiError::fault(status, what)
}

/// A reply hyper never sends: its body fails before the first byte, and
/// hyper then closes the connection without writing the head it had only
/// buffered. The client sees the connection end with no reply.
pub(crate) fn dropped() -> Response {
    let body = futures_util::stream::once(async {
        Err::<Bytes, _>(io::Error::other("the fake drops this reply on purpose"))
    });
    Response::new(Body::from_stream(body))
}

/// A reply with `code` whose body never ends: `{"padding":"` and then `x`
/// without end, until the client hangs up (hyper then drops the stream) or
/// the fake stops (the stream fails and the connection closes).
fn endless(state: FakeState, code: u16) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
    let opening = Bytes::from_static(b"{\"padding\":\"");
    let filler = Bytes::from(vec![b'x'; ENDLESS_CHUNK]);
    let body = futures_util::stream::unfold(Some(opening), move |next| {
        let (state, filler) = (state.clone(), filler.clone());
        async move {
            let chunk = match next {
                Some(opening) => opening,
                None => {
                    tokio::select! {
                        () = state.closing() => {
                            let stop = io::Error::other("the fake is stopping");
                            return Some((Err(stop), None));
                        }
                        () = tokio::time::sleep(ENDLESS_PAUSE) => filler,
                    }
                }
            };
            Some((Ok::<_, io::Error>(chunk), None))
        }
    });
    let mut response = Response::new(Body::from_stream(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

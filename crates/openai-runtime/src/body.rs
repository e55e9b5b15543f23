//! Reading reply bodies within limits: whole (JSON, error replies) or as a
//! [`ByteStream`] (binary downloads).

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use reqwest::{Method, StatusCode};

use super::{Error, Result};

/// Error replies are read up to this (or the JSON limit, when smaller).
pub(crate) const MAX_ERROR_BODY: u64 = 1024 * 1024;

/// Which limit a body is read under, as an error names it.
pub(crate) const JSON_LIMIT: &str = "JSON replies (ClientBuilder::max_response_size)";
pub(crate) const ERROR_LIMIT: &str = "error replies";
pub(crate) const DOWNLOAD_LIMIT: &str = "downloads (ClientBuilder::max_download_size)";

/// Reads the whole body, or returns `Ok(None)` as soon as it is known to be
/// longer than `limit`. Memory stays within `limit` plus one chunk: the
/// chunks are kept as they come and joined once at the end (a declared
/// length is allocated up front instead, and checked first).
pub(crate) async fn read_bounded(
    response: &mut reqwest::Response,
    limit: u64,
) -> reqwest::Result<Option<Bytes>> {
    let declared = response.content_length();
    if declared.is_some_and(|len| len > limit) {
        return Ok(None);
    }
    // Most replies come in one chunk: that one is kept as it is.
    let mut first: Option<Bytes> = None;
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut total: u64 = 0;
    while let Some(chunk) = response.chunk().await? {
        total = total.saturating_add(chunk.len() as u64);
        if total > limit {
            return Ok(None);
        }
        match first.take() {
            None if chunks.is_empty() => first = Some(chunk),
            None => chunks.push(chunk),
            Some(earlier) => chunks.extend([earlier, chunk]),
        }
    }
    Ok(Some(match first {
        Some(only) => only,
        None if chunks.is_empty() => Bytes::new(),
        None => {
            // `total <= limit`, which came from a u64 the caller chose; on a
            // 32-bit target a limit over usize::MAX cannot have been reached.
            let mut joined = BytesMut::with_capacity(usize::try_from(total).unwrap_or(0));
            for chunk in chunks {
                joined.extend_from_slice(&chunk);
            }
            joined.freeze()
        }
    }))
}

/// The body of a streamed reply ([`Client::execute_bytes_stream`]), chunk by
/// chunk as it arrives: never held in memory whole.
///
/// Each chunk must arrive within the client's per-attempt timeout of the one
/// before (a stalled download ends with [`Error::Timeout`]); the whole body
/// may take longer. Past [`ClientBuilder::max_download_size`] the stream
/// ends with [`Error::ResponseTooLarge`]. Read it with
/// [`ByteStream::chunk`], or as a `futures` [`Stream`].
///
/// [`Client::execute_bytes_stream`]: crate::Client::execute_bytes_stream
/// [`ClientBuilder::max_download_size`]: crate::ClientBuilder::max_download_size
pub struct ByteStream {
    inner: Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>,
    content_length: Option<u64>,
    method: Method,
    path: String,
    status: StatusCode,
}

impl fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByteStream")
            .field("content_length", &self.content_length)
            .finish_non_exhaustive()
    }
}

/// What a [`ByteStream`] needs to read on and to name its errors.
pub(crate) struct StreamContext {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) status: StatusCode,
    /// The longest wait for one chunk; `None` for an event stream, which
    /// watches its own silences (`sse::Options::idle_timeout`).
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) limit: Option<u64>,
}

struct State {
    response: reqwest::Response,
    context: StreamContext,
    received: u64,
    done: bool,
}

impl ByteStream {
    pub(crate) fn new(
        response: reqwest::Response,
        context: StreamContext,
        map_error: impl Fn(reqwest::Error) -> Error + Send + Sync + 'static,
    ) -> Self {
        let content_length = response.content_length();
        let (method, path, status) = (context.method.clone(), context.path.clone(), context.status);
        let state = State {
            response,
            context,
            received: 0,
            done: false,
        };
        let map_error = std::sync::Arc::new(map_error);
        let inner = futures_util::stream::unfold(state, move |mut state| {
            let map_error = map_error.clone();
            async move {
                if state.done {
                    return None;
                }
                let context = &state.context;
                let next = match context.idle_timeout {
                    Some(idle) => tokio::time::timeout(idle, state.response.chunk())
                        .await
                        .map_err(|_| idle),
                    None => Ok(state.response.chunk().await),
                };
                let item = match next {
                    Err(idle) => Err(Error::Timeout {
                        method: context.method.clone(),
                        path: context.path.clone(),
                        timeout: idle,
                    }),
                    Ok(Err(err)) => Err(map_error(err)),
                    Ok(Ok(None)) => return None,
                    Ok(Ok(Some(chunk))) => {
                        state.received = state.received.saturating_add(chunk.len() as u64);
                        match context.limit {
                            Some(limit) if state.received > limit => Err(Error::ResponseTooLarge {
                                method: context.method.clone(),
                                path: context.path.clone(),
                                status: context.status,
                                limit,
                                kind: DOWNLOAD_LIMIT,
                            }),
                            _ => Ok(chunk),
                        }
                    }
                };
                state.done = item.is_err();
                Some((item, state))
            }
        });
        Self {
            // Fused: asking again after the end (or an error) gets `None`
            // again, never the panic of an unfold polled past its end.
            inner: Box::pin(futures_util::StreamExt::fuse(inner)),
            content_length,
            method,
            path,
            status,
        }
    }

    /// The next chunk; `Ok(None)` at the end of the body, and again on any
    /// later call. After an error the stream is over (`Ok(None)`).
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        futures_util::StreamExt::next(self).await.transpose()
    }

    /// The length the server declared (`Content-Length`), if it did.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// Reads the rest into memory, failing with [`Error::ResponseTooLarge`]
    /// once more than `limit` bytes have come.
    pub async fn collect(mut self, limit: u64) -> Result<Bytes> {
        let mut out = BytesMut::new();
        while let Some(chunk) = self.chunk().await? {
            if out.len() as u64 + chunk.len() as u64 > limit {
                return Err(Error::ResponseTooLarge {
                    method: self.method.clone(),
                    path: self.path.clone(),
                    status: self.status,
                    limit,
                    kind: "ByteStream::collect",
                });
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out.freeze())
    }
}

impl Stream for ByteStream {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}
